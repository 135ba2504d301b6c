"""Held-out figures: what was right, per letter, and intervals that count copies of one photo once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from training.scores import Scores, group_interval


def answers(ranking: list[list[int]]) -> NDArray[np.float32]:
    """Probabilities that rank the listed letters first, second, third."""
    probabilities = np.full((len(ranking), 26), 0.001, dtype=np.float32)
    for row, letters in enumerate(ranking):
        for place, letter in enumerate(letters):
            probabilities[row, letter] = 0.9 - 0.1 * place
    return probabilities


def test_summary_counts_top1_top3_and_letters() -> None:
    scores = Scores()
    # Two A photos (one right, one with A third), one C photo answered B, D, E.
    scores.add(answers([[0, 1, 2], [1, 2, 0]]), np.array([0, 0]), np.array([10, 11]))
    scores.add(answers([[1, 3, 4]]), np.array([2]), np.array([12]))
    summary = scores.summary()
    assert summary["samples"] == 3 and summary["groups"] == 3
    assert summary["top1"] == round(1 / 3, 4)
    assert summary["top3"] == round(2 / 3, 4)
    assert summary["per_letter"]["A"] == {"top1": 0.5, "top1_95": [0.0, 1.0], "samples": 2, "groups": 2}
    assert summary["per_letter"]["C"]["top1"] == 0.0
    assert summary["worst_letter"] == "C"
    assert set(summary["per_letter"]) == {"A", "C"}  # letters without samples are not invented
    assert scores.confusion()[2, 1] == 1 and scores.confusion().sum() == 3


def test_interval_brackets_the_figure() -> None:
    rng = np.random.default_rng(3)
    correct = rng.random(400) < 0.9
    interval = group_interval(correct, np.arange(400), np.random.default_rng(0))
    assert interval is not None
    low, high = interval
    assert 0 <= low < correct.mean() < high <= 1
    # About two standard errors either side for 400 independent samples.
    half_width = 2 * np.sqrt(0.9 * 0.1 / 400)
    assert abs((high - low) / 2 - half_width) < 0.01


def test_all_right_has_no_spread() -> None:
    assert group_interval(np.ones(50, dtype=bool), np.arange(50), np.random.default_rng(0)) == (1.0, 1.0)


def test_a_single_group_has_no_interval() -> None:
    # One recording of a letter shows no spread because it has nothing to differ from.
    assert group_interval(np.ones(20, dtype=bool), np.zeros(20, dtype=np.int64), np.random.default_rng(0)) is None
    scores = Scores()
    scores.add(answers([[0], [0], [1]]), np.array([0, 0, 1]), np.array([7, 7, 8]))
    summary = scores.summary()
    assert summary["per_letter"]["A"]["top1_95"] is None
    assert summary["top1_95"] is not None


def test_copies_of_one_photo_do_not_narrow_the_interval() -> None:
    rng = np.random.default_rng(4)
    correct = rng.random(200) < 0.85
    originals = np.arange(200)
    alone = group_interval(correct, originals, np.random.default_rng(0))
    # Three copies of every photo, answered alike, are still 200 photos' worth of evidence...
    copies = group_interval(np.repeat(correct, 3), np.repeat(originals, 3), np.random.default_rng(0))
    assert copies == alone
    # ...where counting the copies as 600 independent samples would claim more certainty than there is.
    naive = group_interval(np.repeat(correct, 3), np.arange(600), np.random.default_rng(0))
    assert alone is not None and naive is not None
    assert naive[1] - naive[0] < 0.7 * (alone[1] - alone[0])


def test_figures_are_reproducible() -> None:
    def summary() -> dict[str, object]:
        scores = Scores()
        rng = np.random.default_rng(5)
        labels = rng.integers(0, 26, 300)
        scores.add(rng.random((300, 26)).astype(np.float32), labels, np.arange(300) // 3)
        return scores.summary()

    assert summary() == summary()
