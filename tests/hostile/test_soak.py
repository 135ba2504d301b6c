"""A bounded soak: a minute of live-camera load on loopback; memory and descriptors stay flat."""

from __future__ import annotations

import asyncio
import statistics

import pytest

from bench.load import run_load
from tests.server_process import ServerProcess, Usage

SOAK_SECONDS = 60.0
CLIENTS = 2


@pytest.mark.slow
def test_a_minute_of_load_keeps_rss_and_fds_flat(hand_jpegs: list[bytes]) -> None:
    server = ServerProcess(MAX_SESSIONS="4")
    server.wait_listening()
    samples: list[Usage] = []

    async def soak() -> list[object]:
        async def sample() -> None:
            while True:
                await asyncio.sleep(2.0)
                samples.append(server.usage())

        sampler = asyncio.create_task(sample())
        records = await run_load(server.url, hand_jpegs, CLIENTS, 30.0, SOAK_SECONDS)
        sampler.cancel()
        return list(records)

    try:
        records = asyncio.run(soak())
    finally:
        server.kill()
    answered = sum(1 for r in records for f in r.frames.values() if f.kind is not None)  # type: ignore[attr-defined]
    sent = sum(len(r.frames) for r in records)  # type: ignore[attr-defined]
    assert sent == int(SOAK_SECONDS * 30) * CLIENTS and answered == sent
    third = len(samples) // 3
    early, late = samples[1:third], samples[-third:]  # the first sample is still warming up
    rss_growth_mib = (statistics.mean(s.rss_kib for s in late) - statistics.mean(s.rss_kib for s in early)) / 1024
    assert rss_growth_mib < 25, [s.rss_kib // 1024 for s in samples]
    assert max(s.fds for s in late) <= max(s.fds for s in early) + 2
    assert max(s.threads for s in late) <= max(s.threads for s in early)
