"""One session's pipeline with the real MediaPipe and the real model, without sockets."""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.model import LetterModel
from signify.recognition.recognizer import (
    FILLED_GAP_FRAMES,
    MOVING_SPEED,
    SLOW_MOVING_SPEED,
    Recognizer,
    RecognizerSettings,
)
from signify.recognition.smoothing import HAND_AWAY_FRAMES

from testkit.letter_shapes import letter_shape
from testkit.motion_clips import AWAY_FRAMES, HOLD_FRAMES, Z_MOVE_FRAMES, Framing, spelling_skeletons, z_clip
from testkit.skeleton_drawing import Placement, place_skeleton
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


def test_the_hand_is_away_by_the_word_gap_however_short(model: LetterModel, hand_jpegs: list[bytes]) -> None:
    # A smoothing window of one answer makes the word gap three frames, under HAND_AWAY_FRAMES: the next word
    # must not begin with the last one's hand in its window.
    settings = RecognizerSettings(window_size=1)
    assert settings.word_gap < HAND_AWAY_FRAMES
    hand = _held_hand(model, hand_jpegs)
    recognizer = Recognizer(model, settings)
    for _ in range(10):
        recognizer.recognize_keypoints(hand, "Right")
    for _ in range(settings.word_gap):
        recognizer.recognize_keypoints(None, "Right")
    assert recognizer.frames == 0
    recognizer.recognize_keypoints(hand, "Right")
    assert recognizer.frames == 1


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


# ---- streams slower than the model's 30 frames a second (signify.recognition.pacing) ----

def _held_hand(model: LetterModel, hand_jpegs: list[bytes]) -> np.ndarray:
    first = next(r for r in (Recognizer(model, RecognizerSettings()).recognize_image(f) for f in hand_jpegs) if r.hand)
    assert first.landmarks is not None
    return first.landmarks


def _sent_at(rate: float, index: int) -> dict[str, float]:
    """A keypoints frame's times: captured and arriving ``index / rate`` seconds into the stream."""
    return {"captured": 1000.0 * index / rate, "arrived": index / rate}


def test_a_slower_stream_is_read_as_the_thirty_a_second_stream_it_samples(
    model: LetterModel, hand_jpegs: list[bytes]
) -> None:
    # A hand sweeping across the picture, tracked 30 times a second or 15: the frames the slower tracker
    # missed are filled in, so the model reads the same windows.
    hand = _held_hand(model, hand_jpegs)
    full, half, unpaced = (Recognizer(model, RecognizerSettings()) for _ in range(3))
    for step in range(41):
        moved = hand.copy()
        moved[:, 0] += 0.006 * step
        moved[:, 1] += 0.003 * step
        last = full.recognize_keypoints(moved, "Right", **_sent_at(30.0, step))
        if step % 2 == 0:
            slow = half.recognize_keypoints(moved, "Right", **_sent_at(30.0, step))
            unpaced.recognize_keypoints(moved, "Right")
    assert half.frames == full.frames == 32 and unpaced.frames == 21
    assert np.allclose(half.window().hands, full.window().hands, atol=1e-5)
    assert np.allclose(half.window().motion, full.window().motion, atol=1e-4)
    assert slow.scores is not None and last.scores is not None
    assert np.allclose(slow.scores.probabilities, last.scores.probabilities, atol=1e-4)
    # Taken one for one, the slower stream's frames are twice as far apart: the hand moves twice as fast.
    step_unpaced, step_full = (r.window().motion[0, -2, 0] for r in (unpaced, full))
    assert step_unpaced == pytest.approx(2 * step_full, rel=0.05)


def _written_at(model: LetterModel, hand: np.ndarray, rate: float) -> float:
    """Seconds from the first frame of a held hand, sent ``rate`` times a second, to its letter's commit."""
    recognizer = Recognizer(model, RecognizerSettings())
    return next(i / rate for i in range(int(2 * rate))
                if recognizer.recognize_keypoints(hand, "Right", **_sent_at(rate, i)).text)


@pytest.mark.parametrize("rate", [30.0, 20.0, 15.0])
def test_a_held_letter_is_written_after_the_same_time_at_any_rate(
    model: LetterModel, hand_jpegs: list[bytes], rate: float
) -> None:
    # At 30 a second: the smoothing window (5 frames) and the hold (10) make 15 frames, 0.47 s from the first.
    assert _written_at(model, _held_hand(model, hand_jpegs), rate) == pytest.approx(14 / 30, abs=1 / rate)


def test_a_held_letter_from_a_tracker_giving_10_results_a_second_waits_for_five_of_them(
    model: LetterModel, hand_jpegs: list[bytes]
) -> None:
    # The hold is time, but a hold's frames filled in between results are no more looks at the hand: the
    # letter is also read in half a hold's worth (5) of the tracker's own results, which at 10 a second
    # take longer than the hold.
    written_at = _written_at(model, _held_hand(model, hand_jpegs), 10.0)
    assert 14 / 30 < written_at <= 14 / 30 + 0.2


def test_one_result_missed_by_a_slower_tracker_is_a_glitch_and_a_hand_is_away_after_as_long_as_at_30(
    model: LetterModel, hand_jpegs: list[bytes]
) -> None:
    # At 15 results a second a missed result is 67 ms without the hand; the frame halfway to it takes the hand
    # that was seen, as a tracker at 30 a second might have missed only one frame. Each one missed after it
    # is two model frames without the hand: away once they add up to HAND_AWAY_FRAMES, as at 30 a second.
    hand = _held_hand(model, hand_jpegs)
    recognizer = Recognizer(model, RecognizerSettings())
    seen = [True] * 6 + [False] + [True] * 3
    for i, found in enumerate(seen):
        recognizer.recognize_keypoints(hand if found else None, "Right", **_sent_at(15.0, i))
    assert recognizer.frames == 2 * (len(seen) - 1) - 1 + 1  # every model frame but the one missed holds the hand
    missed_frames = 0
    for i in range(len(seen), len(seen) + 10):
        recognizer.recognize_keypoints(None, "Right", **_sent_at(15.0, i))
        missed_frames += 1 if i == len(seen) else 2
        assert (recognizer.frames == 0) == (missed_frames >= HAND_AWAY_FRAMES), missed_frames


def test_without_capture_times_every_frame_stands_for_one(model: LetterModel, hand_jpegs: list[bytes]) -> None:
    hand = _held_hand(model, hand_jpegs)
    recognizer = Recognizer(model, RecognizerSettings())
    for i in range(10):
        recognizer.recognize_keypoints(hand, "Right", arrived=i / 10)  # arriving 10 a second, saying nothing more
    assert recognizer.frames == 10


@pytest.fixture(scope="module")
def drawn_z() -> list[tuple[np.ndarray, str] | None]:
    """testkit's drawn Z, 200 px tall in 640x480, as the page's tracker (the full landmark model) finds it."""
    with HandTracker(HandSettings(model_complexity=1)) as tracker:
        found = [tracker.detect(np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)))
                 for frame in z_clip(Framing(size=200.0, seed=3))]
    assert sum(hand is None for hand in found) <= 2, "the drawn Z is found in (nearly) every frame"
    return [(hand.landmarks, hand.handedness) if hand is not None else None for hand in found]


@pytest.mark.parametrize("lost", range(FILLED_GAP_FRAMES, HAND_AWAY_FRAMES))
def test_a_z_whose_diagonal_the_tracker_lost_for_a_moment_is_written(
    model: LetterModel, drawn_z: list[tuple[np.ndarray, str] | None], lost: int
) -> None:
    # A webcam's shutter smears a Z's fast diagonal, and MediaPipe loses the hand there for a few frames
    # (bench/webcam_motion.py --exposure 0.5). Found again, the hand is put back in the window along a
    # straight line, which is what a Z's diagonal is; forgetting the motion there lost the Z.
    # Lost halfway through the motion, on the diagonal, where the tracker found it before and after.
    start = next(start for start in range(HOLD_FRAMES + Z_MOVE_FRAMES // 2 - lost // 2, HOLD_FRAMES, -1)
                 if all(drawn_z[index] is not None for index in range(start - 1, start + lost + 1)))
    missing = set(range(start, start + lost))
    recognizer = Recognizer(model, RecognizerSettings())
    text = ""
    for index, hand in enumerate(drawn_z):
        if index == min(missing):
            before = recognizer.frames
        landmarks, handedness = (None, "Right") if hand is None or index in missing else hand
        text = recognizer.recognize_keypoints(landmarks, handedness, aspect=4 / 3).text
        if index == max(missing) + 1:
            assert recognizer.frames == min(before + lost + 1, RecognizerSettings().buffer_size)
    for _ in range(RecognizerSettings().word_gap):
        text = recognizer.recognize_keypoints(None, "Right", aspect=4 / 3).text
    assert text == "Z "


def _placed(skeleton: np.ndarray, cx: float = 320.0) -> np.ndarray:
    """A testkit skeleton as the landmarks MediaPipe would give for it drawn 200 px long in a 640x480 frame."""
    pixels = place_skeleton(skeleton, Placement(cx=cx, cy=240.0, size=200.0))
    return (pixels / np.array([640.0, 480.0, 640.0])).astype(np.float32)


@pytest.mark.parametrize(("pixels_a_frame", "written_while_moving"), [(3.0, False), (1.0, True)],
                         ids=["slowly", "slower than slowly"])
def test_an_i_carried_slowly_is_written_once_it_stops(
    model: LetterModel, pixels_a_frame: float, written_while_moving: bool
) -> None:
    # A J drawn in 1.5 s starts its hook slower than a movement: the I it starts from must not be written
    # while the hand moves like that. If the hand then stops and holds the I, it is an I. Slower still, the
    # hand counts as held (real hands held still move at up to a quarter of that), and the I is written at
    # its time, while it moves.
    recognizer = Recognizer(model, RecognizerSettings())
    held, carried, i_shape = 12, 45, letter_shape("I")
    cx, written_at, speeds = 220.0, None, []
    for frame in range(held + carried + 2 * RecognizerSettings().commit_after):
        if held <= frame < held + carried:
            cx += pixels_a_frame
        text = recognizer.recognize_keypoints(_placed(i_shape, cx), "Right", aspect=4 / 3).text
        speeds.append(float(recognizer.window().speeds[0]))
        if text and written_at is None:
            written_at = frame
    assert text == "I"
    middle = float(np.median(speeds[held + 10 : held + carried]))
    if written_while_moving:
        assert middle < SLOW_MOVING_SPEED and written_at is not None and written_at < held + carried
    else:
        assert SLOW_MOVING_SPEED < middle < MOVING_SPEED and written_at is not None and written_at >= held + carried


@pytest.mark.parametrize("rate", [30.0, 15.0, 12.0, 10.0])
@pytest.mark.parametrize("phase", [0.0, 0.5])
def test_a_double_made_by_lowering_the_hand_is_written_at_every_tracker_rate(
    model: LetterModel, rate: float, phase: float
) -> None:
    # testkit's drawn doubles lower the hand for AWAY_FRAMES (six frames, 0.2 s), longer than a hand the tracker
    # only lost. A slower tracker sees fewer frames without it; the frames it skipped before finding the hand
    # again count too, so that the hand is away at 10 results a second as it is at 30.
    assert AWAY_FRAMES >= HAND_AWAY_FRAMES
    hands = [None if skeleton is None else _placed(skeleton) for skeleton in spelling_skeletons("LL")]
    recognizer = Recognizer(model, RecognizerSettings())
    text, seconds = "", (len(hands) + RecognizerSettings().word_gap) / 30
    for result in range(int(seconds * rate)):
        at = (result + phase) / rate
        hand = hands[int(at * 30)] if int(at * 30) < len(hands) else None
        text = recognizer.recognize_keypoints(hand, "Right", arrived=at, captured=1000 * at).text
    assert text.strip() == "LL"
