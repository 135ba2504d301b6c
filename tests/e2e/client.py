"""A small protocol client for the end-to-end tests."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from signify.app import Application
from websockets.asyncio.client import ClientConnection, connect


def ws_url(app: Application) -> str:
    """The loopback WebSocket URL of a running application."""
    return f"ws://127.0.0.1:{app.websocket.port}/ws"


def open_client(app: Application, **kwargs: Any) -> connect:
    """Connect the way a live camera client does: no compression."""
    return connect(ws_url(app), compression=None, **kwargs)


async def receive(ws: ClientConnection) -> dict[str, Any]:
    """The next server message, decoded."""
    message: dict[str, Any] = json.loads(await ws.recv())
    return message


async def answer_ids(ws: ClientConnection, expected: int) -> dict[int, list[dict[str, Any]]]:
    """Read until ``expected`` frame ids have been answered; map each id to its answers."""
    answers: dict[int, list[dict[str, Any]]] = {}
    while sum(len(v) for v in answers.values()) < expected:
        message = await receive(ws)
        ids = message["ids"] if message["type"] == "dropped" else [message["id"]]
        for frame_id in ids:
            answers.setdefault(frame_id, []).append(message)
    return answers


async def health(app: Application) -> dict[str, Any]:
    """The body of the application's /health on its health port."""
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{app.health_port}/health") as response:
        body: dict[str, Any] = await response.json()
        return body
