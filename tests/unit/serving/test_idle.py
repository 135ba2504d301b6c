"""The idle policy: only the wait for a message counts, and the timer is asked again no earlier than it could expire."""

import pytest
from signify.serving.idle import IdleWatch


def test_a_wait_expires_after_the_timeout_and_not_before() -> None:
    watch = IdleWatch(60.0)
    watch.waiting(100.0)
    assert not watch.expired(159.9)
    assert watch.expired(160.0)


def test_a_message_starts_the_wait_again() -> None:
    watch = IdleWatch(60.0)
    watch.waiting(100.0)
    watch.heard()
    watch.waiting(150.0)
    assert not watch.expired(200.0)
    assert watch.expired(210.0)


def test_time_spent_on_a_message_is_not_idle() -> None:
    watch = IdleWatch(60.0)
    watch.waiting(100.0)
    watch.heard()  # then busy for ten minutes (a slow client's send)
    assert not watch.expired(700.0)


def test_the_next_check_is_when_the_current_wait_could_expire() -> None:
    watch = IdleWatch(60.0)
    assert watch.next_check(10.0) == 70.0  # not waiting yet: no wait can end before a full timeout
    watch.waiting(20.0)
    assert watch.next_check(30.0) == 80.0
    watch.heard()
    watch.waiting(50.0)  # a message came in between: the first check finds nothing, and looks again at 110
    assert not watch.expired(80.0)
    assert watch.next_check(80.0) == 110.0
    assert watch.expired(110.0)


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError):
        IdleWatch(0.0)
