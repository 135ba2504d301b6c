"""SIGTERM while every worker thread is busy: the process exits within DRAIN_TIMEOUT and a little more.

The recognition is slow for real: a 4096x4096 progressive JPEG is a legal
frame once MAX_IMAGE_PIXELS allows 16 Mpixel, and takes libjpeg and
MediaPipe about 0.4 s. Twelve clients keep one frame in work and one
waiting each, on one worker thread: some ten seconds of queued work when
SIGTERM arrives, far more than the drain timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time

import cv2
import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.server_process import ServerProcess

from .conftest import StartProcess
from .payloads import encode
from .test_operations import Stream
from .wire import Message, ws_url

CLIENTS = 12
SIDE = 4096
DRAIN_TIMEOUT_S = 1.0
# What the server may take beyond DRAIN_TIMEOUT: its goodbye and cut-off
# graces (2 s at most) and an interpreter's exit on a loaded machine.
EXIT_MARGIN_S = 4.0
IN_FLIGHT = 2  # the frame in work and the one waiting: every answer is followed by a new frame


@pytest.fixture(scope="module")
def slow_frame() -> bytes:
    """About 5 MB of progressive JPEG (smoothed noise) at 4096x4096."""
    noise = np.random.default_rng(5).integers(0, 256, (SIDE // 4, SIDE // 4, 3), dtype=np.uint8)
    image = cv2.resize(noise, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR)
    return encode(image, ".jpg", cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_QUALITY, 80)


async def keep_busy(server: ServerProcess, frame: bytes, started: asyncio.Event) -> Stream:
    """Keep IN_FLIGHT frames at the server until it closes; record every answer."""
    result = Stream()
    async with connect(ws_url(server.port), compression=None, close_timeout=30) as ws:
        result.session = json.loads(await ws.recv())["session"]
        try:
            for _ in range(IN_FLIGHT):
                await ws.send(frame)
                result.sent += 1
            started.set()
            while True:
                message: Message = json.loads(await ws.recv())
                kind = message.get("reason") or message["type"]
                for frame_id in message.get("ids") or [message["id"]]:
                    result.answers.setdefault(frame_id, []).append(kind)
                    if kind == "shutting_down":
                        continue  # no point sending more: this one was answered at once, and so would they be
                    with contextlib.suppress(ConnectionClosed):  # answers may still be queued: read on
                        await ws.send(frame)
                        result.sent += 1
        except ConnectionClosed:
            pass
        result.close = (ws.close_code, ws.close_reason)
    return result


def test_sigterm_with_a_busy_pool_exits_within_the_drain_timeout(
    server_process: StartProcess, slow_frame: bytes
) -> None:
    server = server_process(DRAIN_TIMEOUT=str(DRAIN_TIMEOUT_S), WORKER_THREADS="1", MAX_SESSIONS=str(CLIENTS),
                            MAX_SESSIONS_PER_CLIENT="0",
                            MAX_IMAGE_PIXELS=str(SIDE * SIDE), MAX_FRAME_BYTES=str(8 * 1024 * 1024))
    signalled = 0.0

    async def run() -> list[Stream]:
        nonlocal signalled
        started = [asyncio.Event() for _ in range(CLIENTS)]
        streams = [asyncio.create_task(keep_busy(server, slow_frame, event)) for event in started]
        everyone = asyncio.create_task(asyncio.wait([asyncio.create_task(event.wait()) for event in started]))
        # A client refused or failed ends the test instead of hanging it.
        await asyncio.wait([everyone, *streams], timeout=60, return_when=asyncio.FIRST_COMPLETED)
        for stream in streams:
            if stream.done():
                stream.result()
        assert everyone.done()
        await asyncio.sleep(1.0)  # every frame sent is read and queued for the one thread
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        return await asyncio.gather(*streams)

    streams = asyncio.run(run())
    code = server.process.wait(timeout=120)
    exit_s = time.monotonic() - signalled
    assert code == 0, server.stderr()
    log = server.log()
    assert any(entry["message"] == "Drain timed out" for entry in log), "the pool was not busy at SIGTERM"
    assert exit_s < DRAIN_TIMEOUT_S + EXIT_MARGIN_S, server.stderr()
    accepted = {entry["session"]: entry["frames"] for entry in log if entry["message"] == "Client disconnected"}
    for stream in streams:
        assert stream.close == (1001, "server shutting down")
        # Every frame the server accepted got exactly one answer, even those still in work at the deadline.
        assert sorted(stream.answers) == list(range(1, accepted[stream.session] + 1)), stream
        assert all(len(kinds) == 1 for kinds in stream.answers.values()), stream.answers
        assert {kinds[0] for kinds in stream.answers.values()} <= {"prediction", "superseded", "shutting_down"}
