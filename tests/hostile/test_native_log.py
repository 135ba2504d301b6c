"""Every line the server process writes to stderr is a JSON object, native libraries' lines included.

MediaPipe writes plain-text glog/absl lines for every session's graph, and
libjpeg and libpng one for each corrupt image; a client can make them
flood. The real ``python main.py`` is fed both, then stopped, and its whole
stderr must parse line by line, with the flood cut down to a count.
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import connect

from tests.server_process import ServerProcess

from . import payloads
from .conftest import StartProcess
from .wire import Message, ws_url

CORRUPT_FRAMES = 300  # far more native lines than MAX_LINES_PER_S, however slow the machine
PACE_S = 1 / 200  # below MAX_FPS=240: no frame is rate limited


def corrupt_png() -> bytes:
    """A PNG whose compressed data is damaged: libpng prints an error line and fails."""
    data = bytearray(payloads.encode(payloads.hand_bgr(), ".png"))
    data[data.index(b"IDAT") + 10] ^= 0xFF
    return bytes(data)


def corrupt_jpeg() -> bytes:
    """A small JPEG cut inside its scan and closed with EOI: libjpeg prints a warning and decodes it anyway."""
    data = payloads.encode(payloads.hand_bgr()[:64, :64], ".jpg")
    return data[: len(data) * 2 // 3] + b"\xff\xd9"


async def send_all(server: ServerProcess, frames: list[bytes]) -> list[Message]:
    """One session: each frame sent and its answer awaited."""
    answers: list[Message] = []
    async with connect(ws_url(server.port), compression=None) as ws:
        await ws.recv()  # ready
        for frame in frames:
            await ws.send(frame)
            answers.append(json.loads(await ws.recv()))
            await asyncio.sleep(PACE_S)
    return answers


async def test_stderr_is_json_lines_whatever_native_code_writes(server_process: StartProcess) -> None:
    server = server_process(MAX_FPS="240")
    png, jpeg = corrupt_png(), corrupt_jpeg()
    frames = [png] * CORRUPT_FRAMES + [jpeg] * 5
    answers = await asyncio.gather(*(send_all(server, frames) for _ in range(2)))  # two graphs built: MediaPipe talks
    assert server.terminate() == 0
    for session in answers:
        assert {answer.get("code") for answer in session[:CORRUPT_FRAMES]} == {"bad_image"}
        assert {answer["type"] for answer in session[CORRUPT_FRAMES:]} == {"prediction"}

    lines = server.stderr().splitlines()
    entries = [json.loads(line) for line in lines]  # every line parses...
    assert all(isinstance(entry, dict) for entry in entries), [line for line in lines if not line.startswith("{")]
    native = [entry for entry in entries if entry["logger"] == "native"]
    assert all(entry["level"] == "WARNING" for entry in native)
    messages = [entry["message"] for entry in native]
    assert any(message.startswith("libpng error") for message in messages), messages
    assert any("inference_feedback_manager" in message or "absl" in message for message in messages), messages
    # ...and the flood of libpng lines is cut down to counts of what was left out.
    assert sum(entry.get("suppressed", 0) for entry in native) > 0
    assert len(native) < CORRUPT_FRAMES
    assert any(entry["message"] == "Server stopped" for entry in entries)
