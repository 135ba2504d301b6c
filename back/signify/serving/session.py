"""One WebSocket connection: read messages, keep the newest frame, answer every frame.

Two tasks share a connection. The reader parses each message, answers bad
ones at once and puts good frames in a one-place slot; a frame that finds
the slot taken supersedes the waiting one, which is answered ``dropped``.
The worker takes the slot's frame, runs recognition in the thread pool and
sends the prediction. So a session holds at most one frame in work and one
waiting, whatever the client sends, and live video sees the newest frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.protocol import State

from ..jsonlog import log
from ..recognition.images import ImageError
from ..recognition.recognizer import TOP_K, Recognition, Recognizer
from .metrics import Metrics
from .protocol import (
    FrameMessage,
    KeypointsMessage,
    ProtocolError,
    ResetMessage,
    dropped_message,
    dumps,
    error_message,
    parse_message,
    prediction_message,
)
from .ratelimit import RateLimiter

logger = logging.getLogger("signify.session")


@dataclass(frozen=True)
class SessionLimits:
    """The per-connection limits taken from the settings."""

    max_frame_bytes: int
    max_fps: int
    idle_timeout: float


@dataclass(frozen=True)
class _Job:
    message: FrameMessage | KeypointsMessage
    arrived: float


class Session:
    """Serves one client from its ``ready`` message to its close."""

    def __init__(
        self,
        websocket: ServerConnection,
        session_id: str,
        recognizer: Recognizer,
        executor: Executor,
        metrics: Metrics,
        limits: SessionLimits,
        ready: dict[str, Any],
        graphs: Executor | None = None,
    ) -> None:
        """``executor`` runs recognition; ``graphs`` (by default ``executor``) builds and closes the graph."""
        self.id = session_id
        self._ws = websocket
        self._recognizer = recognizer
        self._executor = executor
        self._graphs = graphs or executor
        self._metrics = metrics
        self._limits = limits
        self._ready = ready
        self._limiter = RateLimiter(limits.max_fps)
        self._pending: _Job | None = None
        self._wake = asyncio.Event()
        self._reset_requested = False
        self._reading = True
        self._draining = False
        self._closing = False  # set once this side has decided to close: discard what still arrives
        self._abandoned = False  # the drain deadline passed: frames still in work were answered shutting_down
        self._closer: asyncio.Task[None] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._in_work: _Job | None = None
        self._frames = 0
        self._answered = 0
        self._dropped = 0
        self._unanswered = 0  # accepted frames whose answer never left: the client went first
        self._latency_total_ms = 0.0
        self._logged_closed = False

    @property
    def socket_closed(self) -> bool:
        """Whether the connection is closed for good (the session may still be finishing its frame)."""
        return self._ws.state is State.CLOSED

    async def run(self) -> None:
        """Serve the connection until the client leaves or the server closes it; then call :meth:`finish`."""
        self._worker = asyncio.create_task(self._work(), name=f"session-{self.id}-worker")
        try:
            # Building a MediaPipe graph takes about half a second: do it before
            # "ready", so that ready means every frame will be answered promptly.
            await asyncio.get_running_loop().run_in_executor(self._graphs, self._recognizer.prepare)
            await self._send(self._ready)
            await self._read()
        finally:
            self._reading = False
            self._wake.set()

    async def finish(self) -> None:
        """After :meth:`run`: let the worker end (a frame in work is counted unanswered), close the graph, log."""
        if self._worker is not None:
            await self._worker
        await asyncio.get_running_loop().run_in_executor(self._graphs, self._recognizer.close)
        self._log_closed()

    async def drain(self) -> None:
        """Answer every accepted frame, then close with 1001 (server shutting down)."""
        await self._finish_work()
        # A frame that crosses our close frame can no longer be answered: it is not
        # accepted (nor counted), and the 1001 tells the client to send it elsewhere.
        self._closing = True
        await self._ws.close(CloseCode.GOING_AWAY, "server shutting down")

    async def abandon(self) -> None:
        """The drain's deadline passed: answer the frames still in work ``shutting_down`` and close with 1001.

        The process is about to exit without waiting for the worker threads, so
        those frames will never be recognized; this way they still get their
        one answer, and a result that comes in after all is not sent.
        """
        self._abandoned = self._closing = self._draining = True
        jobs = [job for job in (self._in_work, self._pending) if job is not None]
        self._pending = None
        if jobs:
            self._dropped += len(jobs)
            self._metrics.frames_dropped.inc(len(jobs))
            if not await self._send(dropped_message([job.message.id for job in jobs], reason="shutting_down")):
                self._unanswered += len(jobs)
        try:
            await self._ws.close(CloseCode.GOING_AWAY, "server shutting down")
        finally:  # also when the server stops waiting for the close handshake
            self._log_closed()

    # ---- reader -------------------------------------------------------------

    async def _read(self) -> None:
        while True:
            try:
                async with asyncio.timeout(self._limits.idle_timeout):
                    message = await self._ws.recv()
            except TimeoutError:
                # Silent is not gone: the frames it sent are answered first. What it sends
                # meanwhile stays unread and crosses the close frame, unaccepted, as at shutdown.
                await self._finish_work()
                self._closing = True
                await self._ws.close(CloseCode.NORMAL_CLOSURE, "idle timeout")
                return
            except ConnectionClosed:
                return
            # Once closing, messages are still read, and dropped: the client's close
            # frame may be queued behind them, and the handshake needs it.
            if not self._closing:
                await self._receive(message, time.perf_counter())
            # recv() and send() return at once while data is queued: without a turn
            # here, one client's flood of small messages holds the loop for everyone.
            await asyncio.sleep(0)

    async def _receive(self, raw: str | bytes, arrived: float) -> None:
        next_id = self._frames + 1
        try:
            message = parse_message(raw, next_id, self._limits.max_frame_bytes)
        except ProtocolError as error:
            if error.frame_id == next_id:
                self._frames += 1
            if self._limiter.allow():
                await self._reject(error.code, error.message, error.frame_id)
            else:  # a flood of bad messages is abuse like a flood of frames
                await self._rate_limited(error.frame_id)
            return
        if isinstance(message, ResetMessage):
            # Resets coalesce into one flag and are never answered: a flood costs a JSON parse each.
            self._reset_requested = True
            self._wake.set()
            return
        self._frames += 1
        self._metrics.frames_received.inc()
        if not self._limiter.allow():
            await self._rate_limited(message.id)
        elif self._draining:
            if not await self._send(dropped_message([message.id], reason="shutting_down")):
                self._unanswered += 1
        else:
            await self._accept(_Job(message, arrived))

    async def _finish_work(self) -> None:
        """Let the worker answer the frame in work and the one waiting, then stop it."""
        self._draining = True
        self._wake.set()
        if self._worker is not None:
            await asyncio.shield(self._worker)

    async def _accept(self, job: _Job) -> None:
        superseded, self._pending = self._pending, job
        self._wake.set()
        if superseded is not None:
            self._dropped += 1
            self._metrics.frames_dropped.inc()
            if not await self._send(dropped_message([superseded.message.id])):
                self._unanswered += 1

    async def _rate_limited(self, frame_id: int | None) -> None:
        if self._limiter.abusive:
            log(logger, logging.WARNING, "Closing abusive client", session=self.id, max_fps=self._limits.max_fps)
            self._closing = True
            self._closer = asyncio.create_task(self._ws.close(CloseCode.POLICY_VIOLATION, "rate limit exceeded"))
            return
        await self._reject("rate_limited", f"more than {self._limits.max_fps} messages per second", frame_id)

    async def _reject(self, code: str, message: str, frame_id: int | None) -> bool:
        """Answer with an error; False when the client was gone."""
        self._metrics.frames_failed.labels(code=code).inc()
        log(logger, logging.DEBUG, "Rejected message", session=self.id, id=frame_id, code=code, error=message)
        return await self._send(error_message(code, message, frame_id))

    # ---- worker -------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._reset_requested:
                self._reset_requested = False
                self._recognizer.reset()  # safe on the loop: no recognition is in flight here
            job, self._pending = self._pending, None
            if job is not None and self._reading:
                if not await self._process(job):
                    break
                self._wake.set()  # look at the slot again: a frame may have arrived meanwhile
            elif not self._reading or self._draining:
                if job is not None:  # the client left before this frame's turn
                    self._unanswered += 1
                break
        if self._pending is not None:  # left in the slot when the session failed
            self._pending = None
            self._unanswered += 1

    async def _process(self, job: _Job) -> bool:
        """Recognize one frame and answer it; False when the session must end."""
        loop = asyncio.get_running_loop()
        self._in_work = job
        try:
            recognition = await loop.run_in_executor(self._executor, self._recognize, job.message)
        except ImageError as error:
            if self._abandoned:
                return False
            if not await self._reject(error.code, error.message, job.message.id):
                self._unanswered += 1
            return True
        except Exception:
            logger.exception("Recognition failed", extra={"fields": {"session": self.id, "id": job.message.id}})
            self._metrics.frames_failed.labels(code="internal").inc()
            self._unanswered += 1  # the 1011 close is its only answer
            self._closing = True
            await self._ws.close(CloseCode.INTERNAL_ERROR, "internal error")
            return False
        finally:
            self._in_work = None
        if self._abandoned:  # answered shutting_down already
            return False
        await self._answer(job, recognition)
        return True

    def _recognize(self, message: FrameMessage | KeypointsMessage) -> Recognition:
        if isinstance(message, FrameMessage):
            return self._recognizer.recognize_image(message.image)
        return self._recognizer.recognize_keypoints(message.landmarks, message.handedness)

    async def _answer(self, job: _Job, recognition: Recognition) -> None:
        top = recognition.scores.top(TOP_K) if recognition.scores is not None else []
        timing = dict(recognition.timing_ms)
        timing["total"] = round((time.perf_counter() - job.arrived) * 1000.0, 3)
        sent = await self._send(prediction_message(
            job.message.id, top, recognition.stable, recognition.text, recognition.landmarks, timing
        ))
        self._metrics.frames_processed.inc()
        self._metrics.observe_timing(timing)
        if not sent:
            self._unanswered += 1
            return
        self._answered += 1
        self._latency_total_ms += timing["total"]
        log(logger, logging.DEBUG, "Frame answered", session=self.id, id=job.message.id, hand=recognition.hand,
            letter=top[0][0] if top else None, latency_ms=timing["total"])

    # ---- helpers ------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> bool:
        """Send one message; False when the connection is closed (the reader then ends the session)."""
        try:
            await self._ws.send(dumps(message))
        except ConnectionClosed:
            return False
        return True

    def _log_closed(self) -> None:
        """The session's one closing line, with what became of its frames."""
        if self._logged_closed:
            return
        self._logged_closed = True
        log(logger, logging.INFO, "Client disconnected", session=self.id, frames=self._frames,
            answered=self._answered, dropped=self._dropped, unanswered=self._unanswered,
            mean_latency_ms=self._mean_latency(), close_code=self._ws.close_code)

    def _mean_latency(self) -> float | None:
        return round(self._latency_total_ms / self._answered, 2) if self._answered else None
