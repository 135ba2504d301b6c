"""One WebSocket connection: read messages, keep the newest frame, answer every frame.

Two tasks share a connection. The reader parses each message, answers bad
ones at once and puts good frames in a one-place slot; a frame that finds
the slot taken supersedes the waiting one, which is answered ``dropped``.
The worker takes the slot's frame, runs recognition in the thread pool and
sends the prediction. So a session holds at most one frame in work and one
waiting, whatever the client sends, and live video sees the newest frame.

Control messages (calibration, profiles, donations) wait in a short queue
of their own and are carried out by the worker between frames, in order,
so they never race a recognition: see :class:`Session._control`.

The model is read from the deployment (signify.models) by the worker
between frames too: a new release reaches the session at its next frame,
announced by a ``model`` notice before the first answer it scored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import CloseCode
from websockets.protocol import State

from ..calibration.collection import CalibrationRun, Prompt, donated_windows
from ..calibration.profile import ProfileError, decode_profile, encode_profile
from ..donations.store import MAX_FRAMES, DonatedWindow, DonationStore, StoreError
from ..jsonlog import log
from ..recognition.images import ImageError
from ..recognition.model import LetterModel, ModelCard
from ..recognition.recognizer import TOP_K, CalibrationOutcome, Recognition, Recognizer
from .idle import IdleWatch
from .metrics import Metrics
from .protocol import (
    CalibrationSkip,
    CalibrationStart,
    CalibrationStop,
    ControlMessage,
    DonationDelete,
    FrameMessage,
    KeypointsMessage,
    ProfileClear,
    ProfileMessage,
    ProtocolError,
    ResetMessage,
    ResumeMessage,
    calibration_done_message,
    donation_deleted_message,
    dropped_message,
    dumps,
    error_message,
    model_message,
    parse_message,
    prediction_message,
    profile_loaded_message,
    profile_message,
    prompt_message,
    resumed_message,
)
from .ratelimit import RateLimiter
from .scoring import WindowScorer
from .seats import Refusal

logger = logging.getLogger("signify.session")
# Control messages waiting for the worker at most; more are answered rate_limited.
MAX_WAITING_CONTROLS = 4
# Loading a profile fits its adaptation: about 30 ms of a core for a full one (python -m bench --calibration).
# A client has no reason to load more than one a second; a flood of them must not cost a core.
PROFILE_LOADS_PER_SECOND = 1.0


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
    # Whether it superseded a frame waiting in the slot: the server fell behind this stream. Such a frame stands
    # for one model frame, its capture time only setting the clock for the next (signify.recognition.pacing):
    # filling in the frames the server itself dropped would add model work exactly while it has too much.
    after_drop: bool = False


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
        donations: DonationStore | None = None,
        image_seat: Callable[[], Refusal | None] = lambda: None,
        scorer: WindowScorer | None = None,
        model: Callable[[], LetterModel | None] | None = None,
        complexity: Callable[[], int] | None = None,
    ) -> None:
        """``executor`` runs recognition; ``graphs`` (by default ``executor``) builds and closes the graph;
        ``donations`` stores what consenting users donate (None: donations are off); ``image_seat`` is
        called at the first image, to move the session to an image seat (None) or say why not; ``scorer``
        scores keypoint frames' windows together with other sessions' (None: each in the thread pool); ``model``
        says which model the next frame is scored with (None: the recognizer's, always); ``complexity`` says
        which MediaPipe model the next image is tracked with (None: the recognizer's, always)."""
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
        self._controls: deque[ControlMessage] = deque()
        self._profile_loads = RateLimiter(PROFILE_LOADS_PER_SECOND)
        self._donations = donations
        self._image_seat = image_seat
        self._scorer = scorer
        self._model_source = model
        self._complexity_source = complexity
        self._text = ""  # the transcript of the last answer, to count the letters each model commits
        self._images = False  # whether this session sends images: it then has a seat and a graph for them
        self._wake = asyncio.Event()
        self._reset_requested = False
        self._reading = True
        self._draining = False
        self._closing = False  # set once this side has decided to close: discard what still arrives
        self._abandoned = False  # the drain deadline passed: frames still in work were answered shutting_down
        self._closer: asyncio.Task[None] | None = None
        self._idle = IdleWatch(limits.idle_timeout)
        self._idle_timer: asyncio.TimerHandle | None = None
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
            # No MediaPipe graph yet: a client that tracks the hand itself never needs one (see _start_images).
            await self._send(self._ready)
            await self._read()
        finally:
            self._reading = False
            self._wake.set()

    async def finish(self) -> None:
        """After :meth:`run`: let the worker end (a frame in work is counted unanswered), close the graph, log."""
        try:
            if self._worker is not None:
                await self._worker
        finally:  # whatever became of the worker, the graph is released and the session logged
            if self._images:
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
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_at(self._idle.next_check(loop.time()), self._check_idle)
        try:
            while True:
                self._idle.waiting(loop.time())
                try:
                    message = await self._ws.recv()
                except ConnectionClosed:
                    return
                self._idle.heard()
                # Once closing, messages are still read, and dropped: the client's close
                # frame may be queued behind them, and the handshake needs it.
                if not self._closing:
                    await self._receive(message, time.perf_counter())
                # recv() and send() return at once while data is queued: without a turn
                # here, one client's flood of small messages holds the loop for everyone.
                await asyncio.sleep(0)
        finally:
            if self._idle_timer is not None:
                self._idle_timer.cancel()

    def _check_idle(self) -> None:
        """The idle timer: close a session that waited too long for a message, else look again later."""
        if self._closing:  # closing for another reason already
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        if self._idle.expired(now):
            self._closing = True
            self._closer = asyncio.create_task(self._close_idle())
        else:
            self._idle_timer = loop.call_at(self._idle.next_check(now), self._check_idle)

    async def _close_idle(self) -> None:
        # Silent is not gone: the frames it sent are answered first. What it sends meanwhile
        # is read and dropped (closing), unaccepted, and crosses the close frame, as at shutdown.
        try:
            await self._finish_work()
        finally:  # the client is closed even if the worker failed (finish() reports that)
            await self._ws.close(CloseCode.NORMAL_CLOSURE, "idle timeout")

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
        if not isinstance(message, FrameMessage | KeypointsMessage):
            if not self._limiter.allow() or len(self._controls) >= MAX_WAITING_CONTROLS:
                await self._rate_limited(None)
            else:
                self._controls.append(message)
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
        superseded = self._pending
        self._pending = job if superseded is None else replace(job, after_drop=True)
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
            if self._reading and not self._abandoned and (self._controls or self._pending is not None):
                await self._follow_model()
            while self._controls and self._reading and not self._abandoned:
                await self._control(self._controls.popleft())
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

    async def _start_images(self, job: _Job) -> bool:
        """At the first image: an image seat and a MediaPipe graph; False (the frame answered) when none is free."""
        refusal = self._image_seat()
        if refusal is not None:
            log(logger, logging.WARNING, "Images refused", session=self.id, reason=refusal.value)
            self._dropped += 1
            self._metrics.frames_dropped.inc()
            if not await self._send(dropped_message([job.message.id], reason="at_capacity")):
                self._unanswered += 1
            self._closing = True
            await self._ws.close(CloseCode.TRY_AGAIN_LATER, refusal.reason)
            return False
        self._images = True
        self._follow_complexity()
        # Built and warmed in the thread that builds graphs, one at a time: a few ms to build, tens of ms
        # for its first frame, which must not hold up the threads that track other cameras.
        await asyncio.get_running_loop().run_in_executor(self._graphs, self._recognizer.prepare)
        return True

    async def _process(self, job: _Job) -> bool:
        """Recognize one frame and answer it; False when the session must end."""
        if isinstance(job.message, FrameMessage) and not self._images:
            self._in_work = job
            try:
                if not await self._start_images(job):
                    return False
            finally:
                self._in_work = None
            if self._abandoned:
                return False
        loop = asyncio.get_running_loop()
        self._in_work = job
        try:
            recognition = await self._recognition(job, loop)
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

    async def _recognition(self, job: _Job, loop: asyncio.AbstractEventLoop) -> Recognition:
        """An image in the thread pool; keypoints here, their windows scored with other sessions' by the scorer."""
        message, arrived = job.message, job.arrived
        # The client's capture time places the frame on its clock; after frames the server dropped, it stands for one.
        captured = message.captured if isinstance(message, KeypointsMessage) else None
        fill = not job.after_drop
        if isinstance(message, KeypointsMessage) and self._scorer is not None:
            staged = self._recognizer.stage_keypoints(message.landmarks, message.handedness, message.aspect,
                                                      arrived, captured, fill)
            if isinstance(staged, Recognition):  # no hand: nothing to score
                return staged
            scored = await self._scorer.score(self._recognizer.model, staged.windows)
            return self._recognizer.conclude(staged, scored)
        if isinstance(message, FrameMessage) and self._follow_complexity():
            # A new graph: built where every graph is, one at a time, not in the pool that tracks the cameras.
            await loop.run_in_executor(self._graphs, self._recognizer.prepare)
        return await loop.run_in_executor(self._executor, self._recognize, message, arrived, captured, fill)

    def _follow_complexity(self) -> bool:
        """Track the next image with the MediaPipe model the server wants now (signify.serving.complexity);
        True when that needs a new graph."""
        return self._complexity_source is not None and self._recognizer.track_with(self._complexity_source())

    def _recognize(self, message: FrameMessage | KeypointsMessage, arrived: float, captured: float | None,
                   fill: bool) -> Recognition:
        if isinstance(message, FrameMessage):
            return self._recognizer.recognize_image(message.image)
        return self._recognizer.recognize_keypoints(message.landmarks, message.handedness, message.aspect,
                                                    arrived, captured, fill)

    async def _answer(self, job: _Job, recognition: Recognition) -> None:
        top = recognition.scores.top(TOP_K) if recognition.scores is not None else []
        timing = dict(recognition.timing_ms)
        timing["total"] = round((time.perf_counter() - job.arrived) * 1000.0, 3)
        message = job.message
        if isinstance(message, KeypointsMessage):  # the client has its landmarks: they are not sent back
            answer = prediction_message(message.id, top, recognition.stable, recognition.text, None, timing,
                                        recognition.calibration, hand=recognition.hand, captured=message.captured)
        else:
            answer = prediction_message(message.id, top, recognition.stable, recognition.text, recognition.landmarks,
                                        timing, recognition.calibration)
        sent = await self._send(answer)
        if recognition.prompt is not None:
            await self._send(prompt_message(recognition.prompt))
        if recognition.outcome is not None:
            try:
                await self._calibrated(recognition.outcome)
            except Exception:
                await self._fail("Calibration failed")
        self._metrics.frames_processed.inc()
        self._metrics.observe_timing(timing)
        text, self._text = self._text, recognition.text
        committed = len(recognition.text) > len(text) and not recognition.text.endswith(" ")
        self._metrics.observe_answer(self._recognizer.model.version, top[0][1] if top else None,
                                     recognition.stable is not None, committed, timing["total"])
        if not sent:
            self._unanswered += 1
            return
        self._answered += 1
        self._latency_total_ms += timing["total"]
        log(logger, logging.DEBUG, "Frame answered", session=self.id, id=job.message.id, hand=recognition.hand,
            letter=top[0][0] if top else None, latency_ms=timing["total"])

    async def _follow_model(self) -> None:
        """Between frames: move to the deployment's model for this session, if it changed, and say so first.

        The profile and a running calibration belong to the old model's version and are dropped; the notice
        tells the client, which then keeps no profile of another version."""
        model = self._model_source() if self._model_source is not None else None
        if model is None or model is self._recognizer.model:
            return
        old = self._recognizer.model.version
        change = self._recognizer.use_model(model)
        card = model.card
        available = model.embedding_size is not None
        log(logger, logging.INFO, "Session model changed", session=self.id, old=old, new=card.version,
            profile_dropped=change.profile_dropped, calibration_cancelled=change.calibration_cancelled)
        await self._send(model_message(card.name, card.version, list(card.labels), available,
                                       change.profile_dropped, change.calibration_cancelled))

    # ---- control messages ---------------------------------------------------

    async def _control(self, message: ControlMessage) -> None:
        """Carry out one control message between frames; a bad one gets its error and changes nothing."""
        try:
            if isinstance(message, CalibrationStart):
                await self._send(prompt_message(self._start_calibration(message)))
            elif isinstance(message, CalibrationSkip | CalibrationStop):
                await self._end_letter(message)
            elif isinstance(message, ProfileMessage):
                await self._load_profile(message.profile)
            elif isinstance(message, ResumeMessage):
                # Between frames, like every control message: the next prediction's text continues it.
                await self._send(resumed_message(self._recognizer.resume(message.text)))
            elif isinstance(message, ProfileClear):
                self._recognizer.use_profile(None)
                card = self._card
                await self._send(profile_loaded_message(card.name, card.version, []))
            else:
                await self._delete_donations(message)
        except ProtocolError as error:
            await self._reject(error.code, error.message, None)
        except Exception:
            await self._fail("Control message failed", type=type(message).__name__)

    async def _fail(self, what: str, **fields: object) -> None:
        """Something that should not fail did: log it with its traceback and close this session 1011."""
        logger.exception(what, extra={"fields": {"session": self.id, **fields}})
        self._metrics.frames_failed.labels(code="internal").inc()
        self._closing = True
        await self._ws.close(CloseCode.INTERNAL_ERROR, "internal error")

    @property
    def _card(self) -> ModelCard:
        """The card of the model this session's frames go to now (it changes with a swap)."""
        return self._recognizer.model.card

    def _require_calibration(self, donate: bool = False) -> None:
        if self._recognizer.embedding_size is None:
            raise ProtocolError("calibration_unavailable", "this server's model cannot be calibrated")
        if donate and self._donations is None:
            raise ProtocolError("calibration_unavailable", "this server stores no donations")

    def _start_calibration(self, message: CalibrationStart) -> Prompt:
        self._require_calibration(message.donate)
        if self._recognizer.calibration is not None:
            raise ProtocolError("bad_calibration", "a calibration is already running")
        labels = self._card.labels
        letters = message.letters if message.letters is not None else labels
        unknown = [letter for letter in letters if letter not in labels]
        if unknown:
            raise ProtocolError("bad_calibration", f"letters must be labels of the model, not {unknown[:5]}")
        if len(set(letters)) != len(letters):
            raise ProtocolError("bad_calibration", "letters must be distinct")
        run = CalibrationRun(letters, window=self._ready["config"]["buffer"], donate=message.donate,
                             contributor=message.contributor)
        log(logger, logging.INFO, "Calibration started", session=self.id, letters=len(letters), donate=run.donate)
        return self._recognizer.start_calibration(run)

    async def _end_letter(self, message: CalibrationSkip | CalibrationStop) -> None:
        if self._recognizer.calibration is None:
            raise ProtocolError("bad_calibration", "no calibration is running")
        loop = asyncio.get_running_loop()
        # Ending a calibration fits the adaptation: milliseconds, but not on the loop.
        ended = await loop.run_in_executor(
            self._executor,
            self._recognizer.skip_letter if isinstance(message, CalibrationSkip) else self._recognizer.stop_calibration,
        )
        if isinstance(ended, Prompt):
            await self._send(prompt_message(ended))
        else:
            await self._calibrated(ended)

    async def _calibrated(self, outcome: CalibrationOutcome) -> None:
        """A calibration ended: store what the user donated, then say what it did and hand out the profile."""
        donated = await self._donate(outcome) if outcome.donate else 0
        result = outcome.result
        await self._send(calibration_done_message(result.letters, list(result.skipped), donated))
        # Not how much was donated: with the session id, that would tie the store's rows to an address.
        log(logger, logging.INFO, "Calibration done", session=self.id, letters=len(result.letters),
            skipped=len(result.skipped))
        self._metrics.donated_windows.inc(donated)
        if outcome.profile is not None:
            card = self._card
            await self._send(profile_message(encode_profile(outcome.profile), card.name, card.version,
                                             outcome.profile.letters(card.labels)))

    async def _donate(self, outcome: CalibrationOutcome) -> int:
        store, contributor = self._donations, outcome.contributor
        if store is None or contributor is None:
            return 0
        # The store keeps windows of at most MAX_FRAMES frames: the last ones, with a longer buffer.
        windows = [
            DonatedWindow(take.letter, observation.keypoints[-MAX_FRAMES:], observation.placements[-MAX_FRAMES:])
            for take in outcome.result.takes for observation in donated_windows(take)
            if observation.keypoints is not None and observation.placements is not None
        ]
        version = self._card.version
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, store.add, contributor, version, windows
            )
        except (StoreError, ValueError) as error:  # the donation is lost, never the session
            log(logger, logging.WARNING, "Donation not stored", windows=len(windows), error=str(error))
            return 0

    async def _load_profile(self, text: str) -> None:
        self._require_calibration()
        card = self._card
        size = self._recognizer.embedding_size
        assert size is not None
        try:
            profile = decode_profile(text, card.name, card.version, len(card.labels), size)
        except ProfileError as error:
            raise ProtocolError(error.code, error.message) from None
        if not self._profile_loads.allow():  # only the fit is costly: refusing a bad profile is not
            raise ProtocolError("rate_limited", f"at most {PROFILE_LOADS_PER_SECOND:g} profile a second")
        await asyncio.get_running_loop().run_in_executor(self._executor, self._recognizer.use_profile, profile)
        letters = profile.letters(card.labels)
        log(logger, logging.INFO, "Profile loaded", session=self.id, letters=len(letters))
        await self._send(profile_loaded_message(card.name, card.version, letters))

    async def _delete_donations(self, message: DonationDelete) -> None:
        if self._donations is None:
            raise ProtocolError("calibration_unavailable", "this server stores no donations")
        try:
            windows = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._donations.delete, message.contributor
            )
        except StoreError as error:
            log(logger, logging.WARNING, "Donations not deleted", session=self.id, error=str(error))
            raise ProtocolError("donation_failed", "the donation store cannot delete right now; try again") from None
        log(logger, logging.INFO, "Donations deleted", windows=windows)
        await self._send(donation_deleted_message(message.contributor, windows))

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
