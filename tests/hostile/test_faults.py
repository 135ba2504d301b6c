"""Faults: clients that vanish, never read, or break their own session; resources that must not leak."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from pathlib import Path

import pytest
from signify.recognizer import Recognition, Recognizer
from signify.server import WRITE_LIMIT_BYTES
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import StartApp
from tests.e2e.client import open_client, receive, ws_url
from tests.e2e.test_process import ServerProcess


async def wait_for_sessions(app: object, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while app.status.sessions != count:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, f"sessions never reached {count}"
        await asyncio.sleep(0.02)


async def test_a_client_that_leaves_mid_frame_costs_nothing(start_app: StartApp, hand_jpegs: list[bytes]) -> None:
    app = await start_app()
    for _ in range(5):
        async with open_client(app) as ws:
            await receive(ws)
            await ws.send(hand_jpegs[0])
        # closed while its frame is being processed
    await wait_for_sessions(app, 0)
    async with open_client(app) as ws:
        await receive(ws)
        await ws.send(hand_jpegs[1])
        assert (await receive(ws))["type"] == "prediction"


async def test_a_client_that_never_reads_cannot_grow_the_servers_buffers(
    start_app: StartApp, hand_jpegs: list[bytes]
) -> None:
    app = await start_app(MAX_FPS="240")
    async with connect(ws_url(app), compression=None, max_queue=1) as lazy:
        # Never calls recv. The server answers each frame (mostly "dropped"), holds at most one
        # frame waiting, and once the socket is full its sends wait (TCP backpressure) rather
        # than queueing answers in memory.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(6):
                for n in range(3000):
                    await lazy.send(hand_jpegs[n % len(hand_jpegs)])
        session = next(iter(app.websocket._sessions.values()))
        assert session._ws.transport.get_write_buffer_size() <= WRITE_LIMIT_BYTES + 64 * 1024
        # Meanwhile other clients are served normally.
        async with open_client(app) as other:
            await receive(other)
            await other.send(hand_jpegs[0])
            assert (await receive(other))["type"] == "prediction"


async def test_an_exception_in_one_session_closes_it_with_1011_and_spares_the_others(
    start_app: StartApp, hand_jpegs: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fake only here: MediaPipe and onnxruntime cannot be made to fail on demand, so one
    # session's recognizer raises when it sees a marker frame, as a crash inside them would.
    real = Recognizer.recognize_image

    def faulty(self: Recognizer, data: bytes) -> Recognition:
        if data == b"\xff\xd8CRASH":
            raise RuntimeError("simulated failure inside MediaPipe")
        return real(self, data)

    monkeypatch.setattr(Recognizer, "recognize_image", faulty)
    app = await start_app()
    async with open_client(app) as victim, open_client(app) as bystander:
        await receive(victim)
        await receive(bystander)
        await victim.send(b"\xff\xd8CRASH")
        with pytest.raises(ConnectionClosed):
            while True:
                await receive(victim)
        assert victim.close_code == 1011
        for frame in hand_jpegs[:3]:
            await bystander.send(frame)
            assert (await receive(bystander))["type"] == "prediction"


def process_resources(pid: int) -> tuple[int, int, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    threads = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))
    rss_mb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024
    return threads, len(os.listdir(f"/proc/{pid}/fd")), rss_mb


@pytest.mark.slow
def test_connections_opened_and_closed_in_a_loop_leak_nothing(hand_jpegs: list[bytes]) -> None:
    server = ServerProcess(MAX_SESSIONS="4")
    server.wait_ready()

    async def churn(rounds: int) -> None:
        for n in range(rounds):
            async with connect(f"ws://127.0.0.1:{server.port}/ws", compression=None) as ws:
                json.loads(await ws.recv())
                await ws.send(hand_jpegs[n % len(hand_jpegs)])
                json.loads(await ws.recv())

    try:
        asyncio.run(churn(10))  # warm up: thread pool, allocator arenas
        time.sleep(0.5)
        threads_before, fds_before, rss_before = process_resources(server.process.pid)
        asyncio.run(churn(60))
        time.sleep(0.5)
        threads_after, fds_after, rss_after = process_resources(server.process.pid)
    finally:
        server.process.kill()
        server.process.communicate()
    # Each leaked MediaPipe graph would add threads and about 55 MB: sixty of them cannot hide.
    assert threads_after <= threads_before + 2
    assert fds_after <= fds_before + 3
    assert rss_after - rss_before < 60, (rss_before, rss_after)
