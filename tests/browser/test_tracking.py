"""Where the demo page finds the hand: on the device (the default), or on the server.

On the device, MediaPipe's HandLandmarker from @mediapipe/tasks-vision runs in
headless Chromium's wasm (CPU delegate), fed by the fake camera at its full
640x480; the page sends ``keypoints`` messages and never a picture. With
``?tracking=server``, or when the tracker's runtime or model cannot load,
the page sends JPEG frames as before and says so. Everything here is
checked on the wire as Chromium saw it, not only as the page reports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from playwright.sync_api import Browser, Page, Playwright, Route, WebSocket
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from signify.recognition.hands import HandSettings, HandTracker

from testkit.hand_drawing import HEIGHT, WIDTH, blank_frame
from testkit.motion_clips import Frames, Framing, drifting_clip, j_clip, spelling_clip
from testkit.video import write_y4m
from tests.server_process import ServerProcess

from .conftest import OpenPage
from .test_demo_page import (
    CHROMIUM,
    DEVICE_WAIT_MS,
    MOTION_HAND_LENGTH,
    launch,
    state,
    wait_for,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"),
]
LETTER = "L"
HELD_FRAMES = 90  # 3 s of the letter, then 2 s without a hand: every loop of the fake camera is a word
AWAY_FRAMES = 60
TRACKER_URLS = {"model": "**/vendor/hand_landmarker.task", "runtime": "**/vendor/tasks-vision/vision_bundle.mjs"}
# The page tracks at the camera's full 640x480: the hand at the length testkit's drawings are tuned at
# (the image path's 260 is for the 320-pixel JPEGs; at 260 both trackers read testkit's E as an O).
DEVICE_HAND_LENGTH = 200.0


@pytest.fixture(scope="module")
def held_frames() -> list[Any]:
    """The letter held while the hand drifts a little, drawn at the size MediaPipe finds in every frame."""
    return drifting_clip(LETTER, Framing(size=MOTION_HAND_LENGTH, seed=5), frames=HELD_FRAMES)


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: pytest.TempPathFactory, held_frames: list[Any]) -> Path:
    path = tmp_path_factory.mktemp("tracking") / f"{LETTER}-then-away.y4m"
    write_y4m(path, [*held_frames, *[blank_frame(5)] * AWAY_FRAMES])
    return path


@pytest.fixture(scope="module")
def python_handedness(held_frames: list[Any]) -> str:
    """What MediaPipe's Python solution, which the protocol follows, calls the drawn hand."""
    with HandTracker(HandSettings(static_image_mode=True, model_complexity=1)) as tracker:
        labels = {observation.handedness for frame in held_frames[::15]
                  if (observation := tracker.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))) is not None}
    assert len(labels) == 1, labels
    return labels.pop()


@pytest.fixture(scope="module")
def browser(playwright: Playwright, camera_file: Path) -> Iterator[Browser]:
    browser = launch(playwright, camera_file)
    yield browser
    browser.close()


class Wire:
    """The page's WebSocket traffic as Chromium saw it, binary frames counted; and every HTTP request it made."""

    def __init__(self, page: Page) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.binary_sent = 0
        self.requests: list[str] = []
        page.on("websocket", self._watch)
        page.on("request", lambda request: self.requests.append(request.url))

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framesent", self._sent)
        socket.on("framereceived", lambda payload: self.received.append(json.loads(payload)))

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.binary_sent += 1
        else:
            self.sent.append(json.loads(payload))

    def fetched(self, name: str) -> bool:
        """Whether the page (or its worker) requested a file of this name."""
        return any(url.rsplit("/", 1)[-1] == name for url in self.requests)

    def sent_of(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.sent if message.get("type") == kind]

    def received_of(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.received if message.get("type") == kind]


def tracking_shown(page: Page) -> dict[str, str]:
    """The mode as the person sees it."""
    notice = page.locator("#tracking-notice")
    return {
        "body": page.evaluate("document.body.dataset.tracking"),
        "text": page.locator("#tracking").inner_text(),
        "notice": notice.inner_text() if notice.is_visible() else "",
        "privacy": page.locator("#privacy").inner_text(),
    }


def test_the_page_tracks_the_hand_itself_sends_keypoints_and_gets_letters(
    server: ServerProcess, open_page: OpenPage, python_handedness: str
) -> None:
    page = open_page()
    wire = Wire(page)
    page.goto(f"http://127.0.0.1:{server.port}/")
    try:
        # The held letter written, then the word ended while no hand is seen, then the letter again.
        shown = wait_for(page, f"s.tracking === 'device' && /{LETTER} +{LETTER}/.test(s.transcript)",
                         timeout_ms=DEVICE_WAIT_MS)
    except PlaywrightTimeoutError:
        pytest.fail(f"no two words of {LETTER}: {state(page)}")

    assert wire.binary_sent == 0 and shown["binaryFramesSent"] == 0, "a picture left the browser"
    keypoints = wire.sent_of("keypoints")
    assert len(keypoints) >= shown["keypointsSent"] >= 20  # the wire may be a frame ahead of the snapshot
    with_hand = [k for k in keypoints if k["landmarks"]]
    without_hand = [k for k in keypoints if not k["landmarks"]]
    assert with_hand and without_hand, "both the held letter and the empty picture are sent"
    for message in keypoints:
        assert set(message) <= {"type", "landmarks", "handedness", "width", "height", "captured"}
        assert (message["width"], message["height"]) == (WIDTH, HEIGHT), "the camera's full resolution"
        assert isinstance(message["captured"], float | int)
        assert ("handedness" in message) == bool(message["landmarks"])
    for message in with_hand:
        assert len(message["landmarks"]) == 21 and all(len(point) == 3 for point in message["landmarks"])
        assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y, _ in message["landmarks"])
    # tasks-vision names the other hand: the page sends what the Python solution would say. Frame by frame
    # that is tests/unit/front_demo/test_keypoints_message.py's to check; here, that it is what reaches the
    # wire. MediaPipe's label for this drawn hand is not certain: on this two-core machine, with the tracker
    # starved, tasks-vision has named it the other hand in 27 of 80 frames (and in none of them when fed the
    # same frames one by one), so the test holds the page to Python's label on most frames, not every one;
    # a page sending tasks-vision's own label would send the other one on most.
    labels = [message["handedness"] for message in with_hand]
    assert labels.count(python_handedness) > len(labels) / 2, "".join(label[0] for label in labels)

    predictions = wire.received_of("prediction")
    assert predictions and all(p["landmarks"] == [] for p in predictions), "the server echoes no landmarks"
    echoed = [p["captured"] for p in predictions]
    assert set(echoed) <= {k["captured"] for k in keypoints} and echoed == sorted(echoed), \
        "answers echo their frames' capture times, in order"
    assert len(echoed) >= len(keypoints) - 2  # one frame in flight, and one the snapshot had not seen
    assert {p["letter"] for p in predictions if p["hand"]} >= {LETTER}
    assert any(not p["hand"] for p in predictions)
    assert shown["errors"] == 0

    # Drawn here at camera rate, shown as on this device, with the capture-to-answer time.
    assert shown["skeletons"] > 0 and shown["trackerResults"] >= shown["keypointsSent"]
    assert shown["trackerThread"] == "worker", "the tracker runs off the page's main thread"
    assert shown["trackerLandmarks"] == "full" and wire.fetched("hand_landmarker.task")
    assert not wire.fetched("hand_landmarker_lite.task")
    assert shown["captureToAnswerMs"] > 0
    # The drawn hand is large: the page never asked to come closer, not once.
    assert shown["framingAsked"] == 0 and shown["framing"] == shown["framingShown"] == "ok"
    assert shown["framingHint"] == ""
    page.wait_for_function("/^\\d+ ms$/.test(document.getElementById('capture-latency').textContent)")
    assert tracking_shown(page) == {
        "body": "device", "text": "tracking on this device", "notice": "",
        "privacy": "Only hand keypoints leave this browser, and only to the Signify server this page connects to.",
    }
    # Nothing but the page's own server was asked for anything: no CDN, no telemetry.
    assert all(url.startswith(f"http://127.0.0.1:{server.port}/") for url in wire.requests), wire.requests


def test_tracking_on_the_server_when_asked_sends_frames_and_loads_no_tracker(
    server: ServerProcess, open_page: OpenPage
) -> None:
    page = open_page()
    wire = Wire(page)
    page.goto(f"http://127.0.0.1:{server.port}/?tracking=server")
    shown = wait_for(page, "s.hands >= 10 && s.transcript.length > 0")

    assert shown["tracking"] == "server" and shown["trackingReason"] == "asked"
    assert wire.binary_sent >= shown["binaryFramesSent"] >= 10
    assert wire.sent_of("keypoints") == [] and shown["keypointsSent"] == 0
    assert LETTER in shown["transcript"]
    assert shown["skeletons"] > 0 and shown["skeletonPixels"] > 0  # the server's landmarks, drawn
    assert not any("/vendor/" in url for url in wire.requests), "the tracker is not even downloaded"
    assert tracking_shown(page) == {
        "body": "server", "text": "tracking on the server", "notice": "",
        "privacy": "Frames go only to the Signify server this page connects to.",
    }
    assert page.locator("#capture-latency").inner_text() == "–"


@pytest.mark.parametrize("missing", sorted(TRACKER_URLS))
def test_a_tracker_that_cannot_load_falls_back_to_the_server_and_says_so(
    server: ServerProcess, open_page: OpenPage, missing: str
) -> None:
    page = open_page()
    wire = Wire(page)

    def not_found(route: Route) -> None:
        route.fulfill(status=404, body="Not found\n")

    page.route(TRACKER_URLS[missing], not_found)
    page.goto(f"http://127.0.0.1:{server.port}/")
    shown = wait_for(page, "s.tracking === 'server' && s.hands >= 5")

    assert shown["trackingReason"] == "unavailable"
    assert wire.sent_of("keypoints") == [] and shown["keypointsSent"] == 0
    assert wire.binary_sent >= shown["binaryFramesSent"] >= 5
    assert shown["errors"] == 0
    seen = tracking_shown(page)
    assert seen["body"] == "server" and seen["text"] == "tracking on the server"
    assert re.search(r"could not load the hand tracker.*Frames are sent instead of keypoints", seen["notice"])
    assert seen["privacy"] == "Frames go only to the Signify server this page connects to."


def signed_clip(word: str) -> Frames:
    """``word`` signed to the camera, then the hand away long enough to end it: every loop is a word of its own."""
    if word == "J":
        # The I handshape held, then its pinky traces the J while the forearm turns.
        return [*j_clip(Framing(size=DEVICE_HAND_LENGTH, seed=3)), *[blank_frame(3)] * 30]
    # Static letters held one after another; the hand leaves the picture between the two Ls.
    return [*spelling_clip(word, Framing(size=DEVICE_HAND_LENGTH, seed=5)), *[blank_frame(5)] * AWAY_FRAMES]


@pytest.mark.parametrize("word", ["J", "HELLO"])
def test_a_word_signed_to_the_page_is_spelled_by_its_own_tracker_with_only_keypoints_sent(
    server: ServerProcess, playwright: Playwright, open_page: OpenPage, tmp_path: Path, word: str
) -> None:
    camera_file = tmp_path / f"{word}.y4m"
    write_y4m(camera_file, signed_clip(word))
    browser = launch(playwright, camera_file)
    try:
        page = open_page(on=browser)
        wire = Wire(page)
        # The lite landmark model, the server's own: testkit draws its hands for it. The page's default, the
        # full one, reads real hands better (docs/demo.md) and misreads the drawn E and the drawn J's turn.
        page.goto(f"http://127.0.0.1:{server.port}/?landmarks=lite")
        # Two loops of the clip spelled whole: the word, then the space the hand's absence writes.
        whole = f"s.transcript.split(/ +/).slice(0, -1).filter((w) => w === '{word}').length >= 2"
        try:
            shown = wait_for(page, f"s.tracking === 'device' && {whole}", timeout_ms=DEVICE_WAIT_MS)
        except PlaywrightTimeoutError:
            now = state(page)
            found = sum(bool(k["landmarks"]) for k in wire.sent_of("keypoints"))
            letters = "".join(p["letter"] or "?" if p["hand"] else "." for p in wire.received_of("prediction"))
            pytest.fail(f"{word} not spelled twice on the device in {DEVICE_WAIT_MS / 1000:.0f} s: transcript "
                        f"{now['transcript']!r}, tracking {now['tracking']!r} ({now['trackingReason']!r}), "
                        f"{now['trackerResults']} tracker results ({now['trackerMs'] or 0:.0f} ms each), "
                        f"hand in {found} of {len(wire.sent_of('keypoints'))} keypoints sent, "
                        f"letters answered (. no hand) {letters[-300:]!r}")

        # Not the first word: the camera ran while the tracker loaded, and its first loop is seen from
        # somewhere in the middle. (Nor need every loop be whole: the transcript counts frames, a starved
        # machine tracks fewer.) HELLO: nothing but its letters. J: never the I it starts from, nor Z (issue
        # 15's bar); under the whole suite the tracker may fall to 10 results a second, and then the drawn
        # hand's last, turned frames held before it leaves can be written as an O after the J.
        later = shown["transcript"].split(" ", 1)[1]
        if word == "J":
            assert not set(later) & set("IZ"), shown["transcript"]
        else:
            assert set(later) <= {*word, " "}, shown["transcript"]

        # Found on the device and sent as keypoints: not one picture, nothing but keypoints.
        assert wire.binary_sent == 0 and shown["binaryFramesSent"] == 0, "a picture left the browser"
        assert {message["type"] for message in wire.sent} == {"keypoints"}
        keypoints = wire.sent_of("keypoints")
        assert len(keypoints) >= shown["keypointsSent"] > 0
        assert all((k["width"], k["height"]) == (WIDTH, HEIGHT) for k in keypoints)
        assert all(k["handedness"] in ("Left", "Right") for k in keypoints if k["landmarks"])
        predictions = wire.received_of("prediction")
        assert set(word) <= {p["letter"] for p in predictions if p["hand"]}
        assert shown["tracking"] == "device" and shown["trackerThread"] == "worker" and shown["errors"] == 0
        assert shown["trackerLandmarks"] == "lite" and wire.fetched("hand_landmarker_lite.task")
    finally:
        browser.close()
