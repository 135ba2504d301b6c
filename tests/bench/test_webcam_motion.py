"""bench.webcam_motion: a clip's tracking is reused only for the clip that was tracked; a slower tracker's frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from signify.recognition.hands import HandSettings, HandTracker

from bench import webcam_motion as wm
from tests.photos import PHOTO_DATA

SIZE = 100  # px: the full 640 x 480 frame finds this hand
PATH = "keypoints"  # MediaPipe on the full frame, no zoom


@pytest.fixture(scope="module")
def photo() -> wm.Photo:
    with HandTracker(HandSettings(static_image_mode=True, model_complexity=1)) as tracker:
        [picked] = wm.pick_photos(PHOTO_DATA, ["H2"], tracker)
    return picked


def held(photo: wm.Photo, frames: int, x: float = wm.WIDTH / 2) -> wm.Clip:
    clip = wm.Clip("held", SIZE, (photo,), "H", "", seed=wm._seed("held", SIZE, photo.name))
    clip.track = [(0, x, wm.HEIGHT * 0.45, 0.0, False)] * frames
    return clip


def test_a_clip_is_tracked_once_then_read_from_the_cache(photo: wm.Photo, tmp_path: Path) -> None:
    clip = held(photo, 4)
    first = wm.cached_tracking(clip, [PATH], tmp_path)[PATH]
    assert first.landmarks.shape == (4, 21, 3) and not np.isnan(first.landmarks).any()
    [stored] = tmp_path.iterdir()
    np.savez_compressed(stored, landmarks=np.zeros((4, 21, 3), np.float32), right=np.ones(4, bool),
                        ms=np.zeros(4, np.float32))  # marked: a second read must come from this file
    assert not wm.cached_tracking(clip, [PATH], tmp_path)[PATH].landmarks.any()


def test_two_clips_of_one_key_are_never_given_each_others_tracking(photo: wm.Photo, tmp_path: Path) -> None:
    # A clip's speed and size take turns in the order clips are built, so the same key can stand for a clip of
    # another length (or of the same length, elsewhere in the picture): neither may read the other's frames.
    short, longer, moved = held(photo, 3), held(photo, 5), held(photo, 3, x=wm.WIDTH / 3)
    assert short.key == longer.key == moved.key
    assert len(wm.cached_tracking(short, [PATH], tmp_path)[PATH].landmarks) == 3
    assert len(wm.cached_tracking(longer, [PATH], tmp_path)[PATH].landmarks) == 5
    centre = {clip.track[0][1]: wm.cached_tracking(clip, [PATH], tmp_path)[PATH].landmarks[:, :, 0].mean() * wm.WIDTH
              for clip in (short, moved)}
    assert centre[wm.WIDTH / 2] - centre[wm.WIDTH / 3] == pytest.approx(wm.WIDTH / 6, abs=SIZE / 4)
    assert len(list(tmp_path.iterdir())) == 3


def test_an_entry_stored_by_key_alone_is_taken_only_for_a_clip_of_its_length(photo: wm.Photo, tmp_path: Path) -> None:
    # Caches written before the track's digest was in the file name hold clips under their key alone.
    clip = held(photo, 3)
    by_key = wm._cache_files(tmp_path, clip, PATH)[1]
    np.savez_compressed(by_key, landmarks=np.zeros((3, 21, 3), np.float32), right=np.ones(3, bool),
                        ms=np.zeros(3, np.float32))
    assert not wm.cached_tracking(clip, [PATH], tmp_path)[PATH].landmarks.any()  # its length: taken
    longer = held(photo, 6)
    tracked = wm.cached_tracking(longer, [PATH], tmp_path)[PATH].landmarks
    assert tracked.shape == (6, 21, 3) and tracked.any()  # another length: tracked again


@pytest.mark.parametrize(("rate", "first"), [(30.0, [0, 1, 2, 3, 4, 5]), (15.0, [0, 2, 4, 6, 8, 10]),
                                             (20.0, [0, 1, 3, 4, 6, 7]), (12.0, [0, 2, 5, 7, 10, 12])])
def test_a_slower_tracker_sees_its_share_of_the_frames_evenly(rate: float, first: list[int]) -> None:
    kept = wm.kept_frames(90, rate)
    assert kept[:6] == first
    assert len(kept) == round(90 * rate / wm.FPS) and kept[-1] < 90


def test_a_slower_trackers_frames_are_sent_with_their_capture_times(photo: wm.Photo, tmp_path: Path) -> None:
    # A held hand: at 15 results a second with capture times, the letter is written when it is at 30 (the
    # same transcript from half the frames); without them, the hold takes twice as long.
    clip = held(photo, 40)
    tracked = wm.cached_tracking(clip, [PATH], tmp_path)[PATH]
    model = wm.LetterModel(wm.MODEL)
    full, paced, unpaced = (wm.play(model, clip, tracked, rate, paced)
                            for rate, paced in ((30.0, True), (15.0, True), (15.0, False)))
    assert (full.frames, paced.frames, unpaced.frames) == (40, 20, 20)
    assert full.text == paced.text == "H"
    assert paced.stables.index("H") == pytest.approx(full.stables.index("H") / 2, abs=1)
    assert unpaced.stables.index("H") == full.stables.index("H")  # in frames: twice the time
