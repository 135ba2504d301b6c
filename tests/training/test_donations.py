"""Donations as a training source: read back from a real store, folded by contributor, one source among others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from signify.donations.store import DonatedWindow, DonationStore, StoreError

from training.donations import (
    DONATION_FOLDS,
    Donations,
    contributor_fold,
    contributor_splits,
    donation_scores,
    load_donations,
    optional_path,
    read_donations,
)
from training.sources import LETTER_INDEX, Poses, Sequences
from training.windows import sample_windows

CONTRIBUTORS = ("alice-0001", "bob_00000002", "carol-0003", "dave-000004", "erin-0000005", "frank-06")


def donated(letter: str, frames: int, value: float) -> DonatedWindow:
    """A window whose every keypoint is ``value``: which window a sample came from stays visible."""
    keypoints = np.full((frames, 21, 3), value, dtype=np.float32)
    placements = np.tile(np.array([0.5, 0.5, 0.1, 1.0], dtype=np.float32), (frames, 1))
    placements[:, 0] += np.linspace(0, value / 100, frames, dtype=np.float32)
    return DonatedWindow(letter, keypoints, placements)


@pytest.fixture
def store(tmp_path: Path) -> DonationStore:
    store = DonationStore(tmp_path / "donations.sqlite3")
    for number, contributor in enumerate(CONTRIBUTORS):
        store.add(contributor, "3.1.0", [donated(letter, 8 + number, number + k / 10)
                                          for k, letter in enumerate("ABJZ")])
    return store


def test_a_store_reads_back_as_one_recording_per_window_with_its_contributor(store: DonationStore) -> None:
    donations = load_donations(store.path)
    assert len(donations) == 4 * len(CONTRIBUTORS) and donations.contributor_count == len(CONTRIBUTORS)
    assert donations.contributors.tolist() == [c for c in CONTRIBUTORS for _ in "ABJZ"]
    assert donations.sequences.labels.dtype == np.int64
    assert donations.sequences.labels.tolist() == [LETTER_INDEX[letter] for _ in CONTRIBUTORS for letter in "ABJZ"]
    stored = list(store.read())
    for segment, places, donation in zip(donations.sequences.segments, donations.sequences.placements, stored,
                                         strict=True):
        assert segment.tobytes() == donation.keypoints.tobytes() and segment.shape == donation.keypoints.shape
        assert places.tobytes() == donation.placements.tobytes()
    assert donations.skipped == 0


def test_letters_the_model_does_not_have_are_skipped_and_counted(tmp_path: Path) -> None:
    store = DonationStore(tmp_path / "d.sqlite3")
    store.add(CONTRIBUTORS[0], "3.1.0", [donated("A", 4, 1.0), donated("space", 4, 2.0), donated("b", 4, 3.0)])
    donations = load_donations(store.path)
    assert donations.sequences.labels.tolist() == [LETTER_INDEX["A"]] and donations.skipped == 2


def test_the_pipeline_uses_a_store_only_if_there_is_one_with_windows(store: DonationStore, tmp_path: Path) -> None:
    assert optional_path("") is None  # --donations '' (Path('') would be the current directory)
    assert read_donations(None) is None
    assert read_donations(tmp_path / "missing.sqlite3") is None
    assert not (tmp_path / "missing.sqlite3").exists()
    emptied = DonationStore(tmp_path / "emptied.sqlite3")
    emptied.add(CONTRIBUTORS[0], "3.1.0", [donated("A", 2, 0.0)])
    emptied.delete(CONTRIBUTORS[0])
    assert read_donations(emptied.path) is None
    found = read_donations(store.path)
    assert found is not None and len(found) == 24


def test_a_file_that_is_not_a_store_stops_training_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"not sqlite at all " * 100)
    with pytest.raises(StoreError, match="not an SQLite database"):
        load_donations(bad)
    # python -m training train prints it and exits 2 (training/__main__.py), before anything is trained.
    with pytest.raises(StoreError, match="not an SQLite database"):
        read_donations(bad)


def test_contributor_folds_are_stable_and_do_not_depend_on_who_else_donated(store: DonationStore) -> None:
    # Pinned: a contributor's fold is the same on every run, machine and Python (no salted hash()).
    assert [contributor_fold(c) for c in CONTRIBUTORS] == [1, 1, 2, 0, 1, 2]
    everyone = load_donations(store.path)
    store.delete(CONTRIBUTORS[1])
    store.delete(CONTRIBUTORS[4])
    fewer = load_donations(store.path)
    fold_of = dict(zip(everyone.contributors.tolist(), everyone.folds().tolist(), strict=True))
    assert all(fold_of[c] == f for c, f in zip(fewer.contributors.tolist(), fewer.folds().tolist(), strict=True))


def test_contributor_splits_are_disjoint_and_hold_every_window_out_once(store: DonationStore) -> None:
    donations = load_donations(store.path)
    splits = contributor_splits(donations)
    assert 1 <= len(splits) <= DONATION_FOLDS
    held_out: list[str] = []
    for trained_on, held in splits:
        assert len(held) > 0
        assert not set(trained_on.contributors.tolist()) & set(held.contributors.tolist())
        assert len(trained_on) + len(held) == len(donations)
        for contributor in set(held.contributors.tolist()):  # a contributor's windows all on one side
            assert (held.contributors == contributor).sum() == (donations.contributors == contributor).sum()
        held_out += held.contributors.tolist()
    assert sorted(held_out) == sorted(donations.contributors.tolist())


def test_two_contributors_in_one_fold_make_one_split_trained_without_donations() -> None:
    same = [c for c in (f"contributor-{n:04d}" for n in range(100)) if contributor_fold(c) == 0][:2]
    segments = [np.zeros((3, 21, 3), np.float32)] * 2
    donations = Donations(Sequences(segments, np.array([0, 1]), [np.ones((3, 4), np.float32)] * 2), np.array(same))
    [(trained_on, held)] = contributor_splits(donations)
    assert len(trained_on) == 0 and len(held) == 2


def test_a_source_of_many_short_windows_does_not_crowd_out_one_of_few_recordings() -> None:
    """Sequence windows draw a source first: half from the one long recording, half from 50 donated windows."""
    long = Sequences([np.full((200, 21, 3), 1.0, np.float32)], np.array([0]), [np.ones((200, 4), np.float32)])
    short = Sequences([np.full((16, 21, 3), 2.0, np.float32)] * 50, np.zeros(50, np.int64),
                      [np.ones((16, 4), np.float32)] * 50)
    # Only A has recordings, so about one window in 26 is kept: 1,000 of them, the share's spread about 0.016.
    data = sample_windows([long, short], [], 26_000, 16, np.random.default_rng(4), sequence_share=1.0,
                          synthesized_motion_share=0.0, augment=False)
    first = data.hands[:, 0, 0, 0]
    assert set(np.unique(first).tolist()) == {1.0, 2.0}
    assert np.mean(first == 2.0) == pytest.approx(0.5, abs=0.05)


def test_each_fold_trains_without_its_contributors_and_scores_them_once(store: DonationStore) -> None:
    """The folds' bookkeeping: what each fold's model was trained on, and which windows it scored.

    PyTorch is not installed where the tests run, so ``fit`` and ``score`` here record what they are
    given instead of training (``make train`` passes training.fit.fit and training.evaluate.score_windows).
    """
    donations = load_donations(store.path)
    rng = np.random.default_rng(0)
    asl_ai = Sequences([rng.normal(size=(40, 21, 3)).astype(np.float32) for _ in range(26)],
                       np.arange(26, dtype=np.int64), [np.ones((40, 4), np.float32)] * 26)
    ids = np.arange(52, dtype=np.int64)
    poses = Poses(rng.normal(size=(52, 21, 3)).astype(np.float32), ids % 26, ids, ids)
    trained: list[list[Sequences]] = []
    scored: list[tuple[int, Sequences, Any]] = []

    def fit(sequences: list[Sequences], _poses: list[Poses], _settings: Any, _label: str) -> int:
        trained.append(sequences)
        return len(trained)  # stands for the fold's network

    def score(network: Any, sequences: Sequences, groups: Any) -> Any:
        scored.append((network, sequences, groups))
        count = len(sequences.labels)
        return np.full((count, 26), 1 / 26, dtype=np.float32), sequences.labels, groups

    scores = donation_scores(asl_ai, poses, {0: poses}, {0: poses}, None, donations, fit=fit, score=score)
    splits = contributor_splits(donations)
    assert len(trained) == len(scored) == len(splits)
    for sequences, (network, held_sequences, _), (trained_on, held) in zip(trained, scored, splits, strict=True):
        assert sequences[0] is asl_ai
        donated_segments = [s for extra in sequences[1:] for s in extra.segments]
        assert len(donated_segments) == len(trained_on)
        held_values = {float(s[0, 0, 0]) for s in held.sequences.segments}
        assert not held_values & {float(s[0, 0, 0]) for s in donated_segments}  # never its own contributors
        assert {float(s[0, 0, 0]) for s in held_sequences.segments} == held_values  # scores its own held-out
        assert network == trained.index(sequences) + 1  # with the model trained for this fold
    assert scores.summary()["samples"] == len(donations)  # every donated window scored, once
