"""What every browser test module uses: the server, Playwright's driver, and pages that fail on a page error.

Module-scoped, so each module gets its own server and driver; ``open_page``
opens pages on the module's own ``browser`` fixture (its camera).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.server_process import ServerProcess

VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
OpenPage = Callable[..., Page]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    """The server as `make run` starts it, on ephemeral loopback ports."""
    process = ServerProcess()
    process.wait_listening()
    yield process
    process.kill()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """A new page on ``browser`` (or ``on``), at ``url`` if one is given (else blank, so that routes and watches go
    on first); fails the test on any uncaught JavaScript error."""
    pages: list[Page] = []
    errors: list[str] = []

    def new_page(url: str = "about:blank", on: Browser = browser) -> Page:
        page = on.new_page(viewport=VIEWPORT)
        page.on("pageerror", lambda error: errors.append(str(error)))
        pages.append(page)
        if url != "about:blank":
            page.goto(url)
        return page

    yield new_page
    for page in pages:
        if not page.is_closed():  # a test's own browser closes its pages with it
            page.close()
    assert not errors, errors
