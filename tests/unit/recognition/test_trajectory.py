"""Where the hand is over time: placements, the wrist's path the model reads, and the hand's speed."""

from __future__ import annotations

import numpy as np
import pytest
from signify.recognition.normalization import normalize_hand
from signify.recognition.trajectory import (
    MOTION_LIMIT,
    SETTLE_FRAMES,
    SPEED_SPAN,
    hand_placement,
    hand_speed,
    window_motion,
)


@pytest.fixture
def hand() -> np.ndarray:
    rng = np.random.default_rng(3)
    points = rng.uniform(0.4, 0.6, size=(21, 3)).astype(np.float32)
    points[:, 2] = rng.normal(0, 0.02, size=21)
    return points


def moved(hand: np.ndarray, dx: float, dy: float, scale: float = 1.0) -> np.ndarray:
    out = hand.copy()
    out[:, :2] = (hand[:, :2] - hand[0, :2]) * scale + hand[0, :2] + (dx, dy)
    out[:, 2] *= scale
    return out


def test_placement_is_the_wrist_and_the_palm_size(hand: np.ndarray) -> None:
    place = hand_placement(hand, aspect=4 / 3)
    assert place[0] == pytest.approx(hand[0, 0] * 4 / 3)
    assert place[1] == pytest.approx(hand[0, 1])
    stretched = hand.copy()
    stretched[:, [0, 2]] *= 4 / 3
    palm = np.linalg.norm(stretched[[5, 9, 13, 17]] - stretched[0], axis=-1).mean()
    assert place[2] == pytest.approx(palm)


def test_left_hands_move_as_mirrored_right_hands(hand: np.ndarray) -> None:
    right = window_motion(np.stack([hand_placement(moved(hand, dx, 0), handedness="Right") for dx in (0, 0.1)]))
    left = window_motion(np.stack([hand_placement(moved(hand, dx, 0), handedness="Left") for dx in (0, 0.1)]))
    assert left[0, 0] == pytest.approx(-right[0, 0])
    assert left[0, 1] == pytest.approx(right[0, 1])


def test_a_flipped_handedness_label_does_not_move_the_hand(hand: np.ndarray) -> None:
    # MediaPipe may call the same hand Left in one frame and Right in the next.
    labels = ["Right", "Left", "Right", "Left", "Left", "Right", "Left"]
    shapes = np.stack([normalize_hand(hand, handedness=label) for label in labels])
    places = np.stack([hand_placement(hand, handedness=label) for label in labels])
    assert np.allclose(window_motion(places), 0.0, atol=1e-6)
    assert hand_speed(shapes, places) == pytest.approx(0.0, abs=1e-6)
    assert hand_placement(hand, handedness="Left")[3] == -1.0 and hand_placement(hand)[3] == 1.0


def test_a_still_hand_has_no_motion_wherever_and_however_large(hand: np.ndarray) -> None:
    for dx, scale in [(0.0, 1.0), (0.3, 0.5), (-0.2, 2.0)]:
        places = np.stack([hand_placement(moved(hand, dx, 0.1, scale))] * 6)
        assert np.allclose(window_motion(places), 0.0)


def test_motion_is_the_path_to_the_last_frame_in_palm_sizes(hand: np.ndarray) -> None:
    palm = hand_placement(hand)[2]
    places = np.stack([hand_placement(moved(hand, step * palm, 0)) for step in range(4)])
    motion = window_motion(places)
    assert motion[:, 0] == pytest.approx([-3, -2, -1, 0], abs=1e-4)
    assert np.allclose(motion[:, 1:], 0.0, atol=1e-5)


def test_the_same_path_at_another_camera_distance_is_the_same_motion(hand: np.ndarray) -> None:
    palm = hand_placement(hand)[2]
    near = np.stack([hand_placement(moved(hand, step * palm, step * palm / 2)) for step in range(5)])
    far = np.stack([hand_placement(moved(hand, step * palm / 2, step * palm / 4, 0.5)) for step in range(5)])
    assert window_motion(near) == pytest.approx(window_motion(far), abs=1e-4)


def test_a_hand_coming_closer_shows_in_the_third_channel(hand: np.ndarray) -> None:
    places = np.stack([hand_placement(moved(hand, 0, 0, scale)) for scale in (1.0, 1.0, 2.0)])
    depth = window_motion(places)[:, 2]
    assert depth[2] > depth[0]
    assert depth[2] - depth[0] == pytest.approx(np.log(2.0), abs=1e-4)


def test_a_tracking_glitch_is_clipped(hand: np.ndarray) -> None:
    places = np.stack([hand_placement(moved(hand, dx, 0)) for dx in (0.0, 0.0, 0.0, 30.0)])
    assert np.abs(window_motion(places)).max() == pytest.approx(MOTION_LIMIT)


def test_motion_works_on_batches_and_empty_windows(hand: np.ndarray) -> None:
    places = np.stack([hand_placement(moved(hand, 0.01 * step, 0)) for step in range(5)])
    batch = np.stack([places, places])
    assert window_motion(batch).shape == (2, 5, 3)
    assert np.allclose(window_motion(batch)[1], window_motion(places))
    assert window_motion(np.zeros((0, 4))).shape == (0, 3)
    with pytest.raises(ValueError):
        window_motion(np.zeros((4, 3)))


def test_speed_is_zero_for_a_still_hand_and_grows_with_motion(hand: np.ndarray) -> None:
    palm = hand_placement(hand)[2]

    def speed(step: float) -> float:
        frames = [moved(hand, i * step * palm, 0) for i in range(6)]
        return hand_speed(normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames]))

    assert speed(0.0) == pytest.approx(0.0, abs=1e-6)
    assert speed(0.1) == pytest.approx(0.1, rel=1e-3)  # palm sizes per frame
    assert speed(0.3) == pytest.approx(0.3, rel=1e-3)
    assert hand_speed(normalize_hand(hand[None]), hand_placement(hand)[None]) == 0.0


def test_a_hand_that_turns_in_place_moves(hand: np.ndarray) -> None:
    frames = []
    for i in range(5):
        angle = 0.2 * i
        turned = hand.copy()
        offset = hand[:, :2] - hand[0, :2]
        turned[:, 0] = hand[0, 0] + offset[:, 0] * np.cos(angle) - offset[:, 1] * np.sin(angle)
        turned[:, 1] = hand[0, 1] + offset[:, 0] * np.sin(angle) + offset[:, 1] * np.cos(angle)
        frames.append(turned)
    placements = np.stack([hand_placement(f) for f in frames])
    assert np.allclose(placements[:, :2], placements[0, :2])  # the wrist stays
    assert hand_speed(normalize_hand(np.stack(frames)), placements) > 0.05


def test_jitter_that_does_not_add_up_is_slower_than_a_drift(hand: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    palm = hand_placement(hand)[2]
    jittered = [moved(hand, *(rng.normal(0, 0.03 * palm, 2))) for _ in range(8)]
    drifting = [moved(hand, 0.05 * palm * i, 0) for i in range(8)]

    def speed(frames: list[np.ndarray]) -> float:
        return hand_speed(normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames]))

    assert speed(jittered) < speed(drifting)


def test_a_track_settling_is_not_motion(hand: np.ndarray) -> None:
    # MediaPipe's first landmarks of a hand it has just found (the palm detector's) sit apart from the
    # tracked ones that follow: the jump is no movement, however far, and later motion still counts.
    palm = hand_placement(hand)[2]
    first = moved(hand, 0.6 * palm, -0.5 * palm)
    held = [first] + [hand] * 10
    shapes, places = normalize_hand(np.stack(held)), np.stack([hand_placement(f) for f in held])
    assert hand_speed(shapes[:7], places[:7]) > 0.05  # unsettled, the jump looks like motion
    for frames in range(1, len(held) + 1):
        assert hand_speed(shapes[:frames], places[:frames], settle=SETTLE_FRAMES) == 0.0
    moving = held + [moved(hand, 0.1 * palm * i, 0) for i in range(1, 8)]
    shapes, places = normalize_hand(np.stack(moving)), np.stack([hand_placement(f) for f in moving])
    assert hand_speed(shapes, places, settle=SETTLE_FRAMES) == pytest.approx(0.1, rel=1e-3)


def test_settling_changes_nothing_once_the_track_is_longer_than_it_and_a_span(hand: np.ndarray) -> None:
    palm = hand_placement(hand)[2]
    frames = [moved(hand, 0.04 * palm * i, 0.02 * palm * i) for i in range(12)]
    shapes, places = normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames])
    assert hand_speed(shapes, places, settle=SETTLE_FRAMES) == pytest.approx(hand_speed(shapes, places))


def test_a_young_track_is_measured_from_where_it_settled_over_a_whole_span(hand: np.ndarray) -> None:
    # A hand found in the middle of a J or Z moves from its first frames: once two of its own frames place
    # each end, how far it moved since it settled (each end the median of up to three), divided by the
    # whole span, is its speed, as if it had been held there before it was found. It is the hand's own once
    # a whole span has followed.
    palm = hand_placement(hand)[2]
    first = moved(hand, 0.6 * palm, -0.5 * palm)  # the palm detector's first landmarks, apart
    frames = [first] + [moved(hand, 0.1 * palm * i, 0) for i in range(1, 14)]
    shapes, places = normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames])
    # Frames after the settling ones: 0 to 3 (still: fewer than two frames for each end), then 4 to 6
    # (young: frames between the ends' middles 2, 3, 3 of the span's 6), then a whole span and more (the
    # hand's 0.1).
    expected = [0.0] * 4 + [0.1 * between / SPEED_SPAN for between in (2, 3, 3)] + [0.1] * 7
    for length in range(SETTLE_FRAMES, len(frames) + 1):
        speed = hand_speed(shapes[:length], places[:length], settle=SETTLE_FRAMES)
        assert speed == pytest.approx(expected[length - SETTLE_FRAMES], rel=1e-3, abs=1e-6), length
    assert hand_speed(shapes[:1], places[:1], settle=SETTLE_FRAMES) == 0.0


def test_a_lone_jump_right_after_the_settling_frames_does_not_stay_in_a_young_span(hand: np.ndarray) -> None:
    # The first frame after the settling ones places a young span's early end until a whole span has
    # followed: a jump there is never measured alone (a young track waits for two frames at each end),
    # is halved by two and outvoted by three. (Once a whole span has followed, the ends are a span apart
    # and placed as in any window.)
    palm = hand_placement(hand)[2]
    frames = [moved(hand, 0.6 * palm, -0.5 * palm), hand, moved(hand, 1.2 * palm, 0)] + [hand] * 10
    shapes, places = normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames])
    speeds = [hand_speed(shapes[:n], places[:n], settle=SETTLE_FRAMES) for n in range(1, len(frames) + 1)]
    after = speeds[SETTLE_FRAMES:]  # by frames after the settling ones: 1, 2, ...
    assert after[:3] == [0.0] * 3  # one frame at each end: the jump alone, not measured
    assert after[3:5] == pytest.approx([0.6 / SPEED_SPAN] * 2, rel=1e-3)  # two: half of it
    assert after[5] == 0.0  # three: gone


def test_a_window_with_no_settling_frames_is_measured_from_two_frames(hand: np.ndarray) -> None:
    # Only a young track waits for two frames at each end; a window told nothing settles is measured at once.
    palm = hand_placement(hand)[2]
    frames = [moved(hand, 0.1 * palm * i, 0) for i in range(3)]
    shapes, places = normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames])
    assert hand_speed(shapes[:2], places[:2]) == pytest.approx(0.1, rel=1e-3)
    assert hand_speed(shapes, places) == pytest.approx(0.1, rel=1e-3)


def test_a_held_hand_still_settling_is_slower_than_over_the_frames_there_are(hand: np.ndarray) -> None:
    # A held hand's landmarks may go on settling for a few frames (a zoomed view resizing about it): a
    # little a frame, over the whole span, stays slow; over the frames there were it would read as fast.
    palm = hand_placement(hand)[2]
    frames = [moved(hand, 0.6 * palm, -0.5 * palm)] + [moved(hand, 0.06 * palm * min(i, 5), 0) for i in range(1, 9)]
    shapes, places = normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames])
    for length in range(1, len(frames) + 1):
        assert hand_speed(shapes[:length], places[:length], settle=SETTLE_FRAMES) <= 0.06 * 3 / SPEED_SPAN + 1e-6
    settled = slice(SETTLE_FRAMES, SETTLE_FRAMES + 4)  # three frames of settling, measured over themselves
    assert hand_speed(shapes[settled], places[settled]) == pytest.approx(0.06, rel=1e-3)


def test_a_lone_frame_that_jumps_does_not_move_a_held_hand(hand: np.ndarray) -> None:
    # A small hand's landmarks jump for a frame now and then; a held hand is still wherever in the span
    # the jump falls, and a steady movement keeps its speed.
    palm = hand_placement(hand)[2]

    def speed(frames: list[np.ndarray]) -> float:
        return hand_speed(normalize_hand(np.stack(frames)), np.stack([hand_placement(f) for f in frames]))

    jumped = moved(hand, 0.8 * palm, 0.4 * palm)
    for at in range(12):
        held = [jumped if i == at else hand for i in range(12)]
        assert speed(held) == pytest.approx(0.0, abs=1e-6), at
    twice = [jumped if i in (10, 11) else hand for i in range(12)]
    assert speed(twice) > 0.05  # two frames running is the hand, not a jump
    steady = [moved(hand, 0.07 * palm * i, -0.02 * palm * i) for i in range(12)]
    assert speed(steady) == pytest.approx(float(np.hypot(0.07, 0.02)), rel=1e-3)
