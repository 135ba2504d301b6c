"""Figures from the load generator's records: latency percentiles, answered fps, drops, stages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .load import ClientRecord

MIN_CLIENT_FPS = 25.0
MAX_P95_MS = 100.0
STAGES = ("decode", "keypoints", "model", "total")


def summarize(records: list[ClientRecord], seconds: float, min_fps: float = MIN_CLIENT_FPS,
              max_p95_ms: float = MAX_P95_MS) -> dict[str, Any]:
    """One load step's figures; within the capacity rule when every client got ``min_fps`` under ``max_p95_ms``."""
    frames = [f for r in records for f in r.frames.values()]
    predictions = [f for f in frames if f.kind == "prediction" and f.answered is not None]
    latencies = np.array([(f.answered - f.sent) * 1000 for f in predictions if f.answered is not None])
    per_client_fps = [sum(f.kind == "prediction" for f in r.frames.values()) / seconds for r in records]
    stage_values = {stage: [f.timing_ms[stage] for f in predictions if f.timing_ms and stage in f.timing_ms]
                    for stage in STAGES}
    stage_means = {stage: round(float(np.mean(values)), 3) for stage, values in stage_values.items() if values}
    summary: dict[str, Any] = {
        "clients": len(records),
        "connected": sum(r.connected for r in records),
        "frames_sent": len(frames),
        "predictions": len(predictions),
        "dropped": sum(f.kind == "dropped" for f in frames),
        "errors": sum(f.kind == "error" for f in frames),
        "unanswered": sum(f.kind is None for f in frames),
        "drop_rate": round(sum(f.kind == "dropped" for f in frames) / max(len(frames), 1), 4),
        "answered_fps_total": round(sum(per_client_fps), 2),
        "answered_fps_per_client_min": round(min(per_client_fps), 2) if per_client_fps else 0.0,
        "answered_fps_per_client_mean": round(float(np.mean(per_client_fps)), 2) if per_client_fps else 0.0,
        "latency_ms": _percentiles(latencies),
        "server_stage_ms_mean": stage_means,
    }
    summary["within_capacity_rule"] = bool(
        summary["connected"] == len(records)
        and summary["answered_fps_per_client_min"] >= min_fps
        and summary["latency_ms"].get("p95", float("inf")) < max_p95_ms
    )
    return summary


def latencies_ms(records: list[ClientRecord]) -> list[float]:
    """Every prediction's frame-to-answer time."""
    return [(f.answered - f.sent) * 1000 for r in records for f in r.frames.values()
            if f.kind == "prediction" and f.answered is not None]


def _percentiles(values: NDArray[np.float64]) -> dict[str, float]:
    if not len(values):
        return {}
    return {name: round(float(np.percentile(values, q)), 2) for name, q in (("p50", 50), ("p95", 95), ("p99", 99))} | {
        "mean": round(float(values.mean()), 2), "max": round(float(values.max()), 2)}


def past_capacity(steps: list[dict[str, Any]], misses: int = 2) -> bool:
    """Whether a sweep may stop: its last ``misses`` steps in a row missed the capacity rule."""
    last = steps[-misses:]
    return len(last) == misses and not any(step["within_capacity_rule"] for step in last)


def capacity(steps: list[dict[str, Any]]) -> int:
    """The largest client count whose step met the capacity rule (0 if none did)."""
    return max((s["clients"] for s in steps if s["within_capacity_rule"]), default=0)


def plot(result: dict[str, Any], histogram: list[float], path: Path) -> None:
    """Latency against clients for both designs, and a latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for design, style in (("signify", "-o"), ("naive", "--s")):
        steps = result.get(design, {}).get("sweep", [])
        clients = [s["clients"] for s in steps if s["latency_ms"]]
        for q in ("p50", "p95"):
            left.plot(clients, [s["latency_ms"][q] for s in steps if s["latency_ms"]], style, label=f"{design} {q}")
    left.axhline(MAX_P95_MS, color="grey", linewidth=0.8, linestyle=":", label="p95 limit")
    left.set_xlabel("clients at 30 fps")
    left.set_ylabel("frame-to-answer latency (ms)")
    left.set_yscale("log")
    left.legend()
    left.set_title("Latency against load")
    right.hist(histogram, bins=40, color="#4fc3a1")
    right.set_xlabel("frame-to-answer latency (ms)")
    right.set_ylabel("frames")
    right.set_title("Signify, one client at 30 fps")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def plot_keypoints(result: dict[str, Any], path: Path) -> None:
    """Keypoint clients: latency and the worst client's answered rate against clients, server CPU and memory per
    session, and the model's cost per window one by one and batched."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [s for s in result["keypoints"]["sweep"] if s["latency_ms"]]
    clients = [s["clients"] for s in steps]
    rule = result["keypoints"]
    figure, ((latency, rate), (cpu, model)) = plt.subplots(2, 2, figsize=(13, 9))
    for q, style in (("p50", "-o"), ("p95", "-s"), ("p99", "--^")):
        latency.plot(clients, [s["latency_ms"][q] for s in steps], style, label=q)
    latency.axhline(rule["max_p95_ms"], color="grey", linewidth=0.8, linestyle=":", label="p95 limit")
    latency.set(xlabel="keypoint clients at 30 fps", ylabel="frame-to-answer latency (ms)", yscale="log",
                title="Latency against load")
    latency.legend()
    rate.plot(clients, [s["answered_fps_per_client_min"] for s in steps], "-o", label="worst client")
    rate.plot(clients, [s["answered_fps_per_client_mean"] for s in steps], "--s", label="mean client")
    rate.axhline(rule["min_fps"], color="grey", linewidth=0.8, linestyle=":", label="rule")
    rate.set(xlabel="keypoint clients at 30 fps", ylabel="answered frames per second", title="Answered rate")
    rate.legend()
    cpu.plot(clients, [s["cpu_cores_used"] for s in steps], "-o", label="server CPU (cores)")
    memory = cpu.twinx()
    memory.plot(clients, [s["rss_mb_per_session"] for s in steps], "--s", color="#c0392b", label="MB per session")
    cpu.set(xlabel="keypoint clients at 30 fps", ylabel="server CPU (cores)", title="Server cost")
    memory.set_ylabel("RSS per session (MB)")
    cpu.legend(loc="upper left")
    memory.legend(loc="lower right")
    costs = result["model_batching"]
    names = list(costs)
    model.bar([name.split("_")[1] for name in names], [costs[name] for name in names], color="#4fc3a1")
    model.set(xlabel="windows per call", ylabel="ms per 32-frame window", title="Model cost per window")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
