"""What the model and the transcript read from windows of tracked hands, for many windows at once.

A session keeps its hands as they were tracked (in image heights, with
each hand's mirror sign) and nothing else; everything read from them is
computed here, for one window (a camera's frame) or a batch of windows
from many sessions (keypoint clients' frames, scored together by
:mod:`signify.serving.scoring`). One numpy pass over a batch costs about
what one window's pass costs alone: a keypoint frame's Python time was
mostly small-array call overhead, paid per frame and per function.

Every value is the one :func:`~signify.recognition.normalization.normalize_hand`,
:func:`~signify.recognition.trajectory.hand_placement`,
:func:`~signify.recognition.trajectory.window_motion` and
:func:`~signify.recognition.trajectory.hand_speed` give, frame by frame,
which training uses: the same code, in one place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .model import LetterModel, LetterScores
from .normalization import normalized
from .trajectory import SETTLE_FRAMES, hand_speeds, placed, window_motion

# One window of tracked hands: ``(time, 21, 3)`` in image heights and each hand's mirror sign ``(time,)``.
Window = tuple[NDArray[np.float32], NDArray[np.float32]]


@dataclass(frozen=True)
class WindowFeatures:
    """A batch of windows as the model reads them, and how fast each hand moved."""

    hands: NDArray[np.float32]  # normalized hands, (batch, time, 21, 3)
    placements: NDArray[np.float32]  # where each hand was, (batch, time, 4)
    motion: NDArray[np.float32]  # the model's motion input, (batch, time, 3)
    # Palm sizes per frame lately, (batch,): a window's first frames, where its track may be settling, are not
    # measured from (trajectory.SETTLE_FRAMES: a session's window starts where the hand was found).
    speeds: NDArray[np.float32]


@dataclass(frozen=True)
class ScoredWindow:
    """One window's scores from the shared model, with the features that produced them."""

    scores: LetterScores
    hands: NDArray[np.float32]  # (time, 21, 3)
    placements: NDArray[np.float32]  # (time, 4)
    speed: float


def window_features(points: NDArray[np.float32], signs: NDArray[np.float32]) -> WindowFeatures:
    """Features of windows of one length: tracked hands ``(batch, time, 21, 3)`` in image heights
    (:func:`~signify.recognition.normalization.in_image_heights`) and their mirror signs ``(batch, time)``."""
    placements = placed(points, signs)
    hands = normalized(points.astype(np.float32, copy=True), signs, palm=placements[..., 2])
    return WindowFeatures(hands, placements, window_motion(placements),
                          hand_speeds(hands, placements, settle=SETTLE_FRAMES))


def score_windows(model: LetterModel, points: NDArray[np.float32], signs: NDArray[np.float32]) -> list[ScoredWindow]:
    """``model``'s scores for windows of one length, in one call (see :func:`window_features` for the inputs)."""
    features = window_features(points, signs)
    scores = model.predict_batch(features.hands, features.motion)
    return [ScoredWindow(scored, features.hands[i], features.placements[i], float(features.speeds[i]))
            for i, scored in enumerate(scores)]


def score_each(model: LetterModel, windows: Sequence[Window]) -> list[ScoredWindow]:
    """``model``'s scores for windows of any lengths, in ``windows``' order: one call per length."""
    by_length: defaultdict[int, list[int]] = defaultdict(list)
    for index, (points, _) in enumerate(windows):
        by_length[len(points)].append(index)
    scored: list[ScoredWindow | None] = [None] * len(windows)
    for indices in by_length.values():
        points = np.stack([windows[i][0] for i in indices])
        signs = np.stack([windows[i][1] for i in indices])
        for index, each in zip(indices, score_windows(model, points, signs), strict=True):
            scored[index] = each
    return [each for each in scored if each is not None]
