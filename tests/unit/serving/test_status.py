"""ServiceStatus: when /ready says yes, and what /health says about it."""

from __future__ import annotations

from signify.recognition.model import ModelCard
from signify.serving.status import ServiceStatus


def warm(max_sessions: int = 2, max_keypoint_sessions: int = 3) -> ServiceStatus:
    status = ServiceStatus(max_sessions=max_sessions, max_keypoint_sessions=max_keypoint_sessions)
    status.model = ModelCard(name="asl-lstm", version="3.1.0", labels=tuple("AB"), outputs_probabilities=True)
    status.warmed_up = True
    return status


def test_a_warm_replica_with_a_free_seat_is_ready() -> None:
    status = warm()
    status.sessions = 1
    assert status.ready and not status.full
    assert status.health()["status"] == "ok" and status.health()["max_sessions"] == 2


def test_a_replica_whose_image_seats_are_all_taken_is_not_ready_until_one_frees() -> None:
    status = warm()
    status.sessions = status.image_sessions = 2
    assert status.full and not status.ready
    assert status.health()["status"] == "full" and status.health()["ready"] is False
    status.sessions = status.image_sessions = 1
    assert status.ready and status.health()["status"] == "ok"


def test_a_replica_whose_keypoint_seats_are_all_taken_is_not_ready_either() -> None:
    status = warm()
    status.sessions, status.image_sessions = 4, 1  # three keypoint sessions, one image session
    assert status.full and not status.ready
    status.sessions = 3
    assert status.ready


def test_not_warm_or_draining_is_not_ready_whatever_the_seats() -> None:
    cold = ServiceStatus(max_sessions=2)
    assert not cold.ready and cold.health()["status"] == "starting"
    draining = warm()
    draining.draining = True
    draining.sessions = draining.image_sessions = 2
    assert not draining.ready and draining.health()["status"] == "draining"


def test_no_known_cap_is_never_full() -> None:
    status = warm(max_sessions=0, max_keypoint_sessions=0)
    status.sessions = status.image_sessions = 1000
    assert status.ready and not status.full
