"""Donated calibration windows as a training source, and folds that keep each contributor on one side.

The server stores what its model read during a calibration that the user
chose to donate (:mod:`signify.donations.store`): normalized keypoints and
placements, the same functions' output that every other source is turned
into. So a donated window needs no conversion: each one becomes one short
recording of its letter, with its placements, in a :class:`Sequences`.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from signify.donations.store import DonationStore

from .scores import Scores
from .sources import LETTER_INDEX, Poses, Sequences

if TYPE_CHECKING:  # PyTorch is imported where training runs, not where these helpers are tested
    from .fit import FitSettings

# Contributors are hashed into this many folds for the held-out figures: three, like the photos.
DONATION_FOLDS = 3


@dataclass(frozen=True)
class Donations:
    """Donated windows as recordings (``sequences.segments[i]`` one window) and who gave each one.

    ``skipped`` counts stored windows whose letter is not one of the 26
    this training knows (none, while the model's labels are A-Z).
    """

    sequences: Sequences
    contributors: NDArray[np.str_]
    skipped: int = 0

    def __len__(self) -> int:
        return len(self.sequences.segments)

    @property
    def contributor_count(self) -> int:
        """How many different contributors gave these windows."""
        return len(np.unique(self.contributors))

    def where(self, selection: NDArray[np.bool_]) -> Donations:
        """The windows a boolean mask selects."""
        keep = np.flatnonzero(selection)
        sequences = Sequences([self.sequences.segments[i] for i in keep], self.sequences.labels[keep],
                              [self.sequences.placements[i] for i in keep])
        return Donations(sequences, self.contributors[keep], self.skipped)

    def folds(self, count: int = DONATION_FOLDS) -> NDArray[np.int64]:
        """Each window's fold: its contributor's (:func:`contributor_fold`)."""
        return np.array([contributor_fold(str(c), count) for c in self.contributors], dtype=np.int64)


def contributor_fold(contributor: str, count: int = DONATION_FOLDS) -> int:
    """The fold a contributor id falls in: from its SHA-256, so the same on every run and machine.

    A contributor's fold does not depend on who else donated: adding or
    deleting others never moves one to the other side of a split.
    """
    digest = hashlib.sha256(contributor.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def contributor_splits(donations: Donations, count: int = DONATION_FOLDS) -> list[tuple[Donations, Donations]]:
    """(trained on, held out) per fold that holds anyone: contributor-disjoint, every window held out once.

    Hashing may leave a fold empty (two contributors can share one); it is
    skipped, and a fold holding everyone is trained on no donations at all.
    """
    folds = donations.folds(count)
    return [(donations.where(folds != fold), donations.where(folds == fold))
            for fold in range(count) if np.any(folds == fold)]


def load_donations(path: Path) -> Donations:
    """Every window in the donation store at ``path``, each one recording of its letter.

    Raises :class:`signify.donations.store.StoreError` for a file that is
    not a donation store of this schema, or cannot be read.
    """
    segments, placements, labels, contributors = [], [], [], []
    skipped = 0
    for donation in DonationStore(path).read():
        label = LETTER_INDEX.get(donation.letter)
        if label is None:
            skipped += 1
            continue
        segments.append(donation.keypoints)
        placements.append(donation.placements)
        labels.append(label)
        contributors.append(donation.contributor)
    return Donations(Sequences(segments, np.array(labels, dtype=np.int64), placements),
                     np.array(contributors, dtype=np.str_), skipped)


def optional_path(text: str) -> Path | None:
    """A command-line path, or None for an empty one (``Path('')`` would be the current directory)."""
    return Path(text) if text else None


def read_donations(path: Path | None) -> Donations | None:
    """The donated windows at ``path``, or None when there is no path, no file or no window in it."""
    if path is None or not path.exists():
        return None
    donations = load_donations(path)
    print(f"donations: {len(donations)} windows from {donations.contributor_count} contributors in {path}"
          + (f"; {donations.skipped} of letters the model has not" if donations.skipped else ""), file=sys.stderr)
    return donations if len(donations) else None


Fit = Callable[[list[Sequences], list[Poses], "FitSettings", str], Any]
Score = Callable[[Any, Sequences, NDArray[np.int64]], tuple[NDArray[np.float32], NDArray[np.int64], NDArray[np.int64]]]


def donation_scores(
    asl_ai: Sequences,
    rows: Poses,
    photos: dict[int, Poses],
    reshoots: dict[int, Poses],
    settings: FitSettings,
    donations: Donations,
    *,
    fit: Fit,
    score: Score,
) -> Scores:
    """Donated windows scored by models that never saw their contributors.

    Contributors are hashed into folds (:func:`contributor_splits`); each
    fold's model (``fit``: :func:`training.fit.fit`) is trained on every
    other source and the other folds' donations, and scores the fold's
    windows as they are, one answer per donated window (``score``:
    :func:`training.evaluate.score_windows`), grouped by contributor.
    """
    scores = Scores()
    splits = contributor_splits(donations)
    everyone = np.unique(donations.contributors)
    for number, (trained_on, held) in enumerate(splits, start=1):
        recorded = [asl_ai, trained_on.sequences] if len(trained_on) else [asl_ai]
        network = fit(recorded, [rows, *photos.values(), *reshoots.values()], settings,
                      f"donation fold {number}/{len(splits)}")
        # Contributors numbered across the whole store, so that no two folds' groups collide.
        groups = np.searchsorted(everyone, held.contributors).astype(np.int64)
        scores.add(*score(network, held.sequences, groups))
    return scores
