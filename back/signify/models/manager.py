"""The releases in service: load and check off the event loop, swap on it, one change at a time.

Every change loads (or reuses) a model, runs every check of
:mod:`.loading` in a worker thread, and only then assigns it in the
:class:`~.deployment.Deployment`: a model that fails a check never
serves, and whatever was serving goes on serving. Sessions follow at
their next frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from ..jsonlog import log
from ..recognition.model import LetterModel, ModelError
from .deployment import Deployment, DeploymentError
from .loading import load_release
from .store import Listing, Release, ReleaseStore, StoreError

logger = logging.getLogger("signify.models")


class UnknownReleaseError(LookupError):
    """The store has no release of that version."""


class ModelManager:
    """Owns the :class:`Deployment` of one server; the admin API and start-up call it."""

    def __init__(self, store: ReleaseStore, executor: Executor, max_frames: int,
                 deployment: Deployment[LetterModel] | None = None,
                 on_change: Callable[[], None] = lambda: None) -> None:
        """``max_frames``: the window the warm-up check runs (KEYPOINT_BUFFER_SIZE); ``on_change`` is called on
        the loop after every change, to update what /health and /metrics report."""
        self.store = store
        self.deployment: Deployment[LetterModel] = deployment if deployment is not None else Deployment()
        self._executor = executor
        self._max_frames = max_frames
        self._on_change = on_change
        self._lock = asyncio.Lock()

    async def start(self, pinned: str | None) -> LetterModel:
        """Serve ``pinned``, or the newest release that passes every check; raise ``ModelError`` or
        ``StoreError`` saying why none can serve."""
        async with self._lock:
            listing = await self._list()
            for problem in listing.problems:
                log(logger, logging.WARNING, "Model store entry skipped", store=self.store.description, problem=problem)
            if pinned is not None:
                release = listing.find(pinned)
                if release is None:
                    raise ModelError(f"MODEL_VERSION={pinned} is not in {self.store.description} "
                                     f"(releases: {[r.version for r in listing.releases]})", "store")
                candidates = [release]
            else:
                candidates = list(reversed(listing.releases))
            if not candidates:
                raise ModelError(f"no release in {self.store.description}", "store")
            refusals: list[str] = []
            for release in candidates:
                try:
                    model = await self._load(release)
                except (ModelError, StoreError) as error:
                    refusals.append(f"{release.version}: {_refusal(error)}")
                    continue
                self.deployment.activate(model)
                self._on_change()
                if refusals:  # the newest could not serve: say so loudly, an older one does
                    log(logger, logging.ERROR, "Newer releases refused at start", refused=refusals,
                        serving=model.version)
                return model
            raise ModelError("; ".join(refusals), "start")

    async def describe(self) -> dict[str, Any]:
        """The store's releases and which serve: the admin API's listing."""
        listing = await self._list()
        return {"store": self.store.description, "releases": [r.describe() for r in listing.releases],
                "problems": listing.problems, **self.state()}

    def state(self) -> dict[str, Any]:
        """Active, previous and canary versions."""
        d = self.deployment
        return {
            "active": d.stable.version if d.stable is not None else None,
            "previous": d.previous.version if d.previous is not None else None,
            "canary": {"version": d.canary.version, "percent": d.canary_percent} if d.canary is not None else None,
        }

    async def activate(self, version: str) -> dict[str, Any]:
        """Load and check ``version`` (unless already in service), then make it serve every session."""
        async with self._lock:
            started = time.perf_counter()
            model = await self._model(version)
            self.deployment.activate(model)
            return self._changed("Model activated", started, version=version)

    async def canary(self, version: str, percent: float) -> dict[str, Any]:
        """Serve ``version`` to ``percent`` of new sessions; 0 ends the canary."""
        async with self._lock:
            started = time.perf_counter()
            if percent == 0:
                self.deployment.stop_canary()
                return self._changed("Canary stopped", started)
            if not 0.0 < percent <= 100.0:  # refused before any load
                raise DeploymentError(f"percent must be between 0 and 100, not {percent}")
            model = await self._model(version)
            self.deployment.start_canary(model, percent)
            return self._changed("Canary started", started, version=version, percent=percent)

    async def rollback(self) -> dict[str, Any]:
        """End the canary, or go back to the previous release (already loaded: instant)."""
        async with self._lock:
            started = time.perf_counter()
            self.deployment.rollback()
            return self._changed("Model rolled back", started)

    def _changed(self, what: str, started: float, **fields: Any) -> dict[str, Any]:
        self._on_change()
        elapsed_ms = round((time.perf_counter() - started) * 1000.0, 1)
        state = self.state()
        log(logger, logging.INFO, what, **fields, **state, elapsed_ms=elapsed_ms)
        return {**state, "elapsed_ms": elapsed_ms}

    async def _model(self, version: str) -> LetterModel:
        loaded = self.deployment.loaded(version)
        if loaded is not None:
            return loaded
        release = (await self._list()).find(version)
        if release is None:
            raise UnknownReleaseError(f"no release {version} in {self.store.description}")
        try:
            return await self._load(release)
        except ModelError as error:
            log(logger, logging.ERROR, "Model refused", version=version, check=error.check, error=str(error))
            raise

    async def _list(self) -> Listing:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.store.list)

    async def _load(self, release: Release) -> LetterModel:
        def load() -> LetterModel:
            model = load_release(self.store.fetch(release), self._max_frames)
            if model.version != release.version:  # the card changed between the listing and the fetch
                raise ModelError(f"{release.card} now says version {model.version}, not {release.version}", "card")
            return model

        return await asyncio.get_running_loop().run_in_executor(self._executor, load)


def _refusal(error: ModelError | StoreError) -> str:
    check = error.check if isinstance(error, ModelError) else "store"
    return f"refused by check {check}: {error}"
