"""The configured limits and the handshake policy, each with the exact answer PROTOCOL.md promises."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from . import payloads
from .conftest import Serve
from .wire import Message, answer, open_client, ready, receive, still_predicts, until, ws_url

MIB = 1024 * 1024
POINTS = [[0.5 + 0.01 * i, 0.5 - 0.01 * i, 0.0] for i in range(21)]
TOKEN = "k7-Qx_r2.Vb9"


def keypoints(frame_id: int) -> str:
    return json.dumps({"type": "keypoints", "id": frame_id, "landmarks": POINTS})


async def close_of(ws: ClientConnection) -> tuple[int | None, str | None]:
    """Read until the server closes; its close code and reason."""
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(30):
            while True:
                await ws.recv()
    return ws.close_code, ws.close_reason


# ---- message size --------------------------------------------------------------


async def test_a_binary_message_of_exactly_max_frame_bytes_is_read(serve: Serve, hand_frame: bytes) -> None:
    app = await serve()
    async with open_client(app) as ws:
        await ready(ws)
        reply = await answer(ws, b"\xff\xd8" + bytes(MIB - 2))
        assert reply == {"type": "error", "id": 1, "code": "bad_image", "message": "corrupt JPEG marker stream"}
        await still_predicts(ws, hand_frame, 2)


@pytest.mark.parametrize("kind", ["binary", "text with base64"])
async def test_one_byte_over_max_frame_bytes_closes_1009(kind: str, serve: Serve, hand_frame: bytes) -> None:
    app = await serve()
    if kind == "binary":
        oversized: str | bytes = hand_frame + bytes(MIB + 1 - len(hand_frame))
    else:
        envelope = json.dumps({"type": "frame", "id": 1, "image": ""})
        oversized = envelope.replace('""', '"' + "A" * (MIB + 1 - len(envelope)) + '"')
    assert len(oversized) == MIB + 1
    async with open_client(app) as ws:
        await ready(ws)
        await still_predicts(ws, hand_frame, 1)
        await ws.send(oversized)
        code, reason = await close_of(ws)
        assert (code, reason) == (1009, f"frame with {MIB + 1} bytes exceeds limit of {MIB} bytes")
    async with open_client(app) as ws:  # a new connection is welcome
        await ready(ws)
        await still_predicts(ws, hand_frame, 1)


async def test_max_frame_bytes_is_configurable(serve: Serve, hand_frame: bytes) -> None:
    app = await serve(MAX_FRAME_BYTES="16384")
    assert len(hand_frame) > 16384
    async with open_client(app) as ws:
        await ready(ws)
        await ws.send(hand_frame)
        code, _ = await close_of(ws)
    assert code == 1009


# ---- decoded pixels ---------------------------------------------------------------


async def test_max_image_pixels_is_read_from_the_header(serve: Serve) -> None:
    app = await serve(MAX_IMAGE_PIXELS="10000")
    async with open_client(app) as ws:
        await ready(ws)
        assert (await answer(ws, payloads.blank_png(100, 100)))["type"] == "prediction"
        assert await answer(ws, payloads.blank_png(101, 100)) == {
            "type": "error", "id": 2, "code": "too_large",
            "message": "PNG of 101x100 exceeds the limit of 10000 pixels",
        }
        assert (await answer(ws, payloads.blank_png(100, 100)))["type"] == "prediction"


# ---- message rate -----------------------------------------------------------------


async def test_too_fast_gets_rate_limited_then_sustained_abuse_closes_1008(serve: Serve) -> None:
    app = await serve(MAX_FPS="2")
    async with open_client(app) as ws:
        await ready(ws)
        for frame_id in range(1, 7):  # a burst of one second's allowance, then four too many
            await ws.send(keypoints(frame_id))
        replies = [await receive(ws) for _ in range(6)]
        served = [r for r in replies if r["type"] != "error"]
        limited = [r for r in replies if r["type"] == "error"]
        assert sorted(frame_id for r in served for frame_id in r.get("ids") or [r["id"]]) == [1, 2]
        assert limited == [
            {"type": "error", "id": frame_id, "code": "rate_limited", "message": "more than 2 messages per second"}
            for frame_id in range(3, 7)
        ]
        # Far more than the allowance, for long: the client is abusive, not eager.
        for frame_id in range(7, 100):
            await ws.send(keypoints(frame_id))
        code, reason = await close_of(ws)
    assert (code, reason) == (1008, "rate limit exceeded")
    async with open_client(app) as ws:  # nobody is banned: a new connection starts with a full allowance
        await ready(ws)
        assert (await answer(ws, keypoints(1)))["type"] == "prediction"


async def test_a_flood_of_bad_messages_is_rate_limited_and_closed_like_one_of_frames(serve: Serve) -> None:
    app = await serve(MAX_FPS="2")
    async with open_client(app) as ws:
        await ready(ws)
        for _ in range(4):
            await ws.send("garbage")
        replies = [await receive(ws) for _ in range(4)]
        assert replies == [
            *[{"type": "error", "id": None, "code": "bad_message",
               "message": "text message is not JSON (7 characters)"}] * 2,
            *[{"type": "error", "id": None, "code": "rate_limited",
               "message": "more than 2 messages per second"}] * 2,
        ]
        for _ in range(100):
            await ws.send("garbage")
        code, reason = await close_of(ws)
    assert (code, reason) == (1008, "rate limit exceeded")


# ---- sessions ----------------------------------------------------------------------


async def test_a_crowd_beyond_max_keypoint_sessions_is_told_to_come_back(serve: Serve, hand_frame: bytes) -> None:
    app = await serve(MAX_KEYPOINT_SESSIONS="2")

    async def first_answer(ws: ClientConnection) -> Message | tuple[int | None, str | None]:
        try:
            return await receive(ws)
        except ConnectionClosed:
            return ws.close_code, ws.close_reason

    clients = [await open_client(app) for _ in range(10)]
    outcomes = await asyncio.gather(*(first_answer(ws) for ws in clients))
    admitted = [ws for ws, outcome in zip(clients, outcomes, strict=True) if isinstance(outcome, dict)]
    refused = [outcome for outcome in outcomes if not isinstance(outcome, dict)]
    assert len(admitted) == 2
    assert refused == [(1013, "at capacity, try again later")] * 8
    for ws in admitted:
        await still_predicts(ws, hand_frame, 1)
    for ws in clients:
        await ws.close()
    await until(lambda: app.status.sessions == app.status.sessions_closing == 0)
    async with open_client(app) as ws:
        await ready(ws)


async def test_an_idle_session_is_closed(serve: Serve) -> None:
    app = await serve(IDLE_TIMEOUT="1")
    async with open_client(app, ping_interval=0.2) as ws:  # pings keep TCP alive, but they are not messages
        await ready(ws)
        assert await close_of(ws) == (1000, "idle timeout")
    await until(lambda: app.status.sessions == app.status.sessions_closing == 0)


async def test_a_session_that_keeps_sending_outlives_the_idle_timeout(serve: Serve) -> None:
    app = await serve(IDLE_TIMEOUT="1")
    async with open_client(app) as ws:
        await ready(ws)
        for frame_id in range(1, 7):  # three seconds of messages half a second apart: never a second's silence
            assert (await answer(ws, keypoints(frame_id)))["id"] == frame_id
            await asyncio.sleep(0.5)
        assert (await answer(ws, keypoints(7)))["id"] == 7
        assert await close_of(ws) == (1000, "idle timeout")  # then silent, and closed


async def test_frames_are_never_compressed(serve: Serve) -> None:
    app = await serve()
    async with connect(ws_url(app.websocket.port)) as ws:  # websockets offers permessage-deflate by default
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        await ready(ws)


# ---- origin and token ------------------------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "https://signify.example.evil.example", "http://signify.example", "null",
     "https://signify.example/"],
)
async def test_a_browser_from_another_origin_is_refused_403(origin: str, serve: Serve) -> None:
    app = await serve(ALLOWED_ORIGINS="https://signify.example, https://demo.signify.example")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(app.websocket.port), origin=Origin(origin)):
            pass
    assert refused.value.response.status_code == 403
    assert app.metrics.sessions_total._value.get() == 0


@pytest.mark.parametrize("origin", ["https://signify.example", "https://demo.signify.example", None])
async def test_listed_origins_and_non_browser_clients_are_welcome(origin: str | None, serve: Serve) -> None:
    app = await serve(ALLOWED_ORIGINS="https://signify.example, https://demo.signify.example")
    async with connect(ws_url(app.websocket.port), origin=Origin(origin) if origin else None) as ws:
        await ready(ws)


@pytest.mark.parametrize(
    ("offer", "query"),
    [(["signify", f"token.{TOKEN}"], ""), ([f"token.{TOKEN}", "signify"], ""), (["signify"], f"?token={TOKEN}"),
     (None, f"?token={TOKEN}")],
    ids=["subprotocol", "subprotocol first", "query with signify", "query alone"],
)
async def test_the_right_token_is_accepted(offer: list[str] | None, query: str, serve: Serve) -> None:
    app = await serve(AUTH_TOKEN=TOKEN)
    subprotocols = [Subprotocol(s) for s in offer] if offer else None
    async with open_client(app, query, subprotocols=subprotocols) as ws:
        await ready(ws)
        assert ws.response is not None
        # The server picks "signify", as a browser requires, and never echoes the token.
        assert ws.response.headers.get("Sec-WebSocket-Protocol") == ("signify" if offer else None)


@pytest.mark.parametrize(
    ("offer", "query"),
    [(None, ""), (["signify"], ""), (["signify", "token."], ""), (["signify", f"token.{TOKEN[:-1]}"], ""),
     (["signify", f"token.{TOKEN}x"], ""), (["signify", f"TOKEN.{TOKEN}"], ""), (None, "?token="),
     (None, f"?token={TOKEN.upper()}"), (None, f"?tok={TOKEN}")],
    ids=["nothing", "signify only", "empty", "a prefix", "longer", "wrong prefix case", "empty query",
         "wrong case", "wrong parameter"],
)
async def test_a_missing_or_wrong_token_closes_1008(offer: list[str] | None, query: str, serve: Serve) -> None:
    app = await serve(AUTH_TOKEN=TOKEN)
    subprotocols = [Subprotocol(s) for s in offer] if offer else None
    async with open_client(app, query, subprotocols=subprotocols) as ws:
        assert await close_of(ws) == (1008, "missing or wrong token")
    assert app.metrics.sessions_total._value.get() == 0
