"""A light load generator for text messages: many WebSocket clients on bare asyncio protocols.

Hundreds of keypoint clients at 30 fps are 9,000 messages a second each
way, and the load generator shares the server's two cores. A full
WebSocket client (:mod:`bench.load`) costs about as much Python per
message as the server's own keypoint path, so it measured mostly itself.
Here every message is framed once, ahead of the run, by websockets' own
framing (masked; one mask per message rather than per send, which a
server cannot tell apart), a send is one ``transport.write`` from a timer
callback, and an answer is one header parse and one ``json.loads``. The clients record
exactly what :mod:`bench.load`'s do, so :mod:`bench.report` reads both.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

from websockets.frames import Frame, Opcode

from .load import DRAIN_S, ClientRecord, FrameRecord


def masked_frame(opcode: Opcode, payload: bytes) -> bytes:
    """One final client frame (clients must mask), as websockets frames it."""
    return Frame(opcode, payload).serialize(mask=True)


class _Client(asyncio.Protocol):
    """One camera: sends its frames on a timer and records every answer."""

    def __init__(self, request: bytes, frames: Sequence[bytes], interval: float, count: int, offset: float) -> None:
        self.record = ClientRecord()
        self.done = asyncio.get_running_loop().create_future()
        self._request, self._frames, self._interval, self._count = request, frames, interval, count
        self._offset = offset
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self._start = 0.0
        self._sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[:end]).split(b"\r\n", 1)[0]
            del self._buffer[: end + 4]
            if b" 101 " not in status + b" ":
                self._finish()
                return
            self._upgraded = True
        self._read_frames()

    def _read_frames(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 2:
            opcode, size, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            self._frame(opcode, payload)

    def _frame(self, opcode: int, payload: bytes) -> None:
        if opcode == Opcode.TEXT:
            self._message(json.loads(payload))
        elif opcode == Opcode.PING and self._transport is not None:
            self._transport.write(masked_frame(Opcode.PONG, payload))
        elif opcode == Opcode.CLOSE:
            self.record.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            self._finish()

    def _message(self, message: dict[str, object]) -> None:
        now = time.perf_counter()
        kind = message.get("type")
        if kind == "ready":
            self.record.connected = True
            loop = asyncio.get_running_loop()
            self._start = loop.time() + self._offset  # clients' frames interleave like independent cameras
            loop.call_at(self._start, self._send)
            return
        ids = message.get("ids") or [message.get("id")]
        for frame_id in ids if isinstance(ids, list) else []:
            frame = self.record.frames.get(frame_id) if isinstance(frame_id, int) else None
            if frame is not None and frame.kind is None:
                frame.answered, frame.kind = now, str(kind)
                timing = message.get("timing_ms")
                frame.timing_ms = timing if isinstance(timing, dict) else None

    def _send(self) -> None:
        if self._transport is None or self._transport.is_closing() or self.done.done():
            return
        self._sent += 1
        self.record.frames[self._sent] = FrameRecord(sent=time.perf_counter())
        self._transport.write(self._frames[(self._sent - 1) % len(self._frames)])
        loop = asyncio.get_running_loop()
        if self._sent < self._count:
            loop.call_at(self._start + self._sent * self._interval, self._send)
        else:
            loop.call_later(DRAIN_S, self._finish)

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self.done.done():
            self.done.set_result(None)


async def run_light_load(url: str, messages: Sequence[str], clients: int, fps: float,
                         seconds: float) -> list[ClientRecord]:
    """Like :func:`bench.load.run_load` for text messages: ``clients`` clients send ``messages`` (cycling)
    at ``fps`` for ``seconds``; every client's record."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    frames = [masked_frame(Opcode.TEXT, message.encode()) for message in messages]
    loop = asyncio.get_running_loop()
    protocols: list[_Client] = []
    for i in range(clients):
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
                   f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
        client = _Client(request, frames, 1.0 / fps, int(seconds * fps), offset=i / (clients * fps))
        try:
            await loop.create_connection(lambda c=client: c, host, port)  # type: ignore[misc]
        except OSError:
            client.done.set_result(None)
        protocols.append(client)
    await asyncio.gather(*(client.done for client in protocols))
    return [client.record for client in protocols]
