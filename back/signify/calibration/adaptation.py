"""A user's adaptation of the shared model: a correction to its last layer, used where the user's hand is.

The shared model's scores are a linear layer on its embedding. The
adaptation adds a correction fitted on the user's calibration examples::

    adapted logits = log p_shared + gate(embedding) * (embedding @ weights + bias)

Three things keep it from hurting the letters the user did not calibrate
(measured leave-one-signer-out, docs/calibration.md: without them,
calibrating a user's five weakest letters took the other letters from 96%
to 81%, because a calibrated letter took over its neighbours):

- an L2 penalty keeps the correction small;
- the fit also sees the model's **anchors**, one generic example per letter
  (the mean embedding of that letter over the training photos, shipped in
  the model card), so every letter stays reachable;
- the **gate** applies the correction only to frames that look like
  something the user showed: from none at a cosine of
  :data:`GATE_START` to the nearest stored example, to all of it at
  :data:`GATE_FULL`.

The fit is Nesterov-accelerated gradient descent on a strongly convex
loss, in numpy, over at most a few hundred examples: tens of milliseconds,
done when a profile is loaded or a calibration ends. Scoring a frame is
two small products, some microseconds (``python -m bench --calibration``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .profile import Profile

L2_PENALTY = 1e-3  # on weights and bias; the loss is the weighted mean cross-entropy
ANCHOR_WEIGHT = 0.8  # each anchor's weight; each of the user's examples weighs 1
ITERATIONS = 300
PROBABILITY_FLOOR = 1e-30  # what a probability rounded to zero counts as in a logarithm
GATE_START, GATE_FULL = 0.6, 0.9  # cosines of this model's embeddings; check them again after a retrain


@dataclass(frozen=True)
class Anchors:
    """The model's generic example of every letter: row k of both arrays is letter k's."""

    embeddings: NDArray[np.float32]  # (classes, dims)
    log_probabilities: NDArray[np.float32]  # (classes, classes)


def log_probabilities(probabilities: NDArray[np.float32]) -> NDArray[np.float32]:
    """The shared model's probabilities as a calibration observes them: their logarithms, a probability
    rounded to zero read as :data:`PROBABILITY_FLOOR` so that every logarithm is finite."""
    logarithms: NDArray[np.float32] = np.log(np.maximum(probabilities, PROBABILITY_FLOOR)).astype(np.float32)
    return logarithms


@dataclass(frozen=True)
class Adaptation:
    """A fitted correction, and the user's examples (as unit vectors) that decide where it applies."""

    weights: NDArray[np.float32]  # (dims, classes)
    bias: NDArray[np.float32]  # (classes,)
    keys: NDArray[np.float32]  # (examples, dims)

    def adapt(self, probabilities: NDArray[np.float32], embedding: NDArray[np.float32]) -> NDArray[np.float32]:
        """The shared model's probabilities for one window, adapted to the user."""
        norm = float(np.linalg.norm(embedding))
        nearest = float((self.keys @ embedding).max()) / norm if norm > 0 else 0.0
        gate = min(1.0, max(0.0, (nearest - GATE_START) / (GATE_FULL - GATE_START)))
        logits = log_probabilities(probabilities).astype(np.float64)
        if gate > 0:
            logits += gate * (embedding @ self.weights + self.bias)
        return _softmax(logits).astype(np.float32)


def fit_adaptation(
    profile: Profile, anchors: Anchors | None = None, *, l2: float = L2_PENALTY, iterations: int = ITERATIONS
) -> Adaptation:
    """Fit the correction that makes the shared model right on the profile's examples, as little as it can."""
    embeddings, offsets, labels = profile.embeddings, profile.log_probabilities, profile.labels
    weight = np.ones(len(labels))
    if anchors is not None:
        embeddings = np.vstack([embeddings, anchors.embeddings])
        offsets = np.vstack([offsets, anchors.log_probabilities])
        labels = np.concatenate([labels, np.arange(len(anchors.embeddings))])
        weight = np.concatenate([weight, np.full(len(anchors.embeddings), ANCHOR_WEIGHT)])
    features = np.hstack([embeddings, np.ones((len(labels), 1))]).astype(np.float64)
    base = offsets.astype(np.float64)
    targets = np.eye(profile.classes)[labels]
    weight = (weight / weight.sum())[:, None]
    # 1 / the Lipschitz constant of the loss's gradient: the largest step that cannot overshoot.
    step = 1.0 / (0.5 * float(np.linalg.eigvalsh((features * weight).T @ features)[-1]) + l2)
    theta = np.zeros((features.shape[1], profile.classes))
    ahead = theta.copy()
    for t in range(iterations):
        gradient = features.T @ ((_softmax(base + features @ ahead) - targets) * weight) + l2 * ahead
        new = ahead - step * gradient
        ahead = new + t / (t + 3) * (new - theta)
        theta = new
    keys = profile.embeddings / np.maximum(np.linalg.norm(profile.embeddings, axis=1, keepdims=True), 1e-12)
    return Adaptation(theta[:-1].astype(np.float32), theta[-1].astype(np.float32), keys.astype(np.float32))


def _softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    result: NDArray[np.float64] = shifted / shifted.sum(axis=-1, keepdims=True)
    return result
