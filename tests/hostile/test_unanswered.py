"""Every accepted frame is answered, or counted as not answered in the session's closing log line.

A frame is held "in work" on purpose: with one worker thread, which the
test keeps busy until it lets go, the frame waits for it while the idle
timeout fires or the client leaves. MediaPipe, the model and the sockets
are the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from signify.app import Application
from websockets.protocol import State

from .conftest import Serve
from .wire import RawClient, open_client, ready, receive, until

IDLE_TIMEOUT_S = 1.0


def closing_lines(caplog: pytest.LogCaptureFixture, session: str) -> list[dict[str, Any]]:
    """The fields of the session's "Client disconnected" lines."""
    return [r.fields for r in caplog.records  # type: ignore[attr-defined]
            if r.getMessage() == "Client disconnected" and r.fields["session"] == session]  # type: ignore[attr-defined]


@contextlib.contextmanager
def busy_worker(app: Application) -> Iterator[None]:
    """Hold the only worker thread until the block ends: frames sent meanwhile wait in work."""
    release = threading.Event()
    app._executor.submit(release.wait)
    try:
        yield
    finally:
        release.set()


async def test_frames_in_work_when_the_idle_timeout_fires_are_answered_before_the_close(
    serve: Serve, hand_frame: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signify.session")
    app = await serve(IDLE_TIMEOUT=str(IDLE_TIMEOUT_S), WORKER_THREADS="1")
    async with open_client(app) as ws:
        session = (await ready(ws))["session"]
        with busy_worker(app):
            await ws.send(hand_frame)
            await ws.send(hand_frame)  # waits in the slot behind the first
            await asyncio.sleep(IDLE_TIMEOUT_S * 2)  # the timeout fires while both wait
        messages: list[dict[str, Any]] = []
        with contextlib.suppress(Exception):
            while True:
                messages.append(await receive(ws))
    assert (ws.close_code, ws.close_reason) == (1000, "idle timeout")
    assert [(m["type"], m["id"]) for m in messages] == [("prediction", 1), ("prediction", 2)]
    await until(lambda: bool(closing_lines(caplog, session)))
    (line,) = closing_lines(caplog, session)
    assert (line["frames"], line["answered"], line["unanswered"]) == (2, 2, 0)


async def test_frames_of_a_client_that_left_are_counted_as_not_answered(
    serve: Serve, hand_frame: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="signify.session")
    app = await serve(WORKER_THREADS="1")
    client = await RawClient.open(app.websocket.port)
    session = (await client.text_messages())[0]["session"]
    connection = app.websocket._sessions[session]._ws
    with busy_worker(app):
        await client.send_binary(hand_frame)
        await client.send_binary(hand_frame)
        client.close()  # gone without a word, one frame in work and one in the slot
        await until(lambda: connection.state is State.CLOSED)
    await until(lambda: bool(closing_lines(caplog, session)))
    (line,) = closing_lines(caplog, session)
    assert (line["frames"], line["answered"], line["unanswered"]) == (2, 0, 2)
