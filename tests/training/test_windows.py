"""Training windows have the lengths the server's ring buffer produces, and balanced labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.sources import Poses, Sequences, photo_original
from training.windows import pad, pose_window, sample_windows, sequence_window


def sources() -> tuple[Sequences, Poses]:
    rng = np.random.default_rng(0)
    segments = [rng.normal(size=(50, 21, 3)).astype(np.float32) + k for k in range(26)]
    sequences = Sequences(segments, np.arange(26, dtype=np.int64))
    ids = np.arange(52, dtype=np.int64)
    poses = Poses(rng.normal(size=(52, 21, 3)).astype(np.float32), ids % 26, ids, ids)
    return sequences, poses


def test_windows_are_padded_with_their_true_lengths() -> None:
    sequences, poses = sources()
    data = sample_windows([sequences], [poses], 400, 32, np.random.default_rng(1), sequence_share=0.5)
    assert data.hands.shape == (400, 32, 21, 3)
    assert data.lengths.min() >= 1 and data.lengths.max() == 32
    assert len(set(data.lengths.tolist())) > 20  # short windows, as right after a hand appears
    for hands, length in zip(data.hands, data.lengths, strict=True):
        assert np.all(hands[length:] == 0)
        assert np.any(hands[length - 1] != 0)
    counts = np.bincount(data.labels, minlength=26)
    assert counts.min() > 0


def test_sampling_is_reproducible() -> None:
    sequences, poses = sources()
    a = sample_windows([sequences], [poses], 50, 16, np.random.default_rng(9), sequence_share=0.5)
    b = sample_windows([sequences], [poses], 50, 16, np.random.default_rng(9), sequence_share=0.5)
    assert np.array_equal(a.hands, b.hands) and np.array_equal(a.labels, b.labels)


@pytest.mark.parametrize("share", [0.0, 1 / 3, 1.0])
def test_the_sequence_share_is_the_part_of_windows_cut_from_recordings(share: float) -> None:
    sequences, poses = sources()
    sequences = Sequences([segment * 100 for segment in sequences.segments], sequences.labels)
    data = sample_windows([sequences], [poses], 600, 8, np.random.default_rng(3), augment=False,
                          sequence_share=share)
    moving = [bool(np.abs(np.diff(hands[:length], axis=0)).max() > 1.0)  # held poses barely move
              for hands, length in zip(data.hands, data.lengths, strict=True) if length > 1]
    assert np.mean(moving) == pytest.approx(share, abs=0.06)


def test_letters_no_source_has_are_skipped_not_invented() -> None:
    _, poses = sources()
    only_a = poses.where(np.array([0]))
    data = sample_windows([], [only_a], 300, 8, np.random.default_rng(2), sequence_share=0.5)
    assert set(data.labels.tolist()) == {0}
    assert 0 < len(data.labels) < 300


def test_a_pose_window_is_a_held_pose() -> None:
    pose = np.ones((21, 3), dtype=np.float32)
    window = pose_window(pose, 10, np.random.default_rng(0))
    assert window.shape == (10, 21, 3)
    assert np.abs(window - pose).max() < 0.1


def test_a_sequence_window_is_consecutive_frames() -> None:
    segment = np.arange(40, dtype=np.float32)[:, None, None] * np.ones((40, 21, 3), dtype=np.float32)
    window = sequence_window(segment, 12, np.random.default_rng(4))
    steps = np.diff(window[:, 0, 0])
    assert len(window) <= 12
    assert np.all(steps > 0)  # time runs forward, at whatever speed


def test_pad_keeps_order() -> None:
    data = pad([np.ones((2, 21, 3), np.float32), np.ones((5, 21, 3), np.float32)], [3, 4], 6)
    assert data.lengths.tolist() == [2, 5] and data.labels.tolist() == [3, 4]


def test_augmented_copies_of_a_photo_share_their_original() -> None:
    assert photo_original(Path("A12_jpg.rf.84c6afc718de92ea268db5d3902ca2ba.jpg")) == "A12"
    assert photo_original(Path("A12_jpg.rf.a6af764b7540d62daadf4d88cd39bf67.jpg")) == "A12"
    assert photo_original(Path("A1_jpg.rf.3df907205b348d5975bf8db94ec8c092.jpg")) == "A1"
