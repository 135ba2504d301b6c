"""The demo page in Debian's headless Chromium, with a fake camera playing a drawn hand, against the real server."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from testkit.hand_drawing import moving_hand_frames
from testkit.video import write_y4m
from tests.e2e.test_process import ServerProcess

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("camera") / "hand.y4m"
    write_y4m(path, moving_hand_frames(60))
    return path


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    process = ServerProcess(MAX_FPS="30")
    process.wait_ready()
    yield process
    process.process.kill()
    process.process.communicate()


def run_page(url: str, camera: Path | None, screenshot: Path) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    flags = [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={camera}"] if camera else CHROMIUM_FLAGS
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 760})
            page.goto(url)
            page.wait_for_function("document.body.dataset.state === 'open'", timeout=20_000)
            page.wait_for_function("window.signify.handPredictions >= 15", timeout=30_000)
            page.wait_for_function("window.signify.lastText.length > 0", timeout=30_000)
            before = page.evaluate("({...window.signify, letter: document.getElementById('letter').textContent,"
                                   " drawn: document.getElementById('letter').dataset.hand})")
            page.screenshot(path=str(screenshot))
            page.click("#clear")
            page.wait_for_timeout(300)
            after_clear = page.evaluate("window.signify.predictions")
            page.wait_for_function(f"window.signify.predictions > {after_clear} + 2", timeout=10_000)
            transcript_after = page.evaluate("document.getElementById('transcript').textContent")
            return {"before": before, "transcript_after": transcript_after}
        finally:
            browser.close()


def test_the_page_streams_the_camera_and_shows_letters(
    server: ServerProcess, camera_file: Path, tmp_path: Path
) -> None:
    screenshot = tmp_path / "demo.png"
    result = run_page(f"http://127.0.0.1:{server.port}/", camera_file, screenshot)
    before = result["before"]
    assert isinstance(before, dict)
    assert before["handPredictions"] >= 15
    assert before["drawn"] == "true" and len(str(before["letter"])) == 1
    assert before["lastText"]
    # Clear sends a reset: the server's transcript starts again from nothing. A letter held
    # for a third of a second may be committed again, but never the old text.
    assert len(str(result["transcript_after"])) <= 1
    image = cv2.imread(str(screenshot))
    assert image is not None and image.shape[0] > 500
    assert float(np.std(image)) > 20  # not blank
    kept = Path(__file__).resolve().parents[2] / "build" / "demo-screenshot.png"
    kept.parent.mkdir(exist_ok=True)
    shutil.copy(screenshot, kept)


def test_the_page_served_by_the_health_port_finds_the_websocket(
    server: ServerProcess, camera_file: Path, tmp_path: Path
) -> None:
    result = run_page(f"http://127.0.0.1:{server.health_port}/", camera_file, tmp_path / "health.png")
    before = result["before"]
    assert isinstance(before, dict) and before["handPredictions"] >= 15
