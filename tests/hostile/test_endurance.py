"""Connections of every kind opened and closed in a loop: nothing accumulates.

The server runs as its own process and is measured from /proc: resident
memory, threads and open file descriptors. A MediaPipe graph that is never
closed keeps two threads and about 54 MB, a socket that is never closed one
descriptor: the thread and descriptor counts must not move at all, and a
leak of even a megabyte per connection would exceed the memory slack.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct

import cv2
from websockets.asyncio.client import connect

from tests.server_process import ServerProcess, Usage

from . import payloads
from .conftest import StartProcess
from .wire import RawClient, ws_url

POINTS = [[0.5 + 0.01 * i, 0.5 - 0.01 * i, 0.0] for i in range(21)]
KEYPOINTS = json.dumps({"type": "keypoints", "landmarks": POINTS})
BAD_MESSAGES: list[str | bytes] = [payloads.jpeg_bomb(30000, 30000), b"", "not json", payloads.random_bytes(300)]
# The allocator keeps and returns memory in large pieces: measured every 100
# connections, the resident size wanders within about 600-810 MB, up or down by
# up to ~80 MB between two measurements, and never grows for good.
RSS_SLACK_KIB = 150 * 1024
FD_SLACK = 2  # the probe's own HTTP connection may still be open


class Traffic:
    """Clients of every kind a public server meets, against one server process."""

    def __init__(self, server: ServerProcess, frames: list[bytes]) -> None:
        self.server = server
        self.frames = frames
        self.large = payloads.encode(cv2.resize(payloads.hand_bgr(), (2048, 1536)), ".jpg")

    async def polite(self, count: int) -> None:
        """A short stream of good frames and bad messages, closed properly."""
        async with connect(ws_url(self.server.port), compression=None) as ws:
            await ws.recv()
            for index in range(count):
                await ws.send(self.frames[index % len(self.frames)])
                await ws.recv()
            for message in [*BAD_MESSAGES, KEYPOINTS]:
                await ws.send(message)
                await ws.recv()

    async def vanishing(self, abort: bool) -> None:
        """A client that sends a large frame and leaves while it is processed, politely or with a reset."""
        client = await RawClient.open(self.server.port)
        await client.send_binary(self.large)
        if abort:
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()

    async def round(self) -> None:
        """Four clients at once, two of which vanish mid-frame."""
        await asyncio.gather(self.polite(3), self.polite(2), self.vanishing(False), self.vanishing(True))

    async def settle(self) -> None:
        """Wait until the server has closed every session and its MediaPipe graph."""
        async with asyncio.timeout(60):
            while (health := self.server.health())["sessions"] or health["sessions_closing"]:
                await asyncio.sleep(0.05)


async def rounds(traffic: Traffic, count: int) -> None:
    for _ in range(count):
        await traffic.round()
    await traffic.settle()


def assert_flat(before: Usage, after: Usage) -> None:
    assert after.threads == before.threads, (before, after)  # each leaked MediaPipe graph keeps two threads
    assert after.fds <= before.fds + FD_SLACK, (before, after)
    assert after.rss_kib - before.rss_kib < RSS_SLACK_KIB, (before, after)


def test_connections_opened_and_closed_in_a_loop_leak_nothing(
    server_process: StartProcess, hand_frames: list[bytes]
) -> None:
    server = server_process(MAX_FPS="240")
    traffic = Traffic(server, hand_frames)
    asyncio.run(rounds(traffic, 25))  # 100 connections: thread pool, allocator arenas, caches all warm
    before = server.usage()
    asyncio.run(rounds(traffic, 30))  # 120 more
    after = server.usage()
    assert_flat(before, after)
    assert server.terminate() == 0
    disconnected = [entry for entry in server.log() if entry["message"] == "Client disconnected"]
    assert len(disconnected) == 55 * 4
