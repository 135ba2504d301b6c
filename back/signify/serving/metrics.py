"""Prometheus metrics of one server instance.

What every frame touches (frames received, answered and dropped, the stage
latencies, the per-version answers) is tallied in plain numbers on the event
loop and turned into metric families only when ``/metrics`` is scraped
(:class:`_FrameTally`): prometheus_client's counters and histograms take a
lock per update, about 10 us a frame for these dozen updates, which at 30
frames a second from hundreds of keypoint clients was a tenth of the event
loop's time. Everything rarer stays a prometheus_client metric.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

STAGES = ("decode", "keypoints", "model", "total")
_LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Tally:
    """A counter kept as a plain number: updated from the event loop's thread only, read at scrape time."""

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        """Add ``amount`` (at least 0)."""
        self.value += amount


class _Histogram:
    """A histogram's buckets and sum as plain numbers (see :class:`Tally`)."""

    def __init__(self, bounds: tuple[float, ...] = _LATENCY_BUCKETS_S) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last: above every bound (+Inf)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        """Count ``value`` in the first bucket whose upper bound is at least ``value``."""
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    def buckets(self) -> list[tuple[str, float]]:
        """Cumulative counts by upper bound, as the exposition format has them."""
        total, cumulative = 0, []
        for bound, count in zip([*map(str, self.bounds), "+Inf"], self.counts, strict=True):
            total += count
            cumulative.append((bound, float(total)))
        return cumulative


class Metrics:
    """Counters and histograms, in a registry of their own so that servers can coexist in one process."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._frames = _FrameTally()
        r.register(self._frames)
        self.frames_received = self._frames.received
        self.frames_processed = self._frames.processed
        self.frames_dropped = self._frames.dropped
        self.frames_failed = Counter("signify_frames_failed", "Messages answered with an error", ["code"], registry=r)
        self.sessions_open = Gauge("signify_sessions_open", "Open WebSocket sessions", registry=r)
        self.sessions_total = Counter("signify_sessions", "WebSocket sessions accepted", registry=r)
        self.sessions_rejected = Counter("signify_sessions_rejected", "Sessions refused", ["reason"], registry=r)
        self.image_tracking_switches = Counter(
            "signify_image_tracking_switches", "Times every image session's MediaPipe landmark model was switched "
            "(MEDIAPIPE_MODEL_COMPLEXITY=auto), by the model switched to (full, lite)", ["landmarks"], registry=r)
        self.donated_windows = Counter("signify_donated_windows", "Calibration windows donated and stored",
                                       registry=r)
        self.model_info = Info("signify_model", "The loaded letter model", registry=r)
        self.model_active = Gauge("signify_model_active", "1 for each model version in service, by role "
                                  "(stable, previous, canary)", ["version", "role"], registry=r)
        self.canary_percent = Gauge("signify_canary_percent", "Share of new sessions given the canary", registry=r)

    def observe_timing(self, timing_ms: dict[str, float]) -> None:
        """Record one frame's per-stage timings (milliseconds)."""
        for stage, histogram in self._frames.stages.items():
            if stage in timing_ms:
                histogram.observe(timing_ms[stage] / 1000.0)

    def observe_answer(self, version: str, confidence: float | None, stable: bool, committed: bool,
                       total_ms: float) -> None:
        """Record one answered frame for its model ``version``; ``confidence`` None when no hand was found."""
        answers = self._frames.versions.get(version)
        if answers is None:
            answers = self._frames.versions[version] = _VersionTally()
        answers.record(confidence, stable, committed, total_ms)

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


class _VersionTally:
    """One model version's answers (see :class:`_FrameTally`)."""

    def __init__(self) -> None:
        self.frames = 0
        self.hand_frames = 0
        self.confidence = 0.0
        self.stable_frames = 0
        self.commits = 0
        self.latency = _Histogram()

    def record(self, confidence: float | None, stable: bool, committed: bool, total_ms: float) -> None:
        """One answered frame (see :meth:`Metrics.observe_answer`)."""
        self.frames += 1
        if confidence is not None:
            self.hand_frames += 1
            self.confidence += confidence
        if stable:
            self.stable_frames += 1
        if committed:
            self.commits += 1
        self.latency.observe(total_ms / 1000.0)


# The per-version counters: attribute of _VersionTally, metric name, help.
_VERSION_COUNTERS = (
    ("frames", "signify_model_frames", "Frames answered with a prediction, by model version"),
    ("hand_frames", "signify_model_hand_frames", "Answered frames with a hand, by model version"),
    ("confidence", "signify_model_confidence",
     "Sum of the top letter's probability over frames with a hand (divide by hand frames: the mean)"),
    ("stable_frames", "signify_model_stable_frames", "Answered frames with a stable letter, by model version"),
    ("commits", "signify_model_commits", "Letters written to transcripts, by model version"),
)


class _FrameTally(Collector):
    """What every frame updates, as plain numbers, exposed as metric families when the registry is scraped."""

    def __init__(self) -> None:
        self.received = Tally()
        self.processed = Tally()
        self.dropped = Tally()
        self.stages = {stage: _Histogram() for stage in STAGES}
        # By model version, so that a canary is judged against the active release on the same dashboard.
        self.versions: dict[str, _VersionTally] = {}

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily("signify_frames_received", "Frames received", value=self.received.value)
        yield CounterMetricFamily("signify_frames_processed", "Frames answered with a prediction",
                                  value=self.processed.value)
        yield CounterMetricFamily("signify_frames_dropped", "Frames superseded by newer ones",
                                  value=self.dropped.value)
        stages = HistogramMetricFamily("signify_stage_latency_seconds", "Per-frame latency by stage",
                                       labels=["stage"])
        for stage, histogram in self.stages.items():
            stages.add_metric([stage], histogram.buckets(), histogram.sum)
        yield stages
        versions = list(self.versions.items())  # a frame of a new version may add one meanwhile
        for attribute, name, help_text in _VERSION_COUNTERS:
            family = CounterMetricFamily(name, help_text, labels=["version"])
            for version, tally in versions:
                family.add_metric([version], float(getattr(tally, attribute)))
            yield family
        latency = HistogramMetricFamily("signify_model_latency_seconds", "Frame arrival to answer, by model version",
                                        labels=["version"])
        for version, tally in versions:
            latency.add_metric([version], tally.latency.buckets(), tally.latency.sum)
        yield latency
