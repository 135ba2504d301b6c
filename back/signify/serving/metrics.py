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
        # By model version, so that a canary is judged against the active release on the same dashboard.
        self.model_frames = Counter("signify_model_frames", "Frames answered with a prediction, by model version",
                                    ["version"], registry=r)
        self.model_hand_frames = Counter("signify_model_hand_frames", "Answered frames with a hand, by model version",
                                         ["version"], registry=r)
        self.model_confidence = Counter("signify_model_confidence", "Sum of the top letter's probability over frames "
                                        "with a hand (divide by hand frames: the mean)", ["version"], registry=r)
        self.model_stable_frames = Counter("signify_model_stable_frames", "Answered frames with a stable letter, "
                                           "by model version", ["version"], registry=r)
        self.model_commits = Counter("signify_model_commits", "Letters written to transcripts, by model version",
                                     ["version"], registry=r)
        self.model_latency = Histogram("signify_model_latency_seconds", "Frame arrival to answer, by model version",
                                       ["version"], buckets=_LATENCY_BUCKETS_S, registry=r)
        self.model_active = Gauge("signify_model_active", "1 for each model version in service, by role "
                                  "(stable, previous, canary)", ["version", "role"], registry=r)
        self.canary_percent = Gauge("signify_canary_percent", "Share of new sessions given the canary", registry=r)
        # Every answered frame touches these: their labelled children are looked up once, not per frame.
        self._stage_latency = [(stage, self.latency.labels(stage=stage)) for stage in STAGES]
        self._by_version: dict[str, _VersionMetrics] = {}

    def observe_timing(self, timing_ms: dict[str, float]) -> None:
        """Record one frame's per-stage timings (milliseconds)."""
        for stage, histogram in self._stage_latency:
            if stage in timing_ms:
                histogram.observe(timing_ms[stage] / 1000.0)

    def observe_answer(self, version: str, confidence: float | None, stable: bool, committed: bool,
                       total_ms: float) -> None:
        """Record one answered frame for its model ``version``; ``confidence`` None when no hand was found."""
        answers = self._by_version.get(version)
        if answers is None:
            answers = self._by_version[version] = _VersionMetrics(self, version)
        answers.frames.inc()
        if confidence is not None:
            answers.hand_frames.inc()
            answers.confidence.inc(confidence)
        if stable:
            answers.stable_frames.inc()
        if committed:
            answers.commits.inc()
        answers.latency.observe(total_ms / 1000.0)

    def serving(self, roles: dict[str, str | None], canary_percent: float) -> None:
        """The versions in service now, by role (``stable``, ``previous``, ``canary``)."""
        self.model_active.clear()
        for role, version in roles.items():
            if version is not None:
                self.model_active.labels(version=version, role=role).set(1)
        self.canary_percent.set(canary_percent)

    def render(self) -> bytes:
        """The metrics in Prometheus text format."""
        return generate_latest(self.registry)


class _VersionMetrics:
    """One model version's labelled children of the per-version metrics."""

    def __init__(self, metrics: Metrics, version: str) -> None:
        self.frames = metrics.model_frames.labels(version=version)
        self.hand_frames = metrics.model_hand_frames.labels(version=version)
        self.confidence = metrics.model_confidence.labels(version=version)
        self.stable_frames = metrics.model_stable_frames.labels(version=version)
        self.commits = metrics.model_commits.labels(version=version)
        self.latency = metrics.model_latency.labels(version=version)
