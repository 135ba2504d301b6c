"""The composition root: wires the parts together and owns the lifecycle.

Start: health server first (so probes see "starting"), the release to
serve listed, loaded, checked and warmed in a worker thread
(signify.models), then the WebSocket server, then ready.
Stop (SIGTERM or SIGINT): not ready, drain every session, close servers,
shut the thread pools down.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from .config import Settings
from .donations.store import DonationStore
from .jsonlog import log
from .memory import trim_heap
from .models.deployment import Deployment
from .models.manager import ModelManager
from .models.store import StoreError, open_store
from .recognition.hands import warm_up_hands
from .recognition.model import LetterModel, ModelError
from .serving.admin import build_admin_app
from .serving.health import build_health_app
from .serving.metrics import Metrics
from .serving.server import RecognitionServer
from .serving.status import ServiceStatus

logger = logging.getLogger("signify.app")

THREAD_START_TIMEOUT_S = 10.0


class Application:
    """One Signify server process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.status = ServiceStatus(max_sessions=settings.max_sessions,
                                    max_keypoint_sessions=settings.max_keypoint_sessions)
        self.metrics = Metrics()
        self._executor = ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="signify-worker")
        # Graphs are built and closed one at a time anyway (hands.py): in a thread of
        # their own, a reconnect storm's builds queue there instead of holding the
        # workers that answer other clients' frames, each waiting on the graph lock
        # (bench --attack: a camera's p95 145 ms with 24% dropped, now about 40 ms).
        # Not niced: MediaPipe's own threads, started by the build, would inherit it.
        self._graphs = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signify-graphs")
        # Keypoint clients' windows are scored in one thread of its own, one batch at a time: while it
        # runs, the next batch gathers (bench --mode keypoints, 50 clients: p95 15 ms against 63 ms when
        # they shared the recognition workers, whose small concurrent batches also cost more CPU).
        self._scoring = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signify-scoring")
        # Opens nothing yet: a store that cannot be written costs the donations, never the server's start.
        donations = DonationStore(settings.dataset_path) if settings.dataset_path is not None else None
        self.models: ModelManager | None = None  # built at start: opening an s3:// store may fail
        self.deployment: Deployment[LetterModel] = Deployment()
        self.websocket = RecognitionServer(settings, self.status, self.metrics, self._executor, self.deployment,
                                           graphs=self._graphs, scoring=self._scoring, donations=donations)
        self._health_runner: web.AppRunner | None = None
        self._health_site: web.TCPSite | None = None
        self._stopped = False

    @property
    def model(self) -> LetterModel | None:
        """The active release's model, once one serves."""
        return self.deployment.stable

    @property
    def health_port(self) -> int:
        """The health port actually bound."""
        assert self._health_runner is not None
        return int(self._health_runner.addresses[0][1])

    async def start(self) -> None:
        """Bring the service up; the model error, if any, is reported, not raised."""
        await self._start_health()
        await self._start_threads()
        await self._load_model()
        await self._warm_hands()
        await self.websocket.start()
        self.status.websocket_port = self.websocket.port
        log(logger, logging.INFO, "Server listening", port=self.websocket.port, path="/ws",
            tls=self.settings.tls, health_port=self.health_port,
            threads=self.settings.threads, max_sessions=self.settings.max_sessions, ready=self.status.ready)

    async def _start_health(self) -> None:
        admin = (build_admin_app(lambda: self.models, self.settings.admin_token)
                 if self.settings.admin_token is not None else None)
        self._health_runner = web.AppRunner(build_health_app(self.status, self.metrics, admin), access_log=None)
        await self._health_runner.setup()
        self._health_site = web.TCPSite(self._health_runner, self.settings.host, self.settings.health_port)
        await self._health_site.start()

    async def _start_threads(self) -> None:
        # Every worker thread and the graph thread from the start: a pool grows a
        # thread only when all of its threads are busy, and recognition alone
        # (graphs have their own thread) may take hours of load to reach that, so
        # the thread count would creep up long after start-up.
        loop = asyncio.get_running_loop()
        barrier = threading.Barrier(self.settings.threads)
        await asyncio.gather(*(loop.run_in_executor(self._executor, barrier.wait, THREAD_START_TIMEOUT_S)
                               for _ in range(self.settings.threads)))
        await loop.run_in_executor(self._graphs, lambda: None)

    async def _load_model(self) -> None:
        started = time.perf_counter()
        store = self.settings.store
        try:
            if not self.settings.model_store and not self.settings.model_path.is_file():
                # The default store is MODEL_PATH's directory: a MODEL_PATH that is not there is a mistake.
                raise ModelError(f"model file {self.settings.model_path} not found (MODEL_PATH)", "file")
            self.models = ModelManager(open_store(store, self.settings.model_cache, self.settings.model_store_endpoint),
                                       self._executor, self.settings.keypoint_buffer_size, self.deployment,
                                       on_change=self._models_changed)
            model = await self.models.start(self.settings.model_version)
        except (ModelError, StoreError) as exc:
            check = exc.check if isinstance(exc, ModelError) else "store"
            self.status.model_error = f"refused by check {check}: {exc}"
            log(logger, logging.ERROR, "Model not loaded: the server will not predict", error=str(exc),
                check=check, store=store, version=self.settings.model_version)
            return
        log(logger, logging.INFO, "Loaded ONNX model", path=str(model.path), name=model.card.name,
            version=model.card.version, store=store, input_shape=model.input_shape, output_shape=model.output_shape,
            labels=len(model.card.labels), load_ms=round((time.perf_counter() - started) * 1000, 1))

    def _models_changed(self) -> None:
        """What /health, the ready message and /metrics report follows the deployment."""
        deployment = self.deployment
        stable, canary = deployment.stable, deployment.canary
        self.status.model = stable.card if stable is not None else None
        self.status.canary = canary.card if canary is not None else None
        self.status.canary_percent = deployment.canary_percent
        if stable is not None:
            self.status.model_error = None
            self.metrics.model_info.info({"name": stable.card.name, "version": stable.version})
        previous = deployment.previous
        self.metrics.serving({"stable": stable.version if stable is not None else None,
                              "previous": previous.version if previous is not None else None,
                              "canary": canary.version if canary is not None else None}, deployment.canary_percent)

    async def _warm_hands(self) -> None:
        # Importing MediaPipe and building its first graph takes about a second and
        # 50 MB: pay it before /ready, not in the first client's session.
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        for settings in self.websocket.hand_settings:  # both models, when their number decides (auto)
            await loop.run_in_executor(self._executor, warm_up_hands, settings)
        # The throwaway graphs' arenas stay in the heap otherwise: 40 MB more idle RSS for a second one.
        await loop.run_in_executor(self._executor, trim_heap)
        self.status.warmed_up = True
        log(logger, logging.INFO, "MediaPipe Hands ready", warm_up_ms=round((time.perf_counter() - started) * 1000, 1))

    async def stop(self) -> None:
        """Drain sessions and release everything; later calls do nothing."""
        if self._stopped:
            return
        self._stopped = True
        self.status.draining = True
        started = time.perf_counter()
        await self.websocket.drain(self.settings.drain_timeout)
        if self._health_runner is not None:
            await self._health_runner.cleanup()
        # Not waiting: a thread still decoding a frame of a session given up on
        # would hold the exit past DRAIN_TIMEOUT (__main__ exits without joining it).
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._graphs.shutdown(wait=False, cancel_futures=True)
        self._scoring.shutdown(wait=False, cancel_futures=True)
        log(logger, logging.INFO, "Server stopped", drain_ms=round((time.perf_counter() - started) * 1000, 1))

    async def run_until_signalled(self) -> None:
        """Start, serve until SIGTERM or SIGINT, then stop."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await self.start()
        await stop.wait()
        log(logger, logging.INFO, "Shutdown requested", sessions=self.status.sessions)
        await self.stop()
