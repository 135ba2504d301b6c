"""Held-out takes scored by what the server's own Recognizer commits."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from signify.recognition.model import LetterModel
from signify.recognition.normalization import normalize_hand
from signify.recognition.trajectory import hand_placement, window_motion

from tests.conftest import loopback_settings
from training.motion import Clip, J, Z, motion_clip
from training.sources import LETTER_INDEX, Poses
from training.transcripts import (
    BRISK_LETTER_HOLD,
    LEAVING_FRAMES,
    LETTER_HOLD,
    REPEAT_HOLD_FRAMES,
    REPEAT_PAUSE_FRAMES,
    REPEAT_RETURN_FRAMES,
    WORD_LETTERS,
    Take,
    TakeScores,
    TranscriptFigures,
    WrittenTake,
    held_out_motion_words,
    held_out_takes,
    held_out_words,
    leaving,
    raw_landmarks,
    repeated,
)


def test_raw_landmarks_normalize_back_to_the_take() -> None:
    rng = np.random.default_rng(0)
    pose = normalize_hand(rng.uniform(0.3, 0.7, size=(21, 3)))
    clip = motion_clip(Z, pose, rng)
    raw = raw_landmarks(clip.hands, clip.placements)
    assert normalize_hand(raw) == pytest.approx(clip.hands, abs=1e-4)
    assert window_motion(hand_placement(raw)) == pytest.approx(window_motion(clip.placements), abs=1e-3)
    assert 0.0 < raw[..., :2].mean() < 1.0  # a hand inside the picture


def poses(letters: str) -> Poses:
    rng = np.random.default_rng(1)
    count = len(letters)
    hands = normalize_hand(rng.uniform(0.3, 0.7, size=(count, 21, 3)))
    ids = np.arange(count, dtype=np.int64)
    return Poses(hands, np.array([LETTER_INDEX[c] for c in letters], dtype=np.int64), ids, ids)


def test_held_out_takes_make_j_from_i_z_from_index_shapes_and_drifting_lookalikes() -> None:
    takes = held_out_takes(poses("IDGXA"), np.random.default_rng(2), per_pose=1)
    kinds = sorted(take.kind for take in takes)
    assert kinds == ["J from I", "Z from D", "Z from G", "drifting D", "drifting G", "drifting I", "drifting X"]
    j = next(take for take in takes if take.kind == "J from I")
    assert (j.expected, "I" in j.forbidden, "J" in j.forbidden) == ("J", True, False)
    z = next(take for take in takes if take.kind == "Z from D")
    assert {"D", "X", "G"} <= z.forbidden and "Z" not in z.forbidden
    drift = next(take for take in takes if take.kind == "drifting X")
    assert (drift.expected, drift.forbidden) == ("X", frozenset("JZ"))


def test_held_out_takes_signed_three_times_are_j_and_z_takes_only_expected_three_times() -> None:
    takes = held_out_takes(poses("IDGXA"), np.random.default_rng(2), per_pose=1, times=3)
    assert sorted((take.kind, take.expected) for take in takes) == [
        ("J from I, 3 times", "JJJ"), ("Z from D, 3 times", "ZZZ"), ("Z from G, 3 times", "ZZZ")]
    assert next(take for take in takes if take.kind.startswith("J")).forbidden == frozenset("IZ")


@pytest.mark.parametrize("letter", [J, Z])
def test_a_repeated_take_signs_its_motion_again_after_a_pause_and_the_way_back(letter: int) -> None:
    rng = np.random.default_rng(4)
    clip = motion_clip(letter, poses("I").hands[0], rng)
    start, end = clip.motion_start, clip.motion_end
    motion = np.concatenate([clip.hands[start:end].reshape(end - start, -1), clip.placements[start:end]], axis=1)
    take = repeated(clip, rng, times=3)
    frames = np.concatenate([take.hands.reshape(len(take.hands), -1), take.placements], axis=1)
    # The motion's own frames, three times; the last ends the take, which begins as the clip did.
    signed = [i for i in range(len(frames) - len(motion) + 1) if np.array_equal(frames[i : i + len(motion)], motion)]
    assert len(signed) == 3 and signed[0] == start and signed[-1] + len(motion) == take.motion_end == len(frames)
    assert np.array_equal(take.hands[:start], clip.hands[:start])
    between = (REPEAT_PAUSE_FRAMES, REPEAT_RETURN_FRAMES, REPEAT_HOLD_FRAMES)
    for first, second in itertools.pairwise(signed):
        gap = second - first - len(motion)
        assert sum(low for low, _ in between) <= gap <= sum(high for _, high in between)
        # The end held for at least the pause, where it ended; the start held before the next, where it began.
        ended, began = first + len(motion), second
        pause, hold = REPEAT_PAUSE_FRAMES[0], REPEAT_HOLD_FRAMES[0]
        assert np.array_equal(take.hands[ended : ended + pause], np.repeat(clip.hands[end - 1 : end], pause, axis=0))
        assert np.array_equal(take.hands[began - hold : began], np.repeat(clip.hands[start : start + 1], hold, 0))
        assert np.abs(take.placements[ended : ended + pause, :2] - clip.placements[end - 1, :2]).max() < 0.2
        assert np.abs(take.placements[began - hold : began, :2] - clip.placements[start, :2]).max() < 0.2


def summary_of(kind: str, expected: str, forbidden: str, texts: list[str]) -> dict[str, Any]:
    """TakeScores' summary of one kind of take, each take of its own group, that wrote ``texts``."""
    clip = Clip(np.zeros((1, 21, 3), np.float32), np.zeros((1, 3), np.float32), 0, 1)
    scores = TakeScores()
    for group, text in enumerate(texts):
        scores.add(Take(kind, expected, frozenset(forbidden), clip, group), text)
    summary: dict[str, Any] = scores.summary()[kind]
    return summary


def test_take_scores_count_recall_false_commits_and_exact_spellings() -> None:
    summary = summary_of("J from I", "J", "IZ", ["J", "IJ", "", "J J", "I"])
    assert (summary["takes"], summary["groups"]) == (5, 5)
    assert summary["recall"] == pytest.approx(3 / 5)
    assert summary["false_commits"] == pytest.approx(2 / 5)
    assert summary["exact"] == pytest.approx(1 / 5)
    low, high = summary["recall_95"]
    assert low <= 0.6 <= high


def test_take_scores_keep_every_transcript_as_written_in_order() -> None:
    clip = Clip(np.zeros((1, 21, 3), np.float32), np.zeros((1, 3), np.float32), 0, 1)
    scores = TakeScores()
    scores.add(Take("J from I", "J", frozenset("IZ"), clip, 4), "IJ")
    scores.add(Take("drifting I", "I", frozenset("JZ"), clip, 7), "I ")
    assert scores.written == [WrittenTake("J from I", 4, "J", "IZ", "IJ"),
                              WrittenTake("drifting I", 7, "I", "JZ", "I ")]


def test_held_out_words_spell_held_letters_with_changes_between() -> None:
    takes = held_out_words(poses("ABCIJZ"), np.random.default_rng(3), count=30, first_group=100)
    assert [take.group for take in takes] == list(range(100, 130))
    for take in takes:
        word = take.expected
        assert WORD_LETTERS[0] <= len(word) <= WORD_LETTERS[1]
        assert set(word) <= set("ABCI")  # never a motion letter
        assert all(a != b for a, b in itertools.pairwise(word))  # a double needs the hand to change
        assert (take.kind, take.forbidden) == ("word", frozenset("JZ"))
        frames = len(take.clip.hands)
        assert len(word) * LETTER_HOLD[0] <= frames <= len(word) * LETTER_HOLD[1] + (len(word) - 1) * 6
        assert take.clip.placements.shape == (frames, 4)
        assert np.abs(np.diff(take.clip.placements[:, :2], axis=0)).max() < 0.2  # the hand stays in place


def test_motion_words_hold_one_j_or_z_drawn_from_its_starting_shape() -> None:
    held = poses("IDGABCLOW")
    words = held_out_motion_words(held, np.random.default_rng(3), 40, hold=LETTER_HOLD)
    for take in words:
        motion = [letter for letter in take.expected if letter in "JZ"]
        assert len(motion) == 1 and take.forbidden == frozenset("JZ") - set(motion), take.expected
        assert not any(a == b for a, b in itertools.pairwise(take.expected)), take.expected
        # The hand travels where the motion is, and holds its place elsewhere.
        travel = np.linalg.norm(take.clip.placements[-1, :2] - take.clip.placements[0, :2])
        assert travel > 0.5, take.expected
        assert len(take.clip.hands) == len(take.clip.placements)
    assert {take.expected[i] for take in words for i in range(len(take.expected))} >= {"J", "Z"}
    assert len({take.group for take in words}) == 40


def test_a_leaving_hand_drops_down_faster_each_frame_after_the_take() -> None:
    rng = np.random.default_rng(5)
    take = held_out_words(poses("ABCD"), rng, count=1)[0].clip
    lengths = set()
    for _ in range(40):
        left = leaving(take, rng)
        frames = len(left.hands) - len(take.hands)
        lengths.add(frames)
        assert np.array_equal(left.hands[: len(take.hands)], take.hands)  # the take as it was
        assert np.array_equal(left.placements[: len(take.placements)], take.placements)
        assert (left.hands[len(take.hands):] == take.hands[-1]).all()  # the last letter's hand, still held
        steps = np.diff(left.placements[len(take.hands) - 1 :, 1])
        assert (steps > 0).all() and (np.diff(steps) > 0).all()  # downwards, faster each frame
    assert lengths == set(range(LEAVING_FRAMES[0], LEAVING_FRAMES[1] + 1))


def test_brisk_words_hold_each_letter_for_the_brisk_hold() -> None:
    for take in held_out_words(poses("ABCD"), np.random.default_rng(4), count=10, hold=BRISK_LETTER_HOLD):
        letters, frames = len(take.expected), len(take.clip.hands)
        assert letters * BRISK_LETTER_HOLD[0] <= frames <= letters * BRISK_LETTER_HOLD[1] + (letters - 1) * 6


def test_a_word_is_recalled_only_when_written_whole() -> None:
    summary = summary_of("word", "CAB", "JZ", ["CAB", "CA B", "CJAB", "CA", "XCABX"])
    assert summary["recall"] == pytest.approx(3 / 5)  # CAB, CA B (a space is not a letter), XCABX
    assert summary["exact"] == pytest.approx(1 / 5)
    assert summary["false_commits"] == pytest.approx(1 / 5)


def test_transcript_figures_are_the_same_whenever_the_same_models_score_them(tmp_path: Path) -> None:
    # The card's figures are scored after training and again after a rule change: the same takes both times.
    model = LetterModel(loopback_settings().model_path)
    held = poses("IDABC")
    summaries = []
    for _ in range(2):
        figures = TranscriptFigures(words_per_fold=2)
        figures.add_fold(model, held)
        figures.add_fold(model, held)
        summaries.append(figures.summary())
    assert summaries[0] == summaries[1]
    first = summaries[0]
    assert set(first) == {"motion_takes_held_out_photos", "motion_takes_held_out_photos_repeated",
                          "words_held_out_photos", "words_held_out_photos_brisk",
                          "words_with_motion_held_out_photos", "words_with_motion_held_out_photos_brisk"}
    assert first["motion_takes_held_out_photos"]["J from I"]["takes"] == 2 * 2  # two takes a pose, two folds
    assert first["motion_takes_held_out_photos_repeated"]["Z from D, 3 times"]["takes"] == 2 * 2
    for name in ("words_held_out_photos", "words_held_out_photos_brisk"):
        assert (first[name]["word"]["takes"], first[name]["word"]["groups"]) == (4, 4)  # every word its own group
    # Every take's transcript, written out, is what the figures were counted from.
    figures.write_transcripts(tmp_path / "transcripts.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "transcripts.jsonl").read_text().splitlines()]
    for name, kinds in first.items():
        for kind, entry in kinds.items():
            rows = [row for row in lines if (row["entry"], row["kind"]) == (name, kind)]
            assert len(rows) == entry["takes"]
            exact = sum(row["text"].strip() == row["expected"] for row in rows) / len(rows)
            assert exact == pytest.approx(entry["exact"], abs=1e-4)
    assert len(lines) == sum(entry["takes"] for kinds in first.values() for entry in kinds.values())
