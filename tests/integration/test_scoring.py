"""Many sessions' windows scored together by the shipped model: the same answers, in fewer calls."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from signify.recognition.model import LetterModel
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
    windows = [(rng.normal(0, 0.5, (n, 21, 3)).astype(np.float32), rng.normal(0, 1, (n, 3)).astype(np.float32))
               for n in lengths]
    with ThreadPoolExecutor(1) as executor:
        scorer = WindowScorer(executor, max_batch=64, max_in_flight=1)
        answers = await asyncio.gather(*(scorer.score(model, hands, motion) for hands, motion in windows))
    assert scorer.windows == len(windows)
    assert scorer.calls <= 4  # the first alone; the rest, which gathered meanwhile, one call per length
    for (hands, motion), answer in zip(windows, answers, strict=True):
        alone = model.predict(hands, motion)
        np.testing.assert_allclose(answer.probabilities, alone.probabilities, atol=1e-5)
        assert answer.embedding is not None and alone.embedding is not None
        np.testing.assert_allclose(answer.embedding, alone.embedding, atol=1e-4)
