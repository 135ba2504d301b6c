"""Server settings: one frozen object, read once from the environment.

Every variable the deployment guide promises is declared here, once, with
its default, its parser and one line of meaning. ``.env.example`` and the
README's configuration table are checked against :data:`VARIABLES` by the
tests, so the three cannot drift apart.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from .serving.clientaddress import Network, parse_networks

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_PATH = REPO_ROOT / "models" / "asl-lstm.onnx"
DEFAULT_DATASET_PATH = REPO_ROOT / "data" / "donations.sqlite3"
DEFAULT_MODEL_CACHE = REPO_ROOT / "data" / "model-cache"
# An admin token guards model swaps: long enough that guessing it is hopeless.
MIN_ADMIN_TOKEN_CHARS = 16
# A worker thread hands its frame to MediaPipe's own graph threads and waits,
# so with one worker per core a core sits idle between frames. Two per core
# answered 8 real-video cameras at 25 fps or more on 2 cores where one per core
# answered 7 (README, Performance); each session still has one frame in work.
THREADS_PER_CORE = 2
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # "QUOTA PERIOD" in microseconds, or "max PERIOD"
# MediaPipe's full landmark model (complexity 1) costs about 11 ms of CPU a frame
# against the lite one's 7: on 2 cores four real-video cameras took p95 35-41 ms
# at 29.6 fps or more on it, five p95 58-63 ms at 28.6 fps (docs/performance.md).
FULL_MODEL_SESSIONS_PER_CORE = 2


class ConfigError(ValueError):
    """A setting from the environment has a value the server cannot run with."""


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, default text and meaning."""

    name: str
    default: str
    meaning: str
    parse: Callable[[str], Any]


Number = TypeVar("Number", int, float)


def _in_range(convert: Callable[[str], Number], low: Number, high: Number) -> Callable[[str], Number]:
    def parse(text: str) -> Number:
        value = convert(text)
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return parse


def _int_in(low: int, high: int) -> Callable[[str], int]:
    return _in_range(int, low, high)


def _float_in(low: float, high: float) -> Callable[[str], float]:
    return _in_range(float, low, high)


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    return level


def _origins(text: str) -> tuple[str, ...]:
    origins = tuple(part.strip() for part in text.split(",") if part.strip())
    for origin in origins:
        if origin != "*" and "://" not in origin:
            raise ValueError(f"{origin!r} is not an origin like https://example.com or *")
    return origins


def _optional_path(text: str) -> Path | None:
    return Path(text).expanduser() if text.strip() else None


def _optional_text(text: str) -> str | None:
    return text if text else None


def _model_store(text: str) -> str:
    text = text.strip()
    if text.startswith("s3://") and not text[len("s3://"):].split("/")[0]:
        raise ValueError("an s3:// store must name a bucket: s3://bucket/prefix")
    return text


def _url(text: str) -> str | None:
    text = text.strip()
    if text and not text.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return text or None


def _admin_token(text: str) -> str | None:
    if text and len(text) < MIN_ADMIN_TOKEN_CHARS:
        raise ValueError(f"must be at least {MIN_ADMIN_TOKEN_CHARS} characters")
    return text or None


def _complexity(text: str) -> int | None:
    text = text.strip().lower()
    if text == "auto":
        return None
    if text not in ("0", "1"):
        raise ValueError("must be 0, 1 or auto")
    return int(text)


def _path(text: str) -> Path:
    if not text.strip():
        raise ValueError("must not be empty")
    return Path(text).expanduser()


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "PORT", "8765", "WebSocket port (path /ws; also answers GET /health); 0 picks a free one", _int_in(0, 65535)
    ),
    Variable("HEALTH_PORT", "8080", "side HTTP server: /health, /live, /ready, /metrics, demo page", _int_in(0, 65535)),
    Variable("HOST", "0.0.0.0", "interface both servers listen on", str),
    Variable("LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR; per-frame lines only at DEBUG", _log_level),
    Variable(
        "MODEL_PATH",
        str(DEFAULT_MODEL_PATH.relative_to(REPO_ROOT)),
        "the shipped ONNX release (relative to the repository root), card beside it; its directory is the "
        "default MODEL_STORE",
        _path,
    ),
    Variable("MODEL_STORE", "", "model releases: a directory, or s3://bucket/prefix (needs boto3); "
             "empty: the directory of MODEL_PATH", _model_store),
    Variable("MODEL_VERSION", "", "the release to serve at start; empty: the newest that passes every check",
             _optional_text),
    Variable("MODEL_CACHE", str(DEFAULT_MODEL_CACHE.relative_to(REPO_ROOT)),
             "local cache of releases downloaded from an s3:// store (relative to the repository root)", _path),
    Variable("MODEL_STORE_ENDPOINT", "", "URL of an S3-compatible server for an s3:// store; empty: AWS", _url),
    Variable("ADMIN_TOKEN", "", "if set (16+ characters), the model admin API on HEALTH_PORT (/admin/...) "
             "takes it as a bearer token; empty: no admin API", _admin_token),
    Variable(
        "DATASET_PATH",
        str(DEFAULT_DATASET_PATH.relative_to(REPO_ROOT)),
        "SQLite file for opt-in donated calibration windows (relative to the repository root); empty: no donations",
        _optional_path,
    ),
    Variable(
        "MEDIAPIPE_MIN_DETECTION_CONFIDENCE", "0.5", "MediaPipe Hands detection threshold, 0 to 1", _float_in(0.0, 1.0)
    ),
    Variable(
        "MEDIAPIPE_MIN_TRACKING_CONFIDENCE", "0.5", "MediaPipe Hands tracking threshold, 0 to 1", _float_in(0.0, 1.0)
    ),
    Variable("MEDIAPIPE_MODEL_COMPLEXITY", "auto", "MediaPipe Hands landmark model for camera images: 0 (lite), "
             "1 (full, more accurate), or auto: 1 while at most MEDIAPIPE_FULL_MODEL_SESSIONS image sessions are "
             "open, else 0", _complexity),
    Variable("MEDIAPIPE_FULL_MODEL_SESSIONS", "0", "open image sessions up to which auto uses the full model; "
             "0 means two per core", _int_in(0, 1024)),
    Variable("SLIDING_WINDOW_SIZE", "5", "per-frame answers the smoother votes over", _int_in(1, 64)),
    Variable("KEYPOINT_BUFFER_SIZE", "32", "keypoint frames the model sees per window", _int_in(1, 256)),
    Variable("MAX_SESSIONS", "8", "sessions sending camera images at most (each has a MediaPipe graph); a session "
             "whose first image finds none free is closed with 1013", _int_in(1, 1024)),
    Variable("MAX_KEYPOINT_SESSIONS", "400", "sessions sending only keypoints (the hand tracked on the device) "
             "at most; more are closed with 1013", _int_in(1, 100_000)),
    Variable(
        "MAX_SESSIONS_PER_CLIENT",
        "4",
        "open sessions per client address at most (0: no limit); more are closed with 1013",
        _int_in(0, 1024),
    ),
    Variable(
        "TRUSTED_PROXIES",
        "",
        "comma-separated proxy IPs or CIDRs whose X-Forwarded-For names the client; empty: none",
        parse_networks,
    ),
    Variable(
        "MAX_FRAME_BYTES",
        "1048576",
        "largest message in bytes; larger closes with 1009",
        _int_in(1024, 64 * 1024 * 1024),
    ),
    Variable(
        "MAX_IMAGE_PIXELS",
        "4194304",
        "largest decoded image (width x height), read from the header first",
        _int_in(1, 100_000_000),
    ),
    Variable("MAX_FPS", "30", "frames per second a session may send before rate_limited errors", _int_in(1, 240)),
    Variable("IDLE_TIMEOUT", "60", "seconds without a message before a session is closed", _float_in(1.0, 86400.0)),
    Variable("ALLOWED_ORIGINS", "*", "comma-separated browser origins allowed to connect, or *", _origins),
    Variable("AUTH_TOKEN", "", "if set, clients must send it (subprotocol or ?token=)", _optional_text),
    Variable("SSL_CERTFILE", "", "PEM certificate: serve wss:// directly", _optional_path),
    Variable("SSL_KEYFILE", "", "PEM private key for SSL_CERTFILE", _optional_path),
    Variable("WORKER_THREADS", "0", "threads for MediaPipe and ONNX; 0 means two per core", _int_in(0, 256)),
    Variable("DRAIN_TIMEOUT", "10", "seconds SIGTERM waits for in-flight frames", _float_in(0.0, 600.0)),
)


@dataclass(frozen=True)
class Settings:
    """The server's configuration; build it with :meth:`from_env`."""

    port: int = 8765
    health_port: int = 8080
    host: str = "0.0.0.0"
    log_level: str = "INFO"
    model_path: Path = DEFAULT_MODEL_PATH
    model_store: str = ""
    model_version: str | None = None
    model_cache: Path = DEFAULT_MODEL_CACHE
    model_store_endpoint: str | None = None
    admin_token: str | None = None
    dataset_path: Path | None = DEFAULT_DATASET_PATH
    mediapipe_min_detection_confidence: float = 0.5
    mediapipe_min_tracking_confidence: float = 0.5
    mediapipe_model_complexity: int | None = None  # None: auto
    mediapipe_full_model_sessions: int = 0
    sliding_window_size: int = 5
    keypoint_buffer_size: int = 32
    max_sessions: int = 8
    max_keypoint_sessions: int = 400
    max_sessions_per_client: int = 4
    trusted_proxies: tuple[Network, ...] = ()
    max_frame_bytes: int = 1024 * 1024
    max_image_pixels: int = 4 * 1024 * 1024
    max_fps: int = 30
    idle_timeout: float = 60.0
    allowed_origins: tuple[str, ...] = ("*",)
    auth_token: str | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    worker_threads: int = 0
    drain_timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every variable in :data:`VARIABLES`; raise :class:`ConfigError` naming the bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for variable in VARIABLES:
            text = env.get(variable.name, variable.default)
            try:
                values[variable.name.lower()] = variable.parse(text)
            except ValueError as exc:
                raise ConfigError(f"{variable.name}={text!r} is invalid: {exc}") from None
        for name in ("model_path", "dataset_path", "model_cache"):
            if values[name] is not None and not values[name].is_absolute():
                # Relative to the repository root (/app in the image), wherever the server is started from.
                values[name] = REPO_ROOT / values[name]
        settings = cls(**values)
        settings._check_combinations()
        return settings

    def _check_combinations(self) -> None:
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ConfigError("SSL_CERTFILE and SSL_KEYFILE must be set together")
        if self.health_port and self.health_port == self.port:
            raise ConfigError(f"HEALTH_PORT={self.health_port} must differ from PORT")
        if self.sliding_window_size > self.keypoint_buffer_size * 8:
            raise ConfigError("SLIDING_WINDOW_SIZE is far larger than KEYPOINT_BUFFER_SIZE")

    @property
    def threads(self) -> int:
        """Worker threads actually used: WORKER_THREADS, or :data:`THREADS_PER_CORE` per core."""
        return self.worker_threads or THREADS_PER_CORE * available_cores()

    @property
    def full_model_sessions(self) -> int:
        """Open image sessions up to which every one tracks with the full model (complexity 1), as configured."""
        if self.mediapipe_model_complexity is not None:
            # Image sessions never outnumber MAX_SESSIONS: 1 is the full model for all of them.
            return self.max_sessions if self.mediapipe_model_complexity == 1 else 0
        return self.mediapipe_full_model_sessions or FULL_MODEL_SESSIONS_PER_CORE * available_cores()

    @property
    def store(self) -> str:
        """Where releases are listed: MODEL_STORE, or MODEL_PATH's directory (relative paths from the repository)."""
        if not self.model_store:
            return str(self.model_path.parent)
        if self.model_store.startswith("s3://") or Path(self.model_store).is_absolute():
            return self.model_store
        return str(REPO_ROOT / self.model_store)

    @property
    def tls(self) -> bool:
        """Whether the WebSocket port speaks TLS itself."""
        return self.ssl_certfile is not None


def available_cores(cpu_max: Path = CGROUP_CPU_MAX) -> int:
    """The cores this process may use: the CPUs it may run on, or fewer under a cgroup v2 CPU quota
    (``cpu_max``), which is how a container is usually limited and which ``os.cpu_count()`` does not see."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = cpu_max.read_text().split()[:2]
        return min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError, ZeroDivisionError):  # no cgroup v2 here, or "max": no quota
        return cores


def _check_fields_match_variables() -> None:
    names = {field.name for field in fields(Settings)}
    declared = {variable.name.lower() for variable in VARIABLES}
    assert names == declared, f"Settings and VARIABLES differ: {names ^ declared}"


_check_fields_match_variables()
