"""Prometheus metrics of one server instance."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

STAGES = ("decode", "keypoints", "model", "total")
_LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    """Counters and histograms, in a registry of their own so that servers can coexist in one process."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.frames_received = Counter("signify_frames_received", "Frames received", registry=r)
        self.frames_processed = Counter("signify_frames_processed", "Frames answered with a prediction", registry=r)
        self.frames_dropped = Counter("signify_frames_dropped", "Frames superseded by newer ones", registry=r)
        self.frames_failed = Counter("signify_frames_failed", "Messages answered with an error", ["code"], registry=r)
        self.sessions_open = Gauge("signify_sessions_open", "Open WebSocket sessions", registry=r)
        self.sessions_total = Counter("signify_sessions", "WebSocket sessions accepted", registry=r)
        self.sessions_rejected = Counter("signify_sessions_rejected", "Sessions refused", ["reason"], registry=r)
        self.donated_windows = Counter("signify_donated_windows", "Calibration windows donated and stored",
                                       registry=r)
        self.latency = Histogram(
            "signify_stage_latency_seconds", "Per-frame latency by stage", ["stage"],
            buckets=_LATENCY_BUCKETS_S, registry=r,
        )
        self.model_info = Info("signify_model", "The loaded letter model", registry=r)

    def observe_timing(self, timing_ms: dict[str, float]) -> None:
        """Record one frame's per-stage timings (milliseconds)."""
        for stage in STAGES:
            if stage in timing_ms:
                self.latency.labels(stage=stage).observe(timing_ms[stage] / 1000.0)

    def render(self) -> bytes:
        """The metrics in Prometheus text format."""
        return generate_latest(self.registry)
