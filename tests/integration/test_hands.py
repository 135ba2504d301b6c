"""HandTracker on real MediaPipe: tracking state, reset and close."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray
from signify.recognition.hands import HandSettings, HandTracker

from testkit.hand_drawing import Pose, draw_hand


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
