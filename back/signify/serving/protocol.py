"""The wire protocol (PROTOCOL.md, version 2): parsing and building messages.

Pure functions only: nothing here touches a socket. Parsing turns one
WebSocket message into a frame (:class:`FrameMessage`,
:class:`KeypointsMessage`) or a control message (reset, calibration,
profile, donation), or raises :class:`ProtocolError` carrying the error
code and the frame id to answer with.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from ..calibration.collection import Progress, Prompt
from ..calibration.profile import MAX_PROFILE_CHARS
from ..donations.store import valid_contributor
from ..recognition.normalization import NUM_LANDMARKS

PROTOCOL_VERSION = 2
MAX_CLIENT_ID = 2**53 - 1  # the largest integer a JavaScript client can represent exactly
# Raw MediaPipe coordinates lie near [0, 1]; a hand partly outside the picture
# goes a little beyond. Anything far outside is not a hand.
LANDMARK_LIMIT = 10.0
# Every message but a frame's image or a profile fits in this many characters
# (keypoints take about 1.5 KB). json.loads runs on the event loop, where a 1 MB
# padded keypoints message held every session for 4 to 90 ms: longer text is only
# read as a frame or a profile, by cutting out its base64 string and parsing the rest.
MAX_TEXT_CHARS = 16 * 1024
# A frame's image is base64 or a data: URL, a profile base64: no quote or backslash inside.
_BLOB_STRING = re.compile(r'"(image|profile)"\s*:\s*"([^"\\]*)"')
_BLOB_FIELDS = {"image": "frame", "profile": "profile"}  # the long string each message type may carry
MAX_CALIBRATION_LETTERS = 64
# A resumed transcript: capital letters and single spaces, at most this many characters.
MAX_RESUME_CHARS = 1000
_TRANSCRIPT = re.compile(r"(?:[A-Z]| (?! ))*")
MAX_FRAME_SIDE = 16384  # pixels, for a keypoints message's width and height
_NUMBERS = frozenset((int, float))
_POINT_SIZES = frozenset((2, 3))  # [x, y] or [x, y, z]
ERROR_CODES = frozenset({
    "bad_image", "bad_message", "too_large", "rate_limited", "bad_keypoints",
    "bad_profile", "profile_mismatch", "bad_calibration", "calibration_unavailable", "donation_failed",
})


class ProtocolError(ValueError):
    """A client message that gets an ``error`` answer; the connection stays open."""

    def __init__(self, code: str, message: str, frame_id: int | None = None) -> None:
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
        self.frame_id = frame_id


@dataclass(frozen=True)
class FrameMessage:
    """One encoded camera image."""

    id: int
    image: bytes


@dataclass(frozen=True)
class KeypointsMessage:
    """Hand landmarks tracked by the client itself; ``landmarks`` None when its tracker found no hand."""

    id: int
    landmarks: NDArray[np.float32] | None  # (21, 3), raw MediaPipe convention
    handedness: str
    aspect: float = 1.0  # the frame's width over its height; 1 when the client did not say (version 1)
    captured: float | None = None  # the client's capture time, echoed in the answer


@dataclass(frozen=True)
class ResetMessage:
    """Forget the buffer, the smoothing window and the transcript."""


@dataclass(frozen=True)
class CalibrationStart:
    """Start prompting ``letters`` (None: all the model's labels); donate only with the user's consent."""

    letters: tuple[str, ...] | None
    donate: bool
    contributor: str | None


@dataclass(frozen=True)
class CalibrationSkip:
    """Give up on the prompted letter."""


@dataclass(frozen=True)
class CalibrationStop:
    """End the calibration with the letters done so far."""


@dataclass(frozen=True)
class ProfileMessage:
    """A profile the server handed out before, as base64 (checked by signify.calibration.profile)."""

    profile: str


@dataclass(frozen=True)
class ProfileClear:
    """Back to the shared model."""


@dataclass(frozen=True)
class DonationDelete:
    """Delete every window donated under ``contributor``."""

    contributor: str


@dataclass(frozen=True)
class ResumeMessage:
    """After a reconnect: carry on with the transcript the client kept (checked: A-Z and single spaces)."""

    text: str


FrameLike = FrameMessage | KeypointsMessage
ControlMessage = (
    CalibrationStart | CalibrationSkip | CalibrationStop | ProfileMessage | ProfileClear | DonationDelete
    | ResumeMessage
)
ClientMessage = FrameMessage | KeypointsMessage | ResetMessage | ControlMessage


def parse_message(message: str | bytes, next_id: int, max_image_bytes: int) -> ClientMessage:
    """Parse one client message; ``next_id`` numbers frames that carry no id."""
    if isinstance(message, bytes):
        if not message:
            raise ProtocolError("bad_image", "empty binary message", next_id)
        return FrameMessage(id=next_id, image=message)
    payload = _load_json_object(message)
    kind = payload.get("type")
    if kind == "reset":
        return ResetMessage()
    if kind == "frame":
        frame_id = _frame_id(payload, next_id)
        return FrameMessage(id=frame_id, image=_decode_image_field(payload, frame_id, max_image_bytes))
    if kind == "keypoints":
        frame_id = _frame_id(payload, next_id)
        return _parse_keypoints(payload, frame_id)
    if isinstance(kind, str) and kind in _CONTROL:
        return _CONTROL[kind](payload)
    raise ProtocolError("bad_message", f"unknown message type {_describe(kind)}", _optional_id(payload))


def _parse_calibration_start(payload: dict[str, Any]) -> CalibrationStart:
    letters = payload.get("letters")
    if letters is not None and (
        not isinstance(letters, list) or not 0 < len(letters) <= MAX_CALIBRATION_LETTERS
        or not all(isinstance(letter, str) and 0 < len(letter) <= 8 for letter in letters)
    ):
        raise ProtocolError("bad_calibration", f"letters must be a list of 1 to {MAX_CALIBRATION_LETTERS} labels")
    donate = payload.get("donate", False)
    if not isinstance(donate, bool):
        raise ProtocolError("bad_calibration", "donate must be true or false")
    contributor = payload.get("contributor")
    if donate and not valid_contributor(contributor):
        raise ProtocolError("bad_calibration", "donating needs a contributor id of 8 to 64 letters, digits, _ or -")
    return CalibrationStart(tuple(letters) if letters is not None else None, donate, contributor if donate else None)


def _parse_profile(payload: dict[str, Any]) -> ProfileMessage:
    profile = payload.get("profile")
    if not isinstance(profile, str) or not profile:
        raise ProtocolError("bad_profile", "profile must be a non-empty base64 string")
    if len(profile) > MAX_PROFILE_CHARS:  # refused before it waits in the session's queue
        raise ProtocolError("bad_profile", f"profile of {len(profile)} characters exceeds {MAX_PROFILE_CHARS}")
    return ProfileMessage(profile)


def _parse_donation_delete(payload: dict[str, Any]) -> DonationDelete:
    contributor = payload.get("contributor")
    if not valid_contributor(contributor):
        raise ProtocolError("bad_calibration", "contributor must be 8 to 64 letters, digits, _ or -")
    assert isinstance(contributor, str)
    return DonationDelete(contributor)


def _parse_resume(payload: dict[str, Any]) -> ResumeMessage:
    text = payload.get("text")
    if not isinstance(text, str) or len(text) > MAX_RESUME_CHARS or not _TRANSCRIPT.fullmatch(text):
        raise ProtocolError("bad_message", f"resume needs a text of capital letters A-Z and single spaces, "
                                           f"at most {MAX_RESUME_CHARS} characters")
    return ResumeMessage(text)


_CONTROL: dict[str, Callable[[dict[str, Any]], ControlMessage]] = {
    "calibration_start": _parse_calibration_start,
    "calibration_skip": lambda _: CalibrationSkip(),
    "calibration_stop": lambda _: CalibrationStop(),
    "profile": _parse_profile,
    "profile_clear": lambda _: ProfileClear(),
    "donation_delete": _parse_donation_delete,
    "resume": _parse_resume,
}


def _load_json_object(text: str) -> dict[str, Any]:
    if len(text) <= MAX_TEXT_CHARS:
        return _parse_json_object(text, len(text))
    # Longer than any message but a frame: parse only what is left once its image is cut out.
    too_long = ProtocolError(
        "bad_message",
        f"text message of {len(text)} characters exceeds the limit of {MAX_TEXT_CHARS} outside a frame's image",
    )
    found = _BLOB_STRING.search(text)
    if found is None or len(text) - len(found[2]) > MAX_TEXT_CHARS:
        raise too_long
    payload = _parse_json_object(text[: found.start(2)] + text[found.end(2) :], len(text))
    # The rest must be a frame (a profile) whose image (profile) is the cut-out string. (A key ending
    # in \"image could make the cut take another string: harmless, it is checked as an image.)
    key = found[1]
    if payload.get("type") != _BLOB_FIELDS[key] or payload.get(key) != "":
        raise too_long
    payload[key] = found[2]
    return payload


def _parse_json_object(text: str, length: int) -> dict[str, Any]:
    try:
        # orjson reads a keypoints message in a sixth of json's time, 30 times a second per client. It reads
        # every integer past 64 bits as a float, which no field accepts as an integer nor reads differently.
        payload = orjson.loads(text)
    except orjson.JSONDecodeError:
        # It refuses what json reads (NaN, Infinity, lone surrogates, numbers past a double): json decides,
        # so that such a message gets the answer it always got.
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError):
            raise ProtocolError("bad_message", f"text message is not JSON ({length} characters)") from None
    if not isinstance(payload, dict):
        raise ProtocolError("bad_message", f"expected a JSON object, got {_json_type(payload)}")
    return payload


def _optional_id(payload: dict[str, Any]) -> int | None:
    value = payload.get("id")
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_CLIENT_ID:
        return value
    return None


def _frame_id(payload: dict[str, Any], next_id: int) -> int:
    if "id" not in payload or payload["id"] is None:
        return next_id
    frame_id = _optional_id(payload)
    if frame_id is None:
        raise ProtocolError("bad_message", f"id must be an integer from 0 to {MAX_CLIENT_ID}", next_id)
    return frame_id


def _decode_image_field(payload: dict[str, Any], frame_id: int, max_image_bytes: int) -> bytes:
    field = payload.get("image")
    if not isinstance(field, str) or not field:
        raise ProtocolError("bad_message", "frame needs an 'image' string (base64 or data: URL)", frame_id)
    if field.startswith("data:"):
        header, _, field = field.partition(",")
        if not header.endswith(";base64"):
            raise ProtocolError("bad_message", "data: URL must be base64-encoded", frame_id)
    if len(field) * 3 // 4 > max_image_bytes:
        raise ProtocolError("too_large", f"image exceeds {max_image_bytes} bytes", frame_id)
    try:
        image = base64.b64decode(field, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("bad_message", "image is not valid base64", frame_id) from None
    if not image:
        raise ProtocolError("bad_image", "image is empty", frame_id)
    return image


def _parse_keypoints(payload: dict[str, Any], frame_id: int) -> KeypointsMessage:
    aspect = _aspect(payload, frame_id)
    captured = payload.get("captured")
    if captured is not None and not (_is_number(captured) and math.isfinite(_coordinate(captured))):
        raise ProtocolError("bad_keypoints", "captured must be a finite number", frame_id)
    captured = float(captured) if captured is not None else None
    raw = payload.get("landmarks")
    if raw == []:  # the client's tracker found no hand in this frame
        return KeypointsMessage(frame_id, None, "Right", aspect, captured)
    if not isinstance(raw, list) or len(raw) != NUM_LANDMARKS:
        raise ProtocolError("bad_keypoints", f"landmarks must be a list of {NUM_LANDMARKS} points", frame_id)
    # Every keypoint client sends 30 of these a second: the checks are sets of types and lengths, built
    # in C, and one array, not a Python call per value (a third of the keypoint path's time went here).
    # Both JSON readers give exact ints and floats, so type() also keeps out booleans.
    sizes = set(map(len, raw)) if set(map(type, raw)) == {list} else set()
    if not sizes or not sizes <= _POINT_SIZES:
        raise _bad_point(frame_id)
    points = raw if sizes == {3} else [point if len(point) == 3 else [*point, 0.0] for point in raw]
    flat = list(chain.from_iterable(points))  # numpy reads a flat list of numbers in a quarter of the time
    if not set(map(type, flat)) <= _NUMBERS:
        raise _bad_point(frame_id)
    try:
        values: NDArray[np.float64] | None = np.array(flat, dtype=np.float64).reshape(NUM_LANDMARKS, 3)
    except OverflowError:  # a JSON integer beyond any float
        values = None
    # One reduction: a NaN's comparison is false, and an infinity is out of range.
    if values is None or not np.maximum.reduce(np.abs(values), axis=None) <= LANDMARK_LIMIT:
        raise ProtocolError("bad_keypoints", f"landmark values must be finite and within ±{LANDMARK_LIMIT}", frame_id)
    handedness = payload.get("handedness", "Right")
    if handedness not in ("Left", "Right"):
        raise ProtocolError("bad_keypoints", "handedness must be 'Left' or 'Right'", frame_id)
    return KeypointsMessage(frame_id, values.astype(np.float32), handedness, aspect, captured)


def _bad_point(frame_id: int) -> ProtocolError:
    return ProtocolError("bad_keypoints", "each landmark must be [x, y] or [x, y, z] numbers", frame_id)


def _aspect(payload: dict[str, Any], frame_id: int) -> float:
    """The frame's width over its height, from the optional ``width`` and ``height`` (1 without them)."""
    width, height = payload.get("width"), payload.get("height")
    if width is None and height is None:
        return 1.0
    sizes = (width, height)
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_FRAME_SIDE for v in sizes):
        raise ProtocolError(
            "bad_keypoints", f"width and height must be given together, as whole pixels from 1 to {MAX_FRAME_SIDE}",
            frame_id,
        )
    assert isinstance(width, int) and isinstance(height, int)
    return width / height


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coordinate(value: float) -> float:
    # JSON integers are unbounded: 1 followed by 400 zeros is valid JSON, and float() of it raises.
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _json_type(value: object) -> str:
    # The client speaks JSON, not Python: "got array", never "got list" or "got NoneType".
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "array"


def _describe(value: object) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool) or value is None else "object"
    return text[:40]


# ---- server -> client -------------------------------------------------------


def dumps(message: dict[str, Any]) -> str:
    """Serialize a server message compactly (UTF-8 JSON, as text for a WebSocket text frame)."""
    # orjson: a prediction in a fifth of json.dumps' time, and the same JSON values.
    return orjson.dumps(message).decode()


def ready_message(
    session: str, model_name: str, model_version: str, labels: list[str], buffer: int, window: int, max_fps: int,
    *, calibration: bool = False, donations: bool = False,
) -> dict[str, Any]:
    """The first message of every connection."""
    return {
        "type": "ready",
        "protocol": PROTOCOL_VERSION,
        "session": session,
        "model": {"name": model_name, "version": model_version, "labels": labels},
        "config": {
            "buffer": buffer, "window": window, "max_fps": max_fps,
            "calibration": {"available": calibration, "donations": calibration and donations,
                            "max_profile_chars": MAX_PROFILE_CHARS},
        },
    }


def model_message(
    name: str, version: str, labels: list[str], calibration: bool, profile_dropped: bool, calibration_cancelled: bool
) -> dict[str, Any]:
    """The session's model changed: the answers after this notice come from ``version``."""
    return {"type": "model", "model": {"name": name, "version": version, "labels": labels},
            "calibration": {"available": calibration},
            "profile_dropped": profile_dropped, "calibration_cancelled": calibration_cancelled}


def prompt_message(prompt: Prompt) -> dict[str, Any]:
    """Ask the user for the next letter of a calibration."""
    return {"type": "calibration", "state": "prompt", "letter": prompt.letter, "index": prompt.index,
            "letters": list(prompt.letters), "frames": prompt.frames}


def calibration_done_message(letters: list[str], skipped: list[str], donated: int) -> dict[str, Any]:
    """A calibration ended: what it calibrated, what it skipped, how many windows were donated."""
    return {"type": "calibration", "state": "done", "letters": letters, "skipped": skipped, "donated": donated}


def profile_message(profile: str, model_name: str, model_version: str, letters: list[str]) -> dict[str, Any]:
    """The user's profile, for the client to keep and send again."""
    return {"type": "profile", "profile": profile, "model": {"name": model_name, "version": model_version},
            "letters": letters, "chars": len(profile)}


def profile_loaded_message(model_name: str, model_version: str, letters: list[str]) -> dict[str, Any]:
    """The client's profile adapts this session from now on."""
    return {"type": "profile_loaded", "model": {"name": model_name, "version": model_version}, "letters": letters}


def donation_deleted_message(contributor: str, windows: int) -> dict[str, Any]:
    """Every window donated under ``contributor`` is gone."""
    return {"type": "donation_deleted", "contributor": contributor, "windows": windows}


def resumed_message(text: str) -> dict[str, Any]:
    """The session's transcript carries on from ``text``."""
    return {"type": "resumed", "text": text}


def dropped_message(ids: list[int], reason: str = "superseded") -> dict[str, Any]:
    """Frames that a newer frame overtook while the server was busy."""
    return {"type": "dropped", "ids": ids, "reason": reason}


def error_message(code: str, message: str, frame_id: int | None = None) -> dict[str, Any]:
    """An answer to a message the server could not use."""
    assert code in ERROR_CODES, code
    return {"type": "error", "id": frame_id, "code": code, "message": message}


def prediction_message(
    frame_id: int,
    top: list[tuple[str, float]],
    stable: str | None,
    text: str,
    landmarks: NDArray[np.float32] | None,
    timing_ms: dict[str, float],
    calibration: Progress | None = None,
    *,
    hand: bool | None = None,
    captured: float | None = None,
) -> dict[str, Any]:
    """The answer for one processed frame; ``top`` is empty when no hand was found.

    ``hand`` defaults to whether ``landmarks`` are given; a keypoints frame's answer passes
    ``hand`` and no landmarks (the client has them), and echoes its ``captured`` time.
    """
    hand = landmarks is not None if hand is None else hand
    message: dict[str, Any] = {
        "type": "prediction",
        "id": frame_id,
        "hand": hand,
        "letter": top[0][0] if hand and top else None,
        "confidence": round(top[0][1], 4) if hand and top else None,
        "stable": stable,
        "text": text,
        "top": [{"label": label, "score": round(score, 4)} for label, score in top] if hand else [],
        "landmarks": np.round(landmarks[:, :2], 4).tolist() if landmarks is not None else [],
        "timing_ms": timing_ms,
    }
    if captured is not None:
        message["captured"] = captured
    if calibration is not None:
        message["calibration"] = {"letter": calibration.letter, "collected": calibration.collected,
                                  "frames": calibration.frames}
    return message
