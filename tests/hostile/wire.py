"""Client-side helpers for the hostile tests: a polite client, and a raw one that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any

from signify.app import Application
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.uri import parse_uri

Message = dict[str, Any]


def ws_url(port: int, query: str = "") -> str:
    """The loopback WebSocket URL of a server on ``port``."""
    return f"ws://127.0.0.1:{port}/ws{query}"


def open_client(app: Application, query: str = "", **kwargs: Any) -> connect:
    """Connect the way a live camera client does: no compression."""
    kwargs.setdefault("compression", None)
    return connect(ws_url(app.websocket.port, query), **kwargs)


async def receive(ws: ClientConnection) -> Message:
    """The next server message, decoded."""
    message: Message = json.loads(await ws.recv())
    return message


async def ready(ws: ClientConnection) -> Message:
    """Read the ``ready`` message every connection starts with."""
    message = await receive(ws)
    assert message["type"] == "ready", message
    return message


async def answer(ws: ClientConnection, message: str | bytes) -> Message:
    """Send one message and return the one answer it gets."""
    await ws.send(message)
    return await receive(ws)


async def still_predicts(ws: ClientConnection, frame: str | bytes, frame_id: int) -> None:
    """The connection is still healthy: a good frame gets its prediction with the expected id."""
    reply = await answer(ws, frame)
    assert (reply["type"], reply["id"]) == ("prediction", frame_id), reply


async def until(condition: Callable[[], bool], limit_s: float = 30.0) -> None:
    """Wait for a condition the server reaches asynchronously; the limit only keeps a broken run from hanging."""
    async with asyncio.timeout(limit_s):
        while not condition():
            await asyncio.sleep(0.02)


class RawClient:
    """A WebSocket client on a bare non-blocking socket, driven by websockets' sans-I/O protocol.

    The library client reads and answers pings behind the caller's back; a
    hostile peer does not. This one does only what the test tells it to:
    it may never read, go silent, or half-close its side of the TCP stream.
    """

    def __init__(self, sock: socket.socket, protocol: ClientProtocol) -> None:
        self.sock = sock
        self.protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._backlog: list[Any] = []  # events that arrived together with the handshake response

    @classmethod
    async def open(cls, port: int, *, receive_buffer: int | None = None) -> RawClient:
        """Connect and complete the opening handshake; ``receive_buffer`` shrinks the socket's receive window."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if receive_buffer is not None:
            # Set before connecting so that the advertised window stays this small.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        client = cls(sock, ClientProtocol(parse_uri(ws_url(port))))
        await client.handshake()
        return client

    async def handshake(self) -> Response:
        """Send the opening handshake and read the server's response."""
        self.protocol.send_request(self.protocol.connect())
        await self.flush()
        while True:
            events = await self.read_events()
            for index, event in enumerate(events):
                if isinstance(event, Response):
                    self._backlog = events[index + 1 :]
                    return event

    async def flush(self) -> None:
        """Write whatever the protocol has queued."""
        for data in self.protocol.data_to_send():
            if data:
                await self._loop.sock_sendall(self.sock, data)

    async def send_binary(self, data: bytes) -> None:
        """Send one binary message."""
        self.protocol.send_binary(data)
        await self.flush()

    async def send_text(self, text: str) -> None:
        """Send one text message."""
        self.protocol.send_text(text.encode())
        await self.flush()

    async def read_events(self, *, respond: bool = True) -> list[Any]:
        """Read from the socket once; return the frames or response parsed so far.

        With ``respond`` the protocol's replies (pongs, the closing frame) are
        sent back, as any live client does; without it the peer stays mute.
        """
        if self._backlog:
            events, self._backlog = self._backlog, []
            return events
        try:
            data = await self._loop.sock_recv(self.sock, 65536)
        except ConnectionResetError:
            data = b""
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        if respond:
            await self.flush()
        return self.protocol.events_received()

    async def text_messages(self, *, respond: bool = True) -> list[Message]:
        """Read once; return the JSON text messages that arrived."""
        events = await self.read_events(respond=respond)
        return [json.loads(event.data) for event in events if isinstance(event, Frame) and event.opcode is Opcode.TEXT]

    async def messages_until_closed(self, *, respond: bool = True) -> tuple[list[Message], tuple[int, str] | None]:
        """Read until the server's close frame or EOF; return the JSON messages and the close code and reason."""
        messages: list[Message] = []
        while self.protocol.close_rcvd is None and self.protocol.state is not State.CLOSED:
            messages += await self.text_messages(respond=respond)
        close = self.protocol.close_rcvd
        return messages, (close.code, close.reason) if close is not None else None

    async def wait_for_eof(self) -> None:
        """Read and discard until the server closes the TCP connection."""
        while True:
            try:
                if not await self._loop.sock_recv(self.sock, 65536):
                    return
            except ConnectionResetError:
                return

    def close(self) -> None:
        """Drop the socket without a closing handshake."""
        self.sock.close()
