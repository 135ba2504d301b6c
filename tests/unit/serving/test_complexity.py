"""The full MediaPipe model while few image sessions share the machine, the lite one as soon as more do."""

from __future__ import annotations

from signify.serving.complexity import FULL, LITE, ComplexityPolicy


def test_the_full_model_while_at_most_the_limit_are_open() -> None:
    policy = ComplexityPolicy(full_up_to=2, settle_s=10.0)
    assert policy.complexity(0.0) == FULL
    for count in (1, 2, 1, 2):
        policy.update(count, 1.0)
        assert policy.complexity(1.0) == FULL


def test_one_session_over_the_limit_switches_every_session_to_the_fast_model_at_once() -> None:
    policy = ComplexityPolicy(full_up_to=2, settle_s=10.0)
    policy.update(3, 5.0)
    assert policy.complexity(5.0) == LITE
    policy.update(9, 6.0)
    assert policy.complexity(100.0) == LITE  # still over the limit, however long


def test_back_to_the_full_model_only_after_the_count_stayed_low_for_the_settle_time() -> None:
    policy = ComplexityPolicy(full_up_to=2, settle_s=10.0)
    policy.update(3, 0.0)
    assert policy.full_again_at() is None
    policy.update(2, 4.0)
    assert policy.full_again_at() == 14.0
    assert policy.complexity(13.9) == LITE
    assert policy.complexity(14.0) == FULL
    assert policy.full_again_at() is None


def test_a_camera_that_reconnects_restarts_the_wait() -> None:
    policy = ComplexityPolicy(full_up_to=2, settle_s=10.0)
    policy.update(3, 0.0)
    policy.update(2, 1.0)
    policy.update(3, 8.0)  # back before the wait was over
    policy.update(2, 9.0)
    assert policy.complexity(18.0) == LITE
    assert policy.complexity(19.0) == FULL


def test_counts_that_stay_low_do_not_restart_the_wait() -> None:
    policy = ComplexityPolicy(full_up_to=2, settle_s=10.0)
    policy.update(3, 0.0)
    policy.update(2, 1.0)
    policy.update(1, 6.0)
    policy.update(2, 9.0)
    assert policy.complexity(11.0) == FULL


def test_a_limit_of_zero_never_uses_the_full_model() -> None:
    policy = ComplexityPolicy(full_up_to=0, settle_s=0.0)
    assert policy.complexity(0.0) == LITE
    policy.update(0, 1.0)
    assert policy.complexity(100.0) == LITE
    policy.update(1, 101.0)
    assert policy.complexity(200.0) == LITE
    assert policy.full_again_at() is None
