"""``python -m bench``: cold start, idle and loaded memory, latency, a capacity sweep, and the naive design."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from signify.config import Settings

from .frames import POSE_VIDEOS, drawn_frames, video_frames
from .load import run_load
from .process import REPO, ServerUnderTest, start_naive, start_signify
from .report import capacity, latencies_ms, plot, summarize

SAMPLE_INTERVAL_S = 0.25


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the benchmark, print and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--clients", default="1,2,4,6,8,10,12", help="client counts of the sweep")
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second each client sends")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each load step")
    parser.add_argument("--naive-clients", default="1,2,3,4", help="client counts for the naive design")
    parser.add_argument("--frames", choices=("drawn", "video"), default="drawn",
                        help="what the sweep and the naive design stream: drawn hands (always available) "
                             "or the real signing video of ../shared/data/pose-videos")
    parser.add_argument("--complexity", choices=("0", "1"), default=None,
                        help="MEDIAPIPE_MODEL_COMPLEXITY of Signify's server (default: the server's own)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--smoke", action="store_true", help="a few seconds: one client, short steps")
    args = parser.parse_args(argv)
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


def run(args: argparse.Namespace, drawn: list[bytes], video: list[bytes]) -> dict[str, Any]:
    """Everything the benchmark measures, as one JSON-ready dict."""
    frames = video if args.frames == "video" else drawn
    clients = [int(n) for n in args.clients.split(",")]
    # Without --complexity the server reads its own setting: the environment's, or its default.
    complexity = args.complexity or os.environ.get("MEDIAPIPE_MODEL_COMPLEXITY",
                                                   str(Settings.mediapipe_model_complexity))
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
    result["naive"] = sweep(lambda _: start_naive(int(complexity)), frames, naive_clients, args)
    ours, naive = result["signify"]["capacity_clients"], result["naive"]["capacity_clients"]
    result["capacity_ratio"] = round(ours / naive, 2) if naive else None
    args.out.mkdir(parents=True, exist_ok=True)
    plot(result, histogram, args.out / "bench.png")
    return result


def sweep(start: Any, frames: list[bytes], clients: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """One fresh server per client count; stops after two steps in a row miss the capacity rule."""
    steps: list[dict[str, Any]] = []
    misses = 0
    for n in clients:
        step = asyncio.run(_measured(start(n), frames, n, args))
        step.pop("records")
        steps.append(step)
        print(f"  {n:>2} clients: p95 {step['latency_ms'].get('p95', '-')} ms, "
              f"min {step['answered_fps_per_client_min']} fps/client, rss idle {step['rss_mb_idle']} MB, "
              f"load {step['rss_mb_load']} MB, idle after {step['rss_mb_idle_after']} MB", file=sys.stderr)
        misses = 0 if step["within_capacity_rule"] else misses + 1
        if misses == 2:
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
        cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
        samples: list[float] = []

        async def sample() -> None:
            while True:
                samples.append(server.rss_mb())
                await asyncio.sleep(SAMPLE_INTERVAL_S)

        sampler = asyncio.create_task(sample())
        records = await run_load(server.url, frames, clients, args.fps, args.seconds)
        sampler.cancel()
        cpu = (server.cpu_seconds() - cpu_before) / (time.perf_counter() - wall_before)
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
        "video_one_client": {k: result["signify_video"][k] for k in ("latency_ms", "answered_fps_total", "drop_rate")}
        if "signify_video" in result else None,
    }


if __name__ == "__main__":
    sys.exit(main())
