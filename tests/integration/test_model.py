"""The shipped ONNX model and its card, loaded the way the server loads them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from signify.recognition.model import LetterModel, ModelError
from signify.recognition.normalization import normalize_hand

from tests.conftest import loopback_settings


@pytest.fixture(scope="module")
def model() -> LetterModel:
    return LetterModel(loopback_settings().model_path)


def test_card_lists_the_26_letters_in_order(model: LetterModel) -> None:
    assert model.card.labels == tuple(chr(ord("A") + i) for i in range(26))
    assert model.card.name and model.card.version


def test_shapes_are_dynamic_batch_and_time(model: LetterModel) -> None:
    assert model.input_shape[2:] == [21, 3]
    assert isinstance(model.input_shape[0], str) and isinstance(model.input_shape[1], str)
    assert model.motion_shape[2:] == [3]
    assert isinstance(model.motion_shape[0], str) and isinstance(model.motion_shape[1], str)
    assert model.output_shape[-1] == 26


def test_the_answer_depends_on_the_hands_motion(model: LetterModel) -> None:
    rng = np.random.default_rng(1)
    hands = normalize_hand(np.repeat(rng.uniform(0.3, 0.7, size=(1, 21, 3)), 24, axis=0))
    held = model.predict(hands)
    assert np.array_equal(held.probabilities, model.predict(hands, np.zeros((24, 3), np.float32)).probabilities)
    path = np.zeros((24, 3), dtype=np.float32)
    path[:, 0] = np.linspace(-3, 0, 24)  # the wrist travelled three palm sizes to where it is now
    assert np.abs(model.predict(hands, path).probabilities - held.probabilities).max() > 1e-3


@pytest.mark.parametrize("frames", [1, 2, 7, 32])
def test_any_window_length_gives_a_probability_per_letter(model: LetterModel, frames: int) -> None:
    rng = np.random.default_rng(frames)
    window = normalize_hand(rng.uniform(0.3, 0.7, size=(frames, 21, 3)))
    scores = model.predict(window)
    assert scores.probabilities.shape == (26,)
    assert np.all(scores.probabilities >= 0)
    assert scores.probabilities.sum() == pytest.approx(1.0, abs=1e-4)
    top = scores.top(3)
    assert [label for label, _ in top] == [model.card.labels[i] for i in np.argsort(-scores.probabilities)[:3]]
    assert scores.best() == top[0][0]


def test_the_model_is_not_a_constant(model: LetterModel) -> None:
    rng = np.random.default_rng(0)
    answers = {model.predict(normalize_hand(rng.uniform(0.2, 0.8, size=(8, 21, 3)))).top(1)[0][0] for _ in range(40)}
    assert len(answers) > 1


def test_a_window_is_answered_the_same_whatever_shares_its_call(model: LetterModel) -> None:
    # The scoring thread puts many sessions' windows into one call: one client's hands must not move another's
    # answer. A layer quantized dynamically would (its range is the whole batch's); the shipped one's is fixed.
    rng = np.random.default_rng(3)
    hands = np.stack([normalize_hand(np.repeat(rng.uniform(0.3, 0.7, size=(1, 21, 3)), 32, axis=0)
                                     + rng.normal(0, 0.005, size=(32, 21, 3))) for _ in range(8)])
    motion = rng.normal(0, 0.3, size=(8, 32, 3)).astype(np.float32)
    alone = [model.predict_batch(hands[i : i + 1], motion[i : i + 1])[0].probabilities for i in range(8)]
    hostile_hands, hostile_motion = hands.copy(), motion.copy()
    hostile_hands[0] *= 50  # as far out as a degenerate hand's normalized joints can reach
    hostile_motion[0] *= 50
    together = model.predict_batch(hostile_hands, hostile_motion)
    for i in range(1, 8):
        np.testing.assert_allclose(together[i].probabilities, alone[i], atol=1e-5)


def test_a_missing_model_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        LetterModel(tmp_path / "missing.onnx")


def test_a_model_without_its_card_is_an_error(model: LetterModel, tmp_path: Path) -> None:
    lonely = tmp_path / "model.onnx"
    shutil.copy(model.path, lonely)
    with pytest.raises(ModelError, match="card"):
        LetterModel(lonely)


def test_a_corrupt_model_file_is_an_error(model: LetterModel, tmp_path: Path) -> None:
    broken = tmp_path / "model.onnx"
    broken.write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n")
    shutil.copy(model.path.with_suffix(".json"), broken.with_suffix(".json"))
    with pytest.raises(ModelError, match="cannot be loaded"):
        LetterModel(broken)


def test_a_card_that_disagrees_with_the_model_is_an_error(model: LetterModel, tmp_path: Path) -> None:
    copy = tmp_path / "model.onnx"
    shutil.copy(model.path, copy)
    card = json.loads(model.path.with_suffix(".json").read_text())
    card["labels"] = card["labels"][:-1]
    copy.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="labels"):
        LetterModel(copy)
