"""A fixed-size ring buffer of per-frame arrays: hand keypoints, and where the hand was."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .normalization import NUM_LANDMARKS


class KeypointBuffer:
    """Keeps the last ``capacity`` frames, oldest first: arrays of ``frame_shape``, a hand's ``(21, 3)`` by default.

    Storage is allocated once; appending never allocates, so a long session
    costs the same memory as a short one.
    """

    def __init__(self, capacity: int, frame_shape: tuple[int, ...] = (NUM_LANDMARKS, 3)) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._frames = np.zeros((capacity, *frame_shape), dtype=np.float32)
        self._next = 0
        self._count = 0

    @property
    def capacity(self) -> int:
        """How many frames the buffer holds at most."""
        return int(self._frames.shape[0])

    def __len__(self) -> int:
        return self._count

    def append(self, frame: ArrayLike) -> None:
        """Add one frame, overwriting the oldest once the buffer is full."""
        self._frames[self._next] = frame
        self._next = (self._next + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def window(self) -> NDArray[np.float32]:
        """All held frames in arrival order, as a new ``(n, *frame_shape)`` array."""
        if self._count < self.capacity:
            return self._frames[: self._count].copy()
        return np.concatenate((self._frames[self._next :], self._frames[: self._next]))

    def clear(self) -> None:
        """Forget every frame."""
        self._next = 0
        self._count = 0
