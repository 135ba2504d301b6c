"""Session seats: at most MAX_SESSIONS in all, and at most MAX_SESSIONS_PER_CLIENT per client address.

Pure bookkeeping, no I/O: the server takes a seat before it builds a
session's MediaPipe graph and gives it back as soon as the session's
socket is closed (the graph's close may come later, off the count).
"""

from __future__ import annotations

from collections import Counter
from enum import Enum


class Refusal(Enum):
    """Why a seat was refused: the value is the metric label, :attr:`reason` the close reason."""

    CAPACITY = "capacity"
    PER_CLIENT = "per_client"

    @property
    def reason(self) -> str:
        """The WebSocket close reason sent with 1013."""
        if self is Refusal.CAPACITY:
            return "at capacity, try again later"
        return "too many sessions from this client, try again later"


class Seats:
    """Counts the seats held, in all and per client."""

    def __init__(self, total: int, per_client: int) -> None:
        """``per_client`` 0 means no per-client limit."""
        self._total = total
        self._per_client = per_client
        self._held: Counter[str] = Counter()

    @property
    def in_use(self) -> int:
        """Seats held in all."""
        return self._held.total()

    def held_by(self, client: str) -> int:
        """Seats ``client`` holds."""
        return self._held[client]

    def take(self, client: str) -> Refusal | None:
        """Take a seat for ``client``; None when taken, else why not."""
        if self.in_use >= self._total:
            return Refusal.CAPACITY
        if self._per_client and self._held[client] >= self._per_client:
            return Refusal.PER_CLIENT
        self._held[client] += 1
        return None

    def release(self, client: str) -> None:
        """Give back one of ``client``'s seats."""
        if self._held[client] <= 1:
            del self._held[client]
        else:
            self._held[client] -= 1
