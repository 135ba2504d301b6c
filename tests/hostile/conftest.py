"""Fixtures for the hostile tests: the real server (shipped model, real MediaPipe) on loopback.

``serve`` runs it in this process, where a test can look at a connection's
buffers; ``server_process`` runs ``python main.py`` as an operator does,
where a test can send SIGTERM and read /proc and the JSON log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from signify.app import Application

from testkit.hand_drawing import encode_jpeg, moving_hand_frames
from tests.conftest import loopback_settings
from tests.server_process import ServerProcess

Serve = Callable[..., Awaitable[Application]]
StartProcess = Callable[..., ServerProcess]

@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start servers in this process with the shipped model; each is drained and stopped after the test."""
    apps: list[Application] = []

    async def start(**env: str) -> Application:
        app = Application(loopback_settings(**env))
        await app.start()
        apps.append(app)
        assert app.model is not None, app.status.model_error
        return app

    yield start
    for app in reversed(apps):
        await app.stop()


@pytest.fixture
def server_process() -> Iterator[StartProcess]:
    """Start ``python main.py`` subprocesses; any still running after the test is killed."""
    processes: list[ServerProcess] = []

    def start(**env: str) -> ServerProcess:
        server = ServerProcess(**env)
        processes.append(server)
        server.wait_listening()
        return server

    yield start
    for server in processes:
        server.kill()


@pytest.fixture(scope="session")
def hand_frames() -> list[bytes]:
    """JPEG frames of a drawn hand drifting like a live camera: MediaPipe finds it in nearly all."""
    return [encode_jpeg(frame) for frame in moving_hand_frames(30)]


@pytest.fixture(scope="session")
def hand_frame(hand_frames: list[bytes]) -> bytes:
    """One good camera frame."""
    return hand_frames[5]
