"""bench.framing_advice: the demo page's own advice module replayed under node over a clip's tracking, and its
summary; over the real tracker, a real 50 px hand is asked to come closer and a 150 px one is not."""

from __future__ import annotations

import numpy as np
import pytest
from signify.recognition.hands import HandSettings, HandTracker

from bench import framing_advice as fa
from bench import webcam_motion as wm
from tests.photos import PHOTO_DATA

FRAMES = 60
PATH = "keypoints-zoom"  # the page's tracker's Python twin: the zoom finds a 50 px hand


def tracking(found: list[bool]) -> wm.Tracked:
    """A clip's tracking on a 640 x 480 frame: the same real-looking landmarks where ``found``, NaN elsewhere."""
    hand = np.zeros((21, 3), np.float32)
    hand[:, 0] = 0.5 + np.linspace(-0.02, 0.02, 21)
    hand[:, 1] = 0.5 + np.linspace(0.05, -0.05, 21)
    landmarks = np.where(np.asarray(found)[:, None, None], hand, np.nan).astype(np.float32)
    return wm.Tracked(landmarks, np.ones(len(found), bool), wm.WIDTH / wm.HEIGHT)


def test_frames_without_a_hand_are_none_to_the_page() -> None:
    assert fa.hand_found(tracking([False, True]).landmarks).tolist() == [False, True]


def test_replay_runs_the_pages_module_frame_by_frame() -> None:
    # The drawn hand's palm (its mean wrist-to-knuckle distance) is about 0.045 of the frame's width: a small hand.
    [always, late, never] = fa.replay([tracking([True] * 20), tracking([False] * 10 + [True] * 10),
                                       tracking([False] * 20)])
    assert len(always) == len(late) == len(never) == 20
    assert always.any() and not always[0], "asked once enough frames hold the hand, not at the first"
    assert not late[:10].any() and late[-1]
    assert not never.any()
    first = int(np.argmax(always))
    assert int(np.argmax(late)) == first + 10


def test_summarize_counts_clips_with_a_hand_frames_and_changes() -> None:
    found = np.array([False, True, True, True])
    rows = fa.summarize([
        fa.Replayed(50, found, np.array([False, False, True, True])),
        fa.Replayed(50, found, np.array([False, True, False, True])),
        fa.Replayed(50, np.zeros(4, bool), np.zeros(4, bool)),  # no hand: not counted
        fa.Replayed(100, found, np.zeros(4, bool)),
    ])
    small, large = rows
    assert small == {"size": 50, "clips": 2, "asked": 2, "asked_share": 1.0, "hand_frames_asked": 4 / 6,
                     "frames_to_ask": 0.5, "changes_per_clip": 2.0}
    assert large["asked"] == 0 and large["frames_to_ask"] is None and large["changes_per_clip"] == 0.0


@pytest.mark.parametrize(("size", "asked"), [(50, True), (150, False)])
def test_the_real_tracker_on_a_real_hand(size: int, asked: bool) -> None:
    with HandTracker(HandSettings(static_image_mode=True, model_complexity=1)) as tracker:
        [photo] = wm.pick_photos(PHOTO_DATA, ["H2"], tracker)
    clip = wm.Clip("held", size, (photo,), "H", "", seed=wm._seed("framing", size))
    clip.track = [(0, wm.WIDTH / 2, wm.HEIGHT * 0.45, 0.0, False)] * FRAMES
    tracked = wm.track_clip(clip, [PATH])[PATH]
    found = fa.hand_found(tracked.landmarks)
    assert found[-FRAMES // 2:].all(), f"the tracker lost the {size} px hand"
    [closer] = fa.replay([tracked])
    assert bool(closer[-1]) is asked and bool(closer[-FRAMES // 2:].any()) is asked
