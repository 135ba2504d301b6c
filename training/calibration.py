"""Calibration measured as a user meets it: a signer the model never saw, calibrated, then tested on other takes.

The shared model is one that never saw the signer. From one part of the
signer's data ("the first session") a calibration keeps k takes per
letter, exactly as the server keeps them (:mod:`signify.calibration`: the
same examples per take, the same profile, the same fit); the adapted
model is then scored on another part ("the second session") next to the
uncalibrated one. Evaluating on the takes used for calibration would
report near 100% and mean nothing, so the two parts never overlap.

Two kinds of signer data are at hand:

- **rows** (asl-translator-landmarks, one signer): single poses, 40 or so
  per letter with no order. A take is one pose held still; the test is
  every pose not drawn for calibration. Draws repeat with other poses.
- **recordings** (asl-ai, one signer): about 400 consecutive frames per
  letter. The first half is the first session, the last 30% the second.
  A take is 1.5 s (45 frames) from a random point of the first session,
  J and Z in motion included; the test is every fourth window of the
  second session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from signify.calibration.adaptation import Anchors, fit_adaptation, log_probabilities
from signify.calibration.collection import HELD_FRAMES, Observation, Take, profile_from_takes
from signify.recognition.model import LetterModel

from .evaluate import HELD_POSE_FRAMES, SEQUENCE_WINDOW, answers
from .motion import still_placements
from .sources import LETTERS, Poses, Sequences
from .windows import Window

TAKES_PER_LETTER = (1, 3, 5)
PARTIAL_LETTERS, PARTIAL_TAKES = 5, 3  # a user who calibrates only their five weakest letters
DRAWS = 10
FIRST_SESSION = 0.5  # of each recording
SECOND_SESSION = 0.3  # the last part of each recording
TEST_STRIDE = 4
CALIBRATION_SEED = 20261201


@dataclass(frozen=True)
class Embedded:
    """The shared model's view of some windows: log-probabilities, embeddings, true labels."""

    log_probabilities: NDArray[np.float32]
    embeddings: NDArray[np.float32]
    labels: NDArray[np.int64]

    def where(self, selection: NDArray[np.bool_] | NDArray[np.int64]) -> Embedded:
        """The windows a mask or index array selects."""
        return Embedded(self.log_probabilities[selection], self.embeddings[selection], self.labels[selection])

    def observations(self) -> list[Observation]:
        """Each window as the server's calibration observes it."""
        return [Observation(e, p) for e, p in zip(self.embeddings, self.log_probabilities, strict=True)]


def embed(model: LetterModel, windows: list[Window], labels: NDArray[np.int64]) -> Embedded:
    """The shared model's log-probabilities and embedding for each window, at its last frame, as the server
    observes them for a calibration."""
    probabilities, embeddings = answers(model, windows)
    return Embedded(log_probabilities(probabilities), embeddings, labels)


def embed_rows(model: LetterModel, rows: Poses) -> Embedded:
    """Every row held still, as the server sees a held pose."""
    windows, labels = rows.shot_windows(HELD_POSE_FRAMES)
    return embed(model, [(w, still_placements(len(w))) for w in windows], labels)


def embed_recordings(model: LetterModel, recordings: Sequences) -> tuple[Embedded, NDArray[np.float64]]:
    """The window ending at every frame of every recording, and where in its recording each frame lies (0 to 1)."""
    windows: list[Window] = []
    labels, where = [], []
    for segment, places, label in zip(recordings.segments, recordings.placements, recordings.labels, strict=True):
        for end in range(1, len(segment) + 1):
            stretch = slice(max(0, end - SEQUENCE_WINDOW), end)
            windows.append((segment[stretch], places[stretch]))
            labels.append(int(label))
            where.append((end - 1) / max(1, len(segment) - 1))
    return embed(model, windows, np.array(labels, dtype=np.int64)), np.array(where)


def anchors_of(model: LetterModel, photos: Poses) -> Anchors:
    """The generic example of every letter that calibration fits with: its mean over ``photos``, held still."""
    embedded = embed_rows(model, photos)
    letters = range(len(LETTERS))
    missing = [LETTERS[k] for k in letters if not np.any(embedded.labels == k)]
    if missing:
        raise ValueError(f"no photo of {missing} to make their calibration anchors from")
    return Anchors(
        np.stack([embedded.embeddings[embedded.labels == k].mean(axis=0) for k in letters]).astype(np.float32),
        np.stack([embedded.log_probabilities[embedded.labels == k].mean(axis=0) for k in letters]).astype(np.float32),
    )


def calibrated_top1(takes: list[Take], anchors: Anchors, test: Embedded) -> NDArray[np.bool_]:
    """Whether the shared model, adapted with ``takes`` the way the server adapts it, is right on each test window."""
    profile = profile_from_takes(takes, "evaluation", "0", LETTERS)
    assert profile is not None
    adaptation = fit_adaptation(profile, anchors)
    probabilities = np.exp(test.log_probabilities)
    adapted = [adaptation.adapt(p, e).argmax() for p, e in zip(probabilities, test.embeddings, strict=True)]
    right: NDArray[np.bool_] = np.array(adapted) == test.labels
    return right


def rows_sweep(embedded: Embedded, anchors: Anchors, rng: np.random.Generator) -> dict[str, Any]:
    """k rows per letter calibrate; every other row of the signer tests. Averaged over draws."""

    def draw(k: int, letters: list[int]) -> tuple[list[Take], Embedded]:
        chosen = np.concatenate([rng.choice(np.flatnonzero(embedded.labels == label), k, replace=False)
                                 for label in letters])
        takes = [Take(LETTERS[label], embedded.where(chosen[embedded.labels[chosen] == label]).observations())
                 for label in letters]
        return takes, embedded.where(np.setdiff1d(np.arange(len(embedded.labels)), chosen))

    return _sweeps(embedded, anchors, draw)


def _sweeps(
    embedded: Embedded, anchors: Anchors, draw: Callable[[int, list[int]], tuple[list[Take], Embedded]]
) -> dict[str, Any]:
    """Every letter calibrated with k takes each, then only the weakest few: draw(k, letters) gives takes and test."""
    results: dict[str, Any] = {}
    present = [int(label) for label in np.unique(embedded.labels) if np.sum(embedded.labels == label) > 5]
    for k in TAKES_PER_LETTER:
        sweep = _Sweep()
        for _ in range(DRAWS):
            takes, test = draw(k, present)
            sweep.add(test, calibrated_top1(takes, anchors, test))
        results[f"k{k}"] = sweep.summary()
    # Calibrating some letters must not cost the others: the weakest few, uncalibrated, are taught.
    uncalibrated = results[f"k{TAKES_PER_LETTER[0]}"]["per_letter"]
    weakest = sorted(present, key=lambda label: uncalibrated[LETTERS[label]]["uncalibrated"])[:PARTIAL_LETTERS]
    sweep = _Sweep()
    for _ in range(DRAWS):
        takes, test = draw(PARTIAL_TAKES, weakest)
        sweep.add(test, calibrated_top1(takes, anchors, test))
    partial = sweep.summary()
    taught = np.isin(np.arange(len(LETTERS)), weakest)
    results["weakest_only"] = {
        "letters": [LETTERS[label] for label in weakest], "takes_per_letter": PARTIAL_TAKES,
        **{f"{name}_{kind}": _mean_of(partial["per_letter"], kind, taught if name == "taught" else ~taught)
           for name in ("taught", "others") for kind in ("uncalibrated", "calibrated")},
    }
    return results


def _mean_of(per_letter: dict[str, dict[str, Any]], kind: str, letters: NDArray[np.bool_]) -> float:
    """The sample-weighted top-1 over some letters."""
    chosen = [per_letter[LETTERS[k]] for k in np.flatnonzero(letters) if LETTERS[k] in per_letter]
    total = sum(entry["samples"] for entry in chosen)
    return round(sum(entry[kind] * entry["samples"] for entry in chosen) / max(total, 1), 1)


def recordings_sweep(
    embedded: Embedded, where: NDArray[np.float64], anchors: Anchors, rng: np.random.Generator
) -> dict[str, Any]:
    """k takes per letter from the first session calibrate; the second session tests. Averaged over draws."""
    first = where < FIRST_SESSION
    test = embedded.where(np.flatnonzero(where >= 1 - SECOND_SESSION)[::TEST_STRIDE])

    def draw(k: int, letters: list[int]) -> tuple[list[Take], Embedded]:
        takes = []
        for label in letters:
            frames = np.flatnonzero(first & (embedded.labels == label))
            starts = rng.integers(0, max(1, len(frames) - HELD_FRAMES), size=k)
            picked = np.concatenate([frames[s : s + HELD_FRAMES] for s in starts])
            takes.append(Take(LETTERS[label], embedded.where(picked).observations()))
        return takes, test

    return _sweeps(embedded, anchors, draw)


class _Sweep:
    """Uncalibrated and calibrated answers over the draws of one k."""

    def __init__(self) -> None:
        self.uncalibrated: list[NDArray[np.bool_]] = []
        self.calibrated: list[NDArray[np.bool_]] = []
        self.labels: list[NDArray[np.int64]] = []

    def add(self, test: Embedded, calibrated: NDArray[np.bool_]) -> None:
        self.uncalibrated.append(test.log_probabilities.argmax(axis=1) == test.labels)
        self.calibrated.append(calibrated)
        self.labels.append(test.labels)

    def summary(self) -> dict[str, Any]:
        uncalibrated, calibrated = np.concatenate(self.uncalibrated), np.concatenate(self.calibrated)
        labels = np.concatenate(self.labels)
        per_letter = {
            LETTERS[label]: {"uncalibrated": _percent(uncalibrated[labels == label]),
                             "calibrated": _percent(calibrated[labels == label]),
                             "samples": int(np.sum(labels == label)) // len(self.labels)}
            for label in np.unique(labels)
        }
        return {"draws": len(self.labels), "test_windows": len(labels) // len(self.labels),
                "uncalibrated_top1": _percent(uncalibrated), "calibrated_top1": _percent(calibrated),
                "worst_calibrated_letter": min(per_letter, key=lambda letter: per_letter[letter]["calibrated"]),
                "per_letter": per_letter}


def _percent(right: NDArray[np.bool_]) -> float:
    return round(100.0 * float(np.mean(right)), 1)


def calibration_evaluation(
    without_rows: LetterModel, rows: Poses, without_recordings: LetterModel, recordings: Sequences, photos: Poses
) -> dict[str, Any]:
    """The card's calibration figures: each signer scored by a model that never saw them.

    Each model's anchors come from ``photos``, which it was trained on, as the shipped model's do.
    """
    rng = np.random.default_rng(CALIBRATION_SEED)
    recorded, where = embed_recordings(without_recordings, recordings)
    return {
        "method": "the server's own: signify.calibration (examples per take, profile, anchors, gated adaptation)",
        "signer2_rows_unseen_source": rows_sweep(embed_rows(without_rows, rows), anchors_of(without_rows, photos), rng),
        "asl_ai_unseen_signer_sessions": recordings_sweep(recorded, where, anchors_of(without_recordings, photos), rng),
    }
