"""Settings are read once from the environment, and a bad value names its variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from signify.config import (
    DEFAULT_DATASET_PATH,
    DEFAULT_MODEL_PATH,
    FULL_MODEL_SESSIONS_PER_CORE,
    REPO_ROOT,
    THREADS_PER_CORE,
    VARIABLES,
    ConfigError,
    Settings,
    available_cores,
)


def test_defaults_match_the_deployment_guide() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8765
    assert settings.health_port == 8080
    assert settings.log_level == "INFO"
    assert settings.mediapipe_min_detection_confidence == 0.5
    assert settings.mediapipe_model_complexity is None  # auto
    assert settings.sliding_window_size == 5
    assert settings.keypoint_buffer_size == 32
    assert settings.model_path == DEFAULT_MODEL_PATH


def test_every_default_text_parses_to_the_dataclass_default() -> None:
    assert Settings.from_env({}) == Settings()


def test_values_are_read_and_converted() -> None:
    settings = Settings.from_env({
        "PORT": "9000", "LOG_LEVEL": "debug", "MEDIAPIPE_MODEL_COMPLEXITY": "1",
        "ALLOWED_ORIGINS": "https://a.example, https://b.example", "MODEL_PATH": "/srv/m.onnx",
    })
    assert settings.port == 9000
    assert settings.log_level == "DEBUG"
    assert settings.mediapipe_model_complexity == 1
    assert settings.allowed_origins == ("https://a.example", "https://b.example")
    assert settings.model_path == Path("/srv/m.onnx")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("PORT", "-5"),
        ("HEALTH_PORT", "-1"),
        ("LOG_LEVEL", "LOUD"),
        ("MEDIAPIPE_MIN_DETECTION_CONFIDENCE", "1.5"),
        ("MEDIAPIPE_MODEL_COMPLEXITY", "2"),
        ("MEDIAPIPE_MODEL_COMPLEXITY", "full"),
        ("MEDIAPIPE_FULL_MODEL_SESSIONS", "-1"),
        ("SLIDING_WINDOW_SIZE", "0"),
        ("KEYPOINT_BUFFER_SIZE", "many"),
        ("MAX_SESSIONS", "0"),
        ("ALLOWED_ORIGINS", "example.com"),
        ("MODEL_PATH", ""),
    ],
)
def test_a_bad_value_is_one_clear_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}=")
    assert "\n" not in message


def test_worker_threads_default_to_a_fixed_number_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("signify.config.available_cores", lambda: 3)
    assert Settings.from_env({}).threads == 3 * THREADS_PER_CORE
    assert Settings.from_env({"WORKER_THREADS": "5"}).threads == 5


def test_the_model_complexity_is_auto_by_default_with_the_full_model_for_a_few_cameras_per_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("signify.config.available_cores", lambda: 3)
    assert Settings.from_env({}).mediapipe_model_complexity is None
    assert Settings.from_env({}).full_model_sessions == 3 * FULL_MODEL_SESSIONS_PER_CORE
    assert Settings.from_env({"MEDIAPIPE_MODEL_COMPLEXITY": " Auto "}).full_model_sessions == 6
    assert Settings.from_env({"MEDIAPIPE_FULL_MODEL_SESSIONS": "1"}).full_model_sessions == 1
    # A fixed complexity: the full model for every image session, or for none.
    assert Settings.from_env({"MEDIAPIPE_MODEL_COMPLEXITY": "1", "MAX_SESSIONS": "12"}).full_model_sessions == 12
    assert Settings.from_env({"MEDIAPIPE_MODEL_COMPLEXITY": "0",
                              "MEDIAPIPE_FULL_MODEL_SESSIONS": "4"}).full_model_sessions == 0


def test_the_cores_are_the_cpus_this_process_may_use_or_fewer_under_a_cgroup_quota(tmp_path: Path) -> None:
    """A cgroup v2 ``cpu.max`` as a container limited to so many cores has it (none can be set up here)."""
    cpus = len(os.sched_getaffinity(0))
    cpu_max = tmp_path / "cpu.max"
    assert available_cores(cpu_max) == cpus  # no cgroup file
    cpu_max.write_text("max 100000\n")
    assert available_cores(cpu_max) == cpus
    cpu_max.write_text("50000 100000\n")  # half a core: one
    assert available_cores(cpu_max) == 1
    cpu_max.write_text(f"{150000 * cpus} 100000\n")  # more than there are: the CPUs
    assert available_cores(cpu_max) == cpus
    if cpus > 1:
        cpu_max.write_text("150000 100000\n")  # one and a half: two
        assert available_cores(cpu_max) == 2


def test_tls_needs_both_files() -> None:
    with pytest.raises(ConfigError, match="SSL_CERTFILE and SSL_KEYFILE"):
        Settings.from_env({"SSL_CERTFILE": "/tmp/cert.pem"})


def test_ports_must_differ() -> None:
    with pytest.raises(ConfigError, match="HEALTH_PORT"):
        Settings.from_env({"PORT": "9000", "HEALTH_PORT": "9000"})


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_every_variable_has_a_meaning_and_a_parsable_default() -> None:
    names = [variable.name for variable in VARIABLES]
    assert len(names) == len(set(names))
    for variable in VARIABLES:
        assert variable.meaning
        variable.parse(variable.default)


def test_the_donation_store_defaults_to_data_in_the_repository_and_an_empty_value_turns_it_off() -> None:
    assert Settings.from_env({}).dataset_path == DEFAULT_DATASET_PATH
    assert DEFAULT_DATASET_PATH == REPO_ROOT / "data" / "donations.sqlite3"
    assert Settings.from_env({"DATASET_PATH": ""}).dataset_path is None
    assert Settings.from_env({"DATASET_PATH": "elsewhere/d.sqlite3"}).dataset_path == REPO_ROOT / "elsewhere/d.sqlite3"
    assert Settings.from_env({"DATASET_PATH": "/var/lib/signify/d.sqlite3"}).dataset_path == Path(
        "/var/lib/signify/d.sqlite3")
