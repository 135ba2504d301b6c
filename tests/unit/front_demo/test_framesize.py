"""The demo page's frame size for the server's tracker (front_demo/framesize.js, run under node).

Full-size frames (the camera's, up to 640 pixels) while the server has found no hand or a
small one, 320-pixel frames only after it has answered a large hand for a while, and back to
full size as soon as the hand is small again or gone for a few answers. Node 20 is part of
the project's set-up (``make setup`` runs npm): without it this test fails, it does not skip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.node import run_runner

REPO = Path(__file__).resolve().parents[3]
FRAMESIZE_JS = REPO / "front_demo" / "framesize.js"
RUNNER = Path(__file__).with_name("framesize_runner.mjs")
ASPECT = 640 / 480
FULL, SMALL = 640, 320

Step = dict[str, Any] | str


def hand(height: float, aspect: float = ASPECT) -> Step:
    """An answer with a hand in the frame's centre whose box is ``height`` frame heights tall and half as wide."""
    cx, cy = 0.5, 0.5
    width = height / 2 / aspect  # in frame widths
    points = [[cx - width / 2 + width * (i % 5) / 4, cy - height / 2 + height * (i // 5) / 4] for i in range(20)]
    points.append([cx, cy + height / 2])
    return {"landmarks": points, "aspect": aspect}


NO_HAND: Step = {"landmarks": None, "aspect": ASPECT}


def run(sequences: list[list[Step]], boxes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return run_runner(RUNNER, {"module": str(FRAMESIZE_JS), "sequences": sequences, "boxes": boxes or []},
                      "front_demo/framesize.js cannot be run")


@pytest.fixture(scope="module")
def constants() -> dict[str, float]:
    found: dict[str, float] = run([])["constants"]
    return found


def sizes(*steps: Step) -> list[int]:
    found: list[int] = run([list(steps)])["sizes"][0]
    return found


def test_the_constants_are_the_documented_ones(constants: dict[str, float]) -> None:
    assert constants["FULL_LONG_SIDE"] == FULL
    assert constants["SMALL_LONG_SIDE"] == SMALL
    assert constants["SMALL_HAND"] < constants["LARGE_HAND"]


def test_frames_start_full_size_and_stay_so_without_a_hand() -> None:
    assert sizes(NO_HAND, NO_HAND, NO_HAND) == [FULL] * 3


def test_a_small_hand_keeps_full_size_frames() -> None:
    small = hand(0.15)  # a webcam's 70 px hand in 480
    assert sizes(*[small] * 60) == [FULL] * 60


def test_a_large_hand_shrinks_the_frames_only_after_a_while(constants: dict[str, float]) -> None:
    wait = int(constants["LARGE_ANSWERS"])
    large = hand(0.6)
    assert sizes(*[large] * (wait + 5)) == [FULL] * (wait - 1) + [SMALL] * 6


def test_a_large_hand_interrupted_by_a_middling_one_starts_its_wait_again(constants: dict[str, float]) -> None:
    wait = int(constants["LARGE_ANSWERS"])
    middle = hand((constants["SMALL_HAND"] + constants["LARGE_HAND"]) / 2)
    steps = [hand(0.6)] * (wait - 1) + [middle] + [hand(0.6)] * wait
    assert sizes(*steps) == [FULL] * (2 * wait - 1) + [SMALL]


def test_a_middling_hand_keeps_the_size_it_has(constants: dict[str, float]) -> None:
    wait = int(constants["LARGE_ANSWERS"])
    middle = hand((constants["SMALL_HAND"] + constants["LARGE_HAND"]) / 2)
    assert sizes(*[hand(0.6)] * wait, *[middle] * 30)[-1] == SMALL
    assert sizes(*[middle] * 30)[-1] == FULL


def test_a_hand_turning_small_gets_full_frames_at_once(constants: dict[str, float]) -> None:
    wait = int(constants["LARGE_ANSWERS"])
    found = sizes(*[hand(0.6)] * wait, hand(0.2))
    assert found[-2:] == [SMALL, FULL]


def test_a_hand_missed_once_or_twice_keeps_small_frames_and_a_lost_one_does_not(constants: dict[str, float]) -> None:
    wait, lost = int(constants["LARGE_ANSWERS"]), int(constants["LOST_ANSWERS"])
    large = [hand(0.6)] * wait
    assert sizes(*large, *[NO_HAND] * (lost - 1), hand(0.6))[-lost:] == [SMALL] * lost
    assert sizes(*large, *[NO_HAND] * lost)[-1] == FULL
    # ...and the large hand found again waits its while once more.
    assert sizes(*large, *[NO_HAND] * lost, *[hand(0.6)] * (wait - 1))[-1] == FULL


def test_a_new_session_starts_full_size(constants: dict[str, float]) -> None:
    wait = int(constants["LARGE_ANSWERS"])
    assert sizes(*[hand(0.6)] * wait, "reset") == [FULL] * (wait - 1) + [SMALL, FULL]


def test_an_answer_with_no_landmarks_is_no_hand(constants: dict[str, float]) -> None:
    wait, lost = int(constants["LARGE_ANSWERS"]), int(constants["LOST_ANSWERS"])
    empty = {"landmarks": [], "aspect": ASPECT}
    assert sizes(*[hand(0.6)] * wait, *[empty] * lost)[-1] == FULL


def test_the_hand_is_measured_by_its_longer_side_in_frame_heights() -> None:
    tall = {"landmarks": [[0.4, 0.2], [0.45, 0.7]], "aspect": ASPECT}  # 0.5 high, 0.05 x 4/3 wide
    wide = {"landmarks": [[0.2, 0.4], [0.5, 0.45]], "aspect": ASPECT}  # 0.3 wide: 0.4 heights
    portrait = {"landmarks": [[0.2, 0.4], [0.5, 0.45]], "aspect": 0.75}  # 0.3 wide: 0.225 heights
    heights = run([], boxes=[tall, wide, portrait])["heights"]
    assert heights == pytest.approx([0.5, 0.4, 0.225])
