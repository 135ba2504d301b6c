"""Held-out figures from a model's answers: accuracy, per-letter accuracy, confusion, and how sure they are.

Samples are not independent: the photo set holds three augmented copies of
every original, and a model scored across folds sees one recording in many
windows. Each sample therefore carries a group (its original photo, row or
recording), and the 95% intervals come from a bootstrap that resamples
whole groups, so that copies of one photo count once, not three times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .sources import LETTERS

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95


@dataclass
class Scores:
    """Accumulated probabilities, true labels and sample groups of one evaluation split."""

    probabilities: list[NDArray[np.float32]] = field(default_factory=list)
    labels: list[NDArray[np.int64]] = field(default_factory=list)
    groups: list[NDArray[np.int64]] = field(default_factory=list)

    def add(self, probabilities: NDArray[np.float32], labels: NDArray[np.int64], groups: NDArray[np.int64]) -> None:
        """Add the answers for a batch of samples, each with the group it belongs to."""
        self.probabilities.append(probabilities)
        self.labels.append(labels)
        self.groups.append(groups)

    def summary(self) -> dict[str, Any]:
        """Top-1, top-3 and per-letter accuracy, each with its 95% interval, and sample and group counts."""
        probabilities, labels = np.concatenate(self.probabilities), np.concatenate(self.labels)
        groups = np.concatenate(self.groups)
        ranked = np.argsort(-probabilities, axis=1)
        top1 = ranked[:, 0] == labels
        top3 = np.any(ranked[:, :3] == labels[:, None], axis=1)
        rng = np.random.default_rng(BOOTSTRAP_SEED)
        per_letter = {
            LETTERS[k]: _letter(top1[labels == k], groups[labels == k], rng)
            for k in range(26)
            if np.any(labels == k)
        }
        return {
            "samples": len(labels),
            "groups": len(np.unique(groups)),
            **_rate("top1", top1, groups, rng),
            **_rate("top3", top3, groups, rng),
            "worst_letter": min(per_letter.items(), key=lambda item: item[1]["top1"])[0],
            "per_letter": per_letter,
        }

    def confusion(self) -> NDArray[np.int64]:
        """Counts of (true letter, predicted letter)."""
        probabilities, labels = np.concatenate(self.probabilities), np.concatenate(self.labels)
        matrix = np.zeros((26, 26), dtype=np.int64)
        np.add.at(matrix, (labels, probabilities.argmax(axis=1)), 1)
        return matrix


def group_interval(
    correct: NDArray[np.bool_], groups: NDArray[np.int64], rng: np.random.Generator
) -> tuple[float, float] | None:
    """The 95% percentile bootstrap interval of the share of ``correct`` samples, resampling whole groups.

    None for a single group (one recording of a letter, say): it shows no spread because it has no
    other group to differ from, not because the figure is certain.
    """
    _, member_of = np.unique(groups, return_inverse=True)
    hits = np.bincount(member_of, weights=correct.astype(np.float64))
    sizes = np.bincount(member_of).astype(np.float64)
    count = len(sizes)
    if count < 2:
        return None
    draws = rng.multinomial(count, np.full(count, 1 / count), size=BOOTSTRAP_RESAMPLES).astype(np.float64)
    rates = (draws @ hits) / (draws @ sizes)
    low, high = np.quantile(rates, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return float(low), float(high)


def _rate(name: str, correct: NDArray[np.bool_], groups: NDArray[np.int64], rng: np.random.Generator) -> dict[str, Any]:
    interval = group_interval(correct, groups, rng)
    return {
        name: round(float(correct.mean()), 4),
        f"{name}_95": None if interval is None else [round(bound, 4) for bound in interval],
    }


def _letter(correct: NDArray[np.bool_], groups: NDArray[np.int64], rng: np.random.Generator) -> dict[str, Any]:
    return {**_rate("top1", correct, groups, rng), "samples": len(correct), "groups": len(np.unique(groups))}
