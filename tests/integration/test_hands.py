"""HandTracker on real MediaPipe: tracking state, reset and close, and the small-hand zoom."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.normalization import normalize_hand
from signify.recognition.trajectory import hand_placement

from testkit.hand_drawing import Pose, draw_hand, textured_background


def rgb(pose: Pose) -> NDArray[np.uint8]:
    return np.ascontiguousarray(draw_hand(pose)[:, :, ::-1])


def test_reset_makes_the_next_frame_a_first_frame() -> None:
    near, far = rgb(Pose(tilt=6.0)), rgb(Pose(cx=360.0, tilt=-4.0, size=230.0))
    with HandTracker(HandSettings()) as fresh:
        first_look = fresh.detect(far)
    with HandTracker(HandSettings()) as tracker:
        for _ in range(3):
            tracker.detect(near)
        tracked = tracker.detect(far)
        tracker.reset()
        after_reset = tracker.detect(far)
    assert first_look is not None and tracked is not None and after_reset is not None
    assert np.array_equal(after_reset.landmarks, first_look.landmarks)
    assert not np.array_equal(tracked.landmarks, first_look.landmarks)  # without reset, the old hand steers


def test_a_closed_tracker_refuses_to_reset() -> None:
    tracker = HandTracker(HandSettings())
    tracker.close()
    with pytest.raises(RuntimeError, match="closed"):
        tracker.reset()


def small_hand_scene(shrink: int, at: tuple[int, int]) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    """A drawn hand shrunk ``shrink`` times into a textured 640x480 frame at ``at``, and its landmarks there
    (MediaPipe's on the large drawing, carried over): (frame, landmarks normalized to the frame)."""
    big = rgb(Pose(size=300.0, tilt=6.0))
    with HandTracker(HandSettings(static_image_mode=True)) as tracker:
        reference = tracker.detect(big)
    assert reference is not None
    small = cv2.resize(big, (640 // shrink, 480 // shrink), interpolation=cv2.INTER_AREA)
    frame = np.ascontiguousarray(textured_background(seed=3)[:, :, ::-1])
    frame[at[1] : at[1] + small.shape[0], at[0] : at[0] + small.shape[1]] = small
    expected = reference.landmarks.copy()
    expected[:, 0] = (at[0] + expected[:, 0] * 640 / shrink) / 640
    expected[:, 1] = (at[1] + expected[:, 1] * 480 / shrink) / 480
    expected[:, 2] /= shrink
    return frame, expected


def test_zoom_finds_a_small_hand_that_the_full_frame_misses_and_maps_it_to_the_frame() -> None:
    frame, expected = small_hand_scene(5, (400, 60))  # the hand about 50 px tall
    with HandTracker(HandSettings()) as plain:
        assert all(plain.detect(frame) is None for _ in range(15))
    with HandTracker(HandSettings(zoom=True)) as zoomed:
        found = [zoomed.detect(frame) for _ in range(20)]
    hands = [h for h in found if h is not None]
    assert len(hands) >= 12  # within the first search cycle, and kept
    last = hands[-1]
    pixels = (last.landmarks[:, :2] - expected[:, :2]) * (640, 480)
    assert np.abs(pixels).max() < 5  # a tenth of the hand: the frame's coordinates, not the view's
    # Position- and size-free, z included, it is the large hand's shape; placement is the frame's.
    pose = normalize_hand(last.landmarks, handedness=last.handedness, aspect=4 / 3)
    assert np.abs(pose - normalize_hand(expected, handedness=last.handedness, aspect=4 / 3)).max() < 0.3
    placed, truth = (hand_placement(x, handedness=last.handedness, aspect=4 / 3) for x in (last.landmarks, expected))
    np.testing.assert_allclose(placed[:2], truth[:2], atol=3 / 480)
    assert placed[2] == pytest.approx(truth[2], rel=0.08)


def test_zoom_finds_a_small_hand_again_as_soon_as_it_comes_back() -> None:
    frame, expected = small_hand_scene(4, (250, 200))
    empty = np.ascontiguousarray(textured_background(seed=3)[:, :, ::-1])
    with HandTracker(HandSettings(zoom=True)) as tracker:
        assert sum(tracker.detect(frame) is not None for _ in range(12)) >= 8
        assert all(tracker.detect(empty) is None for _ in range(8))  # the hand away, as between two L's
        back = [tracker.detect(frame) for _ in range(6)]
    assert all(hand is not None for hand in back[1:])  # its view, or the wider look around it
    last = back[-1]
    assert last is not None
    pixels = (last.landmarks[:, :2] - expected[:, :2]) * (640, 480)
    assert np.abs(pixels).max() < 5


def test_zoom_finds_a_small_hand_raised_into_view_where_it_stops() -> None:
    # A 50 px hand raised from below the frame into its bottom right corner, which the search's grid reaches late
    # in its cycle, while the search is well under way: it is looked for where the picture stopped changing.
    shrink, at = 5, (500, 360)
    frame, expected = small_hand_scene(shrink, at)
    empty = np.ascontiguousarray(textured_background(seed=3)[:, :, ::-1])
    patch = frame[at[1] : at[1] + 480 // shrink, at[0] : at[0] + 640 // shrink]
    rising = []
    for drop in (120, 96, 72, 48, 24, 8):  # pixels below its place, frame by frame
        picture = empty.copy()
        visible = picture[at[1] + drop : at[1] + drop + patch.shape[0], at[0] : at[0] + patch.shape[1]]
        visible[:] = patch[: visible.shape[0]]
        rising.append(picture)
    with HandTracker(HandSettings(zoom=True)) as tracker:
        assert all(tracker.detect(empty) is None for _ in range(20))
        for picture in rising:
            tracker.detect(picture)
        held = [tracker.detect(frame) for _ in range(12)]
    first = next(i for i, hand in enumerate(held) if hand is not None)
    # Within two rounds of the search (the grid alone reaches that corner 30 frames later), and kept, but for a
    # frame or two that MediaPipe misses a small drawn hand now and then.
    assert first <= 5 and sum(hand is None for hand in held[first:]) <= 2
    last = held[-1]
    assert last is not None
    assert np.abs((last.landmarks[:, :2] - expected[:, :2]) * (640, 480)).max() < 5


def test_zoom_leaves_a_hand_the_full_frame_finds_exactly_as_it_was() -> None:
    frames = [rgb(Pose(tilt=6.0 + i, cx=300.0 + 3 * i)) for i in range(8)]
    with HandTracker(HandSettings()) as plain, HandTracker(HandSettings(zoom=True)) as zoomed:
        for frame in frames:
            a, b = plain.detect(frame), zoomed.detect(frame)
            assert a is not None and b is not None
            assert np.array_equal(a.landmarks, b.landmarks)


def test_still_images_are_not_zoomed() -> None:
    frame, _ = small_hand_scene(5, (400, 60))
    with HandTracker(HandSettings(static_image_mode=True, zoom=True)) as tracker:
        assert all(tracker.detect(frame) is None for _ in range(4))
