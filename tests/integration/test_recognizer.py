"""One session's pipeline with the real MediaPipe and the real model, without sockets."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.model import LetterModel
from signify.recognition.recognizer import Recognizer, RecognizerSettings
from signify.recognition.smoothing import HAND_AWAY_FRAMES

from tests.conftest import loopback_settings
from tests.photos import PHOTO_DATA


@pytest.fixture(scope="module")
def model() -> LetterModel:
    return LetterModel(loopback_settings().model_path)


@pytest.fixture
def recognizer(model: LetterModel) -> Iterator[Recognizer]:
    instance = Recognizer(model, RecognizerSettings())
    yield instance
    instance.close()


def test_a_stream_of_hand_frames_gives_landmarks_and_letters(recognizer: Recognizer, hand_jpegs: list[bytes]) -> None:
    results = [recognizer.recognize_image(frame) for frame in hand_jpegs[:20]]
    found = [r for r in results if r.hand]
    assert len(found) >= 17
    for result in found:
        assert result.landmarks is not None and result.landmarks.shape == (21, 3)
        assert result.scores is not None
        assert result.scores.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
        assert result.timing_ms["keypoints"] > 0


def test_no_hand_gives_no_letter(recognizer: Recognizer, blank_jpeg: bytes) -> None:
    result = recognizer.recognize_image(blank_jpeg)
    assert not result.hand
    assert result.scores is None and result.stable is None


def test_the_motion_history_is_dropped_once_the_hand_is_gone(
    recognizer: Recognizer, hand_jpegs: list[bytes], blank_jpeg: bytes
) -> None:
    for frame in hand_jpegs[:10]:
        recognizer.recognize_image(frame)
    assert recognizer.frames > 0
    for _ in range(HAND_AWAY_FRAMES - 1):
        recognizer.recognize_image(blank_jpeg)
    assert recognizer.frames > 0  # a missed frame or two is not the end of a sign
    recognizer.recognize_image(blank_jpeg)
    assert recognizer.frames == 0


def test_keypoints_and_images_agree(recognizer: Recognizer, model: LetterModel, hand_jpegs: list[bytes]) -> None:
    result = next(r for r in (recognizer.recognize_image(f) for f in hand_jpegs) if r.hand)
    assert result.landmarks is not None and result.scores is not None
    other = Recognizer(model, RecognizerSettings())
    # The drawn frames are 4:3; keypoint clients are taken to send square coordinates.
    square = result.landmarks.copy()
    square[:, 0] *= 4 / 3
    square[:, 2] *= 4 / 3
    from_keypoints = other.recognize_keypoints(square, "Right")
    assert from_keypoints.scores is not None
    same_frame_alone = model.predict(recognizer.window().hands[0, -1:])
    assert np.allclose(from_keypoints.scores.probabilities, same_frame_alone.probabilities, atol=1e-4)


def test_reset_forgets_everything(recognizer: Recognizer, hand_jpegs: list[bytes]) -> None:
    for frame in hand_jpegs[:30]:
        last = recognizer.recognize_image(frame)
    assert last.text
    recognizer.reset()
    assert recognizer.frames == 0
    after = recognizer.recognize_image(hand_jpegs[30])
    assert after.text == ""
    assert after.stable is None



def test_the_model_is_told_where_the_hand_went(model: LetterModel, hand_jpegs: list[bytes]) -> None:
    """The same hand shape, still or travelling: the shape window is the same, the motion input is not."""
    first = next(r for r in (Recognizer(model, RecognizerSettings()).recognize_image(f) for f in hand_jpegs) if r.hand)
    assert first.landmarks is not None
    still, travelling = Recognizer(model, RecognizerSettings()), Recognizer(model, RecognizerSettings())
    for step in range(12):
        still.recognize_keypoints(first.landmarks, "Right")
        moved = first.landmarks.copy()
        moved[:, 0] += 0.02 * step
        travelling.recognize_keypoints(moved, "Right")
    assert np.allclose(still.window().hands, travelling.window().hands, atol=1e-5)
    assert np.allclose(still.window().motion, 0.0, atol=1e-5)
    path = travelling.window().motion[0]
    assert path[0, 0] < -1.0 and path[-1, 0] == 0.0  # palm sizes from where the hand is now
    travelling.reset()
    assert travelling.frames == 0


def test_a_new_complexity_tracks_the_next_image_with_a_new_tracker_and_keeps_the_window(model: LetterModel) -> None:
    """Switching MediaPipe's model between frames: the next image is tracked afresh by the other model."""
    photo = next((PHOTO_DATA / "roboflow-asl-letters" / "train" / "images").glob("H2_*.jpg")).read_bytes()
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    fresh = {}
    for complexity in (0, 1):
        with HandTracker(HandSettings(model_complexity=complexity, zoom=True)) as tracker:
            fresh[complexity] = [tracker.detect(rgb) for _ in range(3)]
    recognizer = Recognizer(model, RecognizerSettings(hands=HandSettings(zoom=True)))
    try:
        first = recognizer.recognize_image(photo)
        recognizer.track_with(1)
        switched = [recognizer.recognize_image(photo) for _ in range(2)]
        recognizer.track_with(1)  # the same model again: the tracker carries on
        third = recognizer.recognize_image(photo)
    finally:
        recognizer.close()
    first_fast, *full = (o.landmarks if o is not None else None for o in (fresh[0][0], *fresh[1]))
    assert first.landmarks is not None and np.array_equal(first.landmarks, first_fast)
    assert [s.landmarks is not None for s in switched] == [True, True]
    assert np.array_equal(switched[0].landmarks, full[0]) and np.array_equal(switched[1].landmarks, full[1])
    assert np.array_equal(third.landmarks, full[2])
    assert recognizer.frames == 4  # the hand's window goes on across the switch
