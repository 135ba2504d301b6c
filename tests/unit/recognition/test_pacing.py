"""The frame pacer: a frame stands for the model frames (1/30 s) since the last one on the client's clock."""

from __future__ import annotations

import pytest
from signify.recognition.pacing import MAX_FILL, FramePacer


def paced(rate: float, frames: int, pacer: FramePacer | None = None, start: float = 0.0) -> list[int]:
    """The ticks granted to ``frames`` frames captured and arriving at ``rate`` a second."""
    pacer = pacer or FramePacer()
    return [pacer.ticks(start + 1000.0 * i / rate, start / 1000.0 + i / rate) for i in range(frames)]


def test_a_stream_at_the_models_rate_is_taken_frame_for_frame() -> None:
    assert paced(30.0, 90) == [1] * 90


@pytest.mark.parametrize("rate", [27.0, 20.0, 15.0, 12.0, 10.0, 6.0])
def test_a_slower_stream_stands_for_thirty_frames_a_second(rate: float) -> None:
    ticks = paced(rate, int(10 * rate) + 1)
    assert abs(sum(ticks[1:]) - 300) <= 1  # ten seconds of the client's clock
    assert max(ticks) <= round(30.0 / rate) + 1  # spread evenly, not in bursts


def test_half_the_rate_doubles_every_frame() -> None:
    assert paced(15.0, 8) == [1, 2, 2, 2, 2, 2, 2, 2]


def test_a_faster_stream_is_still_one_a_frame_and_builds_no_debt() -> None:
    pacer = FramePacer()
    assert paced(60.0, 120, pacer) == [1] * 120
    # Slowing down afterwards is counted from then on, not paid back against the fast second.
    assert paced(15.0, 5, pacer, start=119 * 1000 / 60 + 1000 / 15) == [2] * 5


def test_jitter_around_thirty_a_second_averages_out() -> None:
    pacer = FramePacer()
    times = [33.3 * i + (8.0 if i % 2 else -8.0) for i in range(300)]
    ticks = [pacer.ticks(t, t / 1000.0) for t in times]
    assert abs(sum(ticks[1:]) - 299) <= 2
    assert max(ticks) <= 2


def test_frames_without_a_capture_time_stand_for_one() -> None:
    pacer = FramePacer()
    assert [pacer.ticks(None, i / 10.0) for i in range(10)] == [1] * 10
    # A capture time after frames without one has nothing to be measured from.
    assert pacer.ticks(5000.0, 1.0) == 1
    assert pacer.ticks(5100.0, 1.1) == 3


def test_a_pause_is_not_filled() -> None:
    pacer = FramePacer()
    assert pacer.ticks(0.0, 0.0) == 1
    assert pacer.ticks(2000.0, 2.0) == 1  # two seconds: a stalled tracker or a hidden tab
    assert pacer.ticks(2000.0 + 1000 / 15, 2.0 + 1 / 15) == 2
    assert pacer.ticks(2000.0 + 1000 / 15 + (MAX_FILL + 1) * 1000 / 30, 3.0) == MAX_FILL + 1  # the longest gap filled


def test_a_clock_that_goes_back_or_is_not_a_number_measures_no_gap() -> None:
    pacer = FramePacer()
    assert [pacer.ticks(t, i / 15) for i, t in enumerate([1000.0, 1066.7, 500.0, 566.7, float("nan"), 700.0])] == [
        1, 2, 1, 2, 1, 1]


def test_a_capture_clock_that_runs_ahead_of_the_arrivals_is_held_to_them() -> None:
    # A client claiming 8 frames between messages sent 30 a second would cost the model 8 windows a message.
    pacer = FramePacer()
    ticks = [pacer.ticks(i * 8 * 1000 / 30, i / 30) for i in range(300)]
    assert sum(ticks) <= 300 + MAX_FILL + 1  # ten seconds of arrivals, and the budget it started with
    # An honest stream at 10 a second from the same budget gets its three a frame.
    assert [pacer.ticks(1e5 + i * 100.0, 10.0 + i / 10) for i in range(1, 6)] == [1, 3, 3, 3, 3]


def test_reset_forgets_the_clock() -> None:
    pacer = FramePacer()
    paced(15.0, 3, pacer)
    pacer.reset()
    assert pacer.ticks(9000.0, 9.0) == 1


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        FramePacer(fps=0.0)
    with pytest.raises(ValueError):
        FramePacer(max_fill=-1)


def test_resets_do_not_refill_the_budget() -> None:
    # A reset forgets the client's clock, not what the arrivals allowed: reset, a frame, one claiming a 300 ms
    # gap, thirty times a second, would otherwise cost nine frames a message.
    pacer = FramePacer()
    ticks = 0
    for i in range(30):
        pacer.reset()
        ticks += pacer.ticks(1000.0 * i, i / 30)
        ticks += pacer.ticks(1000.0 * i + 300.0, i / 30 + 0.001)
    assert ticks <= 60 + MAX_FILL + 1  # a frame each, and the budget of one second of arrivals


def test_a_frame_not_to_be_filled_is_one_and_still_sets_the_clock() -> None:
    # After frames the server dropped: the frame stands for one, and the next is measured from it.
    pacer = FramePacer()
    assert pacer.ticks(0.0, 0.0) == 1
    assert pacer.ticks(200.0, 0.2, fill=False) == 1
    assert pacer.ticks(200.0 + 1000 / 15, 0.2 + 1 / 15) == 2
