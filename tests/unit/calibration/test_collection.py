"""Which frames a calibration keeps: prompts in order, a settling pause, a take per letter."""

from __future__ import annotations

import numpy as np
import pytest
from signify.calibration.collection import (
    DEFAULT_WINDOW,
    DONATED_WINDOWS_PER_LETTER,
    CalibrationRun,
    Observation,
    Prompt,
    Take,
    donated_windows,
)
from signify.calibration.profile import MAX_EXAMPLES_PER_LETTER


def seen(step: int, window: bool = True) -> Observation:
    """An observation whose embedding says which frame it was."""
    keypoints = np.full((32, 21, 3), step, dtype=np.float32) if window else None
    placements = np.full((32, 4), step, dtype=np.float32) if window else None
    return Observation(np.full(4, step, dtype=np.float32), np.zeros(26, dtype=np.float32), keypoints, placements)


def feed(run: CalibrationRun, frames: int, start: int = 0) -> list[bool]:
    return [run.observe(seen(start + i)) for i in range(frames)]


def test_letters_are_prompted_in_order_after_each_take() -> None:
    run = CalibrationRun(["G", "K"], settle=2, held=5)
    assert run.prompt == Prompt("G", 0, ("G", "K"), 5)
    assert feed(run, 6) == [False] * 6
    assert run.progress is not None and (run.progress.letter, run.progress.collected) == ("G", 4)
    assert run.observe(seen(6)) is True  # the take of G is complete
    assert run.prompt == Prompt("K", 1, ("G", "K"), 5)
    assert feed(run, 7) == [False] * 6 + [True]
    assert run.finished and run.prompt is None and run.progress is None
    result = run.result()
    assert result.letters == ["G", "K"] and result.skipped == ()


def test_the_first_frames_after_a_prompt_are_let_go() -> None:
    run = CalibrationRun(["G"], settle=3, held=4)
    feed(run, 7)
    take = run.result().takes[0]
    assert [int(o.embedding[0]) for o in take.observations] == [3, 4, 5, 6]


def test_frames_without_a_hand_count_for_nothing_and_lose_nothing() -> None:
    run = CalibrationRun(["G"], settle=1, held=3)
    run.observe(seen(0))
    run.observe(seen(1))
    for _ in range(50):
        assert run.observe(None) is False
    assert run.progress is not None and run.progress.collected == 1
    assert feed(run, 2, start=2) == [False, True]


def test_motion_letters_get_a_longer_take() -> None:
    run = CalibrationRun(["J", "A", "Z"], held=45, motion=75)
    assert run.prompt is not None and run.prompt.frames == 75
    run.skip()
    assert run.prompt is not None and run.prompt.frames == 45
    run.skip()
    assert run.prompt is not None and (run.prompt.letter, run.prompt.frames) == ("Z", 75)


def test_skip_moves_on_and_stop_counts_the_rest_as_skipped() -> None:
    run = CalibrationRun(["G", "K", "P"], settle=0, held=2)
    run.skip()
    feed(run, 2)
    assert run.prompt is not None and run.prompt.letter == "P"
    feed(run, 1)  # P cut short
    result = run.result()
    assert result.letters == ["K"] and result.skipped == ("G", "P")


def test_examples_are_spread_over_the_frames_whose_window_holds_only_the_letter() -> None:
    run = CalibrationRun(["G"], settle=10, held=45)
    feed(run, 55)
    examples = run.result().takes[0].examples()
    steps = [int(o.embedding[0]) for o in examples]
    assert len(steps) == MAX_EXAMPLES_PER_LETTER
    # Frame 32 after the prompt is the first whose 32-frame window holds nothing from before it.
    assert steps[0] == DEFAULT_WINDOW and steps[-1] == 54 and steps == sorted(steps)


def test_a_longer_window_takes_its_examples_later() -> None:
    run = CalibrationRun(["G"], settle=10, held=45, window=40)
    feed(run, 55)
    assert int(run.result().takes[0].examples()[0].embedding[0]) == 40


def test_a_take_too_short_for_that_gives_what_it_has() -> None:
    assert [int(o.embedding[0]) for o in Take("G", [seen(i) for i in range(4)], usable_from=22).examples()] == [
        0, 1, 2, 3]


def test_without_consent_no_window_is_kept() -> None:
    run = CalibrationRun(["G"], settle=0, held=45)
    feed(run, 45)
    take = run.result().takes[0]
    assert all(o.keypoints is None and o.placements is None for o in take.observations)
    assert donated_windows(take) == []


def test_a_donor_gives_a_few_windows_that_hold_the_letter_only() -> None:
    run = CalibrationRun(["G"], settle=10, held=45, donate=True, contributor="contributor-1")
    feed(run, 55)
    donated = donated_windows(run.result().takes[0])
    steps = [int(o.embedding[0]) for o in donated]  # frames since the prompt
    assert len(donated) == DONATED_WINDOWS_PER_LETTER
    # Each donated window (32 frames) began at the prompt or later: nothing of the letter before G.
    assert min(steps) - 32 + 1 >= 0 and max(steps) == 54
    assert all(o.keypoints is not None and o.keypoints[0, 0, 0] == o.embedding[0] for o in donated)
    # Only those frames' windows are held in memory.
    assert sum(o.keypoints is not None for o in run.result().takes[0].observations) == DONATED_WINDOWS_PER_LETTER


@pytest.mark.parametrize("letters", [[], ["G", "G"]])
def test_a_run_needs_distinct_letters(letters: list[str]) -> None:
    with pytest.raises(ValueError, match="distinct"):
        CalibrationRun(letters)
