"""Memory after load: once the last session has gone, the server is back near its idle size.

Eight sessions stream real frames through MediaPipe, then leave. Freed
graphs and frames stay in glibc's arenas unless given back; without that,
resident memory stayed at 600 MB after this load, against 175 MB at start.
"""

from __future__ import annotations

import asyncio
import time

from websockets.asyncio.client import connect

from tests.server_process import ServerProcess

from .conftest import StartProcess
from .wire import ws_url

CLIENTS = 8
FRAMES_PER_CLIENT = 60
# The bar: idle RSS after load within 50 MB of idle RSS at start.
SLACK_KIB = 50 * 1024


async def stream(server: ServerProcess, frames: list[bytes]) -> None:
    """One camera: frames one after another, each answered, at about 15 fps."""
    async with connect(ws_url(server.port), compression=None) as ws:
        await ws.recv()
        for index in range(FRAMES_PER_CLIENT):
            await ws.send(frames[index % len(frames)])
            await ws.recv()
            await asyncio.sleep(0.05)


def idle(server: ServerProcess) -> None:
    """Wait until no session is open or closing its graph (and the heap is trimmed)."""
    deadline = time.monotonic() + 60
    while (health := server.health())["sessions"] or health["sessions_closing"]:
        assert time.monotonic() < deadline, health
        time.sleep(0.1)


def test_idle_memory_after_load_is_back_near_idle_memory_at_start(
    server_process: StartProcess, hand_frames: list[bytes]
) -> None:
    server = server_process(MAX_SESSIONS=str(CLIENTS), MAX_SESSIONS_PER_CLIENT="0")
    time.sleep(1.0)
    at_start = server.usage().rss_kib

    async def load() -> None:
        await asyncio.gather(*(stream(server, hand_frames) for _ in range(CLIENTS)))

    asyncio.run(load())
    idle(server)  # the heap is trimmed before the last session stops counting as closing
    after = server.usage().rss_kib
    assert after - at_start <= SLACK_KIB, (at_start // 1024, after // 1024)
