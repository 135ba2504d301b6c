"""A model's answers on held-out shots and recordings, and the confusion matrices drawn from them.

The model is the exported, quantized file the server would load (:func:`training.export.served`), read
by the server's own :class:`~signify.recognition.model.LetterModel`: the figures are the shipped file's.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from signify.recognition.model import LetterModel, LetterScores

from .motion import still_placements
from .sources import LETTERS, Poses, Sequences
from .windows import Window, pad

HELD_POSE_FRAMES = 16
SEQUENCE_WINDOW = 32
WINDOW_BATCH = 1024  # windows scored at once: a batch of every donation could be gigabytes


def score_shots(
    model: LetterModel, poses: Poses, hold: int = HELD_POSE_FRAMES
) -> tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]:
    """Each shot as the server answers it (see :meth:`Poses.shot_windows`), the true labels and the shots' groups."""
    windows, labels = poses.shot_windows(hold)
    held = [(window, still_placements(len(window))) for window in windows]
    return _probabilities(model, held), labels, poses.groups[poses.shot_starts()]


def score_sequences(
    model: LetterModel, sequences: Sequences, stride: int = 8
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
    return _probabilities(model, windows), np.array(labels, dtype=np.int64), np.array(recordings, dtype=np.int64)


def score_windows(
    model: LetterModel, sequences: Sequences, groups: NDArray[np.int64]
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
    return _probabilities(model, windows), sequences.labels, groups


def _probabilities(model: LetterModel, windows: list[Window]) -> NDArray[np.float32]:
    return answers(model, windows)[0]


def answers(model: LetterModel, windows: list[Window]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Each window's probabilities and embedding, as the server answers it: windows of one length share a call.

    The server never pads a window: each is read at its own last frame, as here.
    """
    if not windows:
        raise ValueError("no windows to score: a held-out split came out empty")
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, (window, _) in enumerate(windows):
        by_length[len(window)].append(index)
    answered: dict[int, LetterScores] = {}
    for length, members in by_length.items():
        for start in range(0, len(members), WINDOW_BATCH):
            chunk = members[start : start + WINDOW_BATCH]
            batch = pad([windows[i] for i in chunk], [0] * len(chunk), length)
            answered.update(zip(chunk, model.predict_batch(batch.hands, batch.motion), strict=True))
    ordered = [answered[index] for index in range(len(windows))]
    embeddings = [scores.embedding for scores in ordered if scores.embedding is not None]
    if len(embeddings) != len(ordered):
        raise ValueError(f"model {model.path} has no embedding output")
    return np.stack([scores.probabilities for scores in ordered]), np.stack(embeddings)


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
