"""Training windows have the lengths the server's ring buffer produces, and balanced labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.sources import Poses, Sequences, photo_original
from training.windows import MIN_HELD_AFTER_CHANGE, LetterCatalog, pad, pose_window, sample_windows, sequence_window


def sources() -> tuple[Sequences, Poses]:
    rng = np.random.default_rng(0)
    segments = [rng.normal(size=(50, 21, 3)).astype(np.float32) + k for k in range(26)]
    places = [np.tile(np.array([0.5, 0.5, 0.1, 1.0], np.float32), (50, 1)) for _ in range(26)]
    sequences = Sequences(segments, np.arange(26, dtype=np.int64), places)
    ids = np.arange(52, dtype=np.int64)
    poses = Poses(rng.normal(size=(52, 21, 3)).astype(np.float32), ids % 26, ids, ids)
    return sequences, poses


def test_windows_are_padded_with_their_true_lengths() -> None:
    sequences, poses = sources()
    data = sample_windows([sequences], [poses], 400, 32, np.random.default_rng(1), sequence_share=0.5)
    assert data.hands.shape == (400, 32, 21, 3)
    assert data.motion.shape == (400, 32, 3)
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
    sequences = Sequences([segment * 100 for segment in sequences.segments], sequences.labels, sequences.placements)
    data = sample_windows([sequences], [poses], 600, 8, np.random.default_rng(3), augment=False,
                          sequence_share=share, synthesized_motion_share=0.0)
    recorded = [bool(np.abs(hands[:length]).max() > 10.0)  # the recordings were scaled up a hundredfold
                for hands, length in zip(data.hands, data.lengths, strict=True)]
    assert np.mean(recorded) == pytest.approx(share, abs=0.06)


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


def test_a_sequence_window_is_consecutive_frames_with_their_placements() -> None:
    segment = np.arange(40, dtype=np.float32)[:, None, None] * np.ones((40, 21, 3), dtype=np.float32)
    places = np.stack([np.arange(40), np.zeros(40), np.ones(40), np.ones(40)], axis=1).astype(np.float32)
    window, placements = sequence_window(segment, places, 12, np.random.default_rng(4))
    steps = np.diff(window[:, 0, 0])
    assert len(window) <= 12 and len(placements) == len(window)
    assert np.all(steps > 0)  # time runs forward, at whatever speed
    assert placements[:, 0] == pytest.approx(window[:, 0, 0])  # and the hand's place goes with its frame


def test_pad_keeps_order_and_computes_each_windows_motion() -> None:
    still = np.tile(np.array([0.2, 0.3, 0.1, 1.0], np.float32), (2, 1))
    travelling = np.stack([np.linspace(0, 0.4, 5), np.zeros(5), np.full(5, 0.1), np.ones(5)], axis=1).astype(np.float32)
    data = pad([(np.ones((2, 21, 3), np.float32), still), (np.ones((5, 21, 3), np.float32), travelling)], [3, 4], 6)
    assert data.lengths.tolist() == [2, 5] and data.labels.tolist() == [3, 4]
    assert np.all(data.motion[0] == 0)
    assert data.motion[1, :5, 0] == pytest.approx([-4, -3, -2, -1, 0])  # palm sizes from the last real frame
    assert np.all(data.motion[1, 5:] == 0)  # padding stays zero


def test_motion_letters_come_from_every_sources_starting_shapes() -> None:
    _, poses = sources()
    # Only poses, no recording of J or Z: J and Z windows are made from the I, D and G poses.
    no_motion = poses.where(~np.isin(poses.labels, [9, 25]))
    data = sample_windows([], [no_motion], 1300, 32, np.random.default_rng(5), sequence_share=0.0,
                          synthesized_motion_share=1.0, augment=False)
    for letter in (9, 25):
        chosen = data.labels == letter
        assert chosen.sum() > 20
        travelled = np.abs(data.motion[chosen, :, :2]).max(axis=(1, 2))
        assert np.all(travelled > 0.5)  # palm sizes: every J and Z window shows its motion
    held = data.labels == 0
    assert np.median(np.abs(data.motion[held, :, :2]).max(axis=(1, 2))) < 1.0


def test_augmented_copies_of_a_photo_share_their_original() -> None:
    assert photo_original(Path("A12_jpg.rf.84c6afc718de92ea268db5d3902ca2ba.jpg")) == "A12"
    assert photo_original(Path("A12_jpg.rf.a6af764b7540d62daadf4d88cd39bf67.jpg")) == "A12"
    assert photo_original(Path("A1_jpg.rf.3df907205b348d5975bf8db94ec8c092.jpg")) == "A1"


def test_a_window_after_another_letter_ends_holding_its_own_letter() -> None:
    _, poses = sources()
    catalog = LetterCatalog([], [poses])
    rng = np.random.default_rng(5)

    def letter_of(hand: np.ndarray) -> int:  # the letter of the nearest pose (windows sway and carry noise)
        return int(poses.labels[np.argmin(np.abs(poses.hands - hand).max(axis=(1, 2)))])

    firsts = []
    for _ in range(50):
        window = catalog.after_another(4, 20, rng)
        assert window is not None
        hands, placements = window
        assert hands.shape == (20, 21, 3) and placements.shape == (20, 4)
        assert [letter_of(hand) for hand in hands[-MIN_HELD_AFTER_CHANGE:]] == [4] * MIN_HELD_AFTER_CHANGE
        firsts.append(letter_of(hands[0]))
    assert sum(first != 4 for first in firsts) > 40  # nearly always another letter: a window may hold E throughout
    assert not {9, 25} & set(firsts)  # never a motion letter (J, Z) before


def test_the_letter_before_is_any_held_letter_but_the_motion_letters() -> None:
    _, poses = sources()
    catalog = LetterCatalog([], [poses])
    rng = np.random.default_rng(6)
    befores = set()
    for _ in range(300):
        window = catalog.after_another(0, 32, rng)
        assert window is not None
        befores.add(int(poses.labels[np.argmin(np.abs(poses.hands - window[0][0]).max(axis=(1, 2)))]))
    assert befores - {0} == set(range(1, 26)) - {9, 25}  # (0: a window that holds its letter throughout)
