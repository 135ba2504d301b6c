"""Windows from many sessions turned into model input at once: the same numbers as frame by frame."""

from __future__ import annotations

import numpy as np
import pytest
from signify.recognition.features import window_features
from signify.recognition.normalization import in_image_heights, normalize_hand
from signify.recognition.trajectory import SETTLE_FRAMES, hand_placement, hand_speed, window_motion


def test_a_batch_of_windows_reads_as_each_window_frame_by_frame() -> None:
    rng = np.random.default_rng(5)
    batch, time, aspect = 6, 12, 16 / 9
    raw = rng.uniform(0.2, 0.8, size=(batch, time, 21, 3)).astype(np.float32)
    raw[..., 2] = rng.normal(0, 0.03, size=(batch, time, 21))
    raw[:, :, :, :2] += np.linspace(0, 0.2, time)[None, :, None, None]  # the hands travel
    labels = rng.choice(["Left", "Right"], size=(batch, time))  # MediaPipe's label may flip between frames
    signs = np.where(labels == "Left", -1.0, 1.0).astype(np.float32)

    features = window_features(in_image_heights(raw, aspect), signs)

    for b in range(batch):
        hands = np.stack([normalize_hand(raw[b, t], handedness=labels[b, t], aspect=aspect) for t in range(time)])
        places = np.stack([hand_placement(raw[b, t], handedness=labels[b, t], aspect=aspect) for t in range(time)])
        np.testing.assert_allclose(features.hands[b], hands, atol=1e-6)
        np.testing.assert_allclose(features.placements[b], places, atol=1e-6)
        np.testing.assert_allclose(features.motion[b], window_motion(places), atol=1e-5)
        assert features.speeds[b] == pytest.approx(hand_speed(hands, places, settle=SETTLE_FRAMES), abs=1e-6)
    assert features.speeds.min() > 0.0


def test_a_window_of_one_frame_has_no_motion_and_no_speed() -> None:
    points = in_image_heights(np.random.default_rng(0).uniform(0.3, 0.7, (3, 1, 21, 3)), 1.0)
    features = window_features(points, np.ones((3, 1), dtype=np.float32))
    assert features.hands.shape == (3, 1, 21, 3)
    assert np.all(features.motion == 0.0) and np.all(features.speeds == 0.0)


def test_the_tracked_hands_are_not_changed() -> None:
    points = in_image_heights(np.random.default_rng(1).uniform(0.3, 0.7, (2, 4, 21, 3)), 1.0)
    kept = points.copy()
    window_features(points, -np.ones((2, 4), dtype=np.float32))
    np.testing.assert_array_equal(points, kept)
