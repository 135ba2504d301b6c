"""A camera that lives through reconnects, as the demo page does (front_demo/connection.js).

It streams the keypoints of a word spelled over and over on its own clock, whether or not
it is connected: frames that fall while it is disconnected are not sent. After
a close (1001, 1006, 1011, 1013) or a refused connection it reconnects with
jittered exponential backoff, and after ``ready`` sends ``resume`` with the
transcript so far. It records every frame's fate and every connection, for
the tests to hold against the bar.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from testkit.letter_shapes import letter_shape

BACKOFF_FIRST_S = 0.1
BACKOFF_CAP_S = 5.0
# The signer holds each letter at least this many frames, and on until the page shows it written (as people
# do): on a loaded machine, where a session waiting for a core has frames superseded, the transcript still
# comes out exact, and a letter lost or written twice across a reconnect shows.
MIN_HOLD_FRAMES = 10
MAX_HOLD_FRAMES = 300  # a letter never written: move on, and let the test fail on the text


def backoff_s(attempt: int, rng: random.Random) -> float:
    """How long to wait before reconnect attempt ``attempt`` (0 first): exponential, capped, jittered by half."""
    return min(BACKOFF_CAP_S, BACKOFF_FIRST_S * 2**attempt) * rng.uniform(0.5, 1.0)


def check_word(word: str) -> str:
    """A word the camera can spell over and over: each letter differs from the next and the last from the first,
    so a hand that never leaves writes no double and no space, and only keypoints are sent (no picture for
    MediaPipe to search for a hand in, which costs more than a loaded test machine can spare)."""
    if any(a == b for a, b in zip(word, word[1:] + word[0], strict=True)):
        raise ValueError("neighbouring letters must differ, the last from the first too")
    return word


@dataclass
class Frame:
    """One frame sent, and its one answer (None: none came before its connection closed)."""

    connection: int
    sent: float
    shown: str  # the letter held up
    answer: str | None = None
    stable: str | None = None
    answered: float | None = None
    server_ms: float | None = None  # the prediction's timing_ms.total


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
    fps: float = 15.0
    seed: int = 0
    text: str = ""
    frames: dict[int, Frame] = field(default_factory=dict)
    connections: list[Connection] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # what each refused attempt met: "1013", "http 503", ...
    reconnect_s: list[float] = field(default_factory=list)  # from each close seen to the next ready
    words: int = 0  # words streamed whole
    resumed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_word(self.word)
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
        return self.word * self.words

    def timeline(self) -> str:
        """Each frame as shown/seen: the letter held up, then the stable letter answered ('-' none, 'x' dropped,
        '?' no answer), a '|' where a connection began."""
        parts = []
        for frame_id in sorted(self.frames):
            frame = self.frames[frame_id]
            if frame_id > 1 and frame.connection != self.frames.get(frame_id - 1, frame).connection:
                parts.append("|")
            seen = frame.stable if frame.answer == "prediction" else ("?" if frame.answer is None else "x")
            parts.append(f"{frame.shown}{seen}")
        return " ".join(parts)

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
        letters = 0  # letters spelled whole so far, over all words
        held = 0  # frames the current letter has been held
        while True:
            target = self.word * (letters // len(self.word)) + self.word[: letters % len(self.word) + 1]
            if held >= MAX_HOLD_FRAMES or (held >= MIN_HOLD_FRAMES and self.text == target):
                letters, held = letters + 1, 0
                if letters % len(self.word) == 0:
                    self.words += 1
                    if self._finish.is_set():
                        await self._settle()
                        return
            delay = start + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            n += 1
            held += 1
            ws = self._ws
            if ws is None or not self._connected.is_set():
                continue  # the camera runs on; nothing is sent while disconnected
            letter = self.word[letters % len(self.word)]
            message = {"type": "keypoints", "id": n, "landmarks": self._landmarks(letter)}
            self.frames[n] = Frame(len(self.connections) - 1, time.perf_counter(), letter)
            try:
                await ws.send(json.dumps(message))
            except ConnectionClosed:  # never left: the reader sees the close
                del self.frames[n]
                continue
            self.connections[-1].frames_sent += 1

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
                    frame = self.frames[message["id"]]
                    frame.stable, frame.server_ms = message["stable"] or "-", message["timing_ms"]["total"]
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
            frame.answer, frame.answered = kind, time.perf_counter()


def _describe(error: BaseException) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    return f"http {status}" if status is not None else type(error).__name__
