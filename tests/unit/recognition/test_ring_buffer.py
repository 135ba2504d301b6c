"""The keypoint ring buffer keeps the newest frames in arrival order."""

from __future__ import annotations

import numpy as np
import pytest
from signify.recognition.ring_buffer import KeypointBuffer


def frame(value: float) -> np.ndarray:
    return np.full((21, 3), value, dtype=np.float32)


def test_fills_in_arrival_order() -> None:
    buffer = KeypointBuffer(4)
    for value in (1, 2, 3):
        buffer.append(frame(value))
    window = buffer.window()
    assert len(buffer) == 3
    assert window.shape == (3, 21, 3)
    assert [w[0, 0] for w in window] == [1, 2, 3]


def test_overwrites_the_oldest_when_full() -> None:
    buffer = KeypointBuffer(3)
    for value in range(1, 8):
        buffer.append(frame(value))
    assert len(buffer) == 3
    assert [w[0, 0] for w in buffer.window()] == [5, 6, 7]


def test_window_is_a_copy() -> None:
    buffer = KeypointBuffer(2)
    buffer.append(frame(1))
    window = buffer.window()
    buffer.append(frame(2))
    buffer.append(frame(3))
    assert window[0, 0, 0] == 1


def test_clear_empties() -> None:
    buffer = KeypointBuffer(2)
    buffer.append(frame(1))
    buffer.clear()
    assert len(buffer) == 0
    assert buffer.window().shape == (0, 21, 3)
    buffer.append(frame(9))
    assert [w[0, 0] for w in buffer.window()] == [9]


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        KeypointBuffer(0)


def test_frames_of_another_shape_keep_their_order() -> None:
    buffer = KeypointBuffer(3, frame_shape=(3,))
    for value in range(5):
        buffer.append(np.full(3, value, dtype=np.float32))
    assert buffer.window().shape == (3, 3)
    assert buffer.window()[:, 0].tolist() == [2, 3, 4]
