"""Held-out figures: top-1, top-3, per-letter accuracy, confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from .network import LetterLSTM
from .sources import LETTERS, Poses, Sequences
from .windows import pad

HELD_POSE_FRAMES = 16
SEQUENCE_WINDOW = 32


@dataclass
class Scores:
    """Accumulated probabilities and true labels of one evaluation split."""

    probabilities: list[NDArray[np.float32]] = field(default_factory=list)
    labels: list[NDArray[np.int64]] = field(default_factory=list)

    def add(self, probabilities: NDArray[np.float32], labels: NDArray[np.int64]) -> None:
        """Add the answers for a batch of samples."""
        self.probabilities.append(probabilities)
        self.labels.append(labels)

    def summary(self) -> dict[str, Any]:
        """Top-1, top-3, per-letter accuracy and sample counts."""
        probabilities, labels = np.concatenate(self.probabilities), np.concatenate(self.labels)
        ranked = np.argsort(-probabilities, axis=1)
        top1 = ranked[:, 0] == labels
        top3 = np.any(ranked[:, :3] == labels[:, None], axis=1)
        per_letter = {
            LETTERS[k]: {"top1": round(float(top1[labels == k].mean()), 4), "samples": int((labels == k).sum())}
            for k in range(26)
            if np.any(labels == k)
        }
        return {
            "samples": len(labels),
            "top1": round(float(top1.mean()), 4),
            "top3": round(float(top3.mean()), 4),
            "worst_letter": min(per_letter.items(), key=lambda item: item[1]["top1"])[0],
            "per_letter": per_letter,
        }

    def confusion(self) -> NDArray[np.int64]:
        """Counts of (true letter, predicted letter)."""
        probabilities, labels = np.concatenate(self.probabilities), np.concatenate(self.labels)
        matrix = np.zeros((26, 26), dtype=np.int64)
        np.add.at(matrix, (labels, probabilities.argmax(axis=1)), 1)
        return matrix


@torch.no_grad()
def score_shots(
    network: LetterLSTM, poses: Poses, hold: int = HELD_POSE_FRAMES
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Each shot as the server answers it (see :meth:`Poses.shot_windows`), and the true labels."""
    windows, labels = poses.shot_windows(hold)
    return _probabilities(network, windows), labels


@torch.no_grad()
def score_sequences(
    network: LetterLSTM, sequences: Sequences, stride: int = 8
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Every full window of consecutive real frames (J and Z in motion included)."""
    windows, labels = [], []
    for segment, label in zip(sequences.segments, sequences.labels, strict=True):
        for start in range(0, max(1, len(segment) - SEQUENCE_WINDOW + 1), stride):
            windows.append(segment[start : start + SEQUENCE_WINDOW])
            labels.append(int(label))
    return _probabilities(network, windows), np.array(labels, dtype=np.int64)


def _probabilities(network: LetterLSTM, windows: list[NDArray[np.float32]]) -> NDArray[np.float32]:
    longest = max(len(w) for w in windows)
    batch = pad(windows, [0] * len(windows), longest)
    scores = network(torch.from_numpy(batch.hands), torch.from_numpy(batch.lengths))
    result: NDArray[np.float32] = torch.softmax(scores, dim=-1).numpy()
    return result


def plot_confusion(matrices: dict[str, NDArray[np.int64]], path: Path) -> None:
    """One row-normalized confusion matrix per split, side by side, into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(matrices), figsize=(7 * len(matrices), 6.5), squeeze=False)
    for axis, (title, matrix) in zip(axes[0], matrices.items(), strict=True):
        rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        axis.set_xticks(range(26), LETTERS)
        axis.set_yticks(range(26), LETTERS)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(f"{title}\n({int(matrix.sum())} samples)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
