"""bench.page_tracker: the demo page's own tracker, frame by frame, on a small real hand (headless Chromium)."""

from __future__ import annotations

import numpy as np
import pytest
from signify.recognition.hands import HandSettings, HandTracker

from bench import webcam_motion as wm
from bench.page_tracker import page_tracker
from tests.photos import PHOTO_DATA

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIZE = 70  # px: the full frame misses this hand (tests/browser/test_small_hands.py), the zoom finds it
FRAMES = 40


def test_the_page_tracker_finds_a_small_hand_only_with_its_zoom_and_gives_frame_coordinates() -> None:
    with HandTracker(HandSettings(static_image_mode=True, model_complexity=1)) as tracker:
        photos = wm.pick_photos(PHOTO_DATA, ["H2"], tracker)
    assert [p.name for p in photos] == ["H2"]
    centre = (wm.WIDTH / 2, wm.HEIGHT * 0.45)
    clip = wm.Clip("held", SIZE, (photos[0],), "H", "", seed=1)
    clip.track = [(0, *centre, 0.0, False)] * FRAMES
    frames = list(wm.render(clip))
    with page_tracker() as page:
        zoomed, plain = page.track(frames, zoom=True), page.track(frames, zoom=False)
    assert zoomed.landmarks.shape == (FRAMES, 21, 3) and zoomed.ms.shape == zoomed.right.shape == (FRAMES,)
    found = ~np.isnan(zoomed.landmarks).any(axis=(1, 2))
    assert found[FRAMES // 2 :].all()  # found within the search's first half of the clip, then kept
    assert np.isnan(plain.landmarks).all()  # a fresh tracker per clip: nothing carried over from the zoomed one
    points = zoomed.landmarks[found][:, :, :2] * (wm.WIDTH, wm.HEIGHT)
    middle = (points.min(axis=1) + points.max(axis=1)) / 2
    assert np.abs(middle - centre).max() < 0.5 * SIZE  # in the full frame's coordinates, on the hand
