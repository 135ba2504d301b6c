"""A user's adaptation of the shared model: its last layer, nudged toward the user's examples.

The shared model's scores are a linear layer on its embedding. The
adaptation adds a small correction to that layer, fitted on the user's
calibration examples::

    adapted logits = log p_shared(window) + embedding @ weights + bias

with an L2 penalty that keeps the correction small, so letters the user
did not calibrate keep the shared model's behaviour, and a calibrated
letter moves only as far as its examples ask. The fit is full-batch
gradient descent in numpy over at most a few hundred examples: a few
milliseconds, done whenever a profile is loaded or a calibration ends.
Scoring a frame is one ``(dims,) @ (dims, classes)`` product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .profile import Profile

# Chosen by leave-one-signer-out measurement (docs/calibration.md).
L2_PENALTY = 1e-3
ITERATIONS = 300
LEARNING_RATE = 0.5


@dataclass(frozen=True)
class Adaptation:
    """A fitted correction to the shared model's last layer."""

    weights: NDArray[np.float32]  # (dims, classes)
    bias: NDArray[np.float32]  # (classes,)

    def adapt(self, probabilities: NDArray[np.float32], embedding: NDArray[np.float32]) -> NDArray[np.float32]:
        """The shared model's probabilities for one window, adapted to the user."""
        logits = np.log(np.maximum(probabilities, 1e-30)) + embedding @ self.weights + self.bias
        return _softmax(logits).astype(np.float32)


def fit_adaptation(
    profile: Profile, *, l2: float = L2_PENALTY, iterations: int = ITERATIONS, learning_rate: float = LEARNING_RATE
) -> Adaptation:
    """Fit the correction that makes the shared model right on the profile's examples, as little as it can."""
    features = profile.embeddings.astype(np.float64)
    offsets = profile.log_probabilities.astype(np.float64)
    count, dims = features.shape
    targets = np.zeros((count, profile.classes))
    targets[np.arange(count), profile.labels] = 1.0
    # Every calibrated letter weighs the same, however many of its examples were kept.
    weight = 1.0 / np.bincount(profile.labels, minlength=profile.classes)[profile.labels]
    weight /= weight.sum()
    weights = np.zeros((dims, profile.classes))
    bias = np.zeros(profile.classes)
    # The embedding is a layer normalization's output (values of order 1): one step size suits every profile.
    step = learning_rate / max(1.0, float(np.mean(np.sum(features * features, axis=1))) / dims)
    for _ in range(iterations):
        error = (_softmax(offsets + features @ weights + bias) - targets) * weight[:, None]
        weights -= step * (features.T @ error + l2 * weights)
        bias -= step * (error.sum(axis=0) + l2 * bias)
    return Adaptation(weights.astype(np.float32), bias.astype(np.float32))


def _softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    result: NDArray[np.float64] = shifted / shifted.sum(axis=-1, keepdims=True)
    return result
