"""The embedded letter skeletons: well-formed, read-only, and looked up by letter."""

from __future__ import annotations

import numpy as np
import pytest

from testkit.letter_shapes import INDEX_POINTING, LETTER_SHAPES, letter_shape


@pytest.mark.parametrize("letter", sorted(LETTER_SHAPES))
def test_shapes_are_wrist_relative_21_point_skeletons(letter: str) -> None:
    shape = LETTER_SHAPES[letter]
    assert shape.shape == (21, 3)
    assert np.isfinite(shape).all()
    assert np.array_equal(shape[0], np.zeros(3))
    # Fingers lie above the wrist (y down) or beside it, never far below: an upright hand.
    assert shape[1:, 1].mean() < 0


def test_shapes_cannot_be_changed_in_place() -> None:
    with pytest.raises(ValueError, match="read-only"):
        LETTER_SHAPES["I"][0, 0] = 1.0


def test_needed_letters_are_there() -> None:
    assert set("IXDHELO") <= set(LETTER_SHAPES)


def test_motion_letters_start_from_their_static_shapes() -> None:
    assert letter_shape("J") is LETTER_SHAPES["I"]
    assert letter_shape("z") is INDEX_POINTING is LETTER_SHAPES["D"]
    with pytest.raises(KeyError):
        letter_shape("Q")


def test_shapes_differ_from_one_another() -> None:
    shapes = list(LETTER_SHAPES.values())
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            assert not np.allclose(a, b)
