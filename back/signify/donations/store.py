"""Placeholder until the donation store lands (branch donations)."""

from __future__ import annotations

import re

CONTRIBUTOR_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def valid_contributor(text: object) -> bool:
    """Whether ``text`` is a contributor id a client may use."""
    return isinstance(text, str) and CONTRIBUTOR_ID.fullmatch(text) is not None


from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402


class StoreError(RuntimeError):
    """Placeholder."""


@dataclass(frozen=True)
class DonatedWindow:
    """Placeholder."""

    letter: str
    keypoints: NDArray[np.float32]
    placements: NDArray[np.float32]


class DonationStore:
    """Placeholder."""

    def __init__(self, path: Path, *, timeout: float = 1.0) -> None:
        self.path = path

    def add(self, contributor: str, model_version: str, windows: Sequence[DonatedWindow]) -> int:
        """Placeholder."""
        raise StoreError("not yet")

    def delete(self, contributor: str) -> int:
        """Placeholder."""
        raise StoreError("not yet")
