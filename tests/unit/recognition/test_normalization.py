"""The one keypoint normalization shared by training and serving."""

from __future__ import annotations

import numpy as np
import pytest
from signify.recognition.normalization import PALM_KNUCKLES, WRIST, normalize_hand


@pytest.fixture
def hand() -> np.ndarray:
    rng = np.random.default_rng(7)
    points = rng.uniform(0.3, 0.7, size=(21, 3)).astype(np.float32)
    points[:, 2] = rng.normal(0, 0.05, size=21)
    return points


def palm_size(points: np.ndarray) -> float:
    return float(np.linalg.norm(points[list(PALM_KNUCKLES)] - points[WRIST], axis=-1).mean())


def test_wrist_at_origin_and_unit_palm(hand: np.ndarray) -> None:
    out = normalize_hand(hand)
    assert out.dtype == np.float32
    assert np.allclose(out[WRIST], 0.0)
    assert palm_size(out) == pytest.approx(1.0, rel=1e-5)


def test_position_and_scale_do_not_matter(hand: np.ndarray) -> None:
    moved = hand * 0.5 + np.array([0.2, -0.1, 0.0], dtype=np.float32)
    assert np.allclose(normalize_hand(hand), normalize_hand(moved), atol=1e-5)


def test_aspect_makes_coordinates_square(hand: np.ndarray) -> None:
    # The same physical hand seen in a 4:3 image has x values divided by 4/3.
    squeezed = hand.copy()
    squeezed[:, 0] /= 4 / 3
    squeezed[:, 2] /= 4 / 3
    assert np.allclose(normalize_hand(squeezed, aspect=4 / 3), normalize_hand(hand), atol=1e-5)


def test_left_hands_are_mirrored_onto_right_hands(hand: np.ndarray) -> None:
    mirrored = hand.copy()
    mirrored[:, 0] = 1.0 - mirrored[:, 0]
    assert np.allclose(normalize_hand(mirrored, handedness="Left"), normalize_hand(hand, handedness="Right"),
                       atol=1e-5)
    assert not np.allclose(normalize_hand(mirrored, handedness="Right"), normalize_hand(hand), atol=1e-3)


def test_stacks_of_hands_are_normalized_one_by_one(hand: np.ndarray) -> None:
    sequence = np.stack([hand, hand * 2.0, hand + 0.1])
    out = normalize_hand(sequence)
    assert out.shape == (3, 21, 3)
    for i in range(3):
        assert np.allclose(out[i], normalize_hand(sequence[i]), atol=1e-5)


def test_a_degenerate_hand_gives_zeros_not_infinities() -> None:
    out = normalize_hand(np.full((21, 3), 0.5))
    assert np.all(np.isfinite(out))
    assert np.allclose(out, 0.0)


def test_input_is_not_modified(hand: np.ndarray) -> None:
    before = hand.copy()
    normalize_hand(hand, handedness="Left", aspect=2.0)
    assert np.array_equal(hand, before)


@pytest.mark.parametrize("shape", [(20, 3), (21, 2), (3,)])
def test_wrong_shape_is_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        normalize_hand(np.zeros(shape))


def test_aspect_must_be_positive(hand: np.ndarray) -> None:
    with pytest.raises(ValueError):
        normalize_hand(hand, aspect=0.0)
