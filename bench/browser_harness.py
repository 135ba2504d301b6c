"""A page of the bench's own on a Signify server's origin, in Debian's headless Chromium, importing the demo's modules.

Benches that need the demo page's own code (its tracker, its JPEG encoding)
open a harness page at a path Signify never serves: Playwright answers that
one URL with the bench's HTML, so the page's modules load from the server as
the demo's do, and nothing is downloaded (Chromium is Debian's, never
Playwright's). The harness sets ``window.harnessReady`` once it has loaded.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from playwright.sync_api import Page, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--disable-sync",
]
# A harness's way to turn a data URL into a decoded image (paste it into the module's script).
LOAD_IMAGE_JS = """
function load(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = reject;
    image.src = url;
  });
}
"""


def jpeg_data_url(jpeg: bytes) -> str:
    """An encoded JPEG as the ``data:`` URL a harness loads."""
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


@contextmanager
def harness_page(server_port: int, path: str, html: str, driver: Playwright | None = None) -> Iterator[Page]:
    """``html`` served at ``path`` on the server's origin, in Chromium, once it set ``window.harnessReady``;
    launched by ``driver`` (a test's, which already runs Playwright in this thread), else by a driver of its own."""
    with ExitStack() as stack:
        if driver is None:
            driver = stack.enter_context(sync_playwright())
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.route(f"**{path}", lambda route: route.fulfill(body=html, content_type="text/html"))
            page.goto(f"http://127.0.0.1:{server_port}{path}")
            page.wait_for_function("window.harnessReady === true", timeout=120_000)
            yield page
        finally:
            browser.close()
