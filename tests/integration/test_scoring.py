"""Many sessions' windows scored together by the shipped model: the same answers, in fewer calls."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from signify.recognition.model import LetterModel
from signify.recognition.normalization import normalize_hand
from signify.recognition.trajectory import SETTLE_FRAMES, hand_placement, hand_speed, window_motion
from signify.serving.scoring import WindowScorer

from tests.conftest import loopback_settings


@pytest.fixture(scope="module")
def model() -> LetterModel:
    return LetterModel(loopback_settings().model_path)


async def test_windows_that_arrive_together_are_scored_in_few_calls_with_the_answers_of_one_by_one(
    model: LetterModel,
) -> None:
    rng = np.random.default_rng(3)
    lengths = [32] * 40 + [7] * 5  # full windows, and a few of sessions whose hand just came
    windows = [(rng.uniform(0.2, 0.8, (n, 21, 3)).astype(np.float32), rng.choice([-1.0, 1.0], n).astype(np.float32))
               for n in lengths]
    with ThreadPoolExecutor(1) as executor:
        scorer = WindowScorer(executor, max_batch=64, max_in_flight=1)
        answers = [each[0] for each in await asyncio.gather(*(scorer.score(model, [window]) for window in windows))]
    assert scorer.windows == len(windows)
    assert scorer.calls <= 4  # the first alone; the rest, which gathered meanwhile, one call per length
    for (points, signs), answer in zip(windows, answers, strict=True):
        # The reference is frame by frame, with the functions training uses.
        labels = ["Left" if sign < 0 else "Right" for sign in signs]
        hands = np.stack([normalize_hand(p, handedness=label) for p, label in zip(points, labels, strict=True)])
        places = np.stack([hand_placement(p, handedness=label) for p, label in zip(points, labels, strict=True)])
        alone = model.predict(hands, window_motion(places))
        np.testing.assert_allclose(answer.scores.probabilities, alone.probabilities, atol=1e-5)
        assert answer.scores.embedding is not None and alone.embedding is not None
        np.testing.assert_allclose(answer.scores.embedding, alone.embedding, atol=1e-4)
        np.testing.assert_allclose(answer.hands, hands, atol=1e-6)
        assert answer.speed == pytest.approx(hand_speed(hands, places, settle=SETTLE_FRAMES), abs=1e-6)


async def test_one_sessions_windows_are_answered_in_order_with_the_answers_of_one_by_one(model: LetterModel) -> None:
    # A frame of a stream slower than 30 a second stands for several model frames: their windows, of a hand
    # that just came (one frame longer each), go in together and come back in the order they were given.
    rng = np.random.default_rng(5)
    points = rng.uniform(0.2, 0.8, (12, 21, 3)).astype(np.float32)
    signs = np.ones(12, np.float32)
    windows = [(points[:n], signs[:n]) for n in (9, 10, 11, 12)]
    with ThreadPoolExecutor(1) as executor:
        scorer = WindowScorer(executor, max_batch=64, max_in_flight=1)
        together = await scorer.score(model, windows)
        alone = [(await scorer.score(model, [window]))[0] for window in windows]
    assert [len(answer.hands) for answer in together] == [9, 10, 11, 12]
    for mixed, single in zip(together, alone, strict=True):
        np.testing.assert_allclose(mixed.scores.probabilities, single.scores.probabilities, atol=1e-5)
