"""Property-based fuzzing of message parsing and of the keypoint path."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signify.recognition.model import LetterModel
from signify.recognition.normalization import normalize_hand
from signify.recognition.trajectory import hand_placement, window_motion
from signify.serving import protocol
from signify.serving.protocol import LANDMARK_LIMIT, KeypointsMessage, ProtocolError, parse_message

from tests.conftest import loopback_settings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=25) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=80,
)
messages = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300),
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["frame", "keypoints", "reset", "other"])},
        optional={"id": json_values, "image": json_values, "landmarks": json_values, "handedness": json_values},
    ).map(lambda v: json.dumps(v, allow_nan=True)),
    st.fixed_dictionaries({
        "type": st.just("keypoints"),
        "landmarks": st.lists(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=3),
                              min_size=21, max_size=21),
    }).map(lambda v: json.dumps(v, allow_nan=True)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_parsing_never_fails_except_with_a_protocol_error(message: str | bytes) -> None:
    try:
        parsed = parse_message(message, 1, 1024 * 1024)
    except ProtocolError as error:
        assert error.code in {"bad_image", "bad_message", "too_large", "bad_keypoints"}
        assert error.frame_id is None or isinstance(error.frame_id, int)
        return
    if isinstance(parsed, KeypointsMessage):
        if parsed.landmarks is None:  # "landmarks": [], the client's tracker found no hand
            return
        assert parsed.landmarks.shape == (21, 3)
        assert np.all(np.isfinite(parsed.landmarks))
        assert np.all(np.abs(parsed.landmarks) <= LANDMARK_LIMIT)


def _outcome(message: str | bytes) -> tuple[Any, ...]:
    """What parsing makes of ``message``: the error answered, or the parsed message's fields."""
    try:
        parsed = parse_message(message, 7, 1024 * 1024)
    except ProtocolError as error:
        return ("error", error.code, error.message, error.frame_id)
    return (type(parsed).__name__, *(value.tolist() if isinstance(value, np.ndarray) else value
                                     for value in (getattr(parsed, f.name) for f in dataclasses.fields(parsed))))


class _JsonOnly:
    """orjson as the parser would see it if it refused everything: json reads every message."""

    JSONDecodeError = protocol.orjson.JSONDecodeError

    @staticmethod
    def loads(text: str | bytes) -> Any:
        raise protocol.orjson.JSONDecodeError("refused", "", 0)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_the_fast_json_reader_answers_every_message_as_json_does(message: str | bytes) -> None:
    # orjson reads what json reads (integers past 64 bits as floats, which changes no answer) and refuses
    # the rest (NaN, lone surrogates, numbers past a double), which json then reads.
    fast = _outcome(message)
    with mock.patch.object(protocol, "orjson", _JsonOnly):
        assert _outcome(message) == fast


@pytest.fixture(scope="module")
def model() -> LetterModel:
    return LetterModel(loopback_settings().model_path)


coordinates = st.floats(min_value=-LANDMARK_LIMIT, max_value=LANDMARK_LIMIT, allow_nan=False, width=32)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.lists(st.tuples(coordinates, coordinates, coordinates), min_size=21, max_size=21),
             min_size=1, max_size=32),
    st.sampled_from(["Left", "Right"]),
    st.floats(min_value=0.25, max_value=4.0),
)
def test_any_accepted_keypoints_give_finite_probabilities(
    model: LetterModel, frames: list[list[tuple[float, float, float]]], handedness: str, aspect: float
) -> None:
    window = normalize_hand(np.array(frames, dtype=np.float32), handedness=handedness, aspect=aspect)
    motion = window_motion(hand_placement(np.array(frames, dtype=np.float32), handedness=handedness, aspect=aspect))
    assert np.all(np.isfinite(window)) and np.all(np.isfinite(motion))
    probabilities = model.predict(window, motion).probabilities
    assert np.all(np.isfinite(probabilities))
    assert math.isclose(float(probabilities.sum()), 1.0, abs_tol=1e-3)
