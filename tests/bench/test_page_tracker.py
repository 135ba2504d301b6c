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


def test_the_page_tracker_finds_a_small_hand_raised_into_view_where_it_stops() -> None:
    # The hand comes up from below into the lower left of the frame while the search is under way: the page's tracker
    # shrinks each frame to tell its zoom where the picture changed, and looks where it stopped changing
    # (front_demo/tracking.js, zoom.js). Without that, its grid found this hand 13 frames after it stopped.
    with HandTracker(HandSettings(static_image_mode=True, model_complexity=1)) as tracker:
        [photo] = wm.pick_photos(PHOTO_DATA, ["H2"], tracker)
    place = (wm.WIDTH * 0.3, wm.HEIGHT * 0.78)
    clip = wm.Clip("raised", SIZE, (photo,), "H", "", seed=2)
    clip.track = [*wm.raise_track(*place, 0.0, SIZE, away=40), *[(0, *place, 0.0, False)] * 20]
    stopped = len(clip.track) - 20
    with page_tracker() as page:
        tracked = page.track(list(wm.render(clip)), zoom=True)
    found = ~np.isnan(tracked.landmarks).any(axis=(1, 2))
    assert not found[:40].any()
    first = int(np.argmax(found))
    assert found.any() and first - stopped <= 4, f"found {first - stopped} frames after it stopped"
    assert found[first + 3 :].mean() >= 0.9
    points = tracked.landmarks[first + 3 :][found[first + 3 :]][:, :, :2] * (wm.WIDTH, wm.HEIGHT)
    assert np.abs((points.min(axis=1) + points.max(axis=1)) / 2 - place).max() < 0.5 * SIZE
