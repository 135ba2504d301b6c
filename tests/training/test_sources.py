"""Photo landmarks come from the server's own MediaPipe path: real MediaPipe on drawn hands named like the photos."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.images import decode_image
from signify.recognition.normalization import WRIST, normalize_hand

from testkit.hand_drawing import Pose, blank_frame, encode_jpeg, hand_jpeg
from training.augment import far_reshoot, reshoot
from training.sources import HELD_PHOTO_FRAMES, LETTER_INDEX, MAX_PHOTO_PIXELS, Poses, load_photos

# Roboflow's naming: <letter><number>_jpg.rf.<hash>.jpg, several augmented copies per original.
HAND_PHOTOS = {
    "A0_jpg.rf.0a.jpg": Pose(tilt=6.0),
    "A0_jpg.rf.0b.jpg": Pose(tilt=12.0, size=230.0),
    "B3_jpg.rf.1a.jpg": Pose(cx=300.0, tilt=-8.0),
}


@pytest.fixture(scope="module")
def photo_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    images = data / "roboflow-asl-letters" / "train" / "images"
    images.mkdir(parents=True)
    for seed, (name, pose) in enumerate(HAND_PHOTOS.items()):
        (images / name).write_bytes(hand_jpeg(pose, seed=seed))
    (images / "C1_jpg.rf.2a.jpg").write_bytes(encode_jpeg(blank_frame()))  # no hand: skipped, not guessed
    (images / "D2_jpg.rf.3a.jpg").write_bytes(b"not a JPEG")  # unreadable: skipped
    return data


def static_detection(jpeg: bytes) -> NDArray[np.float32]:
    """The hand a single static-image look at a photo finds, normalized."""
    rgb = decode_image(jpeg, MAX_PHOTO_PIXELS)
    with HandTracker(HandSettings(static_image_mode=True)) as tracker:
        hand = tracker.detect(rgb)
    assert hand is not None
    return normalize_hand(hand.landmarks, handedness=hand.handedness, aspect=rgb.shape[1] / rgb.shape[0])


def test_each_photo_with_a_hand_is_one_shot_of_tracked_frames_labelled_by_its_name(
    photo_data: Path, tmp_path: Path
) -> None:
    photos = load_photos(photo_data, tmp_path)
    starts = photos.shot_starts()
    assert len(starts) == len(HAND_PHOTOS)  # the blank and the unreadable file are skipped, not guessed
    assert photos.labels[starts].tolist() == [LETTER_INDEX["A"], LETTER_INDEX["A"], LETTER_INDEX["B"]]
    groups = photos.groups[starts]
    assert groups[0] == groups[1] != groups[2]  # copies of one original stay together
    shots = list(itertools.pairwise([*starts.tolist(), len(photos.shots)]))
    for start, end in shots:
        assert 1 < end - start <= HELD_PHOTO_FRAMES  # the photo held before the tracker, frame after frame
        assert len(set(photos.labels[start:end].tolist())) == len(set(photos.groups[start:end].tolist())) == 1
    # Tracked, not looked at again: a static look at the same pixels would find the very same landmarks.
    assert any(not np.allclose(photos.hands[start], photos.hands[end - 1]) for start, end in shots)
    assert np.allclose(photos.hands[:, WRIST], 0.0)
    knuckles = np.linalg.norm(photos.hands[:, [5, 9, 13, 17]], axis=-1).mean(axis=-1)
    assert np.allclose(knuckles, 1.0, atol=1e-5)


def test_a_shot_starts_from_the_palm_detector_like_a_new_stream(photo_data: Path, tmp_path: Path) -> None:
    photos = load_photos(photo_data, tmp_path)
    first = photos.first_frames()
    for seed, (hand, pose) in enumerate(zip(first.hands, HAND_PHOTOS.values(), strict=True)):
        assert np.allclose(hand, static_detection(hand_jpeg(pose, seed=seed)), atol=1e-5)


def test_extraction_is_cached_by_settings(photo_data: Path, tmp_path: Path) -> None:
    first = load_photos(photo_data, tmp_path)
    assert len(list(tmp_path.glob("photos-*.npz"))) == 1
    again = load_photos(photo_data, tmp_path)
    assert np.array_equal(first.hands, again.hands)
    load_photos(photo_data, tmp_path, model_complexity=1)
    assert len(list(tmp_path.glob("photos-*.npz"))) == 2


def test_reshoots_are_other_views_of_the_same_photos_and_keep_their_groups(photo_data: Path, tmp_path: Path) -> None:
    photos = load_photos(photo_data, tmp_path)
    reshoots = load_photos(photo_data, tmp_path, reshoots=3)
    assert 0 < len(reshoots.labels) <= 3 * len(HAND_PHOTOS)
    assert len(np.unique(reshoots.shots)) == len(reshoots.shots)  # one frame each
    assert set(reshoots.groups.tolist()) <= set(photos.groups.tolist())
    for group, label in zip(reshoots.groups, reshoots.labels, strict=True):
        assert label == photos.labels[photos.groups == group][0]
    assert not any(np.allclose(hand, pose, atol=1e-4) for hand in reshoots.hands for pose in photos.hands)
    again = load_photos(photo_data, tmp_path / "elsewhere", reshoots=3)  # seeded: the same on any machine
    assert np.array_equal(reshoots.hands, again.hands)


def test_far_reshoots_come_on_top_of_the_reshoots_and_leave_them_as_they_were(
    photo_data: Path, tmp_path: Path
) -> None:
    near = load_photos(photo_data, tmp_path, reshoots=2)
    both = load_photos(photo_data, tmp_path, reshoots=2, far=1)
    assert np.array_equal(both.hands[: len(near.labels)], near.hands)  # the same cached re-shoots, first
    assert len(np.unique(both.shots)) == len(both.shots)  # one frame each, the far ones shots of their own
    assert set(both.groups.tolist()) <= set(near.groups.tolist()) | set(load_photos(photo_data, tmp_path).groups)
    assert len(list(tmp_path.glob("photos-*.npz"))) == 3  # near, far-only and the held photos: keyed apart


def test_a_shot_is_scored_on_its_frames_and_a_single_frame_is_held() -> None:
    hands = np.arange(5, dtype=np.float32)[:, None, None] * np.ones((5, 21, 3), dtype=np.float32)
    poses = Poses(hands, np.array([3, 3, 3, 7, 9]), np.array([0, 0, 0, 1, 1]), np.array([4, 4, 4, 5, 8]))
    windows, labels = poses.shot_windows(hold=6)
    assert labels.tolist() == [3, 7, 9]
    assert [w[:, 0, 0].tolist() for w in windows] == [[0, 1, 2], [3] * 6, [4] * 6]
    first = poses.first_frames()
    assert first.shots.tolist() == [4, 5, 8]
    assert first.hands[:, 0, 0].tolist() == [0, 3, 4]
    assert first.groups.tolist() == [0, 1, 1]


def test_a_reshoot_changes_the_pixels_not_the_picture_size() -> None:
    rgb = blank_frame(seed=1)
    views = [reshoot(rgb, np.random.default_rng(seed)) for seed in (0, 0, 1)]
    assert all(view.shape == rgb.shape and view.dtype == np.uint8 for view in views)
    assert np.array_equal(views[0], views[1]) and not np.array_equal(views[0], views[2])
    assert not np.array_equal(views[0], rgb)


def test_a_far_reshoot_keeps_the_picture_size_and_loses_its_detail() -> None:
    rgb = np.random.default_rng(3).integers(0, 256, (416, 416, 3), dtype=np.uint8)
    views = [far_reshoot(rgb, np.random.default_rng(seed), hand_pixels=300.0) for seed in (0, 0, 1)]
    assert all(view.shape == rgb.shape and view.dtype == np.uint8 for view in views)
    assert np.array_equal(views[0], views[1]) and not np.array_equal(views[0], views[2])

    def detail(image: NDArray[np.uint8]) -> float:
        return float(np.abs(np.diff(image.astype(np.float32), axis=1)).mean())

    # The hand shrunk to at most 110 of its 300 px and enlarged back: neighbouring pixels much alike.
    assert all(detail(view) < 0.5 * detail(reshoot(rgb, np.random.default_rng(0))) for view in views)
