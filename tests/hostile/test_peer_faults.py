"""Peers that vanish, stall or never read, and a session whose pipeline fails: the server carries on."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import socket
import struct
from typing import Any

import cv2
import pytest
import signify.serving.server
from onnxruntime.capi.onnxruntime_pybind11_state import Fail
from signify.app import Application
from signify.recognition.recognizer import Recognizer
from signify.serving.server import WRITE_LIMIT_BYTES
from signify.serving.session import Session
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from . import payloads
from .conftest import Serve
from .wire import RawClient, open_client, ready, receive, still_predicts, until

POINTS = [[0.5 + 0.01 * i, 0.5 - 0.01 * i, 0.0] for i in range(21)]
LARGEST_ANSWER_BYTES = 4096  # a prediction with 21 landmarks is about 1.2 KB


def keypoints(frame_id: int) -> str:
    return json.dumps({"type": "keypoints", "id": frame_id, "landmarks": POINTS})


def session_of(app: Application, session_id: str) -> Session:
    return app.websocket._sessions[session_id]


def only_connection(app: Application) -> ServerConnection:
    assert app.websocket._server is not None
    (connection,) = app.websocket._server.connections
    return connection


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture(scope="module")
def large_frame() -> bytes:
    """A 2048x1536 camera frame: decoding and tracking it keeps a worker busy for a while."""
    return payloads.encode(cv2.resize(payloads.hand_bgr(), (2048, 1536)), ".jpg")


@pytest.mark.parametrize("leave", ["close handshake", "reset", "half-close"])
async def test_a_client_that_leaves_while_its_frame_is_processed(
    leave: str, serve: Serve, large_frame: bytes, hand_frame: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    app = await serve()
    for received in range(3):
        client = await RawClient.open(app.websocket.port)
        await client.send_binary(large_frame)
        await until(lambda received=received: app.metrics.frames_received.value > received)  # in work now
        if leave == "close handshake":
            client.protocol.send_close(1000)
            await client.flush()
        elif leave == "reset":
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            client.sock.shutdown(socket.SHUT_WR)
        client.close()
    await until(lambda: app.status.sessions == app.status.sessions_closing == 0)
    assert [r.getMessage() for r in caplog.records].count("Client disconnected") == 3
    assert server_errors(caplog) == []
    async with open_client(app) as ws:
        await ready(ws)
        await still_predicts(ws, hand_frame, 1)


async def test_a_client_that_never_reads_cannot_grow_the_send_buffer(serve: Serve, hand_frame: bytes) -> None:
    app = await serve(MAX_FPS="240")
    stalled = await RawClient.open(app.websocket.port, receive_buffer=4096)
    transport = only_connection(app).transport
    # On loopback the kernel would soak up megabytes of answers before the server's
    # own buffer filled; a small kernel buffer (set, not faked) gets there at once.
    transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    sent, peak = 1000, 0
    for frame_id in range(1, sent + 1):
        await stalled.send_text(keypoints(frame_id))
        await asyncio.sleep(0.001)
        peak = max(peak, transport.get_write_buffer_size())
    await until(lambda: transport.get_write_buffer_size() >= WRITE_LIMIT_BYTES)
    # The server waits for the client instead of queueing its answers without bound ...
    assert peak <= WRITE_LIMIT_BYTES + LARGEST_ANSWER_BYTES
    assert app.metrics.frames_received.value < sent  # ... and so stopped reading from it: TCP backpressure
    # Meanwhile everybody else is served as usual.
    async with open_client(app) as other:
        await ready(other)
        await still_predicts(other, hand_frame, 1)
    # When the client reads at last, every one of its messages has exactly one answer.
    answered: dict[int, int] = {}
    async with asyncio.timeout(60):
        while sum(answered.values()) < sent:
            for message in await stalled.text_messages():
                if message["type"] != "ready":
                    for frame_id in message.get("ids") or [message["id"]]:
                        answered[frame_id] = answered.get(frame_id, 0) + 1
    stalled.close()
    assert answered == dict.fromkeys(range(1, sent + 1), 1)
    await until(lambda: app.status.sessions == app.status.sessions_closing == 0)


async def test_a_silent_peer_is_dropped_by_the_keepalive(
    serve: Serve, monkeypatch: pytest.MonkeyPatch, hand_frame: bytes
) -> None:
    # A half-open connection: the peer vanished without a FIN (pulled cable, dead NAT entry).
    # It never reads, never answers pings and never closes; only the keepalive can notice.
    monkeypatch.setattr(signify.serving.server, "PING_INTERVAL_S", 0.2)
    monkeypatch.setattr(signify.serving.server, "PING_TIMEOUT_S", 0.2)
    monkeypatch.setattr(signify.serving.server, "CLOSE_TIMEOUT_S", 0.5)
    app = await serve(MAX_SESSIONS="1")
    silent = await RawClient.open(app.websocket.port)
    await until(lambda: app.status.sessions == 1)
    await until(lambda: app.status.sessions == app.status.sessions_closing == 0)
    # The slot is free again, and what the server last said to the dead peer was why it gave up.
    async with open_client(app) as ws:
        await ready(ws)
        await still_predicts(ws, hand_frame, 1)
    messages, close = await silent.messages_until_closed(respond=False)
    silent.close()
    assert [m["type"] for m in messages] == ["ready"]
    assert close == (1011, "keepalive ping timeout")


async def test_a_half_closed_connection_ends_its_session(serve: Serve, hand_frame: bytes) -> None:
    app = await serve()
    client = await RawClient.open(app.websocket.port)
    await until(lambda: app.status.sessions == 1)
    client.sock.shutdown(socket.SHUT_WR)  # FIN without a close frame
    async with asyncio.timeout(30):
        await client.wait_for_eof()  # the server closes its side too
    client.close()
    await until(lambda: app.status.sessions == app.status.sessions_closing == 0)


@pytest.mark.parametrize("sent", [b"", b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"], ids=["nothing", "half a request"])
async def test_a_handshake_that_never_completes_is_cut_off(
    sent: bytes, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(signify.serving.server, "HANDSHAKE_TIMEOUT_S", 0.3)
    app = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", app.websocket.port)
    writer.write(sent)
    async with asyncio.timeout(30):
        assert await reader.read() == b""  # closed by the server, without a response
    writer.close()
    assert app.status.sessions == 0


async def test_a_failure_inside_one_sessions_pipeline_closes_it_1011_and_spares_the_others(
    serve: Serve, hand_frame: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    # The only fake in these tests: MediaPipe and onnxruntime cannot be made to fail on demand
    # with real inputs, so one session's recognizer is given methods that raise what they raise.
    app = await serve()
    caplog.set_level(logging.INFO)
    async with open_client(app) as image_victim, open_client(app) as keypoint_victim, open_client(app) as bystander:
        recognizers: list[Recognizer] = []
        for victim, method, failure in (
            (image_victim, "recognize_image", RuntimeError("CalculatorGraph::Run() failed in Run: injected")),
            (keypoint_victim, "stage_keypoints", Fail("[ONNXRuntimeError] : 1 : FAIL : injected")),
        ):
            recognizer = session_of(app, (await ready(victim))["session"])._recognizer
            setattr(recognizer, method, _raising(failure))
            recognizers.append(recognizer)
        await ready(bystander)
        await image_victim.send(hand_frame)
        await keypoint_victim.send(keypoints(1))
        for victim in (image_victim, keypoint_victim):
            with pytest.raises(ConnectionClosed):
                await receive(victim)
            assert (victim.close_code, victim.close_reason) == (1011, "internal error")
        for frame_id in range(1, 4):
            await still_predicts(bystander, hand_frame, frame_id)
        await until(lambda: app.status.sessions == 1)
    failures = [r for r in caplog.records if r.getMessage() == "Recognition failed"]
    assert len(failures) == 2 and all(r.exc_info for r in failures)  # logged with a traceback
    # The image session's MediaPipe graph is released; the keypoint session never built one.
    image_recognizer, keypoint_recognizer = recognizers
    assert image_recognizer._tracker is not None and image_recognizer._tracker._closed
    assert keypoint_recognizer._tracker is None
    async with open_client(app) as ws:
        await ready(ws)
        await still_predicts(ws, base64_frame(hand_frame, 7), 7)


def base64_frame(image: bytes, frame_id: int) -> str:
    return json.dumps({"type": "frame", "id": frame_id, "image": base64.b64encode(image).decode()})


def _raising(failure: Exception) -> Any:
    def fail(*_: object) -> None:
        raise failure

    return fail

