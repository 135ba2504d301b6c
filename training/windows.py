"""Turning sources into model inputs: windows of 1 to ``max_frames`` normalized hands.

The server asks the model about whatever its ring buffer holds, which
right after a hand appears is one frame, then two, and so on up to the
buffer size. Training windows therefore have random lengths. Photos and
landmark rows are single poses: their windows repeat the pose with a
little per-frame noise, like a held letter in front of a camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .augment import augment_window, time_warp
from .sources import Poses, Sequences


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
    window = np.repeat(pose[None], length, axis=0)
    return np.asarray(window + rng.normal(0.0, 0.01, window.shape), dtype=np.float32)


def sequence_window(segment: NDArray[np.float32], length: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """A stretch of consecutive frames from a recording, replayed at a random speed."""
    warped = time_warp(segment, rng)
    length = min(length, len(warped))
    start = int(rng.integers(0, len(warped) - length + 1))
    return warped[start : start + length]


def pad(windows: list[NDArray[np.float32]], labels: list[int], max_frames: int) -> WindowSet:
    """Stack windows of different lengths, zero-padded at the end."""
    hands = np.zeros((len(windows), max_frames, 21, 3), dtype=np.float32)
    for i, window in enumerate(windows):
        hands[i, : len(window)] = window
    lengths = np.array([len(w) for w in windows], dtype=np.int64)
    return WindowSet(hands, lengths, np.array(labels, dtype=np.int64))


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
    windows: list[NDArray[np.float32]] = []
    labels: list[int] = []
    seq_items = [(s, i) for s in sequences for i in range(len(s.segments))]
    pose_items = [p for p in poses if len(p.labels)]
    for _ in range(count):
        label = int(rng.integers(0, 26))
        use_sequence = bool(seq_items) and (not pose_items or rng.random() < sequence_share)
        length = random_length(rng, max_frames)
        window = _sequence_for(seq_items, label, length, rng) if use_sequence else None
        if window is None:
            window = _pose_for(pose_items, label, length, rng)
        if window is None:
            continue
        windows.append(augment_window(window, rng) if augment else window)
        labels.append(label)
    return pad(windows, labels, max_frames)


def _sequence_for(
    items: list[tuple[Sequences, int]], label: int, length: int, rng: np.random.Generator
) -> NDArray[np.float32] | None:
    matching = [(s, i) for s, i in items if s.labels[i] == label]
    if not matching:
        return None
    source, index = matching[int(rng.integers(0, len(matching)))]
    return sequence_window(source.segments[index], length, rng)


def _pose_for(pose_sets: list[Poses], label: int, length: int, rng: np.random.Generator) -> NDArray[np.float32] | None:
    candidates = [p for p in pose_sets if np.any(p.labels == label)]
    if not candidates:
        return None
    chosen = candidates[int(rng.integers(0, len(candidates)))]
    indices = np.flatnonzero(chosen.labels == label)
    return pose_window(chosen.hands[int(rng.choice(indices))], length, rng)
