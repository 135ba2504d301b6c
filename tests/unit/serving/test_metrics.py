"""The per-frame tallies expose what prometheus_client's own counters and histograms would."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from signify.serving.metrics import _LATENCY_BUCKETS_S, Metrics


def samples(text: bytes, family: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``family`` by sample name and sorted labels."""
    found = {}
    for metric in text_string_to_metric_families(text.decode()):
        if metric.name == family:
            for sample in metric.samples:
                found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_frame_counters_count() -> None:
    metrics = Metrics()
    metrics.frames_received.inc()
    metrics.frames_received.inc()
    metrics.frames_dropped.inc(3)
    text = metrics.render()
    assert samples(text, "signify_frames_received") == {("signify_frames_received_total", ()): 2.0}
    assert samples(text, "signify_frames_dropped") == {("signify_frames_dropped_total", ()): 3.0}
    assert samples(text, "signify_frames_processed") == {("signify_frames_processed_total", ()): 0.0}
    assert metrics.frames_received.value == 2.0


def test_stage_latencies_are_the_histogram_prometheus_client_would_expose() -> None:
    # Values on bucket bounds, between them, below the first and beyond the last.
    timings = [0.0, 1.0, 1.7, 2.5, 9.99, 10.0, 49.0, 250.0, 999.0, 1000.0, 4000.0]
    metrics = Metrics()
    reference_registry = CollectorRegistry()
    reference = Histogram("signify_stage_latency_seconds", "Per-frame latency by stage", ["stage"],
                          buckets=_LATENCY_BUCKETS_S, registry=reference_registry)
    for ms in timings:
        metrics.observe_timing({"model": ms, "total": 2 * ms})
        reference.labels(stage="model").observe(ms / 1000.0)
        reference.labels(stage="total").observe(2 * ms / 1000.0)
    ours = samples(metrics.render(), "signify_stage_latency_seconds")
    theirs = samples(generate_latest(reference_registry), "signify_stage_latency_seconds")
    for key, value in theirs.items():
        if not key[0].endswith("_created"):
            assert ours[key] == value, key
    # Stages no frame reported are there, empty.
    assert ours["signify_stage_latency_seconds_count", (("stage", "decode"),)] == 0.0


def test_answers_are_counted_by_model_version() -> None:
    metrics = Metrics()
    metrics.observe_answer("3.1.0", 0.75, stable=True, committed=True, total_ms=4.0)
    metrics.observe_answer("3.1.0", None, stable=False, committed=False, total_ms=2.0)
    metrics.observe_answer("3.2.0", 0.5, stable=False, committed=False, total_ms=30.0)
    text = metrics.render()
    by_version = {"3.1.0": (("version", "3.1.0"),), "3.2.0": (("version", "3.2.0"),)}
    expected = {
        "signify_model_frames": (2.0, 1.0),
        "signify_model_hand_frames": (1.0, 1.0),
        "signify_model_confidence": (0.75, 0.5),
        "signify_model_stable_frames": (1.0, 0.0),
        "signify_model_commits": (1.0, 0.0),
    }
    for family, (old, new) in expected.items():
        found = samples(text, family)
        assert found[f"{family}_total", by_version["3.1.0"]] == old, family
        assert found[f"{family}_total", by_version["3.2.0"]] == new, family
    latency = samples(text, "signify_model_latency_seconds")
    assert latency["signify_model_latency_seconds_count", by_version["3.1.0"]] == 2.0
    assert latency["signify_model_latency_seconds_sum", by_version["3.1.0"]] == 0.006
    assert latency["signify_model_latency_seconds_bucket", (("le", "0.025"), ("version", "3.2.0"))] == 0.0
    assert latency["signify_model_latency_seconds_bucket", (("le", "0.05"), ("version", "3.2.0"))] == 1.0
