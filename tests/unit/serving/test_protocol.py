"""Parsing client messages and building server messages (PROTOCOL.md, version 2)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from signify.calibration.collection import Progress, Prompt
from signify.serving.protocol import (
    MAX_CALIBRATION_LETTERS,
    MAX_CLIENT_ID,
    MAX_TEXT_CHARS,
    PROTOCOL_VERSION,
    CalibrationSkip,
    CalibrationStart,
    CalibrationStop,
    DonationDelete,
    FrameMessage,
    KeypointsMessage,
    ProfileClear,
    ProfileMessage,
    ProtocolError,
    ResetMessage,
    calibration_done_message,
    donation_deleted_message,
    dropped_message,
    dumps,
    error_message,
    parse_message,
    prediction_message,
    profile_loaded_message,
    profile_message,
    prompt_message,
    ready_message,
)

LIMIT = 1024 * 1024
POINTS = [[0.5 + i * 0.01, 0.5 - i * 0.01, -0.01 * i] for i in range(21)]


def parse(message: str | bytes, next_id: int = 7) -> object:
    return parse_message(message, next_id, LIMIT)


def error_of(message: str | bytes, next_id: int = 7) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        parse(message, next_id)
    return caught.value


def test_binary_message_is_a_frame_numbered_by_arrival() -> None:
    assert parse(b"\xff\xd8jpeg", next_id=3) == FrameMessage(id=3, image=b"\xff\xd8jpeg")


def test_text_frame_with_base64_and_id() -> None:
    message = json.dumps({"type": "frame", "id": 17, "image": base64.b64encode(b"abc").decode()})
    assert parse(message) == FrameMessage(id=17, image=b"abc")


def test_text_frame_with_data_url_and_no_id() -> None:
    url = "data:image/jpeg;base64," + base64.b64encode(b"xyz").decode()
    assert parse(json.dumps({"type": "frame", "image": url}), next_id=4) == FrameMessage(id=4, image=b"xyz")


def test_keypoints() -> None:
    message = parse(json.dumps({"type": "keypoints", "id": 18, "landmarks": POINTS, "handedness": "Left"}))
    assert isinstance(message, KeypointsMessage)
    assert message.id == 18
    assert message.handedness == "Left"
    assert message.landmarks is not None
    assert message.landmarks.shape == (21, 3)
    assert message.landmarks.dtype == np.float32
    # Version 1: no frame size (read as square), no capture time.
    assert (message.aspect, message.captured) == (1.0, None)


def test_keypoints_with_two_coordinates_get_zero_depth() -> None:
    message = parse(json.dumps({"type": "keypoints", "landmarks": [p[:2] for p in POINTS]}))
    assert isinstance(message, KeypointsMessage) and message.landmarks is not None
    assert np.all(message.landmarks[:, 2] == 0)
    assert message.handedness == "Right"


def test_keypoints_carry_the_frame_size_and_capture_time() -> None:
    message = parse(json.dumps({"type": "keypoints", "id": 3, "landmarks": POINTS, "width": 1280, "height": 720,
                                "captured": 81234.5}))
    assert isinstance(message, KeypointsMessage)
    assert (message.aspect, message.captured) == (1280 / 720, 81234.5)


def test_empty_keypoints_mean_no_hand() -> None:
    message = parse(json.dumps({"type": "keypoints", "id": 4, "landmarks": [], "width": 640, "height": 480}))
    assert message == KeypointsMessage(4, None, "Right", 640 / 480, None)


@pytest.mark.parametrize("extra", [
    {"width": 640}, {"height": 480}, {"width": 0, "height": 480}, {"width": 640.5, "height": 480},
    {"width": True, "height": 480}, {"width": 16385, "height": 480}, {"width": "640", "height": "480"},
    {"captured": "now"}, {"captured": 1e400}, {"captured": [1]},
])
def test_bad_frame_sizes_and_capture_times_are_bad_keypoints(extra: dict[str, object]) -> None:
    error = error_of(json.dumps({"type": "keypoints", "id": 5, "landmarks": POINTS, **extra}))
    assert (error.code, error.frame_id) == ("bad_keypoints", 5)


def test_a_keypoints_answer_echoes_the_capture_time_and_not_the_landmarks() -> None:
    message = prediction_message(5, [("A", 0.9)], "A", "", None, {"total": 1.0}, hand=True, captured=81234.5)
    assert (message["hand"], message["letter"], message["landmarks"], message["captured"]) == (True, "A", [], 81234.5)
    assert "captured" not in prediction_message(5, [("A", 0.9)], "A", "", None, {"total": 1.0}, hand=True)


def test_reset() -> None:
    assert parse('{"type":"reset"}') == ResetMessage()


@pytest.mark.parametrize(
    ("message", "code", "frame_id"),
    [
        (b"", "bad_image", 7),
        ("not json", "bad_message", None),
        ("[1,2]", "bad_message", None),
        ('"frame"', "bad_message", None),
        ('{"type":"dance","id":3}', "bad_message", 3),
        ('{"no":"type"}', "bad_message", None),
        ('{"type":"frame"}', "bad_message", 7),
        ('{"type":"frame","image":"!!!not base64"}', "bad_message", 7),
        ('{"type":"frame","image":"data:image/png,rawtext"}', "bad_message", 7),
        ('{"type":"frame","id":"x","image":"AAAA"}', "bad_message", 7),
        ('{"type":"frame","id":-1,"image":"AAAA"}', "bad_message", 7),
        (f'{{"type":"frame","id":{MAX_CLIENT_ID + 1},"image":"AAAA"}}', "bad_message", 7),
        ('{"type":"frame","id":true,"image":"AAAA"}', "bad_message", 7),
        ('{"type":"keypoints","landmarks":[[0,0,0]]}', "bad_keypoints", 7),
        ('{"type":"keypoints","landmarks":"no"}', "bad_keypoints", 7),
    ],
)
def test_bad_messages_get_their_code_and_id(message: str | bytes, code: str, frame_id: int | None) -> None:
    error = error_of(message)
    assert (error.code, error.frame_id) == (code, frame_id)
    assert error.message


def test_oversized_base64_is_too_large() -> None:
    image = base64.b64encode(b"x" * 3000).decode()
    with pytest.raises(ProtocolError) as caught:
        parse_message(json.dumps({"type": "frame", "image": image}), 1, 1024)
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1e6, True, "0.5", None])
def test_keypoint_values_must_be_finite_numbers_in_range(bad: object) -> None:
    points = [list(p) for p in POINTS]
    points[5][1] = bad  # type: ignore[call-overload]
    text = json.dumps({"type": "keypoints", "landmarks": points})
    assert error_of(text).code == "bad_keypoints"


def test_handedness_must_be_left_or_right() -> None:
    text = json.dumps({"type": "keypoints", "landmarks": POINTS, "handedness": "Both"})
    assert error_of(text).code == "bad_keypoints"


def test_deeply_nested_json_is_a_bad_message() -> None:
    assert error_of("[" * 100000 + "]" * 100000).code == "bad_message"


def too_long(text: str) -> str:
    return f"text message of {len(text)} characters exceeds the limit of {MAX_TEXT_CHARS} outside a frame's image"


KEYPOINTS = {"type": "keypoints", "id": 4, "landmarks": POINTS}
BIG_IMAGE = base64.b64encode(bytes(range(256)) * 400).decode()  # 136 KB of base64


@pytest.mark.parametrize("text", [
    json.dumps({**KEYPOINTS, "pad": [[0.5, 0.5]] * 2000}),  # costly to parse: many small objects
    json.dumps({**KEYPOINTS, "pad": "x" * MAX_TEXT_CHARS}),
    json.dumps(KEYPOINTS) + " " * MAX_TEXT_CHARS,
    json.dumps({**KEYPOINTS, "image": BIG_IMAGE}),  # an image string does not make it a frame
    json.dumps({"type": "reset", "image": BIG_IMAGE}),
    json.dumps({"type": "frame", "id": 1, "image": BIG_IMAGE, "pad": "x" * MAX_TEXT_CHARS}),  # a frame padded too
    json.dumps({"type": "frame", "id": 1, "note": "\"image\":\"" + BIG_IMAGE, "image": "eHl6"}),
    json.dumps({"type": "frame", "image": BIG_IMAGE[:100] + "\\" + BIG_IMAGE}),  # an escape ends the image
    "[" * (MAX_TEXT_CHARS + 1),
    "x" * (MAX_TEXT_CHARS + 1),
])
def test_text_beyond_the_limit_outside_a_frame_image_is_refused_unparsed(text: str) -> None:
    assert len(text) > MAX_TEXT_CHARS
    error = error_of(text)
    assert (error.code, error.message, error.frame_id) == ("bad_message", too_long(text), None)


def test_text_at_the_limit_is_parsed() -> None:
    text = json.dumps(KEYPOINTS)
    text += " " * (MAX_TEXT_CHARS - len(text))
    assert isinstance(parse(text), KeypointsMessage)


@pytest.mark.parametrize("text", [
    json.dumps({"type": "frame", "id": 3, "image": BIG_IMAGE}),
    json.dumps({"image": BIG_IMAGE, "id": 3, "type": "frame"}),  # any key order
    '{ "id" : 3 ,\n "type" : "frame" , "image" :\t"' + BIG_IMAGE + '" }',
    json.dumps({"type": "frame", "id": 3, "image": "data:image/jpeg;base64," + BIG_IMAGE}),
    json.dumps({"type": "frame", "id": 3, "image": BIG_IMAGE, "extra": "x" * 1000}),
])
def test_a_frame_with_a_large_image_is_read(text: str) -> None:
    assert len(text) > MAX_TEXT_CHARS
    assert parse(text) == FrameMessage(id=3, image=bytes(range(256)) * 400)


def test_a_large_frame_with_broken_json_around_its_image_is_not_json() -> None:
    text = '{"type": "frame", "id": 3, "image": "' + BIG_IMAGE + '",}'
    error = error_of(text)
    assert (error.code, error.message) == ("bad_message", f"text message is not JSON ({len(text)} characters)")


def test_ready_message_shape() -> None:
    message = ready_message("c0ffee12", "asl-lstm", "1.0.0", ["A", "B"], 32, 5, 30)
    assert message == {
        "type": "ready", "protocol": PROTOCOL_VERSION, "session": "c0ffee12",
        "model": {"name": "asl-lstm", "version": "1.0.0", "labels": ["A", "B"]},
        "config": {"buffer": 32, "window": 5, "max_fps": 30,
                   "calibration": {"available": False, "donations": False, "max_profile_chars": 65536}},
    }
    assert PROTOCOL_VERSION == 2


def test_ready_says_whether_calibration_and_donations_are_on() -> None:
    def calibration(**kwargs: bool) -> object:
        return ready_message("c0ffee12", "asl-lstm", "3.1.0", ["A"], 32, 5, 30, **kwargs)["config"]["calibration"]

    assert calibration(calibration=True, donations=True) == {
        "available": True, "donations": True, "max_profile_chars": 65536}
    # Donations are calibration windows: without calibration there is nothing to donate.
    assert calibration(calibration=False, donations=True)["donations"] is False  # type: ignore[index]


CONTRIBUTOR = "k3xQ9_z-0aB1"


@pytest.mark.parametrize(("message", "expected"), [
    ({"type": "calibration_start"}, CalibrationStart(None, donate=False, contributor=None)),
    ({"type": "calibration_start", "letters": ["G", "K"]}, CalibrationStart(("G", "K"), False, None)),
    ({"type": "calibration_start", "letters": ["G"], "donate": True, "contributor": CONTRIBUTOR},
     CalibrationStart(("G",), True, CONTRIBUTOR)),
    # Without consent a contributor id is not even kept.
    ({"type": "calibration_start", "donate": False, "contributor": CONTRIBUTOR}, CalibrationStart(None, False, None)),
    ({"type": "calibration_skip"}, CalibrationSkip()),
    ({"type": "calibration_stop"}, CalibrationStop()),
    ({"type": "profile", "profile": "U0dOUA=="}, ProfileMessage("U0dOUA==")),
    ({"type": "profile_clear"}, ProfileClear()),
    ({"type": "donation_delete", "contributor": CONTRIBUTOR}, DonationDelete(CONTRIBUTOR)),
])
def test_control_messages(message: dict[str, object], expected: object) -> None:
    assert parse(json.dumps(message)) == expected


@pytest.mark.parametrize(("message", "code"), [
    ({"type": "calibration_start", "letters": []}, "bad_calibration"),
    ({"type": "calibration_start", "letters": "GK"}, "bad_calibration"),
    ({"type": "calibration_start", "letters": [1, 2]}, "bad_calibration"),
    ({"type": "calibration_start", "letters": ["A"] * (MAX_CALIBRATION_LETTERS + 1)}, "bad_calibration"),
    ({"type": "calibration_start", "donate": "yes", "contributor": CONTRIBUTOR}, "bad_calibration"),
    ({"type": "calibration_start", "donate": True}, "bad_calibration"),
    ({"type": "calibration_start", "donate": True, "contributor": "short"}, "bad_calibration"),
    ({"type": "calibration_start", "donate": True, "contributor": "x" * 65}, "bad_calibration"),
    ({"type": "calibration_start", "donate": True, "contributor": "has space ok?"}, "bad_calibration"),
    ({"type": "profile"}, "bad_profile"),
    ({"type": "profile", "profile": ""}, "bad_profile"),
    ({"type": "profile", "profile": 12}, "bad_profile"),
    ({"type": "donation_delete"}, "bad_calibration"),
    ({"type": "donation_delete", "contributor": "../../etc"}, "bad_calibration"),
])
def test_bad_control_messages_get_their_code_and_no_id(message: dict[str, object], code: str) -> None:
    error = error_of(json.dumps(message))
    assert (error.code, error.frame_id) == (code, None)


def test_a_profile_longer_than_other_text_is_read_as_a_profile() -> None:
    blob = base64.b64encode(bytes(range(256)) * 150).decode()
    assert len(blob) > MAX_TEXT_CHARS
    assert parse(json.dumps({"type": "profile", "profile": blob})) == ProfileMessage(blob)
    # Only a profile message may carry a long "profile": anything else that long is refused unparsed.
    assert error_of(json.dumps({"type": "frame", "profile": blob})).code == "bad_message"
    assert error_of(json.dumps({"type": "profile", "profile": blob, "pad": "x" * MAX_TEXT_CHARS})).code == (
        "bad_message")


def test_calibration_messages() -> None:
    prompt = Prompt("G", 0, ("G", "K"), 45)
    assert prompt_message(prompt) == {"type": "calibration", "state": "prompt", "letter": "G", "index": 0,
                                      "letters": ["G", "K"], "frames": 45}
    assert calibration_done_message(["G"], ["K"], 3) == {
        "type": "calibration", "state": "done", "letters": ["G"], "skipped": ["K"], "donated": 3}
    assert profile_message("QUJD", "asl-lstm", "3.1.0", ["G"]) == {
        "type": "profile", "profile": "QUJD", "model": {"name": "asl-lstm", "version": "3.1.0"}, "letters": ["G"],
        "chars": 4}
    assert profile_loaded_message("asl-lstm", "3.1.0", []) == {
        "type": "profile_loaded", "model": {"name": "asl-lstm", "version": "3.1.0"}, "letters": []}
    assert donation_deleted_message(CONTRIBUTOR, 9) == {
        "type": "donation_deleted", "contributor": CONTRIBUTOR, "windows": 9}


def test_a_prediction_while_calibrating_carries_the_progress() -> None:
    message = prediction_message(3, [], None, "", None, {"total": 1.0}, Progress("G", 12, 45))
    assert message["calibration"] == {"letter": "G", "collected": 12, "frames": 45}
    assert "calibration" not in prediction_message(3, [], None, "", None, {"total": 1.0})


def test_prediction_with_a_hand() -> None:
    landmarks = np.array(POINTS, dtype=np.float32)
    message = prediction_message(17, [("A", 0.93), ("S", 0.04), ("E", 0.01)], "A", "HELLO", landmarks,
                                 {"decode": 1.0, "keypoints": 5.0, "model": 0.2, "total": 7.0})
    assert message["type"] == "prediction"
    assert (message["id"], message["hand"], message["letter"], message["confidence"]) == (17, True, "A", 0.93)
    assert (message["stable"], message["text"]) == ("A", "HELLO")
    assert message["top"] == [{"label": "A", "score": 0.93}, {"label": "S", "score": 0.04},
                              {"label": "E", "score": 0.01}]
    assert len(message["landmarks"]) == 21
    assert all(len(point) == 2 for point in message["landmarks"])
    assert message["timing_ms"]["total"] == 7.0
    json.loads(dumps(message))


def test_prediction_without_a_hand() -> None:
    message = prediction_message(3, [], None, "HI", None, {"decode": 1.0, "keypoints": 5.0, "model": 0.0})
    assert (message["hand"], message["letter"], message["confidence"]) == (False, None, None)
    assert message["top"] == [] and message["landmarks"] == []
    assert message["text"] == "HI"


def test_dropped_and_error_messages() -> None:
    assert dropped_message([18, 19]) == {"type": "dropped", "ids": [18, 19], "reason": "superseded"}
    assert error_message("bad_image", "could not decode image (12 bytes)", 20) == {
        "type": "error", "id": 20, "code": "bad_image", "message": "could not decode image (12 bytes)"}
