"""Held-out scoring goes through the shipped kind of file, read as the server reads it."""

from __future__ import annotations

import numpy as np
from signify.recognition.model import LetterModel
from signify.recognition.normalization import normalize_hand
from signify.recognition.trajectory import window_motion

from tests.conftest import loopback_settings
from training.evaluate import WINDOW_BATCH, answers
from training.motion import as_placements
from training.windows import Window


def _window(frames: int, rng: np.random.Generator) -> Window:
    hand = rng.uniform(0.3, 0.7, size=(1, 21, 3))
    hands = normalize_hand(np.repeat(hand, frames, axis=0) + rng.normal(0, 0.004, size=(frames, 21, 3)))
    places = as_placements(np.cumsum(rng.normal(0, 0.02, size=(frames, 2)), axis=0), np.ones(frames))
    return hands.astype(np.float32), places


def test_each_window_is_answered_as_the_server_answers_it_alone() -> None:
    # Windows of several lengths, interleaved: each must come back in its own place with the answer the server's
    # model gives it on its own (unpadded, read at its own last frame), embedding included.
    model = LetterModel(loopback_settings().model_path)
    rng = np.random.default_rng(5)
    windows = [_window(frames, rng) for frames in (5, 32, 1, 17, 32, 5, 9)]
    probabilities, embeddings = answers(model, windows)
    assert probabilities.shape == (len(windows), 26) and len(embeddings) == len(windows)
    for (hands, places), answered, embedded in zip(windows, probabilities, embeddings, strict=True):
        alone = model.predict(hands, window_motion(places))
        assert alone.embedding is not None
        np.testing.assert_allclose(answered, alone.probabilities, atol=1e-6)
        np.testing.assert_allclose(embedded, alone.embedding, atol=1e-5)


def test_more_windows_of_one_length_than_a_call_holds_are_all_answered() -> None:
    model = LetterModel(loopback_settings().model_path)
    rng = np.random.default_rng(6)
    one = _window(4, rng)
    probabilities, _ = answers(model, [one] * (WINDOW_BATCH + 3))
    assert len(probabilities) == WINDOW_BATCH + 3
    np.testing.assert_allclose(probabilities, np.repeat(probabilities[:1], len(probabilities), axis=0), atol=1e-6)
