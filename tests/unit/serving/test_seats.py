"""Seat counting: the total cap comes first, then the per-client cap; 0 means no per-client cap."""

from __future__ import annotations

from signify.serving.seats import Refusal, Seats


def test_the_total_cap_refuses_with_capacity() -> None:
    seats = Seats(total=2, per_client=0)
    assert seats.take("a") is None
    assert seats.take("b") is None
    assert seats.take("c") is Refusal.CAPACITY
    assert seats.in_use == 2


def test_the_per_client_cap_refuses_only_that_client() -> None:
    seats = Seats(total=10, per_client=2)
    assert [seats.take("a") for _ in range(3)] == [None, None, Refusal.PER_CLIENT]
    assert seats.take("b") is None
    assert (seats.held_by("a"), seats.held_by("b"), seats.in_use) == (2, 1, 3)


def test_a_released_seat_can_be_taken_again() -> None:
    seats = Seats(total=1, per_client=1)
    assert seats.take("a") is None
    assert seats.take("b") is Refusal.CAPACITY
    seats.release("a")
    assert (seats.in_use, seats.held_by("a")) == (0, 0)
    assert seats.take("b") is None


def test_zero_per_client_means_no_per_client_limit() -> None:
    seats = Seats(total=5, per_client=0)
    assert [seats.take("a") for _ in range(6)] == [None] * 5 + [Refusal.CAPACITY]


def test_refusals_carry_a_metric_label_and_a_close_reason() -> None:
    assert (Refusal.CAPACITY.value, Refusal.CAPACITY.reason) == ("capacity", "at capacity, try again later")
    assert Refusal.PER_CLIENT.value == "per_client"
    assert "this client" in Refusal.PER_CLIENT.reason
