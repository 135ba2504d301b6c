"""Size, rate, idle, origin and token limits, each with the answer the protocol promises."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import StartApp
from tests.e2e.client import open_client, receive, ws_url

POINTS = [[0.5 + 0.01 * i, 0.5 - 0.01 * i, 0.0] for i in range(21)]
KEYPOINTS = json.dumps({"type": "keypoints", "landmarks": POINTS})


async def closed_with(ws: object, timeout: float = 10.0) -> int | None:
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()  # type: ignore[attr-defined]
    except ConnectionClosed:
        pass
    return ws.close_code  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("kind", ["binary", "text"])
async def test_a_message_over_max_frame_bytes_closes_1009(start_app: StartApp, kind: str) -> None:
    app = await start_app(MAX_FRAME_BYTES="65536")
    async with open_client(app, max_size=None) as ws:
        await receive(ws)
        oversized = b"\xff\xd8" + b"x" * 70_000
        await ws.send(oversized if kind == "binary" else json.dumps({"type": "frame", "image": "A" * 70_000}))
        assert await closed_with(ws) == 1009


async def test_rate_limit_answers_rate_limited_then_closes_abusers_1008(start_app: StartApp) -> None:
    app = await start_app(MAX_FPS="5")
    async with open_client(app) as ws:
        await receive(ws)
        for _ in range(12):
            await ws.send(KEYPOINTS)
        answers = [await receive(ws) for _ in range(12)]
        codes = [a.get("code") for a in answers if a["type"] == "error"]
        assert "rate_limited" in codes
        assert all(code == "rate_limited" for code in codes)
        limited = next(a for a in answers if a.get("code") == "rate_limited")
        assert isinstance(limited["id"], int)  # the refused frame is named, so the client can account for it
        for _ in range(300):
            await ws.send(KEYPOINTS)
        assert await closed_with(ws) == 1008


async def test_an_idle_client_is_closed(start_app: StartApp) -> None:
    app = await start_app(IDLE_TIMEOUT="1")
    async with open_client(app) as ws:
        await receive(ws)
        assert await closed_with(ws, timeout=5) == 1000
        assert ws.close_reason == "idle timeout"


async def test_origins_are_checked_at_the_handshake(start_app: StartApp) -> None:
    app = await start_app(ALLOWED_ORIGINS="https://signify.example")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(app), origin="https://evil.example"):  # type: ignore[arg-type]
            pass
    assert refused.value.response.status_code == 403
    async with connect(ws_url(app), origin="https://signify.example") as ws:  # type: ignore[arg-type]
        assert (await receive(ws))["type"] == "ready"
    async with connect(ws_url(app)) as ws:  # not a browser: no Origin header
        assert (await receive(ws))["type"] == "ready"


async def test_token_by_subprotocol_or_query_and_never_logged(
    start_app: StartApp, caplog: pytest.LogCaptureFixture
) -> None:
    token = "s3cret-Token-42"
    caplog.set_level(logging.DEBUG)
    app = await start_app(AUTH_TOKEN=token, LOG_LEVEL="DEBUG")
    for attempt in ({}, {"subprotocols": ["signify", "token.wrong"]}):
        async with connect(ws_url(app), **attempt) as ws:  # type: ignore[arg-type]
            assert await closed_with(ws) == 1008
    async with connect(ws_url(app), subprotocols=["signify", f"token.{token}"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "signify"  # the token itself is never echoed back
        assert (await receive(ws))["type"] == "ready"
    async with connect(ws_url(app) + f"?token={token}") as ws:
        assert (await receive(ws))["type"] == "ready"
    server_records = [r for r in caplog.records if not r.name.startswith("websockets.client")]  # the test's own client
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in server_records)
    assert "Client connected" in logged
    assert token not in logged


async def test_compression_is_off(start_app: StartApp) -> None:
    app = await start_app()
    async with connect(ws_url(app)) as ws:  # this client offers permessage-deflate
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
