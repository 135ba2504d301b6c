"""Seat counting: a keypoint seat for every session, an image seat from its first image; per-client caps across both."""

from __future__ import annotations

from signify.serving.seats import Refusal, Seats


def test_the_keypoint_cap_refuses_new_sessions_with_capacity() -> None:
    seats = Seats(images=1, keypoints=2, per_client=0)
    assert seats.take("a") is None
    assert seats.take("b") is None
    assert seats.take("c") is Refusal.CAPACITY
    assert (seats.in_use, seats.keypoints_in_use, seats.images_in_use) == (2, 2, 0)
    assert seats.keypoints_full and not seats.images_full


def test_a_first_image_moves_the_session_to_an_image_seat_while_there_is_one() -> None:
    seats = Seats(images=1, keypoints=3, per_client=0)
    assert seats.take("a") is None and seats.take("b") is None
    assert seats.upgrade("a") is None
    assert (seats.keypoints_in_use, seats.images_in_use) == (1, 1)
    assert seats.upgrade("b") is Refusal.IMAGE_CAPACITY
    assert (seats.keypoints_in_use, seats.images_in_use) == (1, 1)  # a refused upgrade changes nothing
    # The image session's old keypoint seat is free for a new session.
    assert [seats.take(client) for client in "cde"] == [None, None, Refusal.CAPACITY]


def test_the_per_client_cap_counts_both_kinds_and_refuses_only_that_client() -> None:
    seats = Seats(images=10, keypoints=10, per_client=2)
    assert seats.take("a") is None
    assert seats.upgrade("a") is None
    assert [seats.take("a") for _ in range(2)] == [None, Refusal.PER_CLIENT]
    assert seats.take("b") is None
    assert (seats.held_by("a"), seats.held_by("b"), seats.in_use) == (2, 1, 3)


def test_a_released_seat_can_be_taken_again_of_the_kind_it_was() -> None:
    seats = Seats(images=1, keypoints=1, per_client=1)
    assert seats.take("a") is None
    assert seats.upgrade("a") is None
    assert seats.take("b") is None
    assert seats.upgrade("b") is Refusal.IMAGE_CAPACITY
    seats.release("a", images=True)
    assert (seats.in_use, seats.held_by("a")) == (1, 0)
    assert seats.upgrade("b") is None
    seats.release("b", images=True)
    assert seats.in_use == 0


def test_zero_per_client_means_no_per_client_limit() -> None:
    seats = Seats(images=1, keypoints=5, per_client=0)
    assert [seats.take("a") for _ in range(6)] == [None] * 5 + [Refusal.CAPACITY]


def test_refusals_carry_a_metric_label_and_a_close_reason() -> None:
    assert (Refusal.CAPACITY.value, Refusal.CAPACITY.reason) == ("capacity", "at capacity, try again later")
    assert Refusal.PER_CLIENT.value == "per_client"
    assert "this client" in Refusal.PER_CLIENT.reason
    assert Refusal.IMAGE_CAPACITY.value == "image_capacity"
    assert "track the hand on the device" in Refusal.IMAGE_CAPACITY.reason
