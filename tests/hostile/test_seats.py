"""Seats over loopback: a client that reconnects at once always gets one, and each client address has a cap.

MediaPipe graphs are built and closed one at a time for the whole process;
a session that left gives its seat back as soon as its socket is closed,
not when its graph's close has had its turn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .conftest import Serve
from .wire import open_client, ready, receive, still_predicts, until

RECONNECTS = 60
PER_CLIENT_CAP = "2"
COME_BACK = (1013, "too many sessions from this client, try again later")


async def refusal(ws: ClientConnection) -> tuple[int | None, str | None]:
    """The close a connection meets instead of ``ready``."""
    try:
        message = await receive(ws)
    except ConnectionClosed:
        return ws.close_code, ws.close_reason
    raise AssertionError(f"expected a refusal, got {message}")


async def test_a_client_reconnecting_one_connection_at_a_time_always_gets_a_seat(
    serve: Serve, hand_frame: bytes
) -> None:
    app = await serve(MAX_SESSIONS="1")
    for attempt in range(RECONNECTS):
        async with open_client(app) as ws:
            try:
                await ready(ws)
            except ConnectionClosed:
                raise AssertionError(f"connection {attempt + 1}: {ws.close_code} {ws.close_reason}") from None
            await still_predicts(ws, hand_frame, 1)
    await until(lambda: not app.websocket._finishing)  # every graph closed, after the seats were free


async def test_a_client_beyond_its_cap_is_told_to_come_back(serve: Serve, hand_frame: bytes) -> None:
    app = await serve(MAX_SESSIONS_PER_CLIENT=PER_CLIENT_CAP)
    async with open_client(app) as first, open_client(app) as second:
        await ready(first)
        await ready(second)
        async with open_client(app) as third:
            assert await refusal(third) == COME_BACK
        await still_predicts(first, hand_frame, 1)
    async with open_client(app) as again:  # the seats are free once the first two left
        await ready(again)


def forwarded_for(address: str) -> dict[str, Any]:
    """Client options for a connection that claims to be forwarded for ``address``."""
    return {"additional_headers": {"X-Forwarded-For": address}}


async def test_a_trusted_proxy_s_x_forwarded_for_names_the_client(serve: Serve) -> None:
    app = await serve(MAX_SESSIONS_PER_CLIENT="1", TRUSTED_PROXIES="127.0.0.1")
    async with (open_client(app, **forwarded_for("203.0.113.1")) as one,
                open_client(app, **forwarded_for("203.0.113.2")) as other):
        await ready(one)
        await ready(other)  # another client behind the same proxy
        # What the client wrote to the left of what the proxy saw proves nothing.
        async with open_client(app, **forwarded_for("198.51.100.9, 203.0.113.1")) as same:
            assert await refusal(same) == COME_BACK


async def test_an_untrusted_peer_s_x_forwarded_for_is_ignored(serve: Serve) -> None:
    app = await serve(MAX_SESSIONS_PER_CLIENT="1")
    async with open_client(app, **forwarded_for("203.0.113.1")) as one:
        await ready(one)
        async with open_client(app, **forwarded_for("203.0.113.2")) as other:
            assert await refusal(other) == COME_BACK  # both are 127.0.0.1


async def test_reconnecting_clients_do_not_wait_for_graphs_to_close(serve: Serve, hand_frame: bytes) -> None:
    # Two clients leaving and coming back at once, each with the one seat it may hold.
    app = await serve(MAX_SESSIONS="2", MAX_SESSIONS_PER_CLIENT="1", TRUSTED_PROXIES="127.0.0.1")

    async def cycle(address: str) -> None:
        for _ in range(10):
            async with open_client(app, **forwarded_for(address)) as ws:
                await ready(ws)
                await still_predicts(ws, hand_frame, 1)

    await asyncio.gather(cycle("203.0.113.1"), cycle("203.0.113.2"))
