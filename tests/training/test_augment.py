"""Training augmentations keep hands plausible and shapes intact (no PyTorch needed)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray
from signify.recognition.normalization import WRIST, normalize_hand

from training.augment import augment_windows, bend_fingers, jitter, random_speed, rotate, stretch, time_warp

Augmentation = Callable[[NDArray[np.float32], np.random.Generator], NDArray[np.float32]]


@pytest.fixture
def windows() -> NDArray[np.float32]:
    """Three windows of 12 frames each."""
    rng = np.random.default_rng(3)
    return normalize_hand(rng.uniform(0.3, 0.7, size=(3, 12, 21, 3)))


@pytest.mark.parametrize("augmentation", [rotate, stretch, bend_fingers, jitter, augment_windows])
def test_shape_dtype_and_finiteness_are_kept(augmentation: Augmentation, windows: NDArray[np.float32]) -> None:
    out = augmentation(windows, np.random.default_rng(0))
    assert out.shape == windows.shape
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert not np.allclose(out, windows)


@pytest.mark.parametrize("augmentation", [rotate, stretch, bend_fingers])
def test_each_window_draws_its_own_change_and_its_frames_share_it(augmentation: Augmentation) -> None:
    rng = np.random.default_rng(4)
    hand = normalize_hand(rng.uniform(0.3, 0.7, size=(21, 3)))
    held = np.broadcast_to(hand, (2, 5, 21, 3)).copy()  # two windows of one pose held still
    out = augmentation(held, np.random.default_rng(1))
    assert np.allclose(out[:, 1:], out[:, :1], atol=1e-6)  # a held pose stays held: the motion is coherent
    assert not np.allclose(out[0], out[1])


def test_rotation_keeps_distances(windows: NDArray[np.float32]) -> None:
    out = rotate(windows, np.random.default_rng(1))
    before = np.linalg.norm(windows[..., 8, :] - windows[..., 0, :], axis=-1)
    after = np.linalg.norm(out[..., 8, :] - out[..., 0, :], axis=-1)
    assert np.allclose(before, after, atol=1e-5)


def test_finger_variation_keeps_the_wrist_and_knuckles(windows: NDArray[np.float32]) -> None:
    out = bend_fingers(windows, np.random.default_rng(2))
    assert np.allclose(out[..., WRIST, :], 0.0)
    for knuckle in (1, 5, 9, 13, 17):
        assert np.allclose(out[..., knuckle, :], windows[..., knuckle, :])


def test_augmentation_is_reproducible_with_a_seed(windows: NDArray[np.float32]) -> None:
    first = augment_windows(windows, np.random.default_rng(5))
    second = augment_windows(windows, np.random.default_rng(5))
    assert np.array_equal(first, second)


@pytest.mark.parametrize("rate", [0.7, 1.0, 1.4])
def test_time_warp_changes_speed_but_keeps_the_path(rate: float) -> None:
    sequence = np.arange(20, dtype=np.float32)[:, None, None] * np.ones((20, 21, 3), dtype=np.float32)
    out = time_warp(sequence, rate)
    assert len(out) == int(19 / rate) + 1
    assert np.allclose(out[0], sequence[0])
    assert np.allclose(np.diff(out[:, 0, 0]), rate)  # interpolation at the new speed, never extrapolation


def test_replay_speeds_stay_within_their_range() -> None:
    rng = np.random.default_rng(6)
    speeds = [random_speed(rng) for _ in range(500)]
    assert 0.7 < min(speeds) < 0.8 and 1.3 < max(speeds) < 1.42
