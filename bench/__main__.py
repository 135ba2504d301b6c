"""``python -m bench``: cold start, idle and loaded memory, latency, a capacity sweep, and the naive design.

``python -m bench --attack``: one well-behaved camera streaming while hostile
clients attack, then SIGTERM under attack (see :func:`attacked`).

``python -m bench --cluster N``: capacity through HAProxy with 1..N replicas
against one replica served directly, and what HAProxy adds (bench/cluster.py);
with ``--mode keypoints``, for clients that track the hand themselves.
"""

from __future__ import annotations

import os

# As in back/main.py: one BLAS thread, as the server runs (this process measures calibration itself).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from signify.config import Settings

from .attack import attack_process
from .calibration import calibration_costs
from .cluster import camera_load, cluster_bench, keypoint_load
from .frames import POSE_VIDEOS, drawn_frames, video_frames
from .keypoints import (
    KEYPOINT_MAX_P95_MS,
    KEYPOINT_MIN_FPS,
    batching_costs,
    client_processes,
    recorded_keypoints,
    run_clients,
)
from .load import ClientRecord, run_load
from .process import REPO, ServerUnderTest, server_complexity, start_floor, start_naive, start_signify
from .report import capacity, latencies_ms, past_capacity, plot, plot_keypoints, summarize
from .streaming import carried_state_costs

SAMPLE_INTERVAL_S = 0.25
T = TypeVar("T")
ATTACK_DRAIN_TIMEOUT_S = 2.0
GOOD_SOURCE = "127.0.0.2"  # the well-behaved client's address: the attackers share 127.0.0.1
SIGTERM_AFTER_S = 2.0  # into the second attack, when SIGTERM is sent
IMAGE_CLIENTS = "1,2,4,6,8,10,12"
CLUSTER_CLIENTS = "2,4,6,8,10,12,14"  # image cameras, for --cluster
CLUSTER_KEYPOINT_CLIENTS = "50,100,150,200,250,300"  # keypoint clients, for --cluster with --mode keypoints
KEYPOINT_CLIENTS = "25,50,100,200,300,400"


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the benchmark, print and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--clients", default=None,
                        help=f"client counts of the sweep (default {IMAGE_CLIENTS}; keypoints {KEYPOINT_CLIENTS})")
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second each client sends")
    parser.add_argument("--seconds", type=float, default=None,
                        help="length of each load step (default 8), or of the attack (default 20)")
    parser.add_argument("--naive-clients", default="1,2,3,4", help="client counts for the naive design")
    parser.add_argument("--frames", choices=("drawn", "video"), default="drawn",
                        help="what the sweep and the naive design stream: drawn hands (always available) "
                             "or the real signing video of ../shared/data/pose-videos")
    parser.add_argument("--complexity", choices=("0", "1", "auto"), default=None,
                        help="MEDIAPIPE_MODEL_COMPLEXITY of Signify's server (default: 0 for drawn hands, "
                             "else the server's own)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--smoke", action="store_true", help="a few seconds: one client, short steps")
    parser.add_argument("--attack", action="store_true",
                        help="a well-behaved client under a mixed attack, then SIGTERM under attack")
    parser.add_argument("--drain-timeout", type=float, default=ATTACK_DRAIN_TIMEOUT_S,
                        help="DRAIN_TIMEOUT of the server under attack")
    parser.add_argument("--calibration", action="store_true",
                        help="only what calibration costs: adapting a frame, fitting a profile, its size")
    parser.add_argument("--cluster", type=int, default=0, metavar="N",
                        help="capacity through HAProxy with 1..N replicas against one replica direct "
                             "(cameras sending pictures, or keypoint clients with --mode keypoints)")
    parser.add_argument("--floor", action="store_true",
                        help="with --mode keypoints: sweep bench/floor_server.py too (WebSocket and JSON, no "
                             "recognition): the most one Python process answers, measured the same way")
    parser.add_argument("--mode", choices=("images", "keypoints"), default="images",
                        help="keypoints: clients that track the hand themselves, in their own processes, swept "
                             "to capacity (--clients defaults to 25,50,100,200,300,400), then image mode again")
    args = parser.parse_args(argv)
    if args.cluster:
        return cluster_main(args)
    if args.attack:
        return attack_main(args)
    if args.mode == "keypoints":
        args.clients = args.clients or KEYPOINT_CLIENTS
        return keypoints_main(args)
    args.clients = args.clients or IMAGE_CLIENTS
    if args.calibration:
        print(json.dumps({"machine": machine(), "calibration": calibration_costs(Settings.from_env().model_path)},
                         indent=2))
        return 0
    args.seconds = args.seconds or 8.0
    if args.smoke:
        args.clients, args.naive_clients, args.seconds = "1", "1", 1.5
    drawn, video = drawn_frames(), video_frames()
    if args.frames == "video" and not video:
        parser.error(f"--frames video needs the videos in {POSE_VIDEOS}")
    result = run(args, drawn, video)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(headline(result), indent=2))
    print(f"wrote {args.out / 'bench.json'} and {args.out / 'bench.png'}")
    return 0


def cluster_main(args: argparse.Namespace) -> int:
    """Replicas behind HAProxy against one replica direct; print the headline, write cluster.json."""
    args.seconds = args.seconds or 8.0
    keypoints = args.mode == "keypoints"
    args.clients = args.clients or (CLUSTER_KEYPOINT_CLIENTS if keypoints else CLUSTER_CLIENTS)
    if args.smoke:
        args.clients, args.seconds = "1", 1.5
    load = keypoint_load(recorded_keypoints(), args) if keypoints else camera_load(drawn_frames(), args)
    result = {"machine": machine(), "mode": args.mode, **cluster_bench(args, load)}
    args.out.mkdir(parents=True, exist_ok=True)
    name = "cluster-keypoints.json" if keypoints else "cluster.json"
    (args.out / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({key: result[key] for key in ("machine", "capacity_clients", "capacity_vs_direct",
                                                   "round_trip_ms", "haproxy_cpu")}, indent=2))
    print(f"wrote {args.out / name}")
    return 0


def run(args: argparse.Namespace, drawn: list[bytes], video: list[bytes]) -> dict[str, Any]:
    """Everything the benchmark measures, as one JSON-ready dict."""
    frames = video if args.frames == "video" else drawn
    clients = [int(n) for n in args.clients.split(",")]
    complexity = server_complexity(args.complexity, args.frames)
    result: dict[str, Any] = {"machine": machine(), "fps": args.fps, "seconds_per_step": args.seconds,
                              "frames": {"drawn": len(drawn), "video": len(video)}, "sweep_frames": args.frames,
                              "model_complexity": complexity}

    def start(n: int) -> ServerUnderTest:
        return start_signify(max_sessions=max(n, 1) + 1, max_fps=int(args.fps * 2),
                             extra_env={"MEDIAPIPE_MODEL_COMPLEXITY": complexity})

    result["signify"] = sweep(start, frames, clients, args)
    one_client = asyncio.run(_measured(start(1), frames, 1, args))
    histogram = latencies_ms(one_client.pop("records"))
    if video:
        result["signify_video"] = asyncio.run(_measured(start(1), video, 1, args))
        result["signify_video"].pop("records")
    naive_clients = [int(n) for n in args.naive_clients.split(",")]
    # The naive design serves one or two clients: auto would track those with the full model.
    naive_complexity = 0 if complexity == "0" else 1
    result["naive"] = sweep(lambda _: start_naive(naive_complexity), frames, naive_clients, args)
    ours, naive = result["signify"]["capacity_clients"], result["naive"]["capacity_clients"]
    result["capacity_ratio"] = round(ours / naive, 2) if naive else None
    result["calibration"] = calibration_costs(Settings.from_env().model_path)
    args.out.mkdir(parents=True, exist_ok=True)
    plot(result, histogram, args.out / "bench.png")
    return result


def sweep(start: Any, frames: list[bytes], clients: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """One fresh server per client count; stops after two steps in a row miss the capacity rule."""
    steps: list[dict[str, Any]] = []
    for n in clients:
        step = asyncio.run(_measured(start(n), frames, n, args))
        step.pop("records")
        steps.append(step)
        print(f"  {n:>2} clients: p95 {step['latency_ms'].get('p95', '-')} ms, "
              f"min {step['answered_fps_per_client_min']} fps/client, rss idle {step['rss_mb_idle']} MB, "
              f"load {step['rss_mb_load']} MB, idle after {step['rss_mb_idle_after']} MB", file=sys.stderr)
        if past_capacity(steps):
            break
    return {"sweep": steps, "capacity_clients": capacity(steps),
            "cold_start_s": steps[0]["cold_start_s"] if steps else None,
            "rss_mb_idle": steps[0]["rss_mb_idle"] if steps else None}


async def _measured(
    server: ServerUnderTest, frames: list[bytes], clients: int, args: argparse.Namespace
) -> dict[str, Any]:
    try:
        await asyncio.sleep(0.5)
        idle_rss = server.rss_mb()
        records, samples, cpu = await under_measure(server, run_load(server.url, frames, clients, args.fps,
                                                                    args.seconds))
        idle_after = await asyncio.to_thread(server.idle_rss_mb)
        step = summarize(records, args.seconds)
        load_rss = max(samples) if samples else idle_rss
        step |= {"cold_start_s": round(server.cold_start_s, 3), "rss_mb_idle": round(idle_rss, 1),
                 "rss_mb_load": round(load_rss, 1), "rss_mb_per_session": round((load_rss - idle_rss) / clients, 1),
                 "rss_mb_idle_after": round(idle_after, 1) if idle_after is not None else None,
                 "cpu_cores_used": round(cpu, 2), "records": records}
        return step
    finally:
        server.stop()


async def under_measure(server: ServerUnderTest, load: Awaitable[T]) -> tuple[T, list[float], float]:
    """Await ``load`` while sampling the server's RSS; its result, the RSS samples (MB) and the cores it used."""
    cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
    samples: list[float] = []

    async def sample() -> None:
        while True:
            samples.append(server.rss_mb())
            await asyncio.sleep(SAMPLE_INTERVAL_S)

    sampler = asyncio.create_task(sample())
    try:
        result = await load
    finally:
        sampler.cancel()
    cpu = (server.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before)
    return result, samples, cpu


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {"cpu": model, "cores": os.cpu_count(), "memory_gib": round(memory_kb / 2**20, 1),
            "python": platform.python_version(), "os": platform.platform()}


def headline(result: dict[str, Any]) -> dict[str, Any]:
    """The figures the README quotes."""
    first = result["signify"]["sweep"][0]
    return {
        "machine": result["machine"],
        "sweep_frames": result["sweep_frames"],
        "model_complexity": result["model_complexity"],
        "one_client_latency_ms": first["latency_ms"],
        "one_client_server_stage_ms": first["server_stage_ms_mean"],
        "capacity_clients_signify": result["signify"]["capacity_clients"],
        "capacity_clients_naive": result["naive"]["capacity_clients"],
        "capacity_ratio": result["capacity_ratio"],
        "cold_start_s": result["signify"]["cold_start_s"],
        "rss_mb_idle": result["signify"]["rss_mb_idle"],
        "rss_mb_idle_after": [(s["clients"], s["rss_mb_idle_after"]) for s in result["signify"]["sweep"]],
        "rss_mb_per_session": [(s["clients"], s["rss_mb_per_session"]) for s in result["signify"]["sweep"]],
        "naive_one_client_latency_ms": result["naive"]["sweep"][0]["latency_ms"],
        "calibration": result["calibration"],
        "video_one_client": {k: result["signify_video"][k] for k in ("latency_ms", "answered_fps_total", "drop_rate")}
        if "signify_video" in result else None,
    }


# ---- --mode keypoints ---------------------------------------------------------------------




def keypoints_main(args: argparse.Namespace) -> int:
    """Keypoint clients swept to capacity, the model batched against unbatched, and image mode in the same run."""
    clients = [int(n) for n in args.clients.split(",")]
    args.seconds = args.seconds or 8.0
    if args.smoke:
        clients, args.seconds = [5], 1.5
    messages = recorded_keypoints()
    result: dict[str, Any] = {"machine": machine(), "fps": args.fps, "seconds_per_step": args.seconds,
                              "keypoint_messages": len(messages),
                              "note": "load generator processes share the server's 2 cores"}
    rule = {"rule": f">= {KEYPOINT_MIN_FPS} fps per client, p95 < {KEYPOINT_MAX_P95_MS} ms",
            "min_fps": KEYPOINT_MIN_FPS, "max_p95_ms": KEYPOINT_MAX_P95_MS}
    steps = _keypoint_sweep("signify", lambda n: start_signify(
        max_sessions=2, max_fps=int(args.fps * 2), extra_env={"MAX_KEYPOINT_SESSIONS": str(n + 10)}),
        messages, clients, args)
    result["keypoints"] = {"sweep": steps, "capacity_clients": capacity(steps)} | rule
    if args.floor:
        floor = _keypoint_sweep("floor", lambda n: start_floor(), messages, clients, args)
        result["floor"] = {"sweep": floor, "capacity_clients": capacity(floor),
                           "server": "bench/floor_server.py"} | rule
    model_path = Settings.from_env().model_path
    result["model_batching"] = batching_costs(model_path)
    # The same network read as streams that carry its state (bench/streaming.py): the way to 0.05 ms.
    result["model_carried_state"] = carried_state_costs(model_path)
    if not args.smoke:  # image mode again, in the same run, on the same machine state
        images = [1, 8]
        drawn_env = {"MEDIAPIPE_MODEL_COMPLEXITY": server_complexity(args.complexity, "drawn")}
        result["images"] = sweep(lambda n: start_signify(max_sessions=n + 1, max_fps=int(args.fps * 2),
                                                         extra_env=drawn_env), drawn_frames(), images, args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench-keypoints.json").write_text(json.dumps(result, indent=2) + "\n")
    plot_keypoints(result, args.out / "bench-keypoints.png")
    print(json.dumps({"machine": result["machine"], "keypoints_capacity": result["keypoints"]["capacity_clients"],
                      "floor_capacity": result.get("floor", {}).get("capacity_clients"),
                      "keypoint_steps": [{k: s[k] for k in ("clients", "latency_ms", "answered_fps_per_client_min",
                                                             "cpu_cores_used", "rss_mb_per_session")}
                                         for s in steps],
                      "model_batching": result["model_batching"],
                      "model_carried_state": result["model_carried_state"],
                      "images": [{k: s[k] for k in ("clients", "latency_ms", "answered_fps_per_client_min")}
                                 for s in result.get("images", {}).get("sweep", [])]}, indent=2))
    print(f"wrote {args.out / 'bench-keypoints.json'} and {args.out / 'bench-keypoints.png'}")
    return 0


def _keypoint_sweep(name: str, start: Callable[[int], ServerUnderTest], messages: list[str], clients: list[int],
                    args: argparse.Namespace) -> list[dict[str, Any]]:
    """Steps of keypoint clients against a fresh server each (``start(clients)``), until two miss the rule."""
    steps: list[dict[str, Any]] = []
    for n in clients:
        step = asyncio.run(_keypoint_step(start(n), messages, n, args))
        steps.append(step)
        print(f"  {name}: {n:>3} keypoint clients: p95 {step['latency_ms'].get('p95', '-')} ms, "
              f"min {step['answered_fps_per_client_min']} fps/client, cpu {step['cpu_cores_used']} cores, "
              f"{step['rss_mb_per_session']} MB/session", file=sys.stderr)
        if past_capacity(steps):
            break
    return steps


async def _keypoint_step(server: ServerUnderTest, messages: list[str], clients: int,
                         args: argparse.Namespace) -> dict[str, Any]:
    try:
        await asyncio.sleep(0.5)
        idle_rss = server.rss_mb()
        load = asyncio.to_thread(run_clients, server.url, messages, clients, args.fps, args.seconds,
                                 client_processes(clients))
        records, samples, cpu = await under_measure(server, load)
        step = summarize(records, args.seconds, KEYPOINT_MIN_FPS, KEYPOINT_MAX_P95_MS)
        load_rss = max(samples) if samples else idle_rss
        return step | {"rss_mb_idle": round(idle_rss, 1), "rss_mb_load": round(load_rss, 1),
                       "rss_mb_per_session": round((load_rss - idle_rss) / clients, 3),
                       "cpu_cores_used": round(cpu, 2), "load_processes": client_processes(clients)}
    finally:
        server.stop()


# ---- --attack ---------------------------------------------------------------------------


def attack_main(args: argparse.Namespace) -> int:
    """Run the attack, print a short table, write bench/results/attack.json."""
    seconds = args.seconds or (3.0 if args.smoke else 20.0)
    complexity = server_complexity(args.complexity, "drawn")
    # The shipped limits (seats, per-address cap, rate), with a drain timeout of the bench's own.
    server = start_signify(max_sessions=Settings.max_sessions, max_fps=Settings.max_fps, extra_env={
        "MAX_SESSIONS_PER_CLIENT": str(Settings.max_sessions_per_client), "DRAIN_TIMEOUT": str(args.drain_timeout),
        "MEDIAPIPE_MODEL_COMPLEXITY": complexity})
    result = {"machine": machine(), "model_complexity": complexity, "seconds": seconds, "fps": args.fps,
              "drain_timeout_s": args.drain_timeout, "max_sessions": Settings.max_sessions,
              "max_sessions_per_client": Settings.max_sessions_per_client, "max_fps": Settings.max_fps,
              "good_source": GOOD_SOURCE} | asyncio.run(attacked(server, drawn_frames(), args.fps, seconds))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "attack.json").write_text(json.dumps(result, indent=2) + "\n")
    print(attack_table(result))
    print(f"wrote {args.out / 'attack.json'}")
    return 0


async def attacked(server: ServerUnderTest, frames: list[bytes], fps: float, seconds: float) -> dict[str, Any]:
    """The well-behaved client against the attack, idle RSS before and after, then SIGTERM under attack.

    The attackers share 127.0.0.1 and so the per-address cap; the good client
    connects from :data:`GOOD_SOURCE`, as another household would.
    """
    url, max_bytes = server.url, Settings.max_frame_bytes
    try:
        await asyncio.sleep(0.5)
        idle_before = await asyncio.to_thread(server.idle_rss_mb)
        (good, attack), samples, cpu = await under_measure(server, asyncio.gather(
            run_load(url, frames, 1, fps, seconds, source=GOOD_SOURCE),
            attack_process(url, Settings.max_fps, max_bytes, seconds)))
        idle_after = await asyncio.to_thread(server.idle_rss_mb)

        # The same attack again, with SIGTERM in the middle of it; everyone stops once the server is gone.
        during = asyncio.gather(run_load(url, frames, 1, fps, seconds, source=GOOD_SOURCE),
                                attack_process(url, Settings.max_fps, max_bytes, seconds))
        await asyncio.sleep(SIGTERM_AFTER_S)
        signalled = time.perf_counter()
        server.process.terminate()
        code = await asyncio.to_thread(server.process.wait, 60)
        exit_s = time.perf_counter() - signalled
        good_at_exit, attack_at_exit = await during
    finally:
        server.stop()
    return {
        "good_client": _good(good[0], seconds),
        "attack": attack,
        "cpu_cores_used": round(cpu, 2), "rss_mb_load": round(max(samples, default=0.0), 1),
        "rss_mb_idle_before": _mb(idle_before), "rss_mb_idle_after": _mb(idle_after),
        "sigterm": {"exit_s": round(exit_s, 3), "exit_code": code,
                    "good_client": _good(good_at_exit[0], SIGTERM_AFTER_S),
                    "attack": attack_at_exit},
    }


def _good(record: ClientRecord, seconds: float) -> dict[str, Any]:
    """The well-behaved client's figures; refused: never given its seat, or closed by the server.

    (Under SIGTERM its close is expected: 1001, and a frame that crossed it is unanswered.)
    """
    summary = summarize([record], seconds)
    keep = ("frames_sent", "predictions", "dropped", "errors", "unanswered", "latency_ms", "answered_fps_total")
    return {k: summary[k] for k in keep} | {"connected": record.connected, "close_code": record.close_code,
                                            "refused": not record.connected or record.close_code is not None}


def _mb(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def attack_table(result: dict[str, Any]) -> str:
    """The figures issue 16 asks for, as a short table."""
    good, sigterm = result["good_client"], result["sigterm"]
    latency = good["latency_ms"]
    rows = [
        ("good client p50 / p95 / p99", f"{latency.get('p50')} / {latency.get('p95')} / {latency.get('p99')} ms"),
        ("good client answered", f"{good['answered_fps_total']} fps: of {good['frames_sent']} frames "
                                 f"{good['predictions']} predictions, {good['dropped']} dropped, "
                                 f"{good['errors']} errors, {good['unanswered']} unanswered"),
        ("good client refused", f"{good['refused']} (close {good['close_code']})"),
        *((f"attack {kind}", f"{t['sent']} sent on {t['connections']} connections; answers {t['answers']}; "
                             f"closes {t['closes']}") for kind, t in result["attack"].items()),
        ("server", f"{result['cpu_cores_used']} cores, RSS {result['rss_mb_load']} MB under attack"),
        ("idle RSS before / after", f"{result['rss_mb_idle_before']} / {result['rss_mb_idle_after']} MB"),
        ("SIGTERM under attack", f"exit {sigterm['exit_code']} after {sigterm['exit_s']} s "
                                 f"(DRAIN_TIMEOUT {result['drain_timeout_s']} s)"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


if __name__ == "__main__":
    sys.exit(main())
