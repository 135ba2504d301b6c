"""J, Z and the handshapes they start from, drawn by testkit and streamed over a real WebSocket.

A J starts as a held I and a Z as a held index finger: the transcript must
write the motion letter and never the shape it started from, and a hand that
only drifts while it holds I or X must write I or X, never J or Z. The
clips are drawn at webcam framing (the hand 80 px tall in 640x480) and at a
close framing; every frame goes through the real MediaPipe and the shipped
model.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from testkit.hand_drawing import encode_jpeg
from testkit.motion_clips import Frames, Framing, drifting_clip, j_clip, spelling_clip, z_clip
from tests.conftest import StartApp
from tests.e2e.client import open_client, receive

HAND_LENGTH = 200.0  # pixels in a 640x480 frame

CLIPS: dict[str, tuple[Callable[[Framing], Frames], str, str]] = {
    # name: (clip, the letter it spells, letters it must never write)
    "J": (j_clip, "J", "IZ"),
    "Z": (z_clip, "Z", "DGXJ"),
    "drifting I": (lambda framing: drifting_clip("I", framing), "I", "JZ"),
    "drifting X": (lambda framing: drifting_clip("X", framing), "X", "JZ"),
}


async def transcribe(start_app: StartApp, frames: Frames) -> str:
    """Stream the frames one by one, each answered before the next, and return the final transcript."""
    app = await start_app(MAX_FPS="240")  # the test sends faster than a camera, answer by answer
    async with open_client(app) as ws:
        await receive(ws)
        text = ""
        for frame in frames:
            await ws.send(encode_jpeg(frame))
            answer = await receive(ws)
            assert answer["type"] == "prediction", answer
            text = answer["text"]
    return text


@pytest.mark.slow
@pytest.mark.parametrize("mirror", [False, True], ids=["right hand", "left hand"])
@pytest.mark.parametrize("name", list(CLIPS))
async def test_motion_letters_and_their_starting_shapes_are_written_right(
    start_app: StartApp, name: str, mirror: bool
) -> None:
    make, letter, never = CLIPS[name]
    text = await transcribe(start_app, make(Framing(size=HAND_LENGTH, mirror=mirror, seed=3)))
    assert letter in text, f"{name}: {text!r}"
    assert not set(text) & set(never), f"{name}: {text!r}"


@pytest.mark.slow
async def test_held_letters_with_a_double_still_spell_hello(start_app: StartApp) -> None:
    text = await transcribe(start_app, spelling_clip("HELLO", Framing(size=HAND_LENGTH, seed=5)))
    assert text.strip() == "HELLO"
