"""Sliding-window smoothing and the transcript."""

from __future__ import annotations

import pytest
from signify.smoothing import SlidingWindowSmoother, Transcript


def feed(smoother: SlidingWindowSmoother, letters: str) -> list[str | None]:
    return [smoother.push(None if letter == "." else letter) for letter in letters]


def test_no_stable_letter_until_the_window_is_full() -> None:
    assert feed(SlidingWindowSmoother(5), "AAAA") == [None] * 4


def test_majority_of_the_window_is_stable() -> None:
    assert feed(SlidingWindowSmoother(5), "AABAB")[-1] == "A"


def test_disagreement_gives_no_stable_letter() -> None:
    assert feed(SlidingWindowSmoother(5), "AABBC")[-1] is None


def test_a_single_glitch_does_not_change_the_stable_letter() -> None:
    assert feed(SlidingWindowSmoother(5), "AAAAAXAA")[-3:] == ["A", "A", "A"]


def test_a_hand_that_leaves_clears_the_stable_letter() -> None:
    assert feed(SlidingWindowSmoother(3), "AAA...")[-1] is None


def test_window_of_one_follows_every_answer() -> None:
    assert feed(SlidingWindowSmoother(1), "ABC") == ["A", "B", "C"]


def test_clear_forgets_votes() -> None:
    smoother = SlidingWindowSmoother(3)
    feed(smoother, "AAA")
    smoother.clear()
    assert smoother.push("A") is None


def run(transcript: Transcript, stables: str) -> str:
    """'.' is a frame without a hand, '-' a frame with a hand but no stable letter."""
    for symbol in stables:
        stable = None if symbol in ".-" else symbol
        transcript.update(stable, hand=symbol != ".")
    return transcript.text


def test_a_letter_is_committed_after_it_held_long_enough() -> None:
    transcript = Transcript(commit_after=3, word_gap=4)
    assert run(transcript, "HH") == ""
    assert run(transcript, "H") == "H"


def test_a_held_letter_is_committed_once() -> None:
    assert run(Transcript(commit_after=2, word_gap=4), "LLLLLLLL") == "L"


def test_double_letters_need_the_hand_to_change_in_between() -> None:
    assert run(Transcript(commit_after=2, word_gap=9), "HHEELLLLOO") == "HELO"
    transcript = Transcript(commit_after=2, word_gap=9)
    assert run(transcript, "HHEELL-LLOO") == "HELLO"


def test_a_long_absence_ends_the_word() -> None:
    transcript = Transcript(commit_after=2, word_gap=3)
    assert run(transcript, "HHII...") == "HI "
    assert run(transcript, "....") == "HI "  # one space, however long the hand is away
    assert run(transcript, "YYOO") == "HI YO"


def test_no_leading_space() -> None:
    assert run(Transcript(commit_after=2, word_gap=2), ".....AA") == "A"


def test_text_is_bounded() -> None:
    transcript = Transcript(commit_after=1, word_gap=100, max_length=5)
    run(transcript, "A-B-C-D-E-F-G")
    assert transcript.text == "CDEFG"


def test_clear_forgets_text_and_letter_in_progress() -> None:
    transcript = Transcript(commit_after=2, word_gap=3)
    run(transcript, "AAB")
    transcript.clear()
    assert transcript.text == ""
    assert run(transcript, "B") == ""


def test_parameters_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Transcript(commit_after=0, word_gap=1)
    with pytest.raises(ValueError):
        SlidingWindowSmoother(0)
