"""Fixtures shared by the whole suite: the real server on loopback, and drawn camera frames."""

from __future__ import annotations

import os

# As back/main.py does for the server: one BLAS thread, so that in-process servers run as deployed.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from signify.app import Application
from signify.config import Settings

from testkit.hand_drawing import TRACKER_COMPLEXITY, blank_frame, encode_jpeg, moving_hand_frames

StartApp = Callable[..., Awaitable[Application]]


def loopback_settings(**env: str) -> Settings:
    """Settings for a server on loopback with ephemeral ports and the configured (by default the shipped) model."""
    # No donation store unless a test asks for one: never the repository's data/.
    base = {"HOST": "127.0.0.1", "PORT": "0", "HEALTH_PORT": "0", "LOG_LEVEL": "WARNING", "DATASET_PATH": "",
            # testkit's drawn hands need the lite landmark model; auto is tested on real photos.
            "MEDIAPIPE_MODEL_COMPLEXITY": str(TRACKER_COMPLEXITY)}
    if "MODEL_PATH" in os.environ:
        base["MODEL_PATH"] = os.environ["MODEL_PATH"]
    return Settings.from_env({**base, **env})




@pytest.fixture
async def start_app() -> AsyncIterator[StartApp]:
    """Start real servers in this process; every one is stopped (drained) after the test."""
    apps: list[Application] = []

    async def start(**env: str) -> Application:
        app = Application(loopback_settings(**env))
        await app.start()
        apps.append(app)
        return app

    yield start
    for app in apps:
        await app.stop()


@pytest.fixture(scope="session")
def hand_jpegs() -> list[bytes]:
    """Forty JPEG frames of a drawn hand drifting like a live camera."""
    return [encode_jpeg(frame) for frame in moving_hand_frames(40)]


@pytest.fixture(scope="session")
def blank_jpeg() -> bytes:
    """A JPEG frame with no hand."""
    return encode_jpeg(blank_frame())
