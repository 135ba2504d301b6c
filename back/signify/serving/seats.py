"""Session seats: keypoint sessions and image sessions, each with its own cap, and a cap per client address.

Pure bookkeeping, no I/O. Every session starts on a keypoint seat, which
costs a buffer and a smoother (well under a megabyte): a client that tracks
the hand itself never needs more. A session's first image moves it to an
image seat, because images need a MediaPipe graph of its own (about 50 MB
and 6 ms of CPU a frame): ``MAX_SESSIONS`` caps those, and
``MAX_KEYPOINT_SESSIONS`` the others. ``MAX_SESSIONS_PER_CLIENT`` counts a
client's sessions of both kinds. The server gives a seat back as soon as
the session's socket is closed (the graph's close may come later, off the
count).
"""

from __future__ import annotations

from collections import Counter
from enum import Enum


class Refusal(Enum):
    """Why a seat was refused: the value is the metric label, :attr:`reason` the close reason."""

    CAPACITY = "capacity"
    PER_CLIENT = "per_client"
    IMAGE_CAPACITY = "image_capacity"

    @property
    def reason(self) -> str:
        """The WebSocket close reason sent with 1013."""
        if self is Refusal.CAPACITY:
            return "at capacity, try again later"
        if self is Refusal.IMAGE_CAPACITY:
            return "at capacity for camera images, try again later or track the hand on the device"
        return "too many sessions from this client, try again later"


class Seats:
    """Counts the seats held: of each kind in all, and per client."""

    def __init__(self, images: int, keypoints: int, per_client: int) -> None:
        """``per_client`` 0 means no per-client limit."""
        self._caps = {True: images, False: keypoints}
        self._per_client = per_client
        self._held: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}

    @property
    def in_use(self) -> int:
        """Seats held in all."""
        return self.images_in_use + self.keypoints_in_use

    @property
    def images_in_use(self) -> int:
        """Image seats held."""
        return self._held[True].total()

    @property
    def keypoints_in_use(self) -> int:
        """Keypoint seats held."""
        return self._held[False].total()

    @property
    def images_full(self) -> bool:
        """Whether a session's first image would find no image seat."""
        return self.images_in_use >= self._caps[True]

    @property
    def keypoints_full(self) -> bool:
        """Whether a new session would find no seat."""
        return self.keypoints_in_use >= self._caps[False]

    def held_by(self, client: str) -> int:
        """Seats ``client`` holds, of both kinds."""
        return self._held[True][client] + self._held[False][client]

    def take(self, client: str) -> Refusal | None:
        """Take a keypoint seat for a new session of ``client``; None when taken, else why not."""
        if self.keypoints_full:
            return Refusal.CAPACITY
        if self._per_client and self.held_by(client) >= self._per_client:
            return Refusal.PER_CLIENT
        self._held[False][client] += 1
        return None

    def upgrade(self, client: str) -> Refusal | None:
        """Move one of ``client``'s keypoint seats to an image seat; None when moved, else why not."""
        if self.images_full:
            return Refusal.IMAGE_CAPACITY
        _remove(self._held[False], client)
        self._held[True][client] += 1
        return None

    def release(self, client: str, *, images: bool = False) -> None:
        """Give back one of ``client``'s seats, of the kind it held."""
        _remove(self._held[images], client)


def _remove(held: Counter[str], client: str) -> None:
    if held[client] <= 1:
        del held[client]
    else:
        held[client] -= 1
