"""The demo page in Debian's headless Chromium, against the real server and the shipped model.

Chromium's fake camera plays a Y4M video of the drawn hand from testkit, so
the page's whole path runs for real: getUserMedia, the hand tracked on the
device (MediaPipe's tasks-vision in Chromium's wasm) and keypoints over the
WebSocket, or with ``?tracking=server`` downscaled JPEG frames and MediaPipe
on the server, the model on the server, and the answers shown on the page
(tests/browser/test_tracking.py looks at the two paths themselves). The page exposes its state as data attributes (see
front_demo/view.js and front_demo/calibration.js) and as ``window.signify``;
the tests read those, and what went over the socket as Chromium saw it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Playwright, WebSocket, WebSocketRoute
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from signify.recognition.imageheaders import read_image_size
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.process import free_port
from testkit.hand_drawing import blank_frame
from testkit.motion_clips import Framing, drifting_clip, j_clip, z_clip
from testkit.video import write_y4m
from tests.server_process import ServerProcess

from .conftest import VIEWPORT, OpenPage

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium "
                       "(.ci/run installs it: apt-get install chromium)"),
]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--disable-sync", "--use-fake-device-for-media-stream",
]
TOKEN = "browser-test-token"
WAIT_MS = 30_000  # generous: CI machines have two cores, and MediaPipe warms up per session
# Clips signed to the page's own tracker: it loads (about 21 MB of wasm and model) before the first result, and
# on a busy two-core machine has given as few as 8 results a second (137 ms each, against about 37).
DEVICE_WAIT_MS = 90_000
# Pixels in the 640x480 camera picture. Tracking on the server, the page sends a hand this large at
# 320x240 once the server has found it for a while (front_demo/framesize.js), and testkit's drawn folded
# fingers need about this much to be found there in nearly every frame.
MOTION_HAND_LENGTH = 260.0
# The letter the calibration tests hold to the camera, and calibrate.
HELD_LETTER = "L"
CAMERA_LETTER = "H"  # what the other tests' camera shows
PROFILE_PREFIX = "signify.profile:"  # front_demo/storage.js: one kept profile per server

# Everything the tests look at, read in one go so that it is one consistent moment.
PAGE_STATE = """() => {
  const canvas = document.getElementById("overlay");
  let skeletonPixels = 0;
  if (canvas.width && canvas.height) {
    const alpha = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < alpha.length; i += 4) if (alpha[i] > 0) skeletonPixels += 1;
  }
  const readout = document.getElementById("readout");
  const calibration = document.getElementById("calibration");
  return {
    state: document.body.dataset.state,
    camera: document.body.dataset.camera,
    closeCode: document.body.dataset.closeCode ?? "",
    notice: document.getElementById("notice").hidden ? "" : document.getElementById("notice-text").textContent,
    predictions: Number(readout.dataset.predictions),
    hands: Number(readout.dataset.hands),
    letter: document.getElementById("letter").textContent,
    letterHand: document.getElementById("letter").dataset.hand,
    skeletons: Number(canvas.dataset.skeletons),
    skeletonPixels,
    transcript: document.getElementById("transcript").textContent,
    endpoint: document.getElementById("endpoint").textContent,
    calibrationState: document.body.dataset.calibration,
    calibrationAvailable: calibration.dataset.available,
    promptedLetter: calibration.dataset.letter,
    storedLetters: calibration.dataset.stored,
    activeLetters: calibration.dataset.active,
    profileLine: document.getElementById("calibration-profile").hidden
      ? "" : document.getElementById("profile-text").textContent,
    calibrationMessage: document.getElementById("calibration-message").textContent,
    framingHint: document.getElementById("framing-hint").textContent,
    framingShown: document.body.dataset.framing,
    storage: Object.fromEntries(Object.entries(localStorage)),
    ...window.signify,
  };
}"""


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two seconds of a drawn letter drifting, which Chromium's fake camera loops.

    A letter's hand from motion_clips, not hand_drawing's plain open hand: the page tracks on the
    device with MediaPipe's full palm detector, which never finds that one (the server's lite one does).
    """
    path = tmp_path_factory.mktemp("camera") / "hand.y4m"
    write_y4m(path, drifting_clip(CAMERA_LETTER, Framing(size=MOTION_HAND_LENGTH, seed=1), frames=60))
    return path


@pytest.fixture(scope="module")
def motion_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A J and a Z, each followed by a second without a hand, so that every loop of the fake camera is a new word."""
    folder = tmp_path_factory.mktemp("motion")
    files = {}
    for letter, clip in (("J", j_clip), ("Z", z_clip)):
        files[letter] = folder / f"{letter}.y4m"
        write_y4m(files[letter], [*clip(Framing(size=MOTION_HAND_LENGTH, seed=3)), *[blank_frame(3)] * 30])
    return files


@pytest.fixture(scope="module")
def held_letter_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three seconds of one letter held while the hand drifts a little, which the fake camera loops."""
    path = tmp_path_factory.mktemp("held") / f"{HELD_LETTER}.y4m"
    write_y4m(path, drifting_clip(HELD_LETTER, Framing(size=MOTION_HAND_LENGTH, seed=5), frames=90))
    return path


@pytest.fixture(scope="module")
def guarded_server() -> Iterator[ServerProcess]:
    """A server that wants a token and has a single seat (of either kind)."""
    process = ServerProcess(AUTH_TOKEN=TOKEN, MAX_SESSIONS="1", MAX_KEYPOINT_SESSIONS="1")
    process.wait_listening()
    yield process
    process.kill()


def launch(playwright: Playwright, camera_file: Path) -> Browser:
    """Debian's Chromium whose fake camera loops ``camera_file`` (Y4M), allowed without asking."""
    flags = [*CHROMIUM_FLAGS, "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={camera_file}"]
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=flags)


@pytest.fixture(scope="module")
def browser(playwright: Playwright, camera_file: Path) -> Iterator[Browser]:
    """Chromium with a camera that plays the drawn hand and is allowed without asking."""
    browser = launch(playwright, camera_file)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def held_letter_browser(playwright: Playwright, held_letter_file: Path) -> Iterator[Browser]:
    """Chromium whose camera shows a person holding one letter, as someone calibrating it does."""
    browser = launch(playwright, held_letter_file)
    yield browser
    browser.close()


def state(page: Page) -> dict[str, Any]:
    """The page state right now."""
    result: dict[str, Any] = page.evaluate(PAGE_STATE)
    return result


def wait_for(page: Page, condition: str, timeout_ms: float = WAIT_MS) -> dict[str, Any]:
    """Wait until ``condition`` (JavaScript over ``s``, the page state) holds; the state then."""
    handle = page.wait_for_function(f"() => {{ const s = ({PAGE_STATE})(); return ({condition}) && s; }}",
                                    timeout=timeout_ms, polling=50)
    result: dict[str, Any] = handle.json_value()
    return result


class SocketLog:
    """The page's WebSocket messages as Chromium saw them go and come, not as the page reports them:
    the JSON ones, and the size of every camera frame sent (binary, JPEG)."""

    def __init__(self, page: Page) -> None:
        self.sent: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []
        self.frame_sizes: list[tuple[int, int]] = []  # width, height of each binary frame sent, in order
        page.on("websocket", self._watch)

    def _watch(self, socket: WebSocket) -> None:
        socket.on("framesent", self._sent)
        socket.on("framereceived", lambda payload: self._add(self.received, payload))

    def _sent(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            size = read_image_size(payload)
            self.frame_sizes.append((size.width, size.height))
        self._add(self.sent, payload)

    @staticmethod
    def _add(into: list[dict[str, Any]], payload: str | bytes) -> None:
        if isinstance(payload, str):
            into.append(json.loads(payload))

    def clear(self) -> None:
        self.sent.clear()
        self.received.clear()
        self.frame_sizes.clear()

    def sent_of(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.sent if message.get("type") == kind]

    def received_of(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.received if message.get("type") == kind]


def open_watched(open_page: OpenPage, url: str, on: Browser) -> tuple[Page, SocketLog]:
    """A page at ``url`` whose socket is watched from its first message."""
    page = open_page("about:blank", on=on)
    sockets = SocketLog(page)
    page.goto(url)
    return page, sockets


def stored_profiles(shown: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The profiles the page keeps in localStorage, by key."""
    return {key: json.loads(value) for key, value in shown["storage"].items() if key.startswith(PROFILE_PREFIX)}


def calibrate(page: Page, letter: str) -> dict[str, Any]:
    """Pick only ``letter`` in the panel and calibrate it with the camera's hand; the page state once kept."""
    live = wait_for(page, "s.state === 'open' && s.hands >= 3")
    assert live["calibrationAvailable"] == "true", "the server offers no calibration (ready.config.calibration)"
    assert live["calibrationState"] == "idle"
    assert not page.is_checked("#donate"), "donating is opt-in: the box starts unchecked"
    assert page.is_checked(f"#pick-{letter}") and page.is_checked("#pick-A"), "every letter is picked by default"
    page.click("#letters-none")
    page.check(f"#pick-{letter}")
    page.click("#calibration-start")
    prompted = wait_for(page, f"s.calibrationState === 'running' && s.promptedLetter === '{letter}'")
    assert page.locator("#calibration-letter").inner_text() == letter
    assert "Hold it still" in page.locator("#calibration-how").inner_text()
    try:
        return wait_for(page, f"s.calibrationState === 'done' && s.activeLetters.split(' ').includes('{letter}')"
                              f" && Object.keys(s.storage).some((key) => key.startsWith('{PROFILE_PREFIX}'))")
    except PlaywrightTimeoutError:
        pytest.fail(f"calibrating {letter} did not finish: prompted {prompted}, now {state(page)}")


@contextmanager
def seat_taken(url: str) -> Iterator[None]:
    """Hold a plain client session; retried while a page closed just before still holds the seat."""
    deadline = time.monotonic() + 10
    while True:
        with connect(url) as client:
            try:
                client.recv(timeout=10)  # "ready"
            except ConnectionClosed:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            yield
            return


def test_the_page_streams_the_camera_and_shows_letters(
    server: ServerProcess, open_page: OpenPage, tmp_path: Path
) -> None:
    page = open_page(f"http://127.0.0.1:{server.port}/")
    wait_for(page, "s.state === 'open' && s.camera === 'on'")
    # Answers with a hand, a committed letter, and a skeleton drawn for the latest answer.
    shown = wait_for(page, "s.hands >= 15 && s.transcript.length > 0"
                           " && s.letterHand === 'true' && s.skeletonPixels > 0")
    screenshot = tmp_path / "demo.png"
    page.screenshot(path=str(screenshot))

    assert shown["notice"] == ""
    assert shown["endpoint"] == f"Server: {server.url}"
    assert len(shown["letter"]) == 1
    assert shown["skeletons"] >= 15
    assert shown["errors"] == 0  # paced by its answers and max_fps, the page is never rate limited

    image = cv2.imread(str(screenshot))
    assert image is not None and image.shape[:2] == (VIEWPORT["height"], VIEWPORT["width"])
    assert float(np.std(image)) > 20, "the screenshot is blank"
    box = page.locator("#frame").bounding_box()
    assert box is not None
    video = image[int(box["y"]):int(box["y"] + box["height"]), int(box["x"]):int(box["x"] + box["width"])]
    assert float(np.std(video)) > 20, "the video area is blank"

    # Clear empties the transcript at once and sends a reset: the server's first
    # answer to a frame sent after it carries an empty transcript too.
    page.click("#clear")
    assert state(page)["transcript"] == ""
    after = wait_for(page, "s.textAfterReset !== null")
    assert after["textAfterReset"] == ""
    assert after["state"] == "open"


def test_the_page_served_by_the_health_port_finds_the_websocket(server: ServerProcess, open_page: OpenPage) -> None:
    page = open_page(f"http://127.0.0.1:{server.health_port}/")
    shown = wait_for(page, "s.state === 'open' && s.hands >= 5")
    assert shown["endpoint"] == f"Server: {server.url}"


def test_a_denied_camera_is_explained_and_nothing_is_sent(
    server: ServerProcess, playwright: Playwright, open_page: OpenPage
) -> None:
    # Without --use-fake-ui-for-media-stream, headless Chromium denies the camera.
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    try:
        page = open_page(f"http://127.0.0.1:{server.port}/", on=browser)
        shown = wait_for(page, "s.camera === 'failed'")
        assert "denied" in shown["notice"]
        assert shown["state"] == "idle"  # no seat taken on the server for a page with nothing to send
        assert page.locator("#notice-action").inner_text() == "Try again"
    finally:
        browser.close()


# Where the hand is tracked (front_demo/tracking.js). The drawn J and HELLO signed to the page's own
# tracker, at its full resolution, are in test_tracking.py.
@pytest.mark.parametrize(("letter", "never", "tracking"),
                         [("J", "IZ", "server"), ("Z", "DGXJ", "server"), ("Z", "DGXJ", "device")])
def test_a_motion_letter_signed_to_the_camera_is_spelled_without_the_shape_it_starts_from(
    server: ServerProcess, playwright: Playwright, open_page: OpenPage, motion_files: dict[str, Path],
    letter: str, never: str, tracking: str,
) -> None:
    browser = launch(playwright, motion_files[letter])
    try:
        page = open_page(f"http://127.0.0.1:{server.port}/?tracking={tracking}", on=browser)
        # Two loops of the clip: each one a word of its own, the letter and nothing it starts from. The first
        # word is the loop under way when the page's tracker came up, which may have begun at the end of the
        # motion: a Z's end, the index held still, then lowered out of the picture, is a D (or G, X), and is
        # written so. The loops after it are seen from their start.
        loops = "s.transcript.split(' ').filter(w => w).slice(1)"
        try:
            shown = wait_for(page, f"{loops}.filter(w => w.includes('{letter}')).length >= 2",
                             timeout_ms=DEVICE_WAIT_MS if tracking == "device" else WAIT_MS)
        except PlaywrightTimeoutError:
            pytest.fail(f"{letter} not spelled twice: {state(page)}")
        whole = " ".join(shown["transcript"].split()[1:])
        assert not set(whole) & set(never), shown["transcript"]
        # Nothing is written before the motion resolves. After it, the drawn J's end shape (the hand turned
        # edge-on, held 9 frames after an eased stop) is read as O by the server's lite landmarks at 320 px,
        # and reaches the 10-frame hold when the page happens to capture a frame twice: about one run in
        # ten (1 of 28 and 3 of 27 runs, with the transcript before and after 2026-12-02's changes, which
        # change neither what is read nor how long it is held). That is the drawing's end, not the J.
        assert all(word.startswith(letter) for word in whole.split()), shown["transcript"]
        assert shown["tracking"] == tracking
    finally:
        browser.close()


def test_on_the_server_frames_are_full_size_until_a_large_hand_was_found_for_a_while(
    server: ServerProcess, browser: Browser, open_page: OpenPage
) -> None:
    # The camera's 640x480 while the server knows no hand (a small one needs every pixel), 320x240 once it
    # has answered this large hand for framesize.js's LARGE_ANSWERS frames: a fifth of the bytes, a third of
    # the decoding.
    page, sockets = open_watched(open_page, f"http://127.0.0.1:{server.port}/?tracking=server", browser)
    large_answers = page.evaluate("async () => (await import('./framesize.js')).LARGE_ANSWERS")  # the page's own
    try:
        shown = wait_for(page, "s.frameSize && s.frameSize[0] === 320 && s.handPredictions >= "
                               f"{large_answers + 10}")
    except PlaywrightTimeoutError:
        pytest.fail(f"the frames never shrank: {sockets.frame_sizes[:40]}, {state(page)}")
    sizes = list(sockets.frame_sizes)
    assert shown["binaryFramesSent"] >= len(sizes) - 1 and not sockets.sent_of("keypoints")
    first_small = sizes.index((320, 240))
    assert first_small >= large_answers >= 1
    assert set(sizes[:first_small]) == {(640, 480)}
    # The server found the hand in both: frame n of the connection is answered as prediction n.
    with_hand = {p["id"] for p in sockets.received_of("prediction") if p["hand"]}
    assert any(i <= first_small for i in with_hand), sizes
    assert any(i > first_small for i in with_hand), sizes


def test_an_unreachable_server_is_explained_and_retried(server: ServerProcess, open_page: OpenPage) -> None:
    nobody = free_port()
    page = open_page(f"http://127.0.0.1:{server.port}/?server=127.0.0.1:{nobody}")
    shown = wait_for(page, "s.state === 'retrying'")
    assert shown["endpoint"] == f"Server: ws://127.0.0.1:{nobody}/ws"
    assert "Cannot reach the server" in shown["notice"]
    assert "Retrying in" in shown["notice"]


def test_a_missing_token_is_refused_for_good(guarded_server: ServerProcess, open_page: OpenPage) -> None:
    page = open_page(f"http://127.0.0.1:{guarded_server.port}/")
    shown = wait_for(page, "s.state === 'failed'")
    assert shown["closeCode"] == "1008"
    assert "token" in shown["notice"]


def test_a_full_server_is_explained_then_the_page_reconnects_with_its_token(
    guarded_server: ServerProcess, open_page: OpenPage
) -> None:
    with seat_taken(f"ws://127.0.0.1:{guarded_server.port}/ws?token={TOKEN}"):
        page = open_page(f"http://127.0.0.1:{guarded_server.port}/?token={TOKEN}")
        full = wait_for(page, "s.state === 'retrying' && s.closeCode === '1013'")
    assert "at capacity" in full["notice"] and "Busy, retrying in" in full["notice"]
    assert "token=…" in full["endpoint"] and TOKEN not in full["endpoint"]
    # The backoff brings the page back by itself once the seat is free.
    shown = wait_for(page, "s.state === 'open' && s.hands >= 3")
    assert shown["notice"] == ""


def test_after_a_server_restart_the_page_reconnects_and_keeps_the_transcript(open_page: OpenPage) -> None:
    port = free_port()
    first = ServerProcess(PORT=str(port))
    try:
        first.wait_listening()
        page = open_page(f"http://127.0.0.1:{port}/")
        spelled = wait_for(page, "s.state === 'open' && s.transcript.length > 0")["transcript"]
    finally:
        first.terminate()  # SIGTERM: the server drains and closes the page's socket with 1001
    gone = wait_for(page, "s.state === 'retrying'")
    assert gone["closeCodes"][0] == 1001  # then 1006 for each retry while nobody listens
    assert gone["transcript"] == spelled

    second = ServerProcess(PORT=str(port))
    try:
        second.wait_listening()
        back = wait_for(page, "s.state === 'open' && s.hands >= 3")
        assert back["notice"] == ""
        assert back["transcript"].startswith(spelled)
    finally:
        second.kill()


def test_a_calibration_is_kept_by_the_page_and_sent_again_after_a_reload(
    server: ServerProcess, held_letter_browser: Browser, open_page: OpenPage
) -> None:
    page, sockets = open_watched(open_page, f"http://127.0.0.1:{server.port}/", held_letter_browser)
    calibrated = calibrate(page, HELD_LETTER)

    # Without the box ticked nothing is offered, and nothing is donated.
    assert sockets.sent_of("calibration_start") == [
        {"type": "calibration_start", "letters": [HELD_LETTER], "donate": False, "contributor": None}]
    progress = [p["calibration"] for p in sockets.received_of("prediction") if p.get("calibration")]
    assert progress and progress[-1]["collected"] <= progress[-1]["frames"]
    assert {p["letter"] for p in progress} == {HELD_LETTER}
    done = [m for m in sockets.received_of("calibration") if m["state"] == "done"]
    assert done == [{"type": "calibration", "state": "done", "letters": [HELD_LETTER], "skipped": [], "donated": 0}]
    assert calibrated["calibrationDone"]["donated"] == 0
    assert "Nothing was donated" in calibrated["calibrationMessage"]
    assert not any(key.startswith("signify.contributor") for key in calibrated["storage"])  # no id made either

    # The profile the server handed out is what the page keeps, with its model.
    [profile] = sockets.received_of("profile")
    [kept] = stored_profiles(calibrated).values()
    assert kept["profile"] == profile["profile"]
    assert kept["model"] == profile["model"] == {"name": calibrated["model"]["name"],
                                                 "version": calibrated["model"]["version"]}
    assert kept["letters"] == profile["letters"] == [HELD_LETTER]
    assert calibrated["storedLetters"] == calibrated["activeLetters"] == HELD_LETTER
    assert calibrated["profileLine"] == f"Calibrated for you: {HELD_LETTER}"

    # A new session knows nothing of it: the page sends it again, before any frame is answered.
    sockets.clear()
    page.reload()
    loaded = wait_for(page, f"s.state === 'open' && s.activeLetters === '{HELD_LETTER}' && s.hands >= 3")
    assert sockets.sent_of("profile") == [{"type": "profile", "profile": kept["profile"]}]
    assert sockets.received_of("profile_loaded") == [
        {"type": "profile_loaded", "model": kept["model"], "letters": [HELD_LETTER]}]
    assert loaded["profileLoaded"] == [HELD_LETTER]
    assert loaded["profileLine"] == f"Calibrated for you: {HELD_LETTER}"
    assert loaded["errors"] == 0

    # Forgetting it clears the session's adaptation and the browser's copy: the next session gets nothing.
    page.click("#profile-forget")
    forgotten = wait_for(page, "s.activeLetters === '' && s.storedLetters === ''")
    assert stored_profiles(forgotten) == {}
    assert forgotten["profileLine"] == ""
    assert sockets.sent_of("profile_clear") == [{"type": "profile_clear"}]
    sockets.clear()
    page.reload()
    wait_for(page, "s.state === 'open' && s.hands >= 5")
    assert sockets.sent_of("profile") == []


def test_a_tampered_stored_profile_is_refused_forgotten_and_recognition_goes_on(
    server: ServerProcess, held_letter_browser: Browser, open_page: OpenPage
) -> None:
    page, sockets = open_watched(open_page, f"http://127.0.0.1:{server.port}/", held_letter_browser)
    calibrated = calibrate(page, HELD_LETTER)
    [(key, kept)] = stored_profiles(calibrated).items()

    # One character changed in the middle of the profile: still base64, but damaged.
    middle = len(kept["profile"]) // 2
    changed = "B" if kept["profile"][middle] == "A" else "A"
    tampered = {**kept, "profile": kept["profile"][:middle] + changed + kept["profile"][middle + 1:]}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)", [key, json.dumps(tampered)])
    sockets.clear()
    page.reload()

    refused = wait_for(page, "s.state === 'open' && s.profileErrors.includes('bad_profile')")
    assert sockets.sent_of("profile") == [{"type": "profile", "profile": tampered["profile"]}]
    errors = sockets.received_of("error")
    assert [(e["code"], e["id"]) for e in errors] == [("bad_profile", None)]
    assert sockets.received_of("profile_loaded") == []
    assert stored_profiles(refused) == {}, "the refused profile is deleted from the browser"
    assert "deleted" in refused["calibrationMessage"]
    assert refused["activeLetters"] == "" and refused["profileLine"] == ""

    # The session goes on uncalibrated: frames keep being answered.
    going = wait_for(page, f"s.hands >= {refused['hands'] + 10}")
    assert going["state"] == "open" and going["notice"] == ""
    assert going["profileErrors"] == ["bad_profile"]


def test_skip_and_stop_end_a_calibration_with_the_letters_finished(
    server: ServerProcess, held_letter_browser: Browser, open_page: OpenPage
) -> None:
    page, sockets = open_watched(open_page, f"http://127.0.0.1:{server.port}/", held_letter_browser)
    live = wait_for(page, "s.state === 'open' && s.hands >= 3")
    assert live["calibrationAvailable"] == "true"
    page.click("#letters-none")
    for letter in ("A", HELD_LETTER, "M"):  # prompted in the model's order: A, the held letter, M
        page.check(f"#pick-{letter}")
    page.click("#calibration-start")
    wait_for(page, "s.promptedLetter === 'A'")
    page.click("#calibration-skip")
    wait_for(page, f"s.promptedLetter === '{HELD_LETTER}'")
    wait_for(page, "s.promptedLetter === 'M'")  # the held letter done, M next
    assert page.locator("#stage-prompt-letter").inner_text() == "M"  # shown over the camera too
    page.click("#calibration-stop")
    done = wait_for(page, f"s.calibrationState === 'done' && s.activeLetters === '{HELD_LETTER}'")

    assert [m["type"] for m in sockets.sent if m["type"].startswith("calibration")] == [
        "calibration_start", "calibration_skip", "calibration_stop"]
    prompts = [m["letter"] for m in sockets.received_of("calibration") if m["state"] == "prompt"]
    assert prompts == ["A", HELD_LETTER, "M"]
    assert done["calibrationDone"]["letters"] == [HELD_LETTER]
    assert done["calibrationDone"]["skipped"] == ["A", "M"]  # skipped, and cut short by the stop
    assert f"Calibrated: {HELD_LETTER}." in done["calibrationMessage"]
    assert [(key, kept["letters"]) for key, kept in stored_profiles(done).items()] == [
        (f"{PROFILE_PREFIX}{server.url}", [HELD_LETTER])]
    assert done["errors"] == 0 and not page.locator("#calibration-run").is_visible()


def test_a_server_without_calibration_disables_the_panel_and_the_kept_profile_stays(
    server: ServerProcess, open_page: OpenPage
) -> None:
    sent: list[dict[str, Any]] = []

    def as_version_1(route: WebSocketRoute) -> None:
        """The real server, but its ready says what a version 1 server says: no calibration at all."""
        upstream = route.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if isinstance(message, str):
                sent.append(json.loads(message))
            upstream.send(message)

        def to_page(message: str | bytes) -> None:
            if isinstance(message, str) and json.loads(message).get("type") == "ready":
                ready = json.loads(message)
                ready["protocol"] = 1
                del ready["config"]["calibration"]
                message = json.dumps(ready)
            route.send(message)

        route.on_message(to_server)
        upstream.on_message(to_page)

    page = open_page("about:blank")
    page.route_web_socket(lambda url: url.endswith("/ws"), as_version_1)
    page.goto(f"http://127.0.0.1:{server.port}/")
    model = wait_for(page, "s.state === 'open' && s.model !== null")["model"]
    kept = {"profile": "U0dQ", "model": model, "letters": [HELD_LETTER]}
    page.evaluate("([key, value]) => localStorage.setItem(key, value)",
                  [f"{PROFILE_PREFIX}{server.url}", json.dumps(kept)])
    sent.clear()
    page.reload()

    shown = wait_for(page, "s.state === 'open' && s.hands >= 5")
    assert shown["calibrationAvailable"] == "false"
    assert page.locator("#calibration-unavailable").is_visible()
    assert "cannot calibrate" in page.locator("#calibration-unavailable").inner_text()
    assert page.is_disabled("#calibration-start") and page.is_disabled(f"#pick-{HELD_LETTER}")
    assert not page.locator("#donation").is_visible()
    # A server that cannot calibrate is not sent the profile, and cannot have it deleted either.
    assert [message for message in sent if message["type"] == "profile"] == []
    assert stored_profiles(shown) == {f"{PROFILE_PREFIX}{server.url}": kept}
    assert shown["storedLetters"] == HELD_LETTER and shown["activeLetters"] == ""
    assert "this server cannot use it" in shown["profileLine"]
