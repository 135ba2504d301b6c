"""``python -m bench --cluster N``: capacity through HAProxy with 1..N replicas, against one replica served directly.

Every replica runs on the same cores (on a 2-core machine, three replicas
share two cores), so the question is not whether replicas add capacity here
but what the load balancer costs: the cameras that N replicas behind HAProxy
serve within the capacity rule (bench/report.py) against those one replica
serves directly, the round trip HAProxy adds to a message the server answers
at once, and the CPU HAProxy itself uses per frame. Uses deploy/haproxy.cfg
through deploy/cluster.py, like ``make cluster`` and the cluster tests.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from websockets.asyncio.client import connect

from deploy.cluster import HAProxy, Ports, Replica, slot_host

from .keypoints import KEYPOINT_MAX_P95_MS, KEYPOINT_MIN_FPS, client_processes, run_clients
from .load import ClientRecord, run_load
from .process import free_port, server_complexity
from .report import MAX_P95_MS, MIN_CLIENT_FPS, capacity, past_capacity, summarize

PROBE_MESSAGES = 200  # round trips per latency probe
PROBE_ROUNDS = 4  # probes each way, taken in turns
SETTLE_S = 1.0  # between steps: sessions close, HAProxy's checks see the seats free


@dataclass(frozen=True)
class Load:
    """What the clients send, how, and the capacity rule their answers are held to."""

    run: Callable[[str, int], Awaitable[list[ClientRecord]]]  # (url, clients) -> every client's record
    min_fps: float
    max_p95_ms: float


def camera_load(frames: list[bytes], args: argparse.Namespace) -> Load:
    """Cameras sending pictures, each a full WebSocket client in this process (bench.load)."""
    return Load(lambda url, n: run_load(url, frames, n, args.fps, args.seconds), MIN_CLIENT_FPS, MAX_P95_MS)


def keypoint_load(messages: list[str], args: argparse.Namespace) -> Load:
    """Clients tracking the hand themselves, in load processes of their own (bench.keypoints)."""
    def run(url: str, n: int) -> Awaitable[list[ClientRecord]]:
        return asyncio.to_thread(run_clients, url, messages, n, args.fps, args.seconds, client_processes(n))

    return Load(run, KEYPOINT_MIN_FPS, KEYPOINT_MAX_P95_MS)


def replica_env(args: argparse.Namespace) -> dict[str, str]:
    """Settings for a benchmarked replica: seats enough for any step, every camera from 127.0.0.1 allowed."""
    return {"MAX_SESSIONS": "64", "MAX_KEYPOINT_SESSIONS": "2000", "MAX_SESSIONS_PER_CLIENT": "0",
            "MAX_FPS": str(int(args.fps * 2)), "LOG_LEVEL": "WARNING", "DATASET_PATH": "",
            # The camera load streams drawn hands.
            "MEDIAPIPE_MODEL_COMPLEXITY": server_complexity(args.complexity, "drawn")}


async def probe_round_trips_ms(url: str, messages: int = PROBE_MESSAGES) -> list[float]:
    """Round trips of a message the server answers at once on its event loop (an unknown type: bad_message)."""
    times: list[float] = []
    async with connect(url, compression=None, open_timeout=30) as ws:
        await ws.recv()  # ready
        for _ in range(messages):
            started = time.perf_counter()
            await ws.send('{"type":"probe"}')
            await ws.recv()
            times.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.002)
    return times


def _percentiles(values: list[float]) -> dict[str, float]:
    array = np.array(values)
    return {"p50": round(float(np.percentile(array, 50)), 3), "p95": round(float(np.percentile(array, 95)), 3)}


async def _sweep(url: str, load: Load, clients: list[int], args: argparse.Namespace,
                 haproxy: HAProxy | None) -> dict[str, Any]:
    """Load steps of growing client counts against ``url``; stop after two steps in a row miss the rule."""
    steps: list[dict[str, Any]] = []
    for n in clients:
        cpu_before, wall_before = (haproxy.cpu_seconds() if haproxy else 0.0), time.perf_counter()
        records = await load.run(url, n)
        step = summarize(records, args.seconds, load.min_fps, load.max_p95_ms)
        if haproxy is not None:
            cores = (haproxy.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before)
            answered = max(step["predictions"] + step["dropped"] + step["errors"], 1)
            step["haproxy_cpu_cores"] = round(cores, 4)
            step["haproxy_cpu_us_per_frame"] = round(cores * (time.perf_counter() - wall_before) * 1e6 / answered, 1)
        steps.append(step)
        print(f"    {n:>3} clients: p95 {step['latency_ms'].get('p95', '-')} ms, "
              f"min {step['answered_fps_per_client_min']} fps/client"
              + (f", haproxy {step['haproxy_cpu_cores']} cores" if haproxy else ""), flush=True)
        if past_capacity(steps):
            break
        await asyncio.sleep(SETTLE_S)
    return {"sweep": steps, "capacity_clients": capacity(steps)}


def _start_replicas(count: int, ports: Ports, args: argparse.Namespace) -> list[Replica]:
    replicas = [Replica(slot, ports, replica_env(args)) for slot in range(1, count + 1)]
    for replica in replicas:
        replica.wait_ready()
    return replicas


def _stop(replicas: list[Replica], haproxy: HAProxy | None) -> None:
    for replica in replicas:
        replica.terminate()
    if haproxy is not None:
        haproxy.stop()


def cluster_bench(args: argparse.Namespace, load: Load) -> dict[str, Any]:
    """One replica direct, then HAProxy in front of 1..``args.cluster`` replicas, on the same machine."""
    clients = [int(n) for n in args.clients.split(",")]
    ports = Ports(lb=free_port(), stats=free_port(), replica=free_port(), health=free_port())
    result: dict[str, Any] = {"fps": args.fps, "seconds_per_step": args.seconds}

    print("  one replica, direct", flush=True)
    replicas = _start_replicas(1, ports, args)
    direct_url = f"ws://{slot_host(1)}:{ports.replica}/ws"
    try:
        result["direct"] = asyncio.run(_sweep(direct_url, load, clients, args, None))
    finally:
        _stop(replicas, None)

    through: dict[str, Any] = {}
    for count in range(1, args.cluster + 1):
        print(f"  {count} replica(s) behind HAProxy", flush=True)
        replicas = _start_replicas(count, ports, args)
        haproxy = HAProxy(ports)
        try:
            haproxy.wait_serving(range(1, count + 1))
            if count == 1:  # the same replica, straight and through HAProxy, in turns: noise falls on both
                direct_probe, lb_probe = [], []
                for _ in range(PROBE_ROUNDS):
                    direct_probe += asyncio.run(probe_round_trips_ms(direct_url))
                    lb_probe += asyncio.run(probe_round_trips_ms(haproxy.url))
            through[str(count)] = asyncio.run(_sweep(haproxy.url, load, clients, args, haproxy))
        finally:
            _stop(replicas, haproxy)
    result["haproxy"] = through
    direct_ms, lb_ms = _percentiles(direct_probe), _percentiles(lb_probe)
    result["round_trip_ms"] = {"direct": direct_ms, "haproxy": lb_ms,
                               "added_p50": round(lb_ms["p50"] - direct_ms["p50"], 3),
                               "added_p95": round(lb_ms["p95"] - direct_ms["p95"], 3)}
    direct_capacity = result["direct"]["capacity_clients"]
    result["capacity_clients"] = {"direct": direct_capacity,
                                  **{f"haproxy_{n}": s["capacity_clients"] for n, s in through.items()}}
    result["capacity_vs_direct"] = {f"haproxy_{n}": round(s["capacity_clients"] / direct_capacity, 2)
                                    if direct_capacity else None for n, s in through.items()}
    busiest = [step for s in through.values() for step in s["sweep"] if "haproxy_cpu_cores" in step]
    result["haproxy_cpu"] = {
        "max_cores": max((step["haproxy_cpu_cores"] for step in busiest), default=None),
        "us_per_frame_at_max_load": max(busiest, key=lambda step: step["clients"])["haproxy_cpu_us_per_frame"]
        if busiest else None,
    }
    return result
