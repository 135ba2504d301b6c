"""The demo page behind the real HAProxy: its replica is replaced mid-word, and the transcript carries on.

Chromium's fake camera spells HOL over and over (testkit's drawn hands, a
word gap after each). The page is opened through HAProxy (deploy/haproxy.cfg),
which serves it from a replica and passes the WebSocket through. As a word
begins, the page's replica gets SIGTERM (a deploy's fresh replica is up
already), answers what it accepted and closes the page's socket with 1001. The page reconnects through HAProxy to
the fresh replica, hands it the transcript with ``resume``, and the words
come out whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from testkit.hand_drawing import blank_frame
from testkit.motion_clips import Framing, spelling_clip
from testkit.video import write_y4m
from tests.browser.conftest import VIEWPORT
from tests.browser.test_demo_page import (
    MOTION_HAND_LENGTH,
    SocketLog,
    launch,
    state,
    wait_for,
)
from tests.cluster.conftest import Cluster

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WORD = "HOL"  # letters the drawn hand gives reliably at the page's 320x240 (its E reads as O)
LETTER_FRAMES = 75  # 2.5 s a letter at the fake camera's 30 fps: a loaded machine answers the page 10 times a second
WORD_GAP_FRAMES = 60  # the hand away for 2 s: a space


def until(page: Page, condition: str) -> dict[str, Any]:
    """wait_for, failing with what the page showed instead."""
    try:
        return wait_for(page, condition)
    except PlaywrightTimeoutError:
        shown = state(page)
        pytest.fail(f"waited for {condition}; the page shows {shown['state']!r}, transcript {shown['transcript']!r},"
                    f" close codes {shown['closeCodes']}, resumed {shown['resumed']}, notice {shown['notice']!r}")


@pytest.fixture(scope="module")
def spelling_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The word spelled, then the hand away, which the fake camera loops: HOL HOL HOL ..."""
    path = tmp_path_factory.mktemp("spelling") / "word.y4m"
    framing = Framing(size=MOTION_HAND_LENGTH, seed=4)
    write_y4m(path, [*spelling_clip(WORD, framing, letter_frames=LETTER_FRAMES), *[blank_frame(4)] * WORD_GAP_FRAMES])
    return path


@pytest.fixture(scope="module")
def spelling_browser(playwright: Playwright, spelling_file: Path) -> Iterator[Browser]:
    """Chromium whose camera spells the word."""
    browser = launch(playwright, spelling_file)
    yield browser
    browser.close()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """Two replicas behind HAProxy: the page's, and the fresh one that a deploy starts before it stops the old."""
    one = Cluster(MAX_SESSIONS="2")
    try:
        one.start(2)
        yield one
    finally:
        one.stop()


def test_a_replica_replaced_mid_word_costs_the_page_no_letter(cluster: Cluster, spelling_browser: Browser) -> None:
    page = spelling_browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sockets = SocketLog(page)
    page.goto(f"http://127.0.0.1:{cluster.ports.lb}/")
    # A whole word first, then into the next one: its first letter written, the rest not yet.
    started = until(page, f"s.state === 'open' && / {WORD[0]}$/.test(s.transcript)")
    assert started["endpoint"].endswith(f"ws://127.0.0.1:{cluster.ports.lb}/ws")  # HAProxy, not a replica
    (old,) = [slot for slot, sessions in cluster.sessions().items() if sessions]  # the page's replica
    assert cluster.terminate(old) == 0  # SIGTERM: drain, then 1001, a moment after the H was written
    back = until(page, "s.state === 'open' && s.resumed.length === 1")
    assert back["closeCodes"][0] == 1001
    sent = sockets.sent_of("resume")
    assert len(sent) == 1 and sent[0]["text"].startswith(started["transcript"]), (sent, started["transcript"])
    assert sockets.received_of("resumed") == [{"type": "resumed", "text": sent[0]["text"]}]
    # The word goes on where it stopped, on the new replica, and the next one follows. (The drawn hand
    # coming into the picture is now and then read as a letter twice, replica or not: H*.)
    before = started["transcript"]
    carried_on = f"^{re.escape(before)}{WORD[0]}*{WORD[1:]} {WORD[0]}"
    done = until(page, f"s.state === 'open' && new RegExp({json.dumps(carried_on)}).test(s.transcript)")
    assert done["closeCodes"] == [1001] and not errors, (done["closeCodes"], errors)
    page.close()
