"""Photo landmarks come from the server's own MediaPipe path: real MediaPipe on drawn hands named like the photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from signify.normalization import WRIST

from testkit.hand_drawing import Pose, blank_frame, encode_jpeg, hand_jpeg
from training.augment import reshoot
from training.sources import LETTER_INDEX, load_photos

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


def test_each_photo_with_a_hand_gives_one_normalized_pose_labelled_by_its_name(
    photo_data: Path, tmp_path: Path
) -> None:
    photos = load_photos(photo_data, tmp_path)
    assert photos.hands.shape == (3, 21, 3)
    assert photos.labels.tolist() == [LETTER_INDEX["A"], LETTER_INDEX["A"], LETTER_INDEX["B"]]
    assert photos.groups[0] == photos.groups[1] != photos.groups[2]  # copies of one original stay together
    assert np.allclose(photos.hands[:, WRIST], 0.0)
    knuckles = np.linalg.norm(photos.hands[:, [5, 9, 13, 17]], axis=-1).mean(axis=-1)
    assert np.allclose(knuckles, 1.0, atol=1e-5)


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
    assert set(reshoots.groups.tolist()) <= set(photos.groups.tolist())
    for group, label in zip(reshoots.groups, reshoots.labels, strict=True):
        assert label == photos.labels[photos.groups == group][0]
    assert not any(np.allclose(hand, pose, atol=1e-4) for hand in reshoots.hands for pose in photos.hands)
    again = load_photos(photo_data, tmp_path / "elsewhere", reshoots=3)  # seeded: the same on any machine
    assert np.array_equal(reshoots.hands, again.hands)


def test_a_reshoot_changes_the_pixels_not_the_picture_size() -> None:
    rgb = blank_frame(seed=1)
    views = [reshoot(rgb, np.random.default_rng(seed)) for seed in (0, 0, 1)]
    assert all(view.shape == rgb.shape and view.dtype == np.uint8 for view in views)
    assert np.array_equal(views[0], views[1]) and not np.array_equal(views[0], views[2])
    assert not np.array_equal(views[0], rgb)
