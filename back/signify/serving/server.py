"""The WebSocket server on ``PORT``: handshake policy, capacity, and the session registry.

Plain HTTP on the same port answers ``GET /health`` and ``/ready`` (the
platform probes only the public port) and serves the demo page; the
WebSocket endpoint is ``/ws``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import ssl
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import replace
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.typing import Origin, Subprotocol

from ..config import Settings
from ..donations.store import DonationStore
from ..jsonlog import log
from ..memory import trim_heap
from ..models.deployment import Deployment, Track
from ..recognition.hands import HandSettings
from ..recognition.model import LetterModel
from ..recognition.recognizer import Recognizer, RecognizerSettings
from .clientaddress import TrustedProxies
from .complexity import FULL, LITE, ComplexityPolicy
from .metrics import Metrics
from .protocol import ready_message
from .scoring import WindowScorer
from .seats import Refusal, Seats
from .session import Session, SessionLimits
from .status import ServiceStatus
from .webstatic import cache_control, find_static

logger = logging.getLogger("signify.server")
# websockets logs request lines at DEBUG, and a request line may carry ?token=:
# its own logger stays at WARNING whatever LOG_LEVEL says.
protocol_logger = logging.getLogger("signify.websockets")
protocol_logger.setLevel(logging.WARNING)

WEBSOCKET_PATH = "/ws"
APP_SUBPROTOCOL = Subprotocol("signify")
TOKEN_SUBPROTOCOL_PREFIX = "token."
PING_INTERVAL_S = 20.0
PING_TIMEOUT_S = 20.0
HANDSHAKE_TIMEOUT_S = 10.0
# How long a closing handshake may wait for the peer: a dead peer found by the
# keepalive holds its session slot this much longer.
CLOSE_TIMEOUT_S = 10.0
# After DRAIN_TIMEOUT, how long sessions still busy get to say goodbye, and
# then how long handlers get to return before the server stops waiting.
GOODBYE_GRACE_S = 1.0
HANDLER_GRACE_S = 1.0
# A client that never reads can hold this much of our output before sends wait.
WRITE_LIMIT_BYTES = 64 * 1024
COMPLEXITY_TIMER_MARGIN_S = 0.05
TRIM_AFTER_SWITCH_S = 2.0  # sessions at 30 fps build their new graphs well within this, one at a time


class RecognitionServer:
    """Accepts WebSocket clients and runs a :class:`Session` for each."""

    def __init__(
        self,
        settings: Settings,
        status: ServiceStatus,
        metrics: Metrics,
        executor: Executor,
        models: Deployment[LetterModel],
        graphs: Executor | None = None,
        scoring: Executor | None = None,
        donations: DonationStore | None = None,
    ) -> None:
        """``executor`` runs recognition; ``graphs`` (by default ``executor``) builds and closes MediaPipe graphs;
        ``scoring`` (by default ``executor``) scores keypoint sessions' windows, one batch at a time;
        ``donations`` keeps what consenting users donate (None: donations are off); ``models`` says which
        model a new session gets (the active release, or a canary) and follows at every frame."""
        self._settings = settings
        self._status = status
        self._metrics = metrics
        self._executor = executor
        self._graphs = graphs or executor
        self._models = models
        self._donations = donations
        # One for every session and model: it batches windows of the same model only.
        self._scorer = WindowScorer(scoring or executor, max_in_flight=1)
        self._sessions: dict[str, Session] = {}  # sessions whose socket is open, each holding a seat
        self._clients: dict[str, str] = {}  # session id -> the client address its seat is counted for
        self._seats = Seats(settings.max_sessions, settings.max_keypoint_sessions, settings.max_sessions_per_client)
        self._image_sessions: set[str] = set()  # the sessions whose seat is an image seat
        self._complexity = ComplexityPolicy(settings.full_model_sessions)
        self._complexity_now = self._complexity.complexity(time.monotonic())
        self._complexity_due: asyncio.TimerHandle | None = None  # notes the full model's return when it is due
        status.image_landmarks = _landmarks(self._complexity_now)
        self._trusted = TrustedProxies(settings.trusted_proxies)
        self._finishing: set[asyncio.Task[None]] = set()  # sessions that left, closing their graph
        self._server: Server | None = None
        self._recognizer_settings = RecognizerSettings(
            buffer_size=settings.keypoint_buffer_size,
            window_size=settings.sliding_window_size,
            max_image_pixels=settings.max_image_pixels,
            hands=HandSettings(
                static_image_mode=False,
                model_complexity=self._complexity_now,  # then as signify.serving.complexity says
                min_detection_confidence=settings.mediapipe_min_detection_confidence,
                min_tracking_confidence=settings.mediapipe_min_tracking_confidence,
                zoom=True,  # small hands: signify.recognition.zoom
            ),
        )
        self._limits = SessionLimits(settings.max_frame_bytes, settings.max_fps, settings.idle_timeout)

    @property
    def hand_settings(self) -> tuple[HandSettings, ...]:
        """The MediaPipe options image sessions' trackers are built with: one per model complexity in use."""
        first = self._recognizer_settings.hands
        if self._settings.mediapipe_model_complexity is not None:
            return (first,)
        return first, replace(first, model_complexity=LITE if first.model_complexity == FULL else FULL)

    @property
    def port(self) -> int:
        """The port actually bound (useful when PORT is 0 in tests)."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Start listening."""
        self._server = await serve(
            self._handle,
            self._settings.host,
            self._settings.port,
            process_request=self._process_request,
            select_subprotocol=_select_subprotocol,
            origins=_origins(self._settings.allowed_origins),
            compression=None,  # JPEG frames do not compress; deflate costs ~8x in round trip
            max_size=self._settings.max_frame_bytes,
            max_queue=4,
            write_limit=WRITE_LIMIT_BYTES,
            open_timeout=HANDSHAKE_TIMEOUT_S,
            ping_interval=PING_INTERVAL_S,
            ping_timeout=PING_TIMEOUT_S,
            close_timeout=CLOSE_TIMEOUT_S,
            ssl=_ssl_context(self._settings),
            logger=protocol_logger,
            create_connection=_AnsweringConnection,
        )

    async def drain(self, timeout: float) -> None:
        """Stop accepting, answer every accepted frame, close clients with 1001; return within ``timeout`` + 2 s.

        Sessions have ``timeout`` to answer their frames and close. Those still
        busy then (a slow frame in a worker thread) answer what they hold
        ``shutting_down`` and get :data:`GOODBYE_GRACE_S` to close; connections
        still open after that are cut, and handlers still waiting for a worker
        thread are left behind (the process exits without joining the threads).
        """
        if self._server is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._server.close(close_connections=False)
        sessions = list(self._sessions.values())
        log(logger, logging.INFO, "Draining sessions", sessions=len(sessions), timeout_s=timeout)
        if sessions:
            drains = {asyncio.create_task(s.drain()): s for s in sessions}
            _, late = await asyncio.wait(drains, timeout=timeout)
            if late:
                log(logger, logging.WARNING, "Drain timed out", sessions=len(late))
                for task in late:
                    task.cancel()
                await asyncio.wait([asyncio.create_task(drains[task].abandon()) for task in late],
                                   timeout=GOODBYE_GRACE_S)
        for connection in list(self._server.all_connections):
            if connection.state is not State.CLOSED:
                connection.transport.abort()  # a peer that does not answer our close frame
        try:
            # Sessions that left close their MediaPipe graphs: what is left of the timeout, or the grace.
            async with asyncio.timeout(max(deadline - loop.time(), HANDLER_GRACE_S)):
                await self._server.wait_closed()
                if self._finishing:
                    await asyncio.wait(set(self._finishing))
        except TimeoutError:
            log(logger, logging.WARNING, "Exiting with worker threads still busy",
                sessions=len(self._finishing))
        if self._complexity_due is not None:  # every session has left: nothing to track with any more
            self._complexity_due.cancel()

    # ---- HTTP on the WebSocket port ------------------------------------------------

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.method not in ("GET", "HEAD"):
            response = connection.respond(HTTPStatus.METHOD_NOT_ALLOWED, "Only GET and HEAD are served here\n")
            response.headers["Allow"] = "GET, HEAD"
            return response
        path = urlsplit(request.path).path
        if request.method == "HEAD" and path == WEBSOCKET_PATH:  # a WebSocket handshake is a GET
            response = connection.respond(HTTPStatus.UPGRADE_REQUIRED, "")
            response.headers["Upgrade"] = "websocket"
            return response
        routed = self._route(connection, path)
        if routed is not None and request.method == "HEAD":
            routed.body = b""  # the headers a GET gets, Content-Length included, and no body
        return routed

    def _route(self, connection: ServerConnection, path: str) -> Response | None:
        if path == WEBSOCKET_PATH:
            return None
        if path == "/config.json":
            return _json_response(connection, HTTPStatus.OK, json.dumps(self._status.client_config(same_origin=True)))
        if path in ("/health", "/ready"):
            ok = path == "/health" or self._status.ready
            return _json_response(connection, HTTPStatus.OK if ok else HTTPStatus.SERVICE_UNAVAILABLE,
                                  json.dumps(self._status.health()))
        found = find_static(path)
        if found is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not found: the WebSocket endpoint is /ws\n")
        file, content_type = found
        response = connection.respond(HTTPStatus.OK, "")
        response.body = file.read_bytes()
        _set_header(response.headers, "Content-Type", content_type)
        _set_header(response.headers, "Content-Length", str(len(response.body)))
        response.headers["Cache-Control"] = cache_control(path)
        return response

    # ---- WebSocket sessions -------------------------------------------------------

    async def _handle(self, websocket: ServerConnection) -> None:
        track = self._models.assign()
        model = self._models.model(track)
        if model is None:
            await websocket.close(CloseCode.INTERNAL_ERROR, "model not loaded")
            return
        if not self._authorized(websocket):
            self._metrics.sessions_rejected.labels(reason="token").inc()
            await websocket.close(CloseCode.POLICY_VIOLATION, "missing or wrong token")
            return
        client = self._client(websocket)
        refusal = self._seats.take(client)
        if refusal is not None:
            # A session whose socket just closed may not have reached its handler's
            # end yet: its seat is given back here, so a client that reconnects at
            # once never finds its own last session in the way.
            for session in [s for s in self._sessions.values() if s.socket_closed]:
                self._leave(session)
            refusal = self._seats.take(client)
        if refusal is not None:
            self._metrics.sessions_rejected.labels(reason=refusal.value).inc()
            log(logger, logging.WARNING, "Session refused", reason=refusal.value, client=client,
                sessions=self._seats.in_use, client_sessions=self._seats.held_by(client))
            await websocket.close(CloseCode.TRY_AGAIN_LATER, refusal.reason)
            return
        session = self._open_session(websocket, model, client, track)
        try:
            await session.run()
        finally:
            # The seat is free as soon as the socket is done; the graph's close
            # waits its turn (graphs are built and closed one at a time) off the count.
            self._leave(session)
            finishing = asyncio.create_task(self._finish(session), name=f"session-{session.id}-finish")
            self._finishing.add(finishing)
            self._status.sessions_closing = len(self._finishing)
            finishing.add_done_callback(self._finished)

    async def _finish(self, session: Session) -> None:
        await session.finish()
        if not self._sessions and self._finishing == {asyncio.current_task()} and not self._status.draining:
            # The last session is gone: give back the heap its graphs and frames
            # used (8 sessions streaming left RSS at about 600 MB; trimmed, 170).
            # Not after every close: a trim takes 10-400 ms and locks each arena
            # in turn, a stall for the sessions still running. Done before this
            # task ends, so that sessions_closing 0 means trimmed as well.
            await asyncio.get_running_loop().run_in_executor(self._executor, trim_heap)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._finishing.discard(task)
        self._status.sessions_closing = len(self._finishing)

    def _image_seat(self, session_id: str) -> Refusal | None:
        """Move a session to an image seat at its first image; None when moved, else why not."""
        if session_id not in self._sessions:  # its socket closed meanwhile: its seat is gone
            return Refusal.CAPACITY
        refusal = self._seats.upgrade(self._clients[session_id])
        if refusal is None:
            self._image_sessions.add(session_id)
            self._count_image_sessions()
        else:
            self._metrics.sessions_rejected.labels(reason=refusal.value).inc()
        return refusal

    def _count_image_sessions(self) -> None:
        """Tell the status and the complexity policy how many image sessions are open now."""
        self._status.image_sessions = len(self._image_sessions)
        now = time.monotonic()
        self._complexity.update(len(self._image_sessions), now)
        self._tracking_complexity()
        # /health and the log say when the full model is back even if no image arrives then.
        if self._complexity_due is not None:
            self._complexity_due.cancel()
        due = self._complexity.full_again_at()
        # A little after it: a timer may fire up to the clock's resolution early.
        self._complexity_due = (None if due is None else asyncio.get_running_loop().call_later(
            due - now + COMPLEXITY_TIMER_MARGIN_S, self._tracking_complexity))

    def _tracking_complexity(self) -> int:
        """The MediaPipe model complexity for every image session's next frame; a change is logged and shown."""
        complexity = self._complexity.complexity(time.monotonic())
        if complexity != self._complexity_now:
            self._complexity_now = complexity
            self._status.image_landmarks = _landmarks(complexity)
            log(logger, logging.INFO, "Image tracking model changed", landmarks=_landmarks(complexity),
                image_sessions=len(self._image_sessions))
            self._metrics.image_tracking_switches.labels(landmarks=_landmarks(complexity)).inc()
            # Each session builds its new graph at its next frame; then the old graphs' heap goes back (8
            # cameras held 100-150 MB more without this). Once a switch, not after every close (see _finish).
            asyncio.get_running_loop().call_later(TRIM_AFTER_SWITCH_S, self._trim_after_switch)
        return complexity

    def _trim_after_switch(self) -> None:
        if not self._status.draining:  # a drain trims nothing: the process is about to exit
            # In the thread that builds and closes graphs: never during a build there.
            asyncio.get_running_loop().run_in_executor(self._graphs, trim_heap)

    def _leave(self, session: Session) -> None:
        """Give the session's seat back (once)."""
        if self._sessions.pop(session.id, None) is None:
            return
        images = session.id in self._image_sessions
        self._image_sessions.discard(session.id)
        self._count_image_sessions()
        self._seats.release(self._clients.pop(session.id), images=images)
        self._status.sessions = len(self._sessions)
        self._metrics.sessions_open.set(len(self._sessions))

    def _client(self, websocket: ServerConnection) -> str:
        """The client address the session is counted for."""
        peer = websocket.remote_address[0] if websocket.remote_address else None
        forwarded = websocket.request.headers.get_all("X-Forwarded-For") if websocket.request else []
        return self._trusted.client(peer, forwarded)

    def _open_session(self, websocket: ServerConnection, model: LetterModel, client: str, track: Track) -> Session:
        session_id = secrets.token_hex(4)
        card = model.card
        ready = ready_message(
            session_id, card.name, card.version, list(card.labels),
            self._settings.keypoint_buffer_size, self._settings.sliding_window_size, self._settings.max_fps,
            calibration=model.embedding_size is not None, donations=self._donations is not None,
        )
        recognizer = Recognizer(model, self._recognizer_settings)
        session = Session(websocket, session_id, recognizer, self._executor, self._metrics, self._limits, ready,
                          graphs=self._graphs, donations=self._donations,
                          image_seat=lambda: self._image_seat(session_id), scorer=self._scorer,
                          model=lambda: self._models.model(track), complexity=self._tracking_complexity)
        self._sessions[session_id] = session
        self._clients[session_id] = client
        self._status.sessions = len(self._sessions)
        self._metrics.sessions_open.set(len(self._sessions))
        self._metrics.sessions_total.inc()
        log(logger, logging.INFO, "Client connected", session=session_id, remote=_remote(websocket), client=client,
            model=card.version, track=track.value,
            origin=websocket.request.headers.get("Origin") if websocket.request else None,
            sessions=len(self._sessions))
        return session

    def _authorized(self, websocket: ServerConnection) -> bool:
        expected = self._settings.auth_token
        if expected is None:
            return True
        offered = _offered_token(websocket.request)
        return offered is not None and hmac.compare_digest(offered.encode(), expected.encode())


class _AnsweringProtocol(ServerProtocol):
    """websockets' handshake protocol, answering a request it cannot read instead of hanging up in silence.

    websockets refuses a request with a body (``Content-Length`` other than 0,
    or ``Transfer-Encoding``) and any malformed request by closing the TCP
    connection without a word; a client or proxy then cannot tell a refusal
    from a crash. Here the close is preceded by a plain-text 413 (a body) or
    400 (anything else unreadable).
    """

    def send_eof(self) -> None:
        if self.state is State.CONNECTING and not self.eof_sent and self.handshake_exc is not None:
            status = _unreadable_request_status(self.handshake_exc.__cause__)
            if status is not None:
                reason = f"Failed to open a WebSocket connection: {self.handshake_exc.__cause__}.\n"
                self.writes.append(self.reject(status, reason).serialize())
        super().send_eof()


def _unreadable_request_status(cause: BaseException | None) -> HTTPStatus | None:
    # websockets says "transfer codings aren't supported" or "unsupported request body".
    if isinstance(cause, NotImplementedError) or (isinstance(cause, ValueError) and "body" in str(cause)):
        return HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    if isinstance(cause, ValueError):  # a malformed request line or header (UnicodeDecodeError included)
        return HTTPStatus.BAD_REQUEST
    return None  # EOFError: the client left before its request was complete; nobody to answer


class _AnsweringConnection(ServerConnection):
    """A connection whose handshake protocol is :class:`_AnsweringProtocol`.

    serve() builds the sans-I/O protocol itself and offers no way to choose its
    class: it is swapped here, before a single byte has been read.
    """

    def __init__(self, protocol: ServerProtocol, *args: Any, **kwargs: Any) -> None:
        protocol.__class__ = _AnsweringProtocol
        super().__init__(protocol, *args, **kwargs)


def _offered_token(request: Request | None) -> str | None:
    if request is None:
        return None
    query = parse_qs(urlsplit(request.path).query)
    if query.get("token"):
        return query["token"][0]
    for header in request.headers.get_all("Sec-WebSocket-Protocol"):
        for item in header.split(","):
            offered = item.strip()
            if offered.startswith(TOKEN_SUBPROTOCOL_PREFIX):
                return offered[len(TOKEN_SUBPROTOCOL_PREFIX) :]
    return None


def _landmarks(complexity: int) -> str:
    """The landmark model's name, as the demo page calls its two (``?landmarks=lite``)."""
    return "full" if complexity == FULL else "lite"


def _select_subprotocol(connection: ServerConnection, offered: Sequence[Subprotocol]) -> Subprotocol | None:
    # Browsers can only send a token as a subprotocol, and refuse the connection
    # unless the server picks one of those offered; never echo the token itself.
    if APP_SUBPROTOCOL in offered:
        return APP_SUBPROTOCOL
    return None


def _origins(allowed: tuple[str, ...]) -> list[Origin | None] | None:
    if "*" in allowed:
        return None
    # Clients that are not browsers send no Origin; the token, if any, guards them.
    return [*(Origin(origin) for origin in allowed), None]


def _ssl_context(settings: Settings) -> ssl.SSLContext | None:
    if settings.ssl_certfile is None or settings.ssl_keyfile is None:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(settings.ssl_certfile, settings.ssl_keyfile)
    return context


def _json_response(connection: ServerConnection, status: HTTPStatus, body: str) -> Response:
    response = connection.respond(status, body + "\n")
    _set_header(response.headers, "Content-Type", "application/json")
    return response


def _set_header(headers: Headers, name: str, value: str) -> None:
    del headers[name]
    headers[name] = value


def _remote(websocket: ServerConnection) -> str | None:
    address = websocket.remote_address
    return f"{address[0]}:{address[1]}" if address else None
