"""Clip timing and motion paths, without MediaPipe: frame counts, sizes, and where the hand goes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from testkit import motion_clips as mc
from testkit.letter_shapes import LETTER_SHAPES


def test_j_path_drops_then_hooks_towards_the_thumb() -> None:
    assert mc.j_path(0.0) == (0.0, 0.0)
    x_end, y_end = mc.j_path(1.0)
    assert 0.5 <= y_end <= 1.0  # half to one hand length down
    assert x_end < -0.2  # hooked sideways, towards the thumb
    xs = [mc.j_path(t / 20)[0] for t in range(21)]
    assert xs[:5] == [0.0] * 5  # straight down first


def test_z_path_visits_the_corners_in_order() -> None:
    points = [mc.z_path(t / 200) for t in range(201)]
    assert points[0] == (0.0, 0.0)
    assert points[-1] == pytest.approx((mc.Z_WIDTH, mc.Z_HEIGHT))
    # It passes the top-right and the bottom-left corner on the way.
    assert min(math.dist(p, (mc.Z_WIDTH, 0.0)) for p in points) < 0.05
    assert min(math.dist(p, (0.0, mc.Z_HEIGHT)) for p in points) < 0.05


def test_j_placements_hold_move_and_turn_the_forearm() -> None:
    framing = mc.Framing(size=200.0)
    placements = mc.j_placements(framing)
    assert len(placements) == 2 * mc.HOLD_FRAMES + mc.J_MOVE_FRAMES
    held = placements[: mc.HOLD_FRAMES]
    assert all(p == held[0] for p in held)
    first, last = placements[0], placements[-1]
    assert 100.0 <= last.cy - first.cy <= 200.0
    assert last.cx < first.cx
    assert last.yaw == pytest.approx(mc.J_TURN_DEGREES)
    assert abs(mc.J_TURN_DEGREES) >= 80


def test_mirrored_j_hooks_the_other_way() -> None:
    right = mc.j_placements(mc.Framing())
    left = mc.j_placements(mc.Framing(mirror=True))
    assert right[-1].cx - right[0].cx == pytest.approx(-(left[-1].cx - left[0].cx))
    assert left[-1].yaw == pytest.approx(-right[-1].yaw)


def test_z_strokes_are_about_one_hand_wide() -> None:
    placements = mc.z_placements(mc.Framing(size=150.0))
    xs = [p.cx for p in placements]
    ys = [p.cy for p in placements]
    assert max(xs) - min(xs) == pytest.approx(150.0)
    assert max(ys) - min(ys) == pytest.approx(120.0)
    assert placements[-1].cx > placements[0].cx and placements[-1].cy > placements[0].cy


def test_z_stays_in_a_small_picture() -> None:
    placements = mc.z_placements(mc.Framing(size=300.0, width=320, height=240))
    assert max(p.cx for p in placements) - min(p.cx for p in placements) <= 160.0 + 1e-9


def test_drift_is_slow_and_wobbles() -> None:
    placements = mc.drift_placements(mc.Framing(size=200.0))
    assert len(placements) == mc.DRIFT_FRAMES
    steps = [math.dist((a.cx, a.cy), (b.cx, b.cy)) for a, b in itertools.pairwise(placements)]
    assert 0.5 < max(steps) < 4.0  # a few pixels per frame
    assert max(abs(p.tilt) for p in placements) <= mc.WOBBLE_DEGREES + 1e-9


def test_spelling_a_double_letter_takes_the_hand_away() -> None:
    skeletons = mc.spelling_skeletons("HELLO", letter_frames=10, change=2, away=3)
    assert len(skeletons) == 5 * 10 + 3 * 2 + 3
    away = [i for i, s in enumerate(skeletons) if s is None]
    assert away == list(range(2 * 10 + 2 * 2 + 10, 2 * 10 + 2 * 2 + 10 + 3))
    assert skeletons[0] is LETTER_SHAPES["H"] and skeletons[-1] is LETTER_SHAPES["O"]


@pytest.mark.parametrize("double", ["slide", "bounce"])
def test_a_double_letter_made_in_view_holds_the_letter_while_the_hand_moves(double: str) -> None:
    skeletons = mc.spelling_skeletons("HELLO", letter_frames=10, change=2, double=double)
    layout = mc.spelling_frames("HELLO", letter_frames=10, change=2, double=double)
    offsets = [frame.offset for frame in layout]
    assert len(skeletons) == len(offsets) == 5 * 10 + 3 * 2 + mc.DOUBLE_FRAMES
    assert all(s is not None for s in skeletons)
    moving = range(2 * 10 + 2 * 2 + 10, 2 * 10 + 2 * 2 + 10 + mc.DOUBLE_FRAMES)
    assert [i for i, frame in enumerate(layout) if frame.part == double] == list(moving)
    assert all(skeletons[i] is LETTER_SHAPES["L"] for i in moving)
    assert offsets[: moving.start] == [(0.0, 0.0)] * moving.start
    if double == "slide":  # sideways, for good: the letters after it are held where it ended
        assert all(dy == 0.0 for _, dy in offsets)
        assert offsets[moving.stop - 1] == offsets[-1] == (pytest.approx(mc.SLIDE_LENGTH), 0.0)
    else:  # down and back up
        assert all(dx == 0.0 for dx, _ in offsets)
        assert max(dy for _, dy in offsets) == pytest.approx(mc.BOUNCE_LENGTH, rel=0.05)
        assert offsets[moving.stop :] == [(0.0, 0.0)] * (len(offsets) - moving.stop)


@pytest.mark.parametrize(("mirror", "way"), [(False, 1), (True, -1)], ids=["right hand", "left hand"])
def test_a_slide_moves_the_drawn_hand_to_its_side(mirror: bool, way: int) -> None:
    framing = mc.Framing(size=80.0, width=160, height=120, noise=0.0, tremor=0.0, mirror=mirror, seed=2)
    frames = mc.spelling_clip("LL", framing, letter_frames=2, double="slide")
    background = mc.textured_background(framing.seed, framing.width, framing.height).astype(int)

    def hand_column(frame: np.ndarray) -> float:
        return float(np.nonzero((np.abs(frame.astype(int) - background).sum(axis=2) > 30).any(axis=0))[0].mean())

    moved = hand_column(frames[-1]) - hand_column(frames[0])
    assert way * moved == pytest.approx(mc.SLIDE_LENGTH * framing.size, abs=3)


def test_letters_after_a_drawn_z_are_spelled_where_the_z_ended() -> None:
    framing = mc.Framing(size=80.0, width=160, height=120, noise=0.0, tremor=0.0, seed=2)
    frames = mc.z_then_spelling_clip("ZOO", framing)
    drawn = mc.z_clip(framing)
    assert len(frames) == len(drawn) + mc.CHANGE_FRAMES + 2 * mc.LETTER_FRAMES + mc.DOUBLE_FRAMES
    assert all(np.array_equal(a, b) for a, b in zip(frames, drawn, strict=False))  # the Z as z_clip draws it
    background = mc.textured_background(framing.seed, framing.width, framing.height).astype(int)

    def hand_centre(frame: np.ndarray) -> np.ndarray:
        return np.argwhere(np.abs(frame.astype(int) - background).sum(axis=2) > 30).mean(axis=0)

    # The O held where the Z ended (the same place, give or take the shapes' extents), then slid to the right.
    assert np.abs(hand_centre(frames[len(drawn) + mc.CHANGE_FRAMES]) - hand_centre(drawn[-1])).max() < 0.3 * 80
    moved = hand_centre(frames[-1])[1] - hand_centre(frames[len(drawn) + mc.CHANGE_FRAMES])[1]
    assert moved == pytest.approx(mc.SLIDE_LENGTH * framing.size, abs=3)
    with pytest.raises(ValueError, match="start with Z"):
        mc.z_then_spelling_clip("OZ", framing)


def test_an_unknown_double_is_refused() -> None:
    with pytest.raises(ValueError, match="double"):
        mc.spelling_skeletons("LL", double="hop")


def test_clips_have_the_promised_frames() -> None:
    small = mc.Framing(size=80.0, width=160, height=120)
    assert len(mc.j_clip(small)) == 42  # 0.3 s + 0.8 s + 0.3 s at 30 fps
    assert len(mc.z_clip(small)) == 54  # 0.3 s + 1.2 s + 0.3 s
    assert len(mc.drifting_clip("L", small)) == 45  # 1.5 s
    hello = mc.spelling_clip("HELLO", small)
    assert len(hello) == 5 * 30 + 3 * mc.CHANGE_FRAMES + mc.AWAY_FRAMES
    for frame in hello[::20]:
        assert frame.shape == (120, 160, 3)
        assert frame.dtype == np.uint8


def test_clips_are_reproducible_from_their_seed() -> None:
    framing = mc.Framing(size=80.0, width=160, height=120, seed=5)
    first, again = mc.z_clip(framing, hold=1, move=3), mc.z_clip(framing, hold=1, move=3)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))


def test_noise_and_tremor_can_be_turned_off() -> None:
    framing = mc.Framing(size=80.0, width=160, height=120, noise=0.0, tremor=0.0)
    frames = mc.drifting_clip("I", framing, frames=2)
    still = mc.render_clip([LETTER_SHAPES["I"]], [mc.drift_placements(framing, 2)[0]], framing)
    assert np.array_equal(frames[0], still[0])


def test_a_repeated_motion_pauses_at_its_end_and_goes_straight_back_to_its_start() -> None:
    one = mc.j_placements(mc.Framing(size=200.0))
    placements = mc.repeated(one, 3)
    between = mc.REPEAT_PAUSE_FRAMES + mc.RETURN_FRAMES
    assert len(placements) == 3 * len(one) + 2 * between
    assert placements[: len(one)] == one and placements[-len(one):] == one
    pause = placements[len(one): len(one) + mc.REPEAT_PAUSE_FRAMES]
    assert pause == [one[-1]] * mc.REPEAT_PAUSE_FRAMES
    back = placements[len(one) + mc.REPEAT_PAUSE_FRAMES: len(one) + between]
    assert back[-1] == one[0]  # back where the letter starts, untwisted
    # Straight: every point of the way back lies on the line from the end to the start.
    (x0, y0), (x1, y1) = (one[-1].cx, one[-1].cy), (one[0].cx, one[0].cy)
    for p in back:
        assert abs((x1 - x0) * (p.cy - y0) - (y1 - y0) * (p.cx - x0)) < 1e-6
    assert [abs(p.yaw) for p in back] == sorted((abs(p.yaw) for p in back), reverse=True)
    assert mc.repeated(one, 1) == one
    with pytest.raises(ValueError):
        mc.repeated(one, 0)
