"""The batching policy: never a wait while a scoring thread is free, and everything gathered once one frees."""

from __future__ import annotations

import pytest
from signify.serving.scoring import BatchPolicy


def test_a_window_is_scored_at_once_while_a_thread_is_free() -> None:
    policy = BatchPolicy(max_batch=64, max_in_flight=2)
    assert policy.submitted() is True
    assert policy.start() == 1
    assert policy.submitted() is True  # the second thread is free too
    assert policy.start() == 1
    assert policy.in_flight == 2


def test_windows_gather_while_every_thread_is_busy_and_the_next_free_one_takes_them_all() -> None:
    policy = BatchPolicy(max_batch=64, max_in_flight=1)
    assert policy.submitted() and policy.start() == 1
    assert [policy.submitted() for _ in range(5)] == [False] * 5
    assert policy.finished() is True
    assert policy.start() == 5
    assert policy.finished() is False and (policy.waiting, policy.in_flight) == (0, 0)


def test_a_call_takes_at_most_max_batch_and_the_rest_follow() -> None:
    policy = BatchPolicy(max_batch=4, max_in_flight=1)
    policy.submitted()
    policy.start()
    for _ in range(10):
        policy.submitted()
    assert policy.finished()
    assert [policy.start(), policy.finished(), policy.start(), policy.finished(), policy.start()] == [
        4, True, 4, True, 2]


@pytest.mark.parametrize(("batch", "in_flight"), [(0, 1), (1, 0)])
def test_limits_must_be_positive(batch: int, in_flight: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BatchPolicy(batch, in_flight)


def test_one_sessions_windows_arrive_together_and_wait_together() -> None:
    policy = BatchPolicy(max_batch=64, max_in_flight=1)
    assert policy.submitted(3) is True
    assert policy.start() == 3  # the call takes all of them, not the first alone
    assert policy.submitted(2) is False
    assert policy.finished() is True and policy.start() == 2
