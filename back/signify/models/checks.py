"""The checks a release passes before it serves: pure functions over what was read or computed.

Each refusal is a :class:`~signify.recognition.model.ModelError` whose
``check`` names the check, so the admin API and the log say what to fix:

- ``card``: the card beside the model is missing or unreadable;
- ``sha256``: the card has no ``sha256``, or the file's digest differs from it;
- ``load``: onnxruntime cannot read the file (truncated, not ONNX);
- ``signature``: input or output names or shapes are not what the server feeds and reads;
- ``labels``: the card's labels are not the 26 letters A-Z, once each;
- ``warm_up``: a warm-up window's answer is not 26 finite probabilities summing to one.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from ..recognition.model import PROBABILITIES_OUTPUT, ModelError

LETTERS = tuple(string.ascii_uppercase)
# A softmax in float32 sums to one within a few ulps; anything further off is not a distribution.
SUM_TOLERANCE = 1e-3


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of ``data``, as cards carry it."""
    return hashlib.sha256(data).hexdigest()


def check_sha256(actual: str, expected: str | None) -> None:
    """The file's digest equals the card's."""
    if expected is None:
        raise ModelError("the card has no sha256 of its model file (python -m signify.models stamp)", "sha256")
    if actual.lower() != expected.lower():
        raise ModelError(f"the file's sha256 is {actual[:16]}…, its card says {expected[:16]}…", "sha256")


def check_labels(labels: Sequence[str]) -> None:
    """The card's labels are the 26 letters, each once (the protocol and the smoother need every one)."""
    if len(labels) != len(LETTERS) or set(labels) != set(LETTERS):
        missing = sorted(set(LETTERS) - set(labels))
        extra = sorted(set(labels) - set(LETTERS))
        raise ModelError(f"labels must be the letters A-Z once each: {len(labels)} given, "
                         f"missing {missing[:5]}, unexpected {extra[:5]}", "labels")


def check_outputs(names: Sequence[str]) -> None:
    """The graph names its letter scores ``probabilities``: an unnamed first output could be anything."""
    if PROBABILITIES_OUTPUT not in names:
        raise ModelError(f"the model has no {PROBABILITIES_OUTPUT!r} output (outputs: {list(names)[:4]})", "signature")


def check_probabilities(rows: NDArray[np.float32], classes: int = len(LETTERS)) -> None:
    """A warm-up answer: ``(windows, classes)`` finite values in [0, 1], each row summing to one."""
    if rows.ndim != 2 or rows.shape[1] != classes:
        raise ModelError(f"warm-up answer has shape {list(rows.shape)}, not [windows, {classes}]", "warm_up")
    if not np.isfinite(rows).all():
        raise ModelError("warm-up answer holds values that are not finite (NaN or infinity)", "warm_up")
    if rows.min() < -1e-6 or rows.max() > 1 + 1e-6:
        raise ModelError(f"warm-up answer holds values outside [0, 1] ({rows.min():.3g} to {rows.max():.3g})",
                         "warm_up")
    sums = rows.sum(axis=1)
    worst = float(np.abs(sums - 1.0).max())
    if worst > SUM_TOLERANCE:
        raise ModelError(f"warm-up probabilities do not sum to one (off by {worst:.3g})", "warm_up")
