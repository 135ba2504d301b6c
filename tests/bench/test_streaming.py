"""The carried-state graph is the shipped network: a window split in two calls, the split frame repeated so that
the in-graph velocities agree, gets the same probabilities as the whole window."""

from __future__ import annotations

import numpy as np
from signify.config import Settings

from bench.streaming import CarriedStateNetwork, carried_state_costs, carried_state_error


def test_a_window_read_in_two_calls_with_its_state_carried_scores_as_the_whole_window() -> None:
    assert carried_state_error(Settings.from_env().model_path) < 1e-6


def test_the_state_changes_the_answer_so_it_is_really_carried() -> None:
    network = CarriedStateNetwork(Settings.from_env().model_path)
    rng = np.random.default_rng(2)
    hands = rng.normal(0, 0.5, (3, 1, 21, 3)).astype(np.float32)
    motion = np.zeros((3, 1, 3), dtype=np.float32)
    fresh, _ = network.step(hands, motion, network.zero_state(3))
    _, state = network.step(rng.normal(0, 0.5, (3, 8, 21, 3)).astype(np.float32),
                            np.zeros((3, 8, 3), dtype=np.float32), network.zero_state(3))
    carried, _ = network.step(hands, motion, state)
    assert np.abs(carried - fresh).max() > 1e-3


def test_the_cost_report_names_every_batch_size() -> None:
    costs = carried_state_costs(Settings.from_env().model_path, batches=(1, 4), seconds=0.05)
    assert set(costs) == {"max_abs_diff_vs_window", "batch_1_ms_per_frame", "batch_4_ms_per_frame"}
    assert all(costs[key] > 0 for key in ("batch_1_ms_per_frame", "batch_4_ms_per_frame"))
