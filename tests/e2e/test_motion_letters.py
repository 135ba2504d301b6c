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

MOTION: dict[str, tuple[Callable[..., Frames], str]] = {
    # name: (clip, letters it must never write)
    "J": (j_clip, "IZ"),
    "Z": (z_clip, "DGXJ"),
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
@pytest.mark.parametrize(("letter", "mirror"), [("J", False), ("Z", False), ("Z", True)],
                         ids=["J right hand", "Z right hand", "Z left hand"])
async def test_a_motion_letter_is_written_and_never_the_shape_it_starts_from(
    start_app: StartApp, letter: str, mirror: bool
) -> None:
    make, never = MOTION[letter]
    text = await transcribe(start_app, make(Framing(size=HAND_LENGTH, mirror=mirror, seed=3)))
    assert letter in text, text
    assert not set(text) & set(never), text


@pytest.mark.slow
@pytest.mark.parametrize(("letter", "drawn_end"), [("J", "O"), ("Z", "")])
async def test_a_motion_letter_signed_three_times_in_a_row_is_written_three_times(
    start_app: StartApp, letter: str, drawn_end: str
) -> None:
    # Issue 15's first J clip, signed three or four times in a row, wrote IJIJIJIJ. Each end is held for a
    # pause, so each motion is a letter, and never the shape it starts from. The drawn J ends with the hand
    # edge-on, which the model reads as O: held 0.6 s, that is a letter too (a drawing's end, not a J).
    make, never = MOTION[letter]
    text = await transcribe(start_app, make(Framing(size=HAND_LENGTH, seed=3), times=3))
    assert text.count(letter) == 3 and set(text) <= {letter, *drawn_end}, text
    assert not set(text) & set(never), text


@pytest.mark.slow
async def test_the_left_hands_drawn_j_never_writes_the_shape_it_starts_from(start_app: StartApp) -> None:
    # Not held to writing J: MediaPipe loses this drawing as its forearm turns edge-on, and in the
    # frames where it finds it again it reads another hand (read as L, Y, T, O), so the hook is never
    # seen; it also turns the held I between palm and back, as for the drifting I below. Model 3.2.0
    # wrote J here by reading that held I as J's end shape; 3.3.0 and 3.4.0 read it as I and write nothing.
    # The drawn right hand, tracked throughout, must write J (the test above).
    make, never = MOTION["J"]
    text = await transcribe(start_app, make(Framing(size=HAND_LENGTH, mirror=True, seed=3)))
    assert not set(text) & set(never), text


@pytest.mark.slow
@pytest.mark.parametrize("mirror", [False, True], ids=["right hand", "left hand"])
@pytest.mark.parametrize("letter", ["I", "X"])
async def test_a_drifting_shape_never_writes_a_motion_letter(start_app: StartApp, letter: str, mirror: bool) -> None:
    text = await transcribe(start_app, drifting_clip(letter, Framing(size=HAND_LENGTH, mirror=mirror, seed=3)))
    assert not set(text) & {"J", "Z"}, text


@pytest.mark.slow
@pytest.mark.parametrize(("letter", "mirror"), [("I", False), ("X", False), ("X", True)],
                         ids=["I right hand", "X right hand", "X left hand"])
async def test_a_drifting_shape_writes_itself(start_app: StartApp, letter: str, mirror: bool) -> None:
    # Not the left hand's I: MediaPipe turns that drawing between palm and back from frame to frame, and
    # the model reads J's end shape in it; the test above holds it to writing no J (docs/model.md).
    text = await transcribe(start_app, drifting_clip(letter, Framing(size=HAND_LENGTH, mirror=mirror, seed=3)))
    assert text.strip() == letter, text


@pytest.mark.slow
async def test_held_letters_with_a_double_still_spell_hello(start_app: StartApp) -> None:
    text = await transcribe(start_app, spelling_clip("HELLO", Framing(size=HAND_LENGTH, seed=5)))
    assert text.strip() == "HELLO"
