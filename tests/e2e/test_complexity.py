"""MEDIAPIPE_MODEL_COMPLEXITY=auto: the full landmark model while few cameras send images, the lite one past that.

A real photo's hand (tests/data) streamed to the real server: which model tracked a
frame shows in its landmarks, which MediaPipe gives deterministically for a fresh
tracker and differ between the two models by about 0.03 of the picture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from signify.app import Application
from signify.recognition.hands import HandSettings, HandTracker
from websockets.asyncio.client import ClientConnection

from tests.conftest import StartApp
from tests.e2e.client import health, open_client, receive
from tests.photos import PHOTO_DATA

PHOTO = next((PHOTO_DATA / "roboflow-asl-letters" / "train" / "images").glob("H2_*.jpg"))
SAME = 2e-4  # answers carry landmarks rounded to 4 decimals


@pytest.fixture(scope="module")
def fresh_tracks() -> dict[int, list[NDArray[np.float32]]]:
    """The first frames' landmarks (x, y) of a fresh tracker on the held photo, for each model complexity."""
    rgb = cv2.cvtColor(cv2.imread(str(PHOTO)), cv2.COLOR_BGR2RGB)
    tracks = {}
    for complexity in (0, 1):
        with HandTracker(HandSettings(model_complexity=complexity, zoom=True)) as tracker:
            tracks[complexity] = [_found(tracker.detect(rgb)) for _ in range(4)]
    assert np.abs(tracks[0][0] - tracks[1][0]).max() > 0.01  # the models are told apart
    return tracks


async def test_auto_tracks_with_the_full_model_until_more_cameras_send_images(
    start_app: StartApp, fresh_tracks: dict[int, list[NDArray[np.float32]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("signify.serving.complexity.SETTLE_S", 1.0)
    photo = Path(PHOTO).read_bytes()
    app = await start_app(MEDIAPIPE_MODEL_COMPLEXITY="auto", MEDIAPIPE_FULL_MODEL_SESSIONS="1")
    full, lite = fresh_tracks[1], fresh_tracks[0]
    assert (await health(app))["image_landmarks"] == "full"
    async with open_client(app) as first:
        await receive(first)
        _assert_tracked([await _tracked(first, photo) for _ in range(2)], full[:2])
        async with open_client(app) as second:
            await receive(second)
            # A second camera is one more than the full model is kept for: both track with the lite one now.
            _assert_tracked([await _tracked(second, photo)], lite[:1])
            assert (await health(app))["image_landmarks"] == "lite"
            # The first camera's graph is built again: its next frame is tracked afresh.
            _assert_tracked([await _tracked(first, photo) for _ in range(2)], lite[:2])
        await _until(app, lambda health: health["image_sessions"] == 1)
        # One camera again, but the full model waits until the count has stayed low for SETTLE_S.
        _assert_tracked([await _tracked(first, photo)], lite[2:3])
        # /health says when it is back, before any frame asks.
        await _until(app, lambda health: health["image_landmarks"] == "full")
        _assert_tracked([await _tracked(first, photo) for _ in range(2)], full[:2])
    # Operators see the switches in /metrics (and in the log).
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{app.health_port}/metrics") as response:
        metrics = await response.text()
    assert 'signify_image_tracking_switches_total{landmarks="lite"} 1.0' in metrics
    assert 'signify_image_tracking_switches_total{landmarks="full"} 1.0' in metrics


async def test_a_fixed_complexity_never_switches(
    start_app: StartApp, fresh_tracks: dict[int, list[NDArray[np.float32]]]
) -> None:
    photo = Path(PHOTO).read_bytes()
    app = await start_app(MEDIAPIPE_MODEL_COMPLEXITY="1", MEDIAPIPE_FULL_MODEL_SESSIONS="1", MAX_SESSIONS="2")
    async with open_client(app) as first, open_client(app) as second:
        await receive(first)
        await receive(second)
        _assert_tracked([await _tracked(first, photo)], fresh_tracks[1][:1])
        _assert_tracked([await _tracked(second, photo) for _ in range(2)], fresh_tracks[1][:2])
        _assert_tracked([await _tracked(first, photo)], fresh_tracks[1][1:2])
    assert (await health(app))["image_landmarks"] == "full"


def _assert_tracked(answered: list[NDArray[np.float64]], expected: list[NDArray[np.float32]]) -> None:
    """The answers' landmarks are the expected ones, frame for frame, within :data:`SAME`."""
    distances = [float(np.abs(a - e).max()) for a, e in zip(answered, expected, strict=True)]
    assert max(distances) <= SAME, f"largest differences from the expected model's landmarks: {distances}"


def _found(observation: object) -> NDArray[np.float32]:
    assert observation is not None, "MediaPipe found no hand in the test photo"
    landmarks: NDArray[np.float32] = observation.landmarks[:, :2]  # type: ignore[attr-defined]
    return landmarks


async def _tracked(ws: ClientConnection, photo: bytes) -> NDArray[np.float64]:
    """Send the photo as a camera frame; the landmarks of its answer."""
    await ws.send(photo)
    answer = await receive(ws)
    assert answer["type"] == "prediction" and answer["hand"], answer
    return np.array(answer["landmarks"])


async def _until(app: Application, condition: Callable[[dict[str, Any]], bool], limit_s: float = 5.0) -> None:
    """Wait until /health meets ``condition``."""
    deadline = asyncio.get_running_loop().time() + limit_s
    while not condition(body := await health(app)):
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.05)
