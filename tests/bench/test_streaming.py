"""The step graph is the shipped network: windows read frame by frame as streams, the state carried from call to
call, get the probabilities the shipped file gives every prefix of them as a window."""

from __future__ import annotations

import numpy as np
import pytest
from signify.config import Settings

from bench.streaming import StepNetwork, carried_state_costs, step_error


def test_windows_read_as_streams_score_every_prefix_as_the_windows_do() -> None:
    assert step_error(Settings.from_env().model_path, frames=12) < 1e-6


def test_the_state_changes_the_answer_so_it_is_really_carried() -> None:
    network = StepNetwork(Settings.from_env().model_path)
    rng = np.random.default_rng(2)
    hands = np.repeat(rng.normal(0, 0.5, (3, 1, 21, 3)).astype(np.float32), 2, axis=1)
    motion = np.zeros((3, 2, 3), dtype=np.float32)
    fresh, _ = network.step(hands, motion, network.zero_state(3))
    _, state = network.step(rng.normal(0, 0.5, (3, 2, 21, 3)).astype(np.float32), motion, network.zero_state(3))
    carried, _ = network.step(hands, motion, state)
    assert np.abs(carried - fresh).max() > 1e-3


def test_the_previous_frame_gives_the_current_one_its_velocities() -> None:
    network = StepNetwork(Settings.from_env().model_path)
    rng = np.random.default_rng(3)
    current = rng.normal(0, 0.5, (2, 1, 21, 3)).astype(np.float32)
    motion = np.zeros((2, 2, 3), dtype=np.float32)
    held, _ = network.step(np.concatenate([current, current], axis=1), motion, network.zero_state(2))
    moved, _ = network.step(np.concatenate([current + 0.3, current], axis=1), motion, network.zero_state(2))
    assert np.abs(moved - held).max() > 1e-3


def test_a_step_refuses_anything_but_two_frames() -> None:
    network = StepNetwork(Settings.from_env().model_path)
    with pytest.raises(ValueError, match="2 frames"):
        network.step(np.zeros((1, 3, 21, 3), dtype=np.float32), np.zeros((1, 3, 3), dtype=np.float32),
                     network.zero_state(1))


def test_the_cost_report_names_every_batch_size() -> None:
    costs = carried_state_costs(Settings.from_env().model_path, batches=(1, 4, 128), seconds=0.05)
    assert set(costs) == {"max_abs_diff_vs_window", "batch_1_ms_per_frame", "batch_4_ms_per_frame",
                          "batch_128_ms_per_frame", "64_cameras_ms_per_camera_frame"}
    assert costs["64_cameras_ms_per_camera_frame"] == round(2 * costs["batch_128_ms_per_frame"], 4)
