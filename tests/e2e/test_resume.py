"""resume (PROTOCOL.md) over a real socket: the transcript a client kept carries on in a new session."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection

from testkit.letter_shapes import letter_shape
from tests.conftest import StartApp
from tests.e2e.client import open_client, receive

FAST = {"MAX_FPS": "240"}  # frames go answer by answer, faster than a camera


async def hold(ws: ClientConnection, letter: str, frames: int, rng: np.random.Generator) -> dict[str, Any]:
    """Show ``letter``'s hand (as keypoints) for ``frames`` frames, one answer at a time; the last prediction."""
    answer: dict[str, Any] = {}
    for _ in range(frames):
        points = 0.5 + 0.15 * letter_shape(letter) + rng.normal(0, 0.002, (21, 3))
        await ws.send(json.dumps({"type": "keypoints", "landmarks": points.round(5).tolist()}))
        answer = await receive(ws)
        assert answer["type"] == "prediction", answer
    return answer


async def test_a_resumed_transcript_continues_with_the_next_letters(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    rng = np.random.default_rng(1)
    async with open_client(app) as ws:
        assert (await receive(ws))["type"] == "ready"
        await ws.send(json.dumps({"type": "resume", "text": "HELLO WOR"}))
        assert await receive(ws) == {"type": "resumed", "text": "HELLO WOR"}
        assert (await hold(ws, "L", 45, rng))["text"] == "HELLO WORL"
        assert (await hold(ws, "O", 45, rng))["text"] == "HELLO WORLO"


async def test_a_letter_held_across_a_reconnect_is_written_once(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    rng = np.random.default_rng(2)
    async with open_client(app) as first:
        await receive(first)
        text = (await hold(first, "L", 45, rng))["text"]
    assert text == "L"
    async with open_client(app) as second:  # the hand goes on holding L
        await receive(second)
        await second.send(json.dumps({"type": "resume", "text": text}))
        assert (await receive(second))["text"] == "L"
        assert (await hold(second, "L", 60, rng))["text"] == "L"


async def test_a_bad_resume_is_answered_bad_message_and_changes_nothing(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        await receive(ws)
        await ws.send(json.dumps({"type": "resume", "text": "HI"}))
        assert (await receive(ws))["type"] == "resumed"
        for bad in ("hi there", "HI  THERE", "X" * 1001, 7):
            await ws.send(json.dumps({"type": "resume", "text": bad}))
            error = await receive(ws)
            assert error["type"] == "error" and error["code"] == "bad_message" and error["id"] is None
        assert (await hold(ws, "O", 1, np.random.default_rng(3)))["text"] == "HI"
