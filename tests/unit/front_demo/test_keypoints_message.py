"""The page's ``keypoints`` message for one tracker result (front_demo/tracking.js's keypointsMessage, under node).

tasks-vision names the hand as it appears in the picture, MediaPipe's Python solution (which the protocol
follows) the other one: the page swaps the label, frame by frame, and the server's own parser takes the message
as that hand. The browser tests check that this reaches the wire from a live camera; this checks each label.
Node 20 is part of the project's set-up: without it this test fails, it does not skip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from signify.serving.protocol import KeypointsMessage, parse_message

from tests.node import run_node

FRONT_DEMO = Path(__file__).resolve().parents[3] / "front_demo"
HAND = [{"x": 0.3 + 0.01 * i, "y": 0.6 - 0.012 * i, "z": -0.001 * i} for i in range(21)]


def page_message(result: dict[str, Any]) -> dict[str, Any]:
    """What the page sends for this tasks-vision result on a 640x480 frame captured at 1234.5 ms."""
    script = ('import("./tracking.js").then((m) => console.log(JSON.stringify('
              f'm.keypointsMessage({json.dumps(result)}, 640, 480, 1234.5))))')
    message: dict[str, Any] = json.loads(run_node(["--input-type=module", "-e", script],
                                                  "front_demo/tracking.js cannot be read", cwd=FRONT_DEMO))
    return message


def labelled(category: str) -> list[list[dict[str, Any]]]:
    return [[{"categoryName": category, "displayName": category, "score": 0.97, "index": 0}]]


@pytest.mark.parametrize(("tasks_vision", "python"), [("Left", "Right"), ("Right", "Left")])
def test_the_page_sends_the_python_solutions_name_for_the_hand(tasks_vision: str, python: str) -> None:
    message = page_message({"landmarks": [HAND], "handedness": labelled(tasks_vision)})

    assert message["handedness"] == python
    parsed = parse_message(json.dumps(message), next_id=7, max_image_bytes=1)
    assert isinstance(parsed, KeypointsMessage)
    assert parsed.handedness == python
    expected = np.array([[p["x"], p["y"], p["z"]] for p in HAND], dtype=np.float32)
    assert parsed.landmarks is not None and np.allclose(parsed.landmarks, expected, atol=1e-4)  # rounded for the wire, not moved


def test_older_tasks_vision_results_name_the_hand_under_handednesses() -> None:
    assert page_message({"landmarks": [HAND], "handednesses": labelled("Left")})["handedness"] == "Right"


def test_a_hand_without_a_label_is_sent_without_one_rather_than_guessed() -> None:
    message = page_message({"landmarks": [HAND], "handedness": []})

    assert "handedness" not in message and len(message["landmarks"]) == 21


def test_no_hand_is_sent_as_no_landmarks_and_no_label() -> None:
    assert page_message({"landmarks": [], "handedness": []}) == {
        "type": "keypoints", "landmarks": [], "width": 640, "height": 480, "captured": 1234.5}
