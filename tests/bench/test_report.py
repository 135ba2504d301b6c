"""The sweeps' stopping rule: two steps in a row over capacity end a sweep, one does not."""

from __future__ import annotations

from bench.report import past_capacity


def steps(*within: bool) -> list[dict[str, bool]]:
    return [{"within_capacity_rule": ok} for ok in within]


def test_a_sweep_stops_after_two_misses_in_a_row_only() -> None:
    assert not past_capacity(steps())
    assert not past_capacity(steps(False))
    assert not past_capacity(steps(True, False))
    assert not past_capacity(steps(False, True))
    assert not past_capacity(steps(False, True, False))
    assert past_capacity(steps(True, False, False))
    assert past_capacity(steps(False, False))
