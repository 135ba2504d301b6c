"""The demo page's advice to come closer (front_demo/framing.js, run under node).

While the hands the page tracks (on the device or on the server) are small in the picture, it asks the
signer to come closer; it stops once they are large enough, and says nothing about a hand it does not
see. Between the two thresholds it keeps what it says. Node 20 is part of the project's set-up: without
it this test fails, it does not skip.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from tests.node import run_runner

REPO = Path(__file__).resolve().parents[3]
FRAMING_JS = REPO / "front_demo" / "framing.js"
RUNNER = Path(__file__).with_name("framing_runner.mjs")
ASPECT = 640 / 480
# The bench's real hands, by their palm size over the frame's longer side (medians over the tracked frames of
# bench.webcam_motion's J, Z, drifting and HELLO clips at 50, 70 and 100 px in 640 x 480).
BENCH_50, BENCH_70, BENCH_100 = 0.036, 0.051, 0.074

Step = dict[str, Any] | str
NO_HAND: Step = {"landmarks": None, "aspect": ASPECT}


def hand(palm: float, aspect: float = ASPECT, fingers: float = 1.2) -> Step:
    """A tracked hand, upright in the frame, whose four knuckles are each ``palm`` of the frame's longer side from its
    wrist and whose fingers reach ``fingers`` palms beyond them (MediaPipe's 21 landmarks, normalized to the frame)."""
    wrist = (0.5, 0.7)
    points = [[*wrist]]
    in_heights = palm * max(aspect, 1.0)
    for finger, degrees in enumerate((-40, -15, 0, 15, 35)):  # thumb, then index to pinky
        angle = math.radians(degrees)
        for joint in range(1, 5):
            reach = in_heights * (joint / 4 if finger == 0 else 1 + fingers * (joint - 1) / 3)
            points.append([wrist[0] + reach * math.sin(angle) / aspect, wrist[1] - reach * math.cos(angle)])
    return {"landmarks": points, "aspect": aspect}


def run(sequences: list[list[Step]], palms: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return run_runner(RUNNER, {"module": str(FRAMING_JS), "sequences": sequences, "palms": palms or []},
                      "front_demo/framing.js cannot be run")


@pytest.fixture(scope="module")
def constants() -> dict[str, float]:
    return dict(run([])["constants"])


def advice(*steps: Step) -> list[bool]:
    return list(run([list(steps)])["advice"][0])


def test_the_thresholds_part_the_bench_sizes(constants: dict[str, float]) -> None:
    assert BENCH_70 < constants["CLOSER_BELOW"] < constants["CLOSE_ENOUGH"] < BENCH_100
    assert constants["FOUND_FRAMES"] < constants["RECENT_FRAMES"]


def test_no_advice_before_a_hand_and_without_one() -> None:
    assert advice(*[NO_HAND] * 100) == [False] * 100


@pytest.mark.parametrize("size", [BENCH_50, BENCH_70])
def test_a_small_hand_is_asked_closer_once_enough_frames_hold_it(constants: dict[str, float], size: float) -> None:
    found = int(constants["FOUND_FRAMES"])
    assert advice(*[hand(size)] * (found + 3)) == [False] * (found - 1) + [True] * 4


@pytest.mark.parametrize("size", [BENCH_100, 0.15, 0.3])
def test_a_hand_large_enough_is_never_asked(size: float) -> None:
    assert not any(advice(*[hand(size)] * 90))


def test_a_small_hand_found_only_now_and_then_is_asked(constants: dict[str, float]) -> None:
    # MediaPipe finds a 50 px hand in flickers: one frame in five here.
    steps = ([hand(BENCH_50)] + [NO_HAND] * 4) * (int(constants["RECENT_FRAMES"]) // 5)
    assert advice(*steps)[-1] is True


def test_the_advice_goes_once_the_hand_comes_close_enough(constants: dict[str, float]) -> None:
    recent = int(constants["RECENT_FRAMES"])
    found = advice(*[hand(BENCH_50)] * recent, *[hand(BENCH_100)] * recent)
    assert found[recent - 1] is True
    # The median of the recent hands crosses over once more than half of them are the near one.
    assert found[recent + recent // 2 - 1] is True
    assert found[recent + recent // 2 + 1] is False
    assert found[-1] is False


def test_a_hand_between_the_thresholds_keeps_the_advice_as_it_is(constants: dict[str, float]) -> None:
    between = hand((constants["CLOSER_BELOW"] + constants["CLOSE_ENOUGH"]) / 2)
    recent = int(constants["RECENT_FRAMES"])
    assert advice(*[hand(BENCH_70)] * recent, *[between] * 3 * recent)[-1] is True
    assert advice(*[hand(BENCH_100)] * recent, *[between] * 3 * recent)[-1] is False


def test_a_hand_gone_from_every_recent_frame_ends_the_advice(constants: dict[str, float]) -> None:
    recent = int(constants["RECENT_FRAMES"])
    found = advice(*[hand(BENCH_70)] * recent, *[NO_HAND] * recent)
    assert found[recent - 1] is True
    assert found[-2] is True  # one recent frame still holds the small hand
    assert found[-1] is False


def test_a_few_large_detections_do_not_end_it(constants: dict[str, float]) -> None:
    # A small hand read large now and then (another hand found, a landmark thrown wide) leaves the median.
    recent = int(constants["RECENT_FRAMES"])
    steps = [hand(BENCH_70)] * recent + ([hand(0.25)] + [hand(BENCH_70)] * 2) * recent
    assert all(advice(*steps)[recent - 1:])


def test_the_hand_is_measured_by_its_palm_over_the_frames_longer_side(constants: dict[str, float]) -> None:
    below, enough = constants["CLOSER_BELOW"], constants["CLOSE_ENOUGH"]
    # A fist and an open hand of the same palm: the fingers do not count.
    assert advice(*[hand(below * 0.95, fingers=0.0)] * 10)[-1] is True
    assert advice(*[hand(below * 0.95, fingers=2.0)] * 10)[-1] is True
    assert advice(*[hand(enough * 1.05, fingers=0.0)] * 10)[-1] is False
    # A portrait frame (3:4), whose longer side is its height: the same palm gets the same answer.
    assert advice(*[hand(below * 0.95, aspect=3 / 4)] * 10)[-1] is True
    assert advice(*[hand(enough * 1.05, aspect=3 / 4)] * 10)[-1] is False


def test_palm_size_is_the_mean_wrist_to_knuckle_distance_over_the_longer_side() -> None:
    # Wrist at the origin; knuckles 0.1 and 0.3 frame heights away in a 2:1 frame (0.05 of its width is 0.1 of its
    # height): 0.2 heights on average, 0.1 of the longer side.
    landmarks = [[0.0, 0.0] for _ in range(21)]
    landmarks[5], landmarks[9], landmarks[13], landmarks[17] = [0.05, 0.0], [0.0, 0.1], [0.0, 0.3], [0.15, 0.0]
    assert run([], palms=[{"landmarks": landmarks, "aspect": 2.0}, {"landmarks": landmarks, "aspect": 0.5}])[
        "palms"] == pytest.approx([0.1, 0.125])  # 3:4 the other way: 0.025, 0.1, 0.3 and 0.075 heights


@pytest.mark.parametrize("malformed", [
    [[0.5, 0.5]] * 20,  # a point short
    [[0.5, 0.5]] * 20 + [None],
    [[0.5, 0.5]] * 20 + [[0.5]],
    [[0.5, None]] * 21,
    [[0.5, "0.5"]] * 21,
    "landmarks",
])
def test_malformed_landmarks_are_no_hand(malformed: Any) -> None:
    small = hand(BENCH_50)
    assert run([], palms=[{"landmarks": malformed, "aspect": ASPECT}])["palms"] == [None]
    assert not any(advice(*[{"landmarks": malformed, "aspect": ASPECT}] * 60))
    # Among small hands they count as frames without one: the advice stays.
    assert advice(*[small, {"landmarks": malformed, "aspect": ASPECT}] * 40)[-1] is True


def test_reset_forgets_the_hands_seen(constants: dict[str, float]) -> None:
    found = int(constants["FOUND_FRAMES"])
    steps = [hand(BENCH_50)] * found + ["reset"] + [hand(BENCH_50)] * (found - 1)
    assert advice(*steps) == [False] * (found - 1) + [True, False] + [False] * (found - 1)
