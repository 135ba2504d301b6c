"""A few seconds of ``python -m bench --cluster``, cameras and keypoint clients, so that it cannot rot.

Figures are checked for sense only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "report_name"), [("images", "cluster.json"), ("keypoints", "cluster-keypoints.json")])
def test_cluster_bench_smoke_run_compares_haproxy_with_direct(tmp_path: Path, mode: str, report_name: str) -> None:
    command = [sys.executable, "-m", "bench", "--cluster", "2", "--mode", mode, "--smoke", "--out", str(tmp_path)]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / report_name).read_text())
    assert report["mode"] == mode
    assert set(report["capacity_clients"]) == {"direct", "haproxy_1", "haproxy_2"}
    for sweep in (report["direct"], report["haproxy"]["1"], report["haproxy"]["2"]):
        step = sweep["sweep"][0]
        assert step["clients"] == 1 and step["connected"] == 1 and step["unanswered"] == 0
        assert step["predictions"] + step["dropped"] + step["errors"] == step["frames_sent"] == 45
        assert step["errors"] == 0 and step["predictions"] > 0
    trips = report["round_trip_ms"]
    assert 0 < trips["direct"]["p50"] <= trips["direct"]["p95"] and trips["haproxy"]["p50"] > 0
    assert report["haproxy"]["1"]["sweep"][0]["haproxy_cpu_cores"] >= 0
