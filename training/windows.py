"""Turning sources into model inputs: windows of 1 to ``max_frames`` normalized hands.

The server asks the model about whatever its ring buffer holds, which
right after a hand appears is one frame, then two, and so on up to the
buffer size. Training windows therefore have random lengths. Photos and
landmark rows are single poses: their windows repeat the pose with a
little per-frame noise, like a held letter in front of a camera.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .augment import augment_windows, random_speed, time_warp
from .sources import Poses, Sequences

HELD_POSE_NOISE = 0.01
AUGMENT_CHUNK = 256


@dataclass(frozen=True)
class WindowSet:
    """Padded windows ready for a batch: ``hands`` (n, max_frames, 21, 3), true lengths and labels."""

    hands: NDArray[np.float32]
    lengths: NDArray[np.int64]
    labels: NDArray[np.int64]


def random_length(rng: np.random.Generator, max_frames: int) -> int:
    """Short windows are as common in serving as long ones: draw lengths evenly, full windows a bit more often."""
    return max_frames if rng.random() < 0.3 else int(rng.integers(1, max_frames + 1))


def pose_window(pose: NDArray[np.float32], length: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """A held pose: the same hand repeated, each frame with its own small tracking noise."""
    noise = rng.standard_normal((length, *pose.shape), dtype=np.float32) * np.float32(HELD_POSE_NOISE)
    return pose[None] + noise


def sequence_window(segment: NDArray[np.float32], length: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """A stretch of consecutive frames from a recording, replayed at a random speed."""
    rate = random_speed(rng)
    span = min(len(segment), int(np.ceil((length - 1) * rate)) + 1)  # recorded frames the window covers
    start = int(rng.integers(0, len(segment) - span + 1))
    return time_warp(segment[start : start + span], rate)[:length]


def pad(windows: list[NDArray[np.float32]], labels: list[int], max_frames: int) -> WindowSet:
    """Stack windows of different lengths, zero-padded at the end."""
    hands = np.zeros((len(windows), max_frames, 21, 3), dtype=np.float32)
    for i, window in enumerate(windows):
        hands[i, : len(window)] = window
    lengths = np.array([len(w) for w in windows], dtype=np.int64)
    return WindowSet(hands, lengths, np.array(labels, dtype=np.int64))


class LetterCatalog:
    """Every source's material grouped by letter, looked up once instead of once per window."""

    def __init__(self, sequences: list[Sequences], poses: list[Poses]) -> None:
        self.recordings: dict[int, list[NDArray[np.float32]]] = defaultdict(list)
        for recorded in sequences:
            for segment, label in zip(recorded.segments, recorded.labels, strict=True):
                self.recordings[int(label)].append(segment)
        # One entry per source that has the letter: a source is drawn first, then one of its poses.
        self.poses: dict[int, list[NDArray[np.float32]]] = defaultdict(list)
        for posed in poses:
            for label in np.unique(posed.labels):
                self.poses[int(label)].append(posed.hands[posed.labels == label])

    @property
    def has_recordings(self) -> bool:
        """Whether any source has recordings."""
        return bool(self.recordings)

    @property
    def has_poses(self) -> bool:
        """Whether any source has poses."""
        return bool(self.poses)

    def recording(self, label: int, length: int, rng: np.random.Generator) -> NDArray[np.float32] | None:
        """A window of ``length`` frames cut from a recording of the letter, if any source has one."""
        segments = self.recordings.get(label)
        if not segments:
            return None
        return sequence_window(segments[int(rng.integers(0, len(segments)))], length, rng)

    def held_pose(self, label: int, length: int, rng: np.random.Generator) -> NDArray[np.float32] | None:
        """A window of one pose of the letter held for ``length`` frames, if any source has one."""
        sources = self.poses.get(label)
        if not sources:
            return None
        hands = sources[int(rng.integers(0, len(sources)))]
        return pose_window(hands[int(rng.integers(0, len(hands)))], length, rng)


def sample_windows(
    sequences: list[Sequences],
    poses: list[Poses],
    count: int,
    max_frames: int,
    rng: np.random.Generator,
    *,
    sequence_share: float,
    augment: bool = True,
) -> WindowSet:
    """``count`` windows, ``sequence_share`` of them from sequences and the rest from poses, classes balanced."""
    catalog = LetterCatalog(sequences, poses)
    windows: list[NDArray[np.float32]] = []
    labels: list[int] = []
    for _ in range(count):
        label = int(rng.integers(0, 26))
        use_sequence = catalog.has_recordings and (not catalog.has_poses or rng.random() < sequence_share)
        length = random_length(rng, max_frames)
        window = catalog.recording(label, length, rng) if use_sequence else None
        if window is None:
            window = catalog.held_pose(label, length, rng)
        if window is not None:
            windows.append(window)
            labels.append(label)
    data = pad(windows, labels, max_frames)
    if not augment:
        return data
    real_frames = (np.arange(max_frames) < data.lengths[:, None])[:, :, None, None]
    # In chunks: arrays that stay in cache, instead of an epoch-sized temporary per step.
    for start in range(0, len(data.hands), AUGMENT_CHUNK):
        chunk = slice(start, start + AUGMENT_CHUNK)
        data.hands[chunk] = augment_windows(data.hands[chunk], rng) * real_frames[chunk]  # padding stays zero
    return data
