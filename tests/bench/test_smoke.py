"""A few seconds of the real benchmark, so that it cannot rot. Figures are checked for sense, never for speed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_smoke_run_writes_sensible_figures(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench", "--smoke", "--complexity", "0", "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "bench.json").read_text())
    assert (tmp_path / "bench.png").stat().st_size > 10_000
    assert report["machine"]["cores"] >= 1
    assert report["sweep_frames"] == "drawn" and report["model_complexity"] == "0"
    for design in ("signify", "naive"):
        step = report[design]["sweep"][0]
        assert step["clients"] == 1 and step["connected"] == 1
        assert step["frames_sent"] == 45  # 1.5 s at 30 fps
        # Every frame got exactly one answer of a known kind.
        assert step["predictions"] + step["dropped"] + step["errors"] + step["unanswered"] == step["frames_sent"]
        assert step["unanswered"] == 0 and step["errors"] == 0
        assert step["predictions"] > 0
        assert 0 < step["latency_ms"]["p50"] <= step["latency_ms"]["p95"] <= step["latency_ms"]["p99"]
        assert step["rss_mb_idle"] > 0 and step["cpu_cores_used"] > 0
    stages = report["signify"]["sweep"][0]["server_stage_ms_mean"]
    assert set(stages) == {"decode", "keypoints", "model", "total"}
    assert stages["total"] >= stages["keypoints"]
    assert report["signify"]["cold_start_s"] > 0
    assert report["signify"]["sweep"][0]["rss_mb_idle_after"] > 0  # measured once every session had gone


@pytest.mark.slow
def test_keypoint_bench_smoke_run_writes_sensible_figures(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "bench", "--mode", "keypoints", "--smoke", "--floor", "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "bench-keypoints.json").read_text())
    assert (tmp_path / "bench-keypoints.png").stat().st_size > 10_000
    assert report["keypoint_messages"] > 0
    step = report["keypoints"]["sweep"][0]
    assert step["clients"] == step["connected"] == 5 and step["load_processes"] == 1
    assert step["frames_sent"] == 5 * 45
    assert step["predictions"] + step["dropped"] + step["errors"] + step["unanswered"] == step["frames_sent"]
    assert step["unanswered"] == 0 and step["errors"] == 0 and step["predictions"] > 0
    assert 0 < step["latency_ms"]["p50"] <= step["latency_ms"]["p95"]
    assert step["cpu_cores_used"] > 0
    # No image and no MediaPipe graph: the model and the protocol are all a keypoint frame costs.
    assert set(step["server_stage_ms_mean"]) >= {"decode", "keypoints", "model"}
    assert step["server_stage_ms_mean"]["decode"] == step["server_stage_ms_mean"]["keypoints"] == 0
    batching = report["model_batching"]
    assert all(batching[f"batch_{n}_ms_per_window"] > 0 for n in (1, 8, 64))
    # The floor server, swept the same way, answers every frame (it recognizes nothing).
    floor = report["floor"]["sweep"][0]
    assert floor["clients"] == floor["connected"] == 5 and floor["predictions"] == floor["frames_sent"] == 5 * 45
    assert 0 < floor["latency_ms"]["p50"] <= floor["latency_ms"]["p95"]
