"""Training augmentations keep hands plausible and shapes intact (no PyTorch needed)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from signify.normalization import WRIST, normalize_hand

from training.augment import augment_window, bend_fingers, jitter, rotate, stretch, time_warp


@pytest.fixture
def window() -> NDArray[np.float32]:
    rng = np.random.default_rng(3)
    return normalize_hand(rng.uniform(0.3, 0.7, size=(12, 21, 3)))


@pytest.mark.parametrize("augmentation", [rotate, stretch, bend_fingers, jitter, augment_window])
def test_shape_dtype_and_finiteness_are_kept(augmentation, window: NDArray[np.float32]) -> None:  # type: ignore[no-untyped-def]
    out = augmentation(window, np.random.default_rng(0))
    assert out.shape == window.shape
    assert out.dtype == np.float32
    assert np.all(np.isfinite(out))
    assert not np.allclose(out, window)


def test_rotation_keeps_distances(window: NDArray[np.float32]) -> None:
    out = rotate(window, np.random.default_rng(1))
    before = np.linalg.norm(window[:, 8] - window[:, 0], axis=-1)
    after = np.linalg.norm(out[:, 8] - out[:, 0], axis=-1)
    assert np.allclose(before, after, atol=1e-5)


def test_finger_variation_keeps_the_wrist_and_knuckles(window: NDArray[np.float32]) -> None:
    out = bend_fingers(window, np.random.default_rng(2))
    assert np.allclose(out[:, WRIST], 0.0)
    for knuckle in (1, 5, 9, 13, 17):
        assert np.allclose(out[:, knuckle], window[:, knuckle])


def test_augmentation_is_reproducible_with_a_seed(window: NDArray[np.float32]) -> None:
    first = augment_window(window, np.random.default_rng(5))
    second = augment_window(window, np.random.default_rng(5))
    assert np.array_equal(first, second)


def test_time_warp_changes_speed_but_keeps_the_path(window: NDArray[np.float32]) -> None:
    for seed in range(10):
        out = time_warp(window, np.random.default_rng(seed))
        assert out.shape[1:] == (21, 3) and len(out) >= 1
        assert np.allclose(out[0], window[0])
        lows, highs = window.min(axis=0), window.max(axis=0)
        assert np.all(out >= lows - 1e-5) and np.all(out <= highs + 1e-5)  # interpolation, never extrapolation
