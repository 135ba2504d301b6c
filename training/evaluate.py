"""A network's answers on held-out shots and recordings, and the confusion matrices drawn from them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from .motion import still_placements
from .network import LetterLSTM
from .sources import LETTERS, Poses, Sequences
from .windows import Window, pad

HELD_POSE_FRAMES = 16
SEQUENCE_WINDOW = 32
WINDOW_BATCH = 1024  # windows scored at once: a batch of every donation could be gigabytes


@torch.no_grad()
def score_shots(
    network: LetterLSTM, poses: Poses, hold: int = HELD_POSE_FRAMES
) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]:
    """Each shot as the server answers it (see :meth:`Poses.shot_windows`), the true labels and the shots' groups."""
    windows, labels = poses.shot_windows(hold)
    held = [(window, still_placements(len(window))) for window in windows]
    return _probabilities(network, held), labels, poses.groups[poses.shot_starts()]


@torch.no_grad()
def score_sequences(
    network: LetterLSTM, sequences: Sequences, stride: int = 8
) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]:
    """Every full window of consecutive real frames (J and Z in motion included), its label and its recording."""
    windows: list[Window] = []
    labels, recordings = [], []
    recorded = zip(sequences.segments, sequences.placements, sequences.labels, strict=True)
    for recording, (segment, places, label) in enumerate(recorded):
        for start in range(0, max(1, len(segment) - SEQUENCE_WINDOW + 1), stride):
            stretch = slice(start, start + SEQUENCE_WINDOW)
            windows.append((segment[stretch], places[stretch]))
            labels.append(int(label))
            recordings.append(recording)
    return _probabilities(network, windows), np.array(labels, dtype=np.int64), np.array(recordings, dtype=np.int64)


@torch.no_grad()
def score_windows(
    network: LetterLSTM, sequences: Sequences, groups: NDArray[np.int64]
) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]:
    """Each recording scored once, whole, as one window: for donated windows, which are already windows.

    A donated window is what the server's buffer held when its model
    answered during a calibration, so it is scored as it is, once.
    :func:`score_sequences` would score a window of up to 32 frames the
    same way, but cut a longer one into overlapping windows the server
    never answered from, and group the scores by window; here ``groups``
    (the contributors, the independent units) are what the intervals
    resample.
    """
    windows = list(zip(sequences.segments, sequences.placements, strict=True))
    chunks = [_probabilities(network, windows[i : i + WINDOW_BATCH]) for i in range(0, len(windows), WINDOW_BATCH)]
    return np.concatenate(chunks), sequences.labels, groups


def _probabilities(network: LetterLSTM, windows: list[Window]) -> NDArray[np.float32]:
    longest = max(len(w) for w, _ in windows)
    batch = pad(windows, [0] * len(windows), longest)
    scores = network(torch.from_numpy(batch.hands), torch.from_numpy(batch.motion), torch.from_numpy(batch.lengths))
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
