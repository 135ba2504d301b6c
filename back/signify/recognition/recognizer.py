"""One session's recognition state: frame in, letters out.

A :class:`Recognizer` belongs to one connection. It owns that stream's
MediaPipe tracker, keypoint buffer, smoother and transcript, the user's
calibration (the adaptation in use, and a calibration run while one is
collecting), and is called from one worker thread at a time (the session
guarantees that), so it needs no locks of its own. The ONNX model is
shared: onnxruntime sessions are safe to run from several threads.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from ..calibration.adaptation import Adaptation, fit_adaptation, log_probabilities
from ..calibration.collection import (
    CalibrationResult,
    CalibrationRun,
    Observation,
    Progress,
    Prompt,
    profile_from_takes,
)
from ..calibration.profile import Profile, decode_profile, encode_profile, examples_per_letter
from .features import ScoredWindow, Window, WindowFeatures, score_each, window_features
from .hands import HandSettings, HandTracker
from .images import decode_image
from .model import LetterModel, LetterScores
from .normalization import in_image_heights, mirror_sign
from .pacing import FramePacer
from .ring_buffer import KeypointBuffer
from .smoothing import HAND_AWAY_FRAMES, SlidingWindowSmoother, Transcript

# Palm sizes per frame (at 30 fps, 1.5 a second) above which the hand counts as
# moving (signify.recognition.trajectory.hand_speed). Measured on testkit's drawn clips
# through MediaPipe: a drifting I or X has a median speed of 0.02 and stays
# under this in 98% of frames; a J or a Z is at 0.06-1.3 while it moves. A J half
# the hand's height drawn in 1.5 s, the smallest and slowest issue 15 asks for,
# hardly reaches it on real hands at webcam framing; at 0.04 it does, but a held
# hand's jitter then writes J or Z into letters slid and held again and into words
# (docs/model.md, "The ends of the range of speeds and sizes"). Such a J is
# written after a slow movement from an I held still (above SLOW_MOVING_SPEED;
# smoothing.SLOW_MOVEMENT_LETTERS) instead.
MOVING_SPEED = 0.05
# Above this the hand moves, however slowly (Transcript.update's slow_moving): a J drawn in 1.5 s starts its hook at
# 0.005-0.05 and a small one may stay under MOVING_SPEED throughout, while real hands held still at 100 px move at
# 0.002-0.01. Measured for the rule that holds a starting shape back: at 0.025 and 0.03 every bench.webcam_motion
# clip writes the same, at 0.035 two of the five slow Js written "IJ" are mended and at 0.04 none, and at 0.02 a
# slowly drifting 50 px I is no longer written (docs/model.md, "A J drawn slowly"). That was with a shape held back
# after half a hold of such frames in a row; it is now from the first (docs/model.md, "The ends of the range, raised
# into view"), which every bench.webcam_motion clip tracked since writes alike but for the slow Js it mends.
SLOW_MOVING_SPEED = 0.03
# A hand the tracker missed for this many frames or more (and fewer than HAND_AWAY_FRAMES) is put back in the
# window along a straight line across them when it is found again; a frame or two missed are left out of it,
# as before (putting those back too changed a few clips of bench.webcam_motion, more for the worse than the
# better: a drifting I wrote Z; docs/model.md, "A hand lost for a moment").
FILLED_GAP_FRAMES = 3
TOP_K = 3


@dataclass(frozen=True)
class RecognizerSettings:
    """The per-session knobs, taken from the server settings."""

    buffer_size: int = 32
    window_size: int = 5
    max_image_pixels: int = 4 * 1024 * 1024
    hands: HandSettings = field(default_factory=HandSettings)

    @property
    def commit_after(self) -> int:
        """Frames a stable letter must last before it enters the transcript."""
        return 2 * self.window_size

    @property
    def word_gap(self) -> int:
        """Frames without a hand that end a word."""
        return 3 * self.window_size


@dataclass(frozen=True)
class CalibrationOutcome:
    """A calibration that ended: what it collected, and the profile now in use (None if nothing was taken)."""

    result: CalibrationResult
    donate: bool
    contributor: str | None
    profile: Profile | None


@dataclass(frozen=True)
class ModelChange:
    """What a switch to another model cost the stream: its calibration is bound to the model it was made for."""

    profile_dropped: bool  # an adaptation was in use and is gone
    calibration_cancelled: bool  # a calibration was collecting and is abandoned (no outcome follows)


@dataclass(frozen=True)
class Staged:
    """A frame in the buffers, waiting for the model's scores of its windows, oldest first: its own when it
    holds a hand, and those of the model frames the stream missed before it that hold one
    (signify.recognition.pacing); ``missing_after`` frames without a hand follow them."""

    landmarks: NDArray[np.float32] | None
    windows: tuple[Window, ...]
    missing_after: int
    timing: dict[str, float]
    started: float


@dataclass(frozen=True)
class Recognition:
    """The answer for one frame, before it is put on the wire."""

    landmarks: NDArray[np.float32] | None  # raw (21, 3), or None when no hand was found
    scores: LetterScores | None
    stable: str | None
    text: str
    timing_ms: dict[str, float]
    # While calibrating: the prompted letter's progress, the next prompt when this frame finished
    # a letter, and the outcome when it finished the last one.
    calibration: Progress | None = None
    prompt: Prompt | None = None
    outcome: CalibrationOutcome | None = None

    @property
    def hand(self) -> bool:
        """Whether a hand was found in this frame."""
        return self.landmarks is not None


class Recognizer:
    """Frame-by-frame recognition for one video stream."""

    def __init__(self, model: LetterModel, settings: RecognizerSettings) -> None:
        self._model = model
        self._settings = settings
        self._tracker: HandTracker | None = None
        self._hand_settings = settings.hands  # what the next image's tracker is built with
        # The hands as tracked: what the model reads is computed from them per window (signify.recognition.features).
        self._points = KeypointBuffer(settings.buffer_size)
        self._signs = KeypointBuffer(settings.buffer_size, ())
        self._smoother = SlidingWindowSmoother(settings.window_size)
        self._transcript = Transcript(settings.commit_after, settings.word_gap)
        self._missing = 0
        # Frames without a hand after which it is away, and the motion in the window forgotten: never more than
        # a word gap (a window of one answer makes the gap three frames), so that no word begins with the hand
        # of the last one.
        self._away_frames = min(HAND_AWAY_FRAMES, settings.word_gap)
        self._pacer = FramePacer()
        # The last hand seen (points, sign), until the hand is away: where a slow stream's missed frames start.
        self._last_hand: tuple[NDArray[np.float32], float] | None = None
        self._stable: str | None = None  # the smoothed letter of the last frame
        self._profile: Profile | None = None
        self._adaptation: Adaptation | None = None
        self._calibration: CalibrationRun | None = None

    def prepare(self) -> None:
        """Build and warm this stream's MediaPipe graph (again, after :meth:`track_with` asked for another
        model), so that the next frame is as fast as the rest."""
        self._hand_tracker().warm_up()

    def track_with(self, complexity: int) -> bool:
        """Track the next images with MediaPipe's model of this complexity (call between frames); True when
        the graph must be built again for it, which :meth:`prepare` does (else the next image will). The new
        graph looks where the old one last saw the hand, and finds it afresh there."""
        if complexity != self._hand_settings.model_complexity:
            self._hand_settings = replace(self._hand_settings, model_complexity=complexity)
        return self._tracker is not None and self._tracker.settings != self._hand_settings

    def recognize_image(self, data: bytes) -> Recognition:
        """Decode an encoded image, find the hand and classify; raises ImageError. An image carries no capture
        time: it stands for one model frame (see :meth:`stage_keypoints`)."""
        started = time.perf_counter()
        rgb = decode_image(data, self._settings.max_image_pixels)
        decoded = time.perf_counter()
        observation = self._hand_tracker().detect(rgb)
        tracked = time.perf_counter()
        timing = {"decode": _ms(decoded - started), "keypoints": _ms(tracked - decoded)}
        if observation is None:
            staged = self._stage(None, "", 1.0, timing, ticks=1)
        else:
            aspect = rgb.shape[1] / rgb.shape[0]
            staged = self._stage(observation.landmarks, observation.handedness, aspect, timing, ticks=1)
        return staged if isinstance(staged, Recognition) else self._classify(staged)

    def recognize_keypoints(
        self, landmarks: NDArray[np.float32] | None, handedness: str, aspect: float = 1.0,
        arrived: float | None = None, captured: float | None = None, fill: bool = True,
    ) -> Recognition:
        """Classify landmarks that the client tracked itself (None: its tracker found no hand); the frame's
        times as :meth:`stage_keypoints` takes them."""
        staged = self.stage_keypoints(landmarks, handedness, aspect, arrived, captured, fill)
        return staged if isinstance(staged, Recognition) else self._classify(staged)

    @property
    def model(self) -> LetterModel:
        """The model this stream's frames are scored with."""
        return self._model

    def use_model(self, model: LetterModel) -> ModelChange:
        """Score the next frames with ``model`` (call between frames). The buffers, the smoother and the
        transcript carry on (the features are the model's contract); the profile and a running calibration,
        fitted to the old model's embedding, are dropped."""
        change = ModelChange(self._profile is not None, self._calibration is not None)
        self._model = model
        self._profile = self._adaptation = self._calibration = None
        return change

    @property
    def embedding_size(self) -> int | None:
        """The length of the model's embedding, or None when this model cannot be calibrated."""
        return self._model.embedding_size

    @property
    def profile(self) -> Profile | None:
        """The calibration profile adapting this stream, if any."""
        return self._profile

    @property
    def calibration(self) -> CalibrationRun | None:
        """The calibration collecting now, if any."""
        return self._calibration

    def start_calibration(self, run: CalibrationRun) -> Prompt:
        """Collect ``run``'s letters from the next frames on; returns the first prompt."""
        if self._model.embedding_size is None:
            raise RuntimeError("this model exposes no embedding to calibrate on")
        self._calibration = run
        prompt = run.prompt
        assert prompt is not None
        return prompt

    def skip_letter(self) -> Prompt | CalibrationOutcome:
        """Skip the prompted letter: the next prompt, or the outcome when it was the last."""
        run = self._require_calibration()
        run.skip()
        return run.prompt or self.stop_calibration()

    def stop_calibration(self) -> CalibrationOutcome:
        """End the calibration; the letters taken so far adapt this stream from now on."""
        run = self._require_calibration()
        self._calibration = None
        result = run.result()
        taken = self._profile_from(result)
        if taken is not None:  # calibrating some letters again keeps the others' examples
            merged = taken if self._profile is None else self._profile.merged(taken)
            # Adapted from the profile as the user will send it back: the same fit now as after a reload.
            self.use_profile(self._round_trip(merged))
        # What the user held for the calibration is not text, even if they go on holding it.
        self._transcript.ignore_held(self._stable)
        return CalibrationOutcome(result, run.donate, run.contributor, self._profile if taken else None)

    def use_profile(self, profile: Profile | None) -> None:
        """Adapt this stream with ``profile`` (fitted here, in milliseconds), or go back to the shared model."""
        self._profile = profile
        self._adaptation = fit_adaptation(profile, self._model.card.anchors) if profile is not None else None

    def reset(self) -> None:
        """Forget the motion history, the smoothing window and the transcript (not the calibration)."""
        self._forget_motion()
        self._pacer.reset()
        self._smoother.clear()
        self._transcript.clear()
        self._missing = 0
        self._stable = None

    def resume(self, text: str) -> str:
        """Carry the transcript on from ``text`` (see :meth:`Transcript.resume`); return the text now held."""
        return self._transcript.resume(text)

    def close(self) -> None:
        """Release the MediaPipe graph of this stream."""
        if self._tracker is not None:
            self._tracker.close()

    def _forget_motion(self) -> None:
        """Empty the hand and sign buffers, which always hold the same frames."""
        self._points.clear()
        self._signs.clear()
        self._last_hand = None

    @property
    def frames(self) -> int:
        """How many frames of the current hand the window holds (0 after it went away)."""
        return len(self._points)

    def window(self) -> WindowFeatures:
        """The window as the model reads it now: a batch of one (``time`` is 0 when no hand is held)."""
        return window_features(self._points.window()[None], self._signs.window()[None])

    def _hand_tracker(self) -> HandTracker:
        if self._tracker is not None and self._tracker.settings != self._hand_settings:
            old, self._tracker = self._tracker, None
            old.close()
            self._tracker = HandTracker(self._hand_settings, zoom=old.zoom)
        if self._tracker is None:
            self._tracker = HandTracker(self._hand_settings)
        return self._tracker

    def stage_keypoints(
        self, landmarks: NDArray[np.float32] | None, handedness: str, aspect: float = 1.0,
        arrived: float | None = None, captured: float | None = None, fill: bool = True,
    ) -> Staged | Recognition:
        """The first half of :meth:`recognize_keypoints`: the windows to score, or the answer when there is no hand.

        ``captured`` (the client's capture time in milliseconds, if it sent one) places the frame on the
        client's clock, ``arrived`` (seconds on the server's, any clock that does not go back) bounds what
        that clock may claim: from a stream slower than the model's 30 frames a second, a frame stands for the
        model frames since the last one (:class:`~signify.recognition.pacing.FramePacer`), and the frames it
        missed are filled in (see :meth:`_stage`). Without both, every frame stands for one; ``fill`` False
        (the server dropped the frames before it) places it on the clock and stands it for one.

        The caller scores ``staged.windows`` (with other sessions' windows, in one model call:
        :func:`~signify.recognition.features.score_each`) and hands the results to :meth:`conclude`.
        """
        timing = {"decode": 0.0, "keypoints": 0.0}
        return self._stage(landmarks, handedness, aspect, timing, self._ticks(captured, arrived, fill))

    def conclude(self, staged: Staged, scored: Sequence[ScoredWindow]) -> Recognition:
        """The second half: the shared model's scores for the staged windows, in order, become this frame's answer."""
        prompt: Prompt | None = None
        outcome: CalibrationOutcome | None = None
        scores: LetterScores | None = None
        last = len(scored) - 1 if staged.landmarks is not None else -1  # the frame the stream gave, if it held a hand
        for index, window in enumerate(scored):
            shared = window.scores
            scores = self._adapted(shared)
            self._stable = self._smoother.push(scores.best())
            if outcome is None:
                next_prompt, outcome = self._collect(shared, window.hands, window.placements)
                prompt = next_prompt or prompt
            if self._calibration is None and outcome is None:  # what the user holds for calibration is not text
                self._transcript.update(self._stable, hand=True, moving=window.speed > MOVING_SPEED,
                                        slow_moving=window.speed > SLOW_MOVING_SPEED,
                                        observed=index == last)
        for index in range(staged.missing_after):
            self._no_hand_frame(observed=index == staged.missing_after - 1)  # the last: the frame itself
        timing = staged.timing
        timing["model"] = _ms(time.perf_counter() - staged.started)
        progress = self._calibration.progress if self._calibration is not None else None
        return Recognition(staged.landmarks, scores if staged.landmarks is not None else None, self._stable,
                           self._transcript.text, timing, progress, prompt, outcome)

    def _ticks(self, captured: float | None, arrived: float | None, fill: bool = True) -> int:
        return 1 if arrived is None else self._pacer.ticks(captured, arrived, fill)

    def _stage(
        self, landmarks: NDArray[np.float32] | None, handedness: str, aspect: float, timing: dict[str, float],
        ticks: int,
    ) -> Staged | Recognition:
        """The frame and the ``ticks - 1`` model frames missed before it into the buffers; the answer at once
        when none of them holds a hand.

        A frame with a hand: the missed frames move the hand in a straight line from the last one seen (until
        it is away, :data:`~signify.recognition.smoothing.HAND_AWAY_FRAMES`) to this one; with no hand seen
        before, or another one, they hold none. A frame without a hand is one model frame without it, the
        missed frames before it holding the hand the frame before held: a tracker misses a hand now and then,
        and one giving 10 results a second misses a moving hand in every other one (the page's, in headless
        Chromium under load), which must not add up to a hand away sooner than at 30 results a second. Nor
        later: a hand found again after missed results (two or more) whose frames, with those it skipped since,
        add up to a hand away (at 10 results a second, a hand lowered between two Ls for a fifth of a second)
        was away, and the skipped frames hold none. One missed result is a glitch however long the wait after
        it: an uneven tracker at about 10 results a second (gaps of 1-5 frames) then lost a quarter of the
        page's drawn Zs (docs/model.md, "A hand lost for a moment").

        The same hand found again after the tracker lost it for :data:`FILLED_GAP_FRAMES` frames or more,
        before it was away: those frames were answered without a hand, and the window now reads the hand as
        having moved in a straight line across them. A Z's fast diagonal, smeared by a webcam's shutter, is
        lost so, and is a straight line."""
        started = time.perf_counter()
        current = None if landmarks is None else (in_image_heights(landmarks, aspect), mirror_sign(handedness))
        last = self._last_hand
        missed = ticks - 1
        # Missed results (two or more: one is a glitch however long the wait after it) and the frames skipped
        # since, as long as a hand away: it was away.
        was_away = self._missing > 1 and self._missing + missed >= self._away_frames
        frames: list[tuple[NDArray[np.float32], float] | None]
        if current is None:
            frames = [last if self._missing == 0 else None] * missed + [None]
        elif last is not None and last[1] == current[1] and not was_away:
            lost = self._missing if self._missing >= FILLED_GAP_FRAMES else 0  # answered already: the window's only
            steps = lost + ticks
            path: list[tuple[NDArray[np.float32], float]] = [
                (last[0] + (current[0] - last[0]) * np.float32(k / steps), current[1]) for k in range(1, steps)]
            for points, sign in path[:lost]:
                self._append(points, sign)
            frames = [*path[lost:], current]
        else:
            frames = [None] * missed + [current]
        windows: list[Window] = []
        missing_after = 0
        for index, hand in enumerate(frames):
            if hand is None and windows:
                missing_after += 1  # after the hand frames: the model's answers for them come first
            elif hand is None:
                self._no_hand_frame(observed=index == len(frames) - 1)
            else:
                self._append(*hand)
                windows.append((self._points.window(), self._signs.window()))
        if not windows:
            timing["model"] = 0.0
            progress = self._calibration.progress if self._calibration is not None else None
            return Recognition(None, None, self._stable, self._transcript.text, timing, progress)
        return Staged(landmarks, tuple(windows), missing_after, timing, started)

    def _append(self, points: NDArray[np.float32], sign: float) -> None:
        self._missing = 0
        self._points.append(points)
        self._signs.append(sign)
        self._last_hand = (points, sign)

    def _classify(self, staged: Staged) -> Recognition:
        return self.conclude(staged, score_each(self._model, staged.windows))

    def _adapted(self, shared: LetterScores) -> LetterScores:
        if self._adaptation is None or shared.embedding is None:
            return shared
        return LetterScores(self._adaptation.adapt(shared.probabilities, shared.embedding), shared.labels,
                            shared.embedding)

    def _collect(
        self, shared: LetterScores, hands: NDArray[np.float32], placements: NDArray[np.float32]
    ) -> tuple[Prompt | None, CalibrationOutcome | None]:
        """Feed a calibration run; the next prompt when a letter was finished, the outcome when all were."""
        run = self._calibration
        if run is None or shared.embedding is None:
            return None, None
        if len(hands) < self._settings.buffer_size:  # the hand came back after leaving: wait for a full window
            return None, None
        observation = Observation(shared.embedding, log_probabilities(shared.probabilities), hands, placements)
        if not run.observe(observation):
            return None, None
        if run.finished:
            return None, self.stop_calibration()
        return run.prompt, None

    def _require_calibration(self) -> CalibrationRun:
        if self._calibration is None:
            raise RuntimeError("no calibration is running")
        return self._calibration

    def _profile_from(self, result: CalibrationResult) -> Profile | None:
        card, size = self._model.card, self._model.embedding_size
        assert size is not None
        per_letter = examples_per_letter(len(card.labels), size, card.name, card.version)
        return profile_from_takes(result.takes, card.name, card.version, card.labels, per_letter)

    def _round_trip(self, profile: Profile) -> Profile:
        card, size = self._model.card, self._model.embedding_size
        assert size is not None
        return decode_profile(encode_profile(profile), card.name, card.version, len(card.labels), size)

    def _no_hand_frame(self, observed: bool = True) -> None:
        """A model frame without a hand (``observed`` False: filled in before a frame the stream gave)."""
        self._missing += 1
        # Only a longer absence than a missed frame means the signer started over.
        if self._missing >= self._away_frames:
            self._forget_motion()
        stable = self._stable = self._smoother.push(None)
        if self._calibration is None:
            self._transcript.update(stable, hand=False, observed=observed)


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)
