"""The server as a process: SIGTERM in the middle of traffic, and secrets that must stay out of its log."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.server_process import ServerProcess

from .conftest import StartProcess
from .wire import Message, ws_url

TOKEN = "Zq8-secret-Tk3"
CLIENTS = 3
FRAMES_BEFORE_SIGTERM = 20


@dataclass
class Stream:
    """What one client saw of the shutdown."""

    session: str = ""
    sent: int = 0
    answers: dict[int, list[str]] = field(default_factory=dict)
    close: tuple[int | None, str | None] = (None, None)


async def stream_until_closed(server: ServerProcess, frames: list[bytes], going: asyncio.Event) -> Stream:
    """Send frames as fast as the answers allow, until the server closes; record every answer."""
    result = Stream()
    async with connect(ws_url(server.port), compression=None) as ws:
        result.session = json.loads(await ws.recv())["session"]

        async def read() -> None:
            try:
                while True:
                    message: Message = json.loads(await ws.recv())
                    kind = message.get("reason") or message["type"]
                    for frame_id in message.get("ids") or [message["id"]]:
                        result.answers.setdefault(frame_id, []).append(kind)
            except ConnectionClosed:
                pass

        reader = asyncio.create_task(read())
        try:
            while True:
                await ws.send(frames[result.sent % len(frames)])
                result.sent += 1
                if result.sent == FRAMES_BEFORE_SIGTERM:
                    going.set()
                await asyncio.sleep(0.004)  # faster than the server can serve: frames wait and get superseded
        except ConnectionClosed:
            pass
        await reader
        result.close = (ws.close_code, ws.close_reason)
    return result


def test_sigterm_with_frames_in_flight_answers_every_accepted_frame(
    server_process: StartProcess, hand_frames: list[bytes]
) -> None:
    server = server_process(MAX_FPS="240")

    async def run() -> list[Stream]:
        going = [asyncio.Event() for _ in range(CLIENTS)]
        streams = [asyncio.create_task(stream_until_closed(server, hand_frames, event)) for event in going]
        for event in going:
            await event.wait()
        server.process.send_signal(signal.SIGTERM)
        return await asyncio.gather(*streams)

    streams = asyncio.run(run())
    assert server.process.wait(timeout=60) == 0
    log = server.log()
    accepted = {entry["session"]: entry["frames"] for entry in log if entry["message"] == "Client disconnected"}
    for stream in streams:
        assert stream.close == (1001, "server shutting down")
        # Every frame the server accepted got exactly one answer, and nothing else did.
        assert sorted(stream.answers) == list(range(1, accepted[stream.session] + 1))
        assert all(len(kinds) == 1 for kinds in stream.answers.values()), stream.answers
        assert FRAMES_BEFORE_SIGTERM <= accepted[stream.session] <= stream.sent
        kinds = [stream.answers[frame_id][0] for frame_id in sorted(stream.answers)]
        assert set(kinds) <= {"prediction", "superseded", "shutting_down"}
        # Frames are served until the drain starts; after it, every one is refused, none lost.
        last_served = max(i for i, kind in enumerate(kinds) if kind == "prediction")
        assert "shutting_down" not in kinds[:last_served]
        assert set(kinds[last_served + 1 :]) <= {"shutting_down"}


def test_the_token_never_reaches_the_log(server_process: StartProcess, hand_frame: bytes) -> None:
    server = server_process(AUTH_TOKEN=TOKEN, LOG_LEVEL="DEBUG")
    wrong = TOKEN[::-1]

    async def visit() -> list[int | None]:
        codes: list[int | None] = []
        attempts: list[tuple[str, list[Subprotocol] | None]] = [
            (f"?token={TOKEN}", None),
            ("", [Subprotocol("signify"), Subprotocol(f"token.{TOKEN}")]),
            (f"?token={wrong}", None),
            ("", [Subprotocol("signify"), Subprotocol(f"token.{wrong}")]),
        ]
        for query, subprotocols in attempts:
            async with connect(ws_url(server.port, query), subprotocols=subprotocols, compression=None) as ws:
                try:
                    await ws.recv()
                    await ws.send(hand_frame)  # per-frame DEBUG lines are written too
                    await ws.recv()
                except ConnectionClosed:
                    pass
            codes.append(ws.close_code)
        return codes

    assert asyncio.run(visit()) == [1000, 1000, 1008, 1008]
    for url in (f"http://127.0.0.1:{server.port}/ws-not?token={TOKEN}",
                f"http://127.0.0.1:{server.port}/health?token={TOKEN}",
                f"http://127.0.0.1:{server.health_port}/metrics?token={TOKEN}"):
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(url, timeout=5).close()
    assert server.terminate() == 0
    stderr = server.stderr()
    messages = [entry["message"] for entry in server.log()]
    assert "Frame answered" in messages and "Client connected" in messages  # DEBUG really was on
    assert TOKEN not in stderr
    assert wrong not in stderr
    assert "token=" not in stderr
