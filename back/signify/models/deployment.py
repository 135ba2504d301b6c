"""Which model serves whom: the active release, the one before it, and a canary. Pure bookkeeping.

A session is assigned a track when it opens: ``stable`` or, with the
canary's percentage, ``canary``. It reads its track's model at every frame
(:meth:`Deployment.model`), so a swap reaches it at its next frame. A
canary track with no canary running reads the stable model: stopping or
rolling back a canary moves its sessions back at their next frame.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Versioned(Protocol):
    """A loaded model, known by its card's version."""

    @property
    def version(self) -> str:
        """The release version."""


M = TypeVar("M", bound=Versioned)


class Track(enum.Enum):
    """Which model a session follows."""

    STABLE = "stable"
    CANARY = "canary"


class DeploymentError(ValueError):
    """An operation that makes no sense in the current state (nothing to roll back, a bad percentage)."""


class Deployment(Generic[M]):
    """The models in service; every change is one assignment, made on the event loop."""

    def __init__(self, draw: Callable[[], float] = random.random) -> None:
        """``draw``: uniform in [0, 1), the canary lottery of each new session."""
        self._draw = draw
        self.stable: M | None = None
        self.previous: M | None = None
        self.canary: M | None = None
        self.canary_percent = 0.0

    def assign(self) -> Track:
        """A new session's track: canary with probability ``canary_percent``/100 while a canary runs."""
        if self.canary is not None and self._draw() * 100.0 < self.canary_percent:
            return Track.CANARY
        return Track.STABLE

    def model(self, track: Track) -> M | None:
        """The model a session on ``track`` uses for its next frame."""
        if track is Track.CANARY and self.canary is not None:
            return self.canary
        return self.stable

    def loaded(self, version: str) -> M | None:
        """A model of ``version`` already in service (active, previous or canary), so no load is needed."""
        for model in (self.stable, self.canary, self.previous):
            if model is not None and model.version == version:
                return model
        return None

    def activate(self, model: M) -> None:
        """``model`` serves every session from its next frame; the one it replaces is kept for a rollback.

        Activating the canary's version promotes the canary, which then ends.
        """
        if self.stable is not None and self.stable.version == model.version:
            self.stable = model
        else:
            self.previous, self.stable = self.stable, model
        if self.canary is not None and self.canary.version == model.version:
            self.canary, self.canary_percent = None, 0.0

    def start_canary(self, model: M, percent: float) -> None:
        """``model`` serves ``percent`` of the sessions opened from now on (0 < percent <= 100)."""
        if not 0.0 < percent <= 100.0:
            raise DeploymentError(f"percent must be above 0 and at most 100, not {percent}")
        if self.stable is None:
            raise DeploymentError("no active model to compare a canary with")
        if self.stable.version == model.version:
            raise DeploymentError(f"version {model.version} is already active")
        self.canary, self.canary_percent = model, percent

    def stop_canary(self) -> M | None:
        """End the canary (its sessions return to the stable model); the canary that ran, if any."""
        stopped, self.canary, self.canary_percent = self.canary, None, 0.0
        return stopped

    def rollback(self) -> M:
        """Undo the last change: a running canary ends, else the previous model is active again.

        Returns the model now serving the sessions the change had moved.
        """
        if self.canary is not None:
            self.stop_canary()
            assert self.stable is not None
            return self.stable
        if self.previous is None or self.stable is None:
            raise DeploymentError("nothing to roll back to")
        self.stable, self.previous = self.previous, self.stable
        return self.stable
