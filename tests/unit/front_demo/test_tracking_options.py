"""The page's HandLandmarker options (front_demo/tracking.js, read under node) are the server's MediaPipe settings.

The page tracks the hand as the server would, so that a letter reads the same either way: one hand, the palm
detector's threshold the server searches with, the landmark model's presence threshold the server tracks
with (tasks-vision's presence and tracking thresholds both stand for the Python solution's tracking one). Node
20 is part of the project's set-up: without it this test fails, it does not skip.
"""

from __future__ import annotations

import json
from pathlib import Path

from signify.config import Settings
from signify.recognition.hands import HandSettings

from tests.node import run_node

FRONT_DEMO = Path(__file__).resolve().parents[3] / "front_demo"


def page_options() -> dict[str, object]:
    script = 'import("./tracking.js").then((m) => console.log(JSON.stringify(m.TRACKER_OPTIONS)))'
    options: dict[str, object] = json.loads(run_node(["--input-type=module", "-e", script],
                                                     "front_demo/tracking.js cannot be read", cwd=FRONT_DEMO))
    return options


def test_the_page_detects_and_tracks_with_the_servers_thresholds() -> None:
    server = Settings.from_env({})
    assert (server.mediapipe_min_detection_confidence, server.mediapipe_min_tracking_confidence) == (
        HandSettings().min_detection_confidence, HandSettings().min_tracking_confidence)
    assert page_options() == {
        "runningMode": "VIDEO",
        "numHands": 1,
        "minHandDetectionConfidence": server.mediapipe_min_detection_confidence,
        "minHandPresenceConfidence": server.mediapipe_min_tracking_confidence,
        "minTrackingConfidence": server.mediapipe_min_tracking_confidence,
    }
