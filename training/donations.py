"""Donated calibration windows as a training source, and folds that keep each contributor on one side.

The server stores what its model read during a calibration that the user
chose to donate (:mod:`signify.donations.store`): normalized keypoints and
placements, the same functions' output that every other source is turned
into. So a donated window needs no conversion: each one becomes one short
recording of its letter, with its placements, in a :class:`Sequences`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from signify.donations.store import DonationStore

from .sources import LETTER_INDEX, Sequences

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
