"""A bounded soak: a minute of live-camera load on loopback; memory and descriptors stay flat."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from bench.load import run_load
from tests.e2e.test_process import ServerProcess
from tests.hostile.test_faults import process_resources

SOAK_SECONDS = 60.0
CLIENTS = 2


@pytest.mark.slow
def test_a_minute_of_load_keeps_rss_and_fds_flat(hand_jpegs: list[bytes]) -> None:
    server = ServerProcess(MAX_SESSIONS="4")
    server.wait_ready()
    samples: list[tuple[int, int, float]] = []

    async def soak() -> list[object]:
        async def sample() -> None:
            while True:
                await asyncio.sleep(2.0)
                samples.append(process_resources(server.process.pid))

        sampler = asyncio.create_task(sample())
        records = await run_load(f"ws://127.0.0.1:{server.port}/ws", hand_jpegs, CLIENTS, 30.0, SOAK_SECONDS)
        sampler.cancel()
        return list(records)

    try:
        records = asyncio.run(soak())
    finally:
        server.process.kill()
        server.process.wait()
    answered = sum(1 for r in records for f in r.frames.values() if f.kind is not None)  # type: ignore[attr-defined]
    sent = sum(len(r.frames) for r in records)  # type: ignore[attr-defined]
    assert sent == int(SOAK_SECONDS * 30) * CLIENTS and answered == sent
    third = len(samples) // 3
    early, late = samples[1:third], samples[-third:]  # the first sample is still warming up
    rss_growth = statistics.mean(s[2] for s in late) - statistics.mean(s[2] for s in early)
    assert rss_growth < 25, [round(s[2]) for s in samples]
    assert max(s[1] for s in late) <= max(s[1] for s in early) + 2
    assert max(s[0] for s in late) <= max(s[0] for s in early)
