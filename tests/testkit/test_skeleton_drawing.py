"""Placing and drawing skeletons: geometry without MediaPipe, and the old open hand untouched."""

from __future__ import annotations

import numpy as np
import pytest

from testkit.letter_shapes import LETTER_SHAPES
from testkit.skeleton_drawing import (
    HAND_LENGTH_IN_PALMS,
    Placement,
    draw_skeleton,
    palm_faces_camera,
    palm_length,
    place_skeleton,
    rotation_3d,
    size_for_height,
)

I_SHAPE = LETTER_SHAPES["I"]


def test_size_sets_the_palm_length_in_pixels() -> None:
    points = place_skeleton(I_SHAPE, Placement(size=250.0))
    assert palm_length(points) == pytest.approx(250.0 / HAND_LENGTH_IN_PALMS)


@pytest.mark.parametrize("letter", sorted(LETTER_SHAPES))
def test_size_for_height_gives_the_drawn_landmark_height(letter: str) -> None:
    size = size_for_height(LETTER_SHAPES[letter], 80.0)
    points = place_skeleton(LETTER_SHAPES[letter], Placement(size=size))
    assert np.ptp(points[:, 1]) == pytest.approx(80.0)


def test_centre_is_the_bounding_box_centre() -> None:
    points = place_skeleton(I_SHAPE, Placement(cx=100.0, cy=80.0, size=120.0))
    centre = (points[:, :2].min(axis=0) + points[:, :2].max(axis=0)) / 2
    assert centre == pytest.approx((100.0, 80.0), abs=1e-6)


def test_tilt_turns_the_hand_clockwise_on_screen() -> None:
    upright = place_skeleton(I_SHAPE, Placement())
    tilted = place_skeleton(I_SHAPE, Placement(tilt=20.0))
    # The pinky tip is above the wrist; a clockwise turn moves it right.
    assert tilted[20, 0] - tilted[0, 0] > upright[20, 0] - upright[0, 0]


def test_yaw_turns_the_hand_about_its_wrist() -> None:
    straight = place_skeleton(I_SHAPE, Placement())
    turned = place_skeleton(I_SHAPE, Placement(yaw=90.0))
    assert turned[0, :2] == pytest.approx(straight[0, :2])
    # Heights are kept; widths become depths.
    assert turned[:, 1] - turned[0, 1] == pytest.approx(straight[:, 1] - straight[0, 1])
    assert turned[:, 0] - turned[0, 0] == pytest.approx(straight[:, 2] - straight[0, 2], abs=1e-9)


def test_rotation_is_orthonormal() -> None:
    rotation = rotation_3d(37.0, -12.0)
    assert rotation @ rotation.T == pytest.approx(np.eye(3))


def test_mirror_flips_left_and_right_about_the_centre() -> None:
    right = place_skeleton(I_SHAPE, Placement(cx=300.0))
    left = place_skeleton(I_SHAPE, Placement(cx=300.0, mirror=True))
    assert left[:, 0] - 300.0 == pytest.approx(-(right[:, 0] - 300.0))
    assert palm_faces_camera(right) == palm_faces_camera(left, mirrored=True)


@pytest.mark.parametrize("letter", sorted(LETTER_SHAPES))
def test_every_letter_is_drawn_as_skin_on_the_background(letter: str) -> None:
    image = draw_skeleton(LETTER_SHAPES[letter], Placement(cx=160, cy=120, size=150.0), seed=2, width=320, height=240)
    assert image.shape == (240, 320, 3)
    assert image.dtype == np.uint8
    # Skin is far redder than the green-grey background: count its pixels.
    skin = (image[..., 2].astype(int) - image[..., 1].astype(int)) > 25
    assert 0.02 < skin.mean() < 0.4


def test_draw_skeleton_does_not_change_a_given_background() -> None:
    background = np.full((120, 160, 3), 50, dtype=np.uint8)
    draw_skeleton(I_SHAPE, Placement(cx=80, cy=60, size=60), width=160, height=120, background=background)
    assert (background == 50).all()
