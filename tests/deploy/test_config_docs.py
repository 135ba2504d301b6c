"""`.env.example` and the README's configuration table are exactly what the settings declare."""

from __future__ import annotations

from signify.config import VARIABLES, Settings
from signify.config_docs import ENV_EXAMPLE, README, env_example, markdown_table, readme_table

PROMISED = ("PORT", "HEALTH_PORT", "LOG_LEVEL", "MEDIAPIPE_MIN_DETECTION_CONFIDENCE", "MEDIAPIPE_MODEL_COMPLEXITY",
            "SLIDING_WINDOW_SIZE", "KEYPOINT_BUFFER_SIZE", "MODEL_PATH", "MAX_SESSIONS", "MAX_FRAME_BYTES",
            "ALLOWED_ORIGINS")


def test_env_example_is_generated_from_the_settings() -> None:
    assert ENV_EXAMPLE.read_text() == env_example(), "run: python -m signify.config_docs"


def test_readme_table_is_generated_from_the_settings() -> None:
    assert readme_table(README.read_text()) == markdown_table(), "run: python -m signify.config_docs"


def test_every_promised_variable_is_documented() -> None:
    names = {variable.name for variable in VARIABLES}
    assert set(PROMISED) <= names
    for name in PROMISED:
        assert f"\n{name}=" in env_example()
        assert f"| `{name}` |" in markdown_table()


def test_env_example_values_start_the_server_with_its_defaults() -> None:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    assert Settings.from_env(values) == Settings.from_env({})
