"""Every bad input gets its own exact answer, and the same connection goes on predicting afterwards.

Each case opens a fresh connection to the real server, sends one hostile
message, compares the whole answer with what PROTOCOL.md promises, then
sends a good frame on the same connection and gets its prediction.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import cv2
import pytest
from signify.serving.protocol import LANDMARK_LIMIT, MAX_CLIENT_ID, MAX_TEXT_CHARS

from . import payloads
from .conftest import Serve
from .wire import Message, answer, open_client, ready, still_predicts

HAND = payloads.hand_bgr()
JPEG = payloads.encode(HAND, ".jpg")
PNG = payloads.encode(HAND, ".png")
WEBP = payloads.encode(HAND, ".webp", cv2.IMWRITE_WEBP_QUALITY, 80)
POINTS = [[0.5 + 0.01 * i, 0.5 - 0.01 * i, -0.01 * i] for i in range(21)]
FOLLOW_UP_ID = 1000  # the good frame after a bad text message names itself: no dependence on numbering
BAD_LANDMARK = f"landmark values must be finite and within ±{LANDMARK_LIMIT}"
BAD_POINT = "each landmark must be [x, y] or [x, y, z] numbers"
BAD_ID = f"id must be an integer from 0 to {MAX_CLIENT_ID}"
NEEDS_IMAGE = "frame needs an 'image' string (base64 or data: URL)"


def error(code: str, message: str, frame_id: int | None) -> Message:
    """The error answer PROTOCOL.md defines."""
    return {"type": "error", "id": frame_id, "code": code, "message": message}


def keypoints(frame_id: int | None = 5, points: object = None, **extra: object) -> str:
    """A keypoints message; NaN and infinities are written as Python's json writes them (NaN, Infinity)."""
    message: dict[str, Any] = {"type": "keypoints", "landmarks": POINTS if points is None else points, **extra}
    if frame_id is not None:
        message["id"] = frame_id
    return json.dumps(message, allow_nan=True)


def with_value(value: object, point: int = 3, axis: int = 0) -> list[list[object]]:
    """The good landmarks with one coordinate replaced."""
    points: list[list[object]] = [list(p) for p in POINTS]
    points[point][axis] = value
    return points


def text_frame(image: bytes | str, frame_id: int | None) -> str:
    """A text frame carrying raw bytes as base64, or a given image string verbatim."""
    encoded = image if isinstance(image, str) else base64.b64encode(image).decode()
    message: dict[str, Any] = {"type": "frame", "image": encoded}
    if frame_id is not None:
        message["id"] = frame_id
    return json.dumps(message)


@dataclass(frozen=True)
class Case:
    """One hostile message and the whole answer it must get."""

    message: str | bytes
    expected: Message
    check: dict[str, Any] = field(default_factory=dict)  # extra fields a prediction must have


def binary_error(data: bytes, code: str, text: str) -> Case:
    """A binary frame is always frame 1 on a fresh connection, whatever is wrong with it."""
    return Case(data, error(code, text, 1))


def undecodable(data: bytes) -> Case:
    """Bytes whose header is sound but whose image data is not."""
    return binary_error(data, "bad_image", f"could not decode image ({len(data)} bytes)")


def prediction(data: bytes, **check: Any) -> Case:
    """An unusual but valid image: it is processed like any other."""
    return Case(data, {"type": "prediction", "id": 1}, check)


NO_HAND = {"hand": False, "letter": None, "confidence": None, "top": [], "landmarks": []}

BINARY_CASES = {
    "empty binary message": binary_error(b"", "bad_image", "empty binary message"),
    "random bytes": binary_error(payloads.random_bytes(64), "bad_image", "not a JPEG, PNG or WebP image (64 bytes)"),
    "JPEG cut inside its header": binary_error(JPEG[:20], "bad_image", "truncated JPEG: no frame header (20 bytes)"),
    "JPEG cut inside its data": undecodable(JPEG[: len(JPEG) // 2]),
    "PNG cut inside its header": binary_error(PNG[:20], "bad_image", "truncated PNG header (20 bytes)"),
    "PNG cut inside its data": binary_error(
        PNG[: len(PNG) // 2], "bad_image", f"truncated PNG: a chunk runs past the end ({len(PNG) // 2} bytes)"
    ),
    "WebP cut inside its header": binary_error(
        WEBP[:20], "bad_image", "truncated or unsupported WebP header (20 bytes)"
    ),
    "WebP cut inside its data": undecodable(WEBP[: len(WEBP) // 2]),
    "JPEG declaring no rows": binary_error(
        payloads.jpeg_bomb(64, 0), "bad_image", "JPEG declares an empty image (64x0)"
    ),
    "valid 10000x10000 PNG": binary_error(
        payloads.blank_png(10000, 10000), "too_large", "PNG of 10000x10000 exceeds the limit of 4194304 pixels"
    ),
    # 640000 pixels, but a side this long made MediaPipe abort the whole server process.
    "valid 16x40000 PNG": binary_error(
        payloads.blank_png(16, 40000), "too_large", "PNG of 16x40000 exceeds the longest side of 16384 pixels"
    ),
    "JPEG bomb declaring 30000x30000": binary_error(
        payloads.jpeg_bomb(30000, 30000), "too_large", "JPEG of 30000x30000 exceeds the limit of 4194304 pixels"
    ),
    "PNG bomb declaring 30000x30000": binary_error(
        payloads.png_bomb(30000, 30000), "too_large", "PNG of 30000x30000 exceeds the limit of 4194304 pixels"
    ),
    "WebP bomb declaring 16384x16384": binary_error(
        payloads.webp_bomb(16384, 16384), "too_large", "WebP of 16384x16384 exceeds the limit of 4194304 pixels"
    ),
    "valid 1x1 PNG": prediction(payloads.one_pixel_png(), **NO_HAND),
    "grayscale PNG": prediction(payloads.grayscale_png()),
    "grayscale JPEG": prediction(payloads.encode(cv2.cvtColor(HAND, cv2.COLOR_BGR2GRAY), ".jpg")),
    "RGBA PNG": prediction(payloads.rgba_png()),
    "16-bit PNG": prediction(payloads.sixteen_bit_png()),
    "lossless WebP": prediction(payloads.encode(HAND, ".webp", cv2.IMWRITE_WEBP_QUALITY, 101)),
    "JPEG turned by its EXIF orientation": prediction(payloads.exif_rotated_jpeg(HAND)),
}

def too_long(text: str) -> str:
    """The answer to text longer than any message but a frame with its image."""
    return f"text message of {len(text)} characters exceeds the limit of {MAX_TEXT_CHARS} outside a frame's image"


# Many small arrays: json.loads took up to 90 ms on the event loop for one of these.
PADDED_KEYPOINTS = keypoints(pad=[[0.5, 0.5]] * 80_000)
TOO_LONG = too_long(PADDED_KEYPOINTS)
PADDED_FRAME = text_frame(JPEG, 6)[:-1] + ', "pad": [' + "0," * 20_000 + "0]}"
LONG_ID = '{"type":"frame","id":' + "9" * 5000 + ',"image":"eHl6"}'
TEXT_CASES = {
    "empty text message": Case("", error("bad_message", "text message is not JSON (0 characters)", None)),
    "text that is not JSON": Case("hello", error("bad_message", "text message is not JSON (5 characters)", None)),
    "JSON nested 16000 deep": Case(
        "[" * 16_000, error("bad_message", "text message is not JSON (16000 characters)", None)
    ),
    # Beyond MAX_TEXT_CHARS only a frame's image is read: nothing else is parsed on the event loop.
    "keypoints padded to 1 MB": Case(PADDED_KEYPOINTS, error("bad_message", TOO_LONG, None)),
    "JSON nested 100000 deep": Case(
        "[" * 100_000, error("bad_message", too_long("[" * 100_000), None)
    ),
    "frame padded besides its image": Case(PADDED_FRAME, error("bad_message", too_long(PADDED_FRAME), None)),
    "JSON array": Case("[1, 2, 3]", error("bad_message", "expected a JSON object, got array", None)),
    "JSON null": Case("null", error("bad_message", "expected a JSON object, got null", None)),
    "JSON string": Case('"frame"', error("bad_message", "expected a JSON object, got string", None)),
    "JSON number": Case("42", error("bad_message", "expected a JSON object, got number", None)),
    "object without a type": Case("{}", error("bad_message", "unknown message type null", None)),
    "type of the wrong JSON type": Case(
        '{"type": ["frame"]}', error("bad_message", "unknown message type object", None)
    ),
    "unknown message type": Case(
        '{"type": "selfie", "id": 9}', error("bad_message", 'unknown message type "selfie"', 9)
    ),
    "unknown message type, bad id": Case(
        '{"type": "selfie", "id": "nine"}', error("bad_message", 'unknown message type "selfie"', None)
    ),
    "frame without an image": Case('{"type": "frame", "id": 3}', error("bad_message", NEEDS_IMAGE, 3)),
    "frame image of the wrong JSON type": Case(
        '{"type": "frame", "id": 3, "image": [1, 2]}', error("bad_message", NEEDS_IMAGE, 3)
    ),
    "broken base64": Case(text_frame("@@@@", 4), error("bad_message", "image is not valid base64", 4)),
    "base64 with bad padding": Case(text_frame("abcde", 4), error("bad_message", "image is not valid base64", 4)),
    "data URL not in base64": Case(
        text_frame("data:image/jpeg,abcd", 4), error("bad_message", "data: URL must be base64-encoded", 4)
    ),
    "data URL with nothing in it": Case(
        text_frame("data:image/jpeg;base64,", 4), error("bad_image", "image is empty", 4)
    ),
    "base64 of garbage": Case(
        text_frame(b"xyz", 7), error("bad_image", "not a JPEG, PNG or WebP image (3 bytes)", 7)
    ),
    "base64 of a valid 10000x10000 PNG": Case(
        text_frame(payloads.blank_png(10000, 10000), 8),
        error("too_large", "PNG of 10000x10000 exceeds the limit of 4194304 pixels", 8),
    ),
    "base64 of a JPEG bomb": Case(
        text_frame(payloads.jpeg_bomb(30000, 30000), 8),
        error("too_large", "JPEG of 30000x30000 exceeds the limit of 4194304 pixels", 8),
    ),
    "keypoints with NaN": Case(keypoints(points=with_value(float("nan"))), error("bad_keypoints", BAD_LANDMARK, 5)),
    "keypoints with infinity": Case(
        keypoints(points=with_value(float("inf"), axis=1)), error("bad_keypoints", BAD_LANDMARK, 5)
    ),
    "keypoints with minus infinity": Case(
        keypoints(points=with_value(float("-inf"), axis=2)), error("bad_keypoints", BAD_LANDMARK, 5)
    ),
    "keypoints with 1e999": Case(
        '{"type":"keypoints","id":5,"landmarks":[[1e999,0,0]' + ",[0.5,0.5,0]" * 20 + "]}",
        error("bad_keypoints", BAD_LANDMARK, 5),
    ),
    "keypoints with a 400-digit integer": Case(
        keypoints(points=with_value(10**400)), error("bad_keypoints", BAD_LANDMARK, 5)
    ),
    "keypoints out of range": Case(
        keypoints(points=with_value(LANDMARK_LIMIT + 0.5)), error("bad_keypoints", BAD_LANDMARK, 5)
    ),
    "keypoints far out of range": Case(keypoints(points=with_value(-1e300)), error("bad_keypoints", BAD_LANDMARK, 5)),
    "20 keypoints": Case(
        keypoints(points=POINTS[:20]), error("bad_keypoints", "landmarks must be a list of 21 points", 5)
    ),
    "22 keypoints": Case(
        keypoints(points=[*POINTS, POINTS[0]]), error("bad_keypoints", "landmarks must be a list of 21 points", 5)
    ),
    "landmarks not a list": Case(
        keypoints(points="all of them"), error("bad_keypoints", "landmarks must be a list of 21 points", 5)
    ),
    "a landmark with one coordinate": Case(
        keypoints(points=[[0.5], *POINTS[1:]]), error("bad_keypoints", BAD_POINT, 5)
    ),
    "a landmark with four coordinates": Case(
        keypoints(points=[[0.5, 0.5, 0.0, 1.0], *POINTS[1:]]), error("bad_keypoints", BAD_POINT, 5)
    ),
    "a landmark that is a string": Case(keypoints(points=with_value("left")), error("bad_keypoints", BAD_POINT, 5)),
    "a landmark that is a boolean": Case(keypoints(points=with_value(True)), error("bad_keypoints", BAD_POINT, 5)),
    "a landmark that is null": Case(keypoints(points=with_value(None)), error("bad_keypoints", BAD_POINT, 5)),
    "handedness neither Left nor Right": Case(
        keypoints(handedness="Both"), error("bad_keypoints", "handedness must be 'Left' or 'Right'", 5)
    ),
    # An id the client cannot use is replaced by the arrival number, so the answer still names the message.
    "id of 2**64": Case(keypoints(frame_id=2**64), error("bad_message", BAD_ID, 1)),
    "id just over what JavaScript can hold": Case(
        keypoints(frame_id=MAX_CLIENT_ID + 1), error("bad_message", BAD_ID, 1)
    ),
    "negative id": Case(keypoints(frame_id=-3), error("bad_message", BAD_ID, 1)),
    "fractional id": Case(
        '{"type":"keypoints","id":1.5,"landmarks":' + json.dumps(POINTS) + "}", error("bad_message", BAD_ID, 1)
    ),
    "id of 1e400": Case(
        '{"type":"keypoints","id":1e400,"landmarks":' + json.dumps(POINTS) + "}", error("bad_message", BAD_ID, 1)
    ),
    "id that is a string": Case(keypoints(frame_id="7"), error("bad_message", BAD_ID, 1)),  # type: ignore[arg-type]
    "id that is a boolean": Case(keypoints(frame_id=True), error("bad_message", BAD_ID, 1)),
    # Python refuses to parse integers of over 4300 digits: a message that tries is simply not JSON.
    "id of 5000 digits": Case(
        LONG_ID, error("bad_message", f"text message is not JSON ({len(LONG_ID)} characters)", None)
    ),
}


def assert_answer(reply: Message, case: Case) -> None:
    """The whole answer for errors; for predictions the fields that do not depend on timing or the model."""
    if case.expected["type"] == "error":
        assert reply == case.expected
        return
    assert {key: reply[key] for key in case.expected} == case.expected, reply
    assert {key: reply[key] for key in case.check} == case.check, reply


@pytest.mark.parametrize("name", list(BINARY_CASES))
async def test_binary_message(name: str, serve: Serve, hand_frame: bytes) -> None:
    case = BINARY_CASES[name]
    app = await serve()
    async with open_client(app) as ws:
        await ready(ws)
        assert_answer(await answer(ws, case.message), case)
        await still_predicts(ws, hand_frame, 2)  # binary frames keep their arrival numbers


@pytest.mark.parametrize("name", list(TEXT_CASES))
async def test_text_message(name: str, serve: Serve, hand_frame: bytes) -> None:
    case = TEXT_CASES[name]
    app = await serve()
    async with open_client(app) as ws:
        await ready(ws)
        assert_answer(await answer(ws, case.message), case)
        await still_predicts(ws, text_frame(hand_frame, FOLLOW_UP_ID), FOLLOW_UP_ID)


async def test_the_largest_id_a_client_can_hold_is_kept(serve: Serve) -> None:
    app = await serve()
    async with open_client(app) as ws:
        await ready(ws)
        reply = await answer(ws, keypoints(frame_id=MAX_CLIENT_ID))
    assert (reply["type"], reply["id"], reply["hand"]) == ("prediction", MAX_CLIENT_ID, True)


async def test_a_flood_of_resets_is_absorbed_silently(serve: Serve) -> None:
    app = await serve()  # the default MAX_FPS: a reset flood must not need a higher one
    async with open_client(app) as ws:
        await ready(ws)
        for frame_id in range(1, 21):  # a hand held still: its letter becomes stable and enters the transcript
            before = await answer(ws, keypoints(frame_id=frame_id))
        assert before["text"] and before["stable"]
        for _ in range(2000):
            await ws.send('{"type":"reset"}')
        # Resets are never answered: the very next message is the answer to the next frame, from a clean slate.
        reply = await answer(ws, keypoints(frame_id=21))
    assert (reply["type"], reply["id"], reply["text"], reply["stable"]) == ("prediction", 21, "", None)
    assert ws.close_code == 1000  # closed by us, not for abuse


async def test_bad_messages_in_a_row_each_get_their_answer(serve: Serve, hand_frame: bytes) -> None:
    """Interleaved garbage and good frames: one answer each, in order, nothing skipped."""
    app = await serve(MAX_FPS="240")
    messages: list[tuple[str | bytes, str]] = []
    for _ in range(10):
        messages += [(b"", "error"), ("nope", "error"), (hand_frame, "prediction"), (keypoints(), "prediction")]
    async with open_client(app) as ws:
        await ready(ws)
        replies = [await answer(ws, message) for message, _ in messages]
    assert [reply["type"] for reply in replies] == [kind for _, kind in messages]
