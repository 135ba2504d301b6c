"""A camera that lives through reconnects, as the demo page does (front_demo/connection.js).

It streams the keypoints of a spelled word on its own clock, whether or not
it is connected: frames that fall while it is disconnected are not sent. After
a close (1001, 1006, 1011, 1013) or a refused connection it reconnects with
jittered exponential backoff, and after ``ready`` sends ``resume`` with the
transcript so far. It records every frame's fate and every connection, for
the tests to hold against the bar.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from testkit.hand_drawing import blank_frame, encode_jpeg
from testkit.letter_shapes import letter_shape

# A frame without a hand: a small empty picture (MediaPipe finds nothing), as a text frame so it keeps its id.
NO_HAND_IMAGE = base64.b64encode(encode_jpeg(cv2.resize(blank_frame(), (160, 120)))).decode()
BACKOFF_FIRST_S = 0.1
BACKOFF_CAP_S = 5.0
LETTER_FRAMES = 40
BETWEEN_LETTERS = 8  # frames without a hand: the hand leaves (so LL is a double), not long enough for a space
AFTER_WORD = 40  # frames without a hand after a word: a space, even if half of them are dropped


def backoff_s(attempt: int, rng: random.Random) -> float:
    """How long to wait before reconnect attempt ``attempt`` (0 first): exponential, capped, jittered by half."""
    return min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2**attempt) * rng.uniform(0.5, 1.0)


def spelled(word: str) -> list[str | None]:
    """One word as frames: each letter held, the hand away in between, then long enough away for a space."""
    frames: list[str | None] = []
    for letter in word:
        frames += [letter] * LETTER_FRAMES + [None] * BETWEEN_LETTERS
    return frames + [None] * (AFTER_WORD - BETWEEN_LETTERS)


@dataclass
class Frame:
    """One frame sent, and its one answer (None: none came before its connection closed)."""

    connection: int
    sent: float
    answer: str | None = None


@dataclass
class Connection:
    """One accepted connection: when it was ready, when and how it closed."""

    ready: float
    replica: str | None = None
    closed: float | None = None
    close_code: int | None = None
    frames_sent: int = 0


@dataclass
class Camera:
    """Spells ``word`` over and over through ``url`` until :meth:`finish` (then ends at a word's end)."""

    url: str
    word: str
    name: str = "camera"
    fps: float = 20.0
    seed: int = 0
    text: str = ""
    frames: dict[int, Frame] = field(default_factory=dict)
    connections: list[Connection] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # what each refused attempt met: "1013", "http 503", ...
    reconnect_s: list[float] = field(default_factory=list)  # from each close seen to the next ready
    words: int = 0  # words streamed whole
    resumed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._script = spelled(self.word)
        self._rng = np.random.default_rng(self.seed)
        self._random = random.Random(self.seed)
        self._finish = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._connected = asyncio.Event()

    def finish(self) -> None:
        """Stop at the end of the word being spelled."""
        self._finish.set()

    @property
    def connected(self) -> bool:
        """Whether a connection is open and ready now."""
        return self._connected.is_set()

    @property
    def expected_text(self) -> str:
        """The transcript the words streamed so far should have made."""
        return (self.word + " ") * self.words

    def unanswered(self) -> list[int]:
        """Frames sent that got no answer."""
        return [frame_id for frame_id, frame in self.frames.items() if frame.answer is None]

    async def run(self) -> None:
        """Connect, and stream on the camera's clock until finished, reconnecting whenever the socket closes."""
        keeper = asyncio.create_task(self._keep_connected())
        try:
            await self._stream()
        finally:
            keeper.cancel()
            if self._ws is not None:
                await self._ws.close()
                await asyncio.sleep(0)

    async def _stream(self) -> None:
        await self._connected.wait()  # the camera starts with the page's first connection
        interval = 1.0 / self.fps
        start = time.perf_counter()
        n = 0
        while True:
            index = n % len(self._script)
            if index == 0 and n:
                self.words += 1
                if self._finish.is_set():
                    await self._settle()
                    return
            delay = start + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            n += 1
            ws = self._ws
            if ws is None or not self._connected.is_set():
                continue  # the camera runs on; nothing is sent while disconnected
            letter = self._script[index]
            message = ({"type": "frame", "id": n, "image": NO_HAND_IMAGE} if letter is None
                       else {"type": "keypoints", "id": n, "landmarks": self._landmarks(letter)})
            self.frames[n] = Frame(len(self.connections) - 1, time.perf_counter())
            self.connections[-1].frames_sent += 1
            with contextlib.suppress(ConnectionClosed):  # the reader sees the close
                await ws.send(json.dumps(message))

    async def _settle(self, limit_s: float = 5.0) -> None:
        """Wait for the answers to the last frames (and for a reconnect to finish, if one is under way)."""
        deadline = time.perf_counter() + limit_s
        while time.perf_counter() < deadline and (not self._connected.is_set() or any(
                f.answer is None and f.connection == len(self.connections) - 1 for f in self.frames.values())):
            await asyncio.sleep(0.02)

    def _landmarks(self, letter: str) -> list[list[float]]:
        points = 0.5 + 0.15 * letter_shape(letter) + self._rng.normal(0, 0.002, (21, 3))
        return [[round(float(v), 5) for v in point] for point in points]

    async def _keep_connected(self) -> None:
        attempt = 0
        lost_at: float | None = None
        while True:
            try:
                ws = await connect(self.url, compression=None, open_timeout=5, close_timeout=2)
            except (OSError, InvalidHandshake, TimeoutError) as error:
                self.refusals.append(_describe(error))
                await asyncio.sleep(backoff_s(attempt, self._random))
                attempt += 1
                continue
            try:
                ready = json.loads(await ws.recv())
            except ConnectionClosed as closed:  # refused after the handshake: 1013 at capacity
                self.refusals.append(str(closed.rcvd.code if closed.rcvd else "closed"))
                await asyncio.sleep(backoff_s(attempt, self._random))
                attempt += 1
                continue
            assert ready["type"] == "ready", ready
            attempt = 0
            now = time.perf_counter()
            if lost_at is not None:
                self.reconnect_s.append(now - lost_at)
            connection = Connection(ready=now, replica=ready.get("session"))
            self.connections.append(connection)
            if self.text:
                await ws.send(json.dumps({"type": "resume", "text": self.text}))
            self._ws = ws
            self._connected.set()
            await self._read(ws)
            self._connected.clear()
            lost_at = time.perf_counter()
            connection.closed, connection.close_code = lost_at, ws.close_code

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                message: dict[str, Any] = json.loads(raw)
                kind = message["type"]
                if kind == "prediction":
                    self.text = message["text"]
                    self._answer([message["id"]], kind)
                elif kind == "dropped":
                    self._answer(message["ids"], f"dropped:{message['reason']}")
                elif kind == "error":
                    self._answer([message["id"]], f"error:{message['code']}")
                elif kind == "resumed":
                    self.resumed.append(message["text"])
        except ConnectionClosed:
            pass

    def _answer(self, ids: list[int], kind: str) -> None:
        for frame_id in ids:
            frame = self.frames.get(frame_id)
            assert frame is not None and frame.answer is None, (self.name, frame_id, kind)
            frame.answer = kind


def _describe(error: BaseException) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return f"http {status}" if status is not None else type(error).__name__
