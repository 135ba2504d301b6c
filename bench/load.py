"""The load generator: N live-camera clients, each sending at a fixed frame rate.

A camera does not wait for the server: each client sends a frame every
1/fps seconds, whatever came back, and records for every frame its send
time, its answer time and the answer's type (PROTOCOL.md: prediction,
dropped or error; binary frames are numbered 1, 2, 3 in sending order).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DRAIN_S = 2.0  # after the last frame, how long to wait for its answer


@dataclass
class FrameRecord:
    """One frame's fate."""

    sent: float
    answered: float | None = None
    kind: str | None = None
    timing_ms: dict[str, float] | None = None


@dataclass
class ClientRecord:
    """Everything one client saw."""

    frames: dict[int, FrameRecord] = field(default_factory=dict)
    connected: bool = False
    close_code: int | None = None


async def run_load(url: str, frames: Sequence[bytes | str], clients: int, fps: float, seconds: float,
                   source: str | None = None) -> list[ClientRecord]:
    """Stream ``frames`` (cycling) from ``clients`` clients at ``fps`` for ``seconds``; return their records.

    A frame is an encoded image (sent binary) or a text message without an id (``keypoints``): either
    way the server numbers it 1, 2, 3 in arrival order.

    ``source``: the loopback address the clients connect from (127.0.0.2, say),
    so the server counts their seats apart from other clients on 127.0.0.1.
    """
    return list(await asyncio.gather(*(
        _client(url, frames, fps, seconds, offset=i / (clients * fps), source=source) for i in range(clients)
    )))


async def _client(url: str, frames: Sequence[bytes | str], fps: float, seconds: float, offset: float,
                  source: str | None) -> ClientRecord:
    record = ClientRecord()
    # Passed on to the event loop's create_connection.
    bind: dict[str, Any] = {"local_addr": (source, 0)} if source else {}
    try:
        async with connect(url, compression=None, max_size=2**22, open_timeout=30, **bind) as ws:
            ready = json.loads(await ws.recv())
            record.connected = ready.get("type") == "ready"
            await asyncio.sleep(offset)  # clients' frames interleave like independent cameras
            receiver = asyncio.create_task(_receive(ws, record))
            await _send(ws, record, frames, fps, seconds)
            await asyncio.sleep(DRAIN_S)
            receiver.cancel()
            record.close_code = ws.close_code
    except (ConnectionClosed, OSError, TimeoutError) as exc:
        record.close_code = getattr(getattr(exc, "rcvd", None), "code", None)
    return record


async def _send(
    ws: ClientConnection, record: ClientRecord, frames: Sequence[bytes | str], fps: float, seconds: float
) -> None:
    interval = 1.0 / fps
    start = time.perf_counter()
    count = int(seconds * fps)
    for n in range(count):
        delay = start + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        record.frames[n + 1] = FrameRecord(sent=time.perf_counter())
        await ws.send(frames[n % len(frames)])


async def _receive(ws: ClientConnection, record: ClientRecord) -> None:
    try:
        async for raw in ws:
            now = time.perf_counter()
            message = json.loads(raw)
            ids = message.get("ids") or [message.get("id")]
            for frame_id in ids:
                frame = record.frames.get(frame_id)
                if frame is not None and frame.kind is None:
                    frame.answered, frame.kind = now, message["type"]
                    frame.timing_ms = message.get("timing_ms")
    except ConnectionClosed:
        pass
