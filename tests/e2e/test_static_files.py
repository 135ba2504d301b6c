"""The demo's files over both ports: the tracker's assets may be kept a day, the page is revalidated."""

from __future__ import annotations

import asyncio
import urllib.request

from tests.conftest import StartApp


def headers_of(url: str) -> tuple[int, str | None, str | None]:
    with urllib.request.urlopen(url, timeout=10) as response:
        response.read()
        return response.status, response.headers["Content-Type"], response.headers["Cache-Control"]


async def test_cache_headers_on_both_ports(start_app: StartApp) -> None:
    app = await start_app()
    for port in (app.websocket.port, app.health_port):
        base = f"http://127.0.0.1:{port}"
        wasm = await asyncio.to_thread(headers_of, f"{base}/vendor/tasks-vision/wasm/vision_wasm_internal.wasm")
        assert wasm == (200, "application/wasm", "public, max-age=86400"), port
        page = await asyncio.to_thread(headers_of, f"{base}/")
        assert page[0] == 200 and page[2] == "no-cache", port
