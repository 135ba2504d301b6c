"""Synthesized motion: J and Z paths drawn by any hand, and the moves that are not J or Z."""

from __future__ import annotations

import numpy as np
import pytest
from signify.recognition.normalization import PALM_KNUCKLES, WRIST, normalize_hand
from signify.recognition.trajectory import hand_speed, window_motion

from training.motion import (
    DRIFT,
    HAND_HEIGHT,
    J_PICTURE_TURN,
    MIN_MOTION_SHARE,
    Z_SIZE,
    Clip,
    J,
    Z,
    changing_hands,
    drift_placements,
    eased,
    held_placements,
    j_path,
    motion_clip,
    motion_window,
    recorded_paths,
    rotation_about,
    straight_move_placements,
    turn,
    z_path,
)
from training.transcripts import TAKE_J_PICTURE_TURN, TAKE_Z_BY_HEIGHT


@pytest.fixture
def pose() -> np.ndarray:
    rng = np.random.default_rng(4)
    return normalize_hand(rng.uniform(0.3, 0.7, size=(21, 3)))


def test_z_path_visits_its_three_strokes_corners() -> None:
    path = z_path(np.linspace(0, 1, 301))
    for corner in [(0, 0), (1, 0), (0, 1), (1, 1)]:
        assert np.min(np.linalg.norm(path - corner, axis=1)) < 0.01
    assert path[0] == pytest.approx([0, 0]) and path[-1] == pytest.approx([1, 1])


def test_j_path_goes_down_then_hooks_to_the_side_and_up() -> None:
    path = j_path(np.linspace(0, 1, 201))
    assert path[0] == pytest.approx([0, 0])
    lowest = int(np.argmax(path[:, 1]))
    assert 0 < lowest < 200
    assert path[-1, 0] < -0.3  # the hook ends to the side
    assert path[-1, 1] < path[lowest, 1]  # and comes back up


def test_easing_starts_and_ends_slowly() -> None:
    progress = eased(30)
    steps = np.diff(progress)
    assert progress[0] == 0 and progress[-1] == pytest.approx(1)
    assert steps[0] < steps[14] and steps[-1] < steps[14]


def test_turning_keeps_a_hand_normalized(pose: np.ndarray) -> None:
    turned = turn(pose, rotation_about(1, np.linspace(0, 1.5, 5)))
    assert turned.shape == (5, 21, 3)
    palm = np.linalg.norm(turned[:, PALM_KNUCKLES] - turned[:, WRIST : WRIST + 1], axis=-1).mean(axis=-1)
    assert palm == pytest.approx(np.ones(5), abs=1e-5)
    assert np.allclose(turned[0], pose, atol=1e-6)


@pytest.mark.parametrize("letter", [J, Z])
def test_a_motion_clip_holds_then_moves_then_holds(letter: int, pose: np.ndarray) -> None:
    rng = np.random.default_rng(letter)
    for _ in range(20):
        clip = motion_clip(letter, pose, rng)
        assert len(clip.hands) == len(clip.placements)
        frames = clip.motion_end - clip.motion_start
        assert 12 <= frames <= 45  # 0.4 to 1.5 s at 30 fps
        travel = np.linalg.norm(clip.placements[clip.motion_end - 1, :2] - clip.placements[clip.motion_start, :2])
        assert travel > 0.5  # palm sizes: half a hand height at the least
        # Before the motion the hand is the held pose.
        assert np.allclose(clip.hands[: clip.motion_start], pose)


def test_a_j_turns_the_hand_and_a_z_mostly_travels(pose: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    j, z = motion_clip(J, pose, rng), motion_clip(Z, pose, rng)
    assert np.abs(j.hands[-1] - pose).max() > 0.5  # the forearm turned
    assert np.abs(z.hands[-1] - pose).max() < 0.5


def test_a_motion_window_holds_at_least_half_the_motion(pose: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    for _ in range(200):
        clip = motion_clip(Z, pose, rng)
        hands, places = motion_window(clip, rng, 32)
        assert 1 <= len(hands) <= 32 and len(hands) == len(places)
        frames = clip.motion_end - clip.motion_start
        # Locate the window in the clip by its placements, then count its motion frames.
        starts = range(len(clip.placements))
        start = next(i for i in starts if np.array_equal(clip.placements[i : i + len(places)], places))
        inside = len(set(range(start, start + len(places))) & set(range(clip.motion_start, clip.motion_end)))
        assert inside >= min(int(np.ceil(MIN_MOTION_SHARE * frames)), 32)


def test_held_drifting_and_straight_moves_are_slower_or_straighter_than_a_z(pose: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    hands = np.repeat(pose[None], 40, axis=0)
    held = [hand_speed(hands, held_placements(40, rng)) for _ in range(50)]
    drifting = [hand_speed(hands, drift_placements(40, rng)) for _ in range(50)]
    assert max(held) < 0.03
    assert max(drifting) < DRIFT[0] + 0.03
    move = straight_move_placements(40, rng)
    # One straight move: its direction never turns back.
    steps = np.diff(move[:, :2], axis=0)
    big = steps[np.linalg.norm(steps, axis=1) > 0.05]
    if len(big) > 1:
        assert np.all(big @ big[0] > 0)


def test_recorded_paths_keep_only_stretches_that_travel() -> None:
    t = np.arange(120, dtype=np.float32)
    moving = np.where(t < 60, 0.0, (t - 60) * 0.02)
    places = np.stack([moving, np.zeros(120), np.full(120, 0.1), np.ones(120)], axis=1).astype(np.float32)
    paths = recorded_paths(places, 30, min_travel=1.5)
    assert paths
    for path in paths:
        assert path[0, :2] == pytest.approx([0, 0])
        assert np.abs(path[-1, 0]) >= 1.5  # palm sizes: the stretch is measured in the hand's own palms


def test_a_synthesized_window_reads_as_motion_through_the_servers_own_function(pose: np.ndarray) -> None:
    clip = motion_clip(Z, pose, np.random.default_rng(3))
    motion = window_motion(clip.placements[clip.motion_start : clip.motion_end])
    assert np.abs(motion[:, :2]).max() > 0.5



def test_a_change_of_letter_moves_every_joint_straight_from_one_shape_to_the_other() -> None:
    first, second = np.zeros((21, 3), np.float32), np.ones((21, 3), np.float32)
    between = changing_hands(first, second, 4)
    assert between.shape == (4, 21, 3)
    steps = between[:, 0, 0]
    assert np.all(np.diff(steps) > 0) and steps[0] > 0 and steps[-1] < 1  # on the way, neither end included
    assert np.allclose(between, steps[:, None, None])  # every joint as far along as the others
    assert changing_hands(first, second, 0).shape == (0, 21, 3)  # an abrupt change


def test_a_js_hand_turns_in_the_picture_as_far_as_asked(pose: np.ndarray) -> None:
    # The forearm's turn is about the hand's upright axis, which keeps every joint's height; only the turn in the
    # picture's plane moves them up or down.
    rng = np.random.default_rng(9)

    def heights_moved(clip: Clip) -> float:
        start, end = clip.hands[clip.motion_start], clip.hands[clip.motion_end - 1]
        return float(np.abs(end[:, 1] - start[:, 1]).max() / np.abs(start[:, 1]).max())

    assert max(heights_moved(motion_clip(J, pose, rng, picture_turn=0.0)) for _ in range(20)) < 1e-5
    turned = [heights_moved(motion_clip(J, pose, rng)) for _ in range(40)]
    assert max(turned) > 1.0  # some hands end turned most of a quarter: a joint's height changes by its reach
    assert min(turned) < 0.2  # and some barely turn
    assert pytest.approx(np.pi / 2) == J_PICTURE_TURN
    assert max(heights_moved(motion_clip(J, pose, rng, picture_turn=TAKE_J_PICTURE_TURN)) for _ in range(40)) < 0.4


def test_a_z_is_sized_by_its_larger_side_down_to_under_half_the_hand(pose: np.ndarray) -> None:
    # Measured by the Z's diagonal (its farthest two wrist places), which no turn of the path changes: a Z whose
    # larger side is L, 0.7-1.4 times as wide as tall, is 1.22-1.42 L across its diagonal.
    rng = np.random.default_rng(5)

    def diagonal(clip: Clip) -> float:
        places = clip.placements[clip.motion_start : clip.motion_end, :2].astype(np.float64)
        return float(np.linalg.norm(places[:, None] - places[None], axis=-1).max() / HAND_HEIGHT)

    trained = np.array([diagonal(motion_clip(Z, pose, rng)) for _ in range(300)])
    taken = np.array([diagonal(motion_clip(Z, pose, rng, z_by_height=TAKE_Z_BY_HEIGHT)) for _ in range(300)])
    smallest_by_height = 0.5 * np.hypot(1.0, 0.7)  # 0.5 hand heights tall, 0.7 times as wide
    assert trained.min() < smallest_by_height - 0.05 < taken.min()
    assert trained.min() > Z_SIZE[0] * 1.2
    assert trained.max() < Z_SIZE[1] * np.sqrt(2) + 0.1
    # Evenly on a log scale: most training Zs are smaller than the takes', whose height is drawn evenly.
    assert np.median(trained) < 0.8 * np.median(taken)
