"""Every bad input gets its own clear answer, and the same connection keeps getting predictions."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import AsyncIterator

import numpy as np
import pytest
from signify.app import Application
from websockets.asyncio.client import ClientConnection

from tests.conftest import StartApp
from tests.e2e.client import open_client, receive
from tests.hostile.images import encode, jpeg_bomb, png_of

POINTS = [[0.5 + 0.01 * i, 0.5 - 0.01 * i, 0.0] for i in range(21)]


@pytest.fixture
async def app(start_app: StartApp) -> Application:
    return await start_app(MAX_FPS="240")


@pytest.fixture
async def client(app: Application) -> AsyncIterator[ClientConnection]:
    async with open_client(app) as ws:
        assert (await receive(ws))["type"] == "ready"
        yield ws


async def still_predicts(ws: ClientConnection, frame: bytes) -> None:
    await ws.send(frame)
    answer = await receive(ws)
    assert answer["type"] == "prediction", answer
    await ws.send(json.dumps({"type": "keypoints", "landmarks": POINTS}))
    answer = await receive(ws)
    assert answer["type"] == "prediction" and answer["hand"] is True, answer


def keypoints(**changes: object) -> str:
    return json.dumps({"type": "keypoints", "id": 5, "landmarks": POINTS, **changes})


def with_point(value: object) -> str:
    points = [list(p) for p in POINTS]
    points[3][0] = value  # type: ignore[call-overload]
    return json.dumps({"type": "keypoints", "id": 5, "landmarks": points}, allow_nan=True)


GRAY = np.full((48, 64), 120, np.uint8)
PICTURE = np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8)
RGBA = np.dstack([PICTURE, np.full((48, 64), 200, np.uint8)])
DEEP = (PICTURE.astype(np.uint16) * 257)

CASES = {
    "empty binary": (b"", "bad_image", 1),
    "random bytes": (os.urandom(2000), "bad_image", 1),
    "truncated jpeg": (encode(".jpg", PICTURE)[:40], "bad_image", 1),
    "truncated png": (encode(".png", PICTURE)[:60], "bad_image", 1),
    "truncated webp": (encode(".webp", PICTURE)[:40], "bad_image", 1),
    "jpeg bomb": (jpeg_bomb(), "too_large", 1),
    "png of 10000x10000": (png_of(10000, 10000), "too_large", 1),
    "text not json": ("hello there", "bad_message", None),
    "json array": ("[1, 2, 3]", "bad_message", None),
    "json number": ("42", "bad_message", None),
    "unknown type": ('{"type":"selfie","id":9}', "bad_message", 9),
    "frame without image": ('{"type":"frame","id":3}', "bad_message", 3),
    "broken base64": ('{"type":"frame","id":4,"image":"@@@@"}', "bad_message", 4),
    "base64 of garbage": (json.dumps({"type": "frame", "id": 7, "image": base64.b64encode(b"xyz").decode()}),
                          "bad_image", 7),
    "keypoints with NaN": (with_point(float("nan")), "bad_keypoints", 5),
    "keypoints with infinity": (with_point(float("inf")), "bad_keypoints", 5),
    "keypoints out of range": (with_point(1e9), "bad_keypoints", 5),
    "keypoints wrong count": (json.dumps({"type": "keypoints", "id": 5, "landmarks": POINTS[:20]}), "bad_keypoints", 5),
    "keypoints not numbers": (with_point("left"), "bad_keypoints", 5),
    "keypoints bad handedness": (keypoints(handedness="Both"), "bad_keypoints", 5),
    "huge id": (json.dumps({"type": "frame", "id": 10**30, "image": "AAAA"}), "bad_message", 1),
    "negative id": (json.dumps({"type": "keypoints", "id": -3, "landmarks": POINTS}), "bad_message", 1),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_bad_input_gets_its_error_and_the_connection_goes_on(
    name: str, client: ClientConnection, hand_jpegs: list[bytes]
) -> None:
    message, code, frame_id = CASES[name]
    await client.send(message)
    answer = await receive(client)
    assert answer["type"] == "error"
    assert answer["code"] == code
    assert answer["id"] == frame_id
    assert answer["message"]
    await still_predicts(client, hand_jpegs[0])


@pytest.mark.parametrize(
    "image",
    [encode(".png", GRAY), encode(".png", RGBA), encode(".png", DEEP), encode(".jpg", GRAY),
     encode(".png", np.zeros((1, 1, 3), np.uint8)), encode(".webp", PICTURE)],
    ids=["grayscale png", "rgba png", "16-bit png", "grayscale jpeg", "1x1 png", "webp"],
)
async def test_unusual_but_valid_images_are_processed(image: bytes, client: ClientConnection,
                                                      hand_jpegs: list[bytes]) -> None:
    await client.send(image)
    answer = await receive(client)
    assert answer["type"] == "prediction" and answer["hand"] is False
    await still_predicts(client, hand_jpegs[0])


async def test_a_flood_of_resets_costs_nothing(client: ClientConnection, hand_jpegs: list[bytes]) -> None:
    for _ in range(500):
        await client.send('{"type":"reset"}')
    await still_predicts(client, hand_jpegs[0])
    answer = await receive_or_none(client)
    assert answer is None  # resets are never answered, so nothing is left over


async def receive_or_none(ws: ClientConnection) -> dict[str, object] | None:
    import asyncio

    try:
        return await asyncio.wait_for(receive(ws), timeout=0.3)
    except TimeoutError:
        return None
