"""Client-side helpers for the hostile tests: a polite client, and a raw one that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable, Sequence
from typing import Any

from signify.app import Application
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Origin, Subprotocol
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


async def still_predicts(ws: ClientConnection, frame: bytes, frame_id: int) -> None:
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

    @classmethod
    async def open(
        cls,
        port: int,
        *,
        query: str = "",
        receive_buffer: int | None = None,
        origin: str | None = None,
        subprotocols: Sequence[str] | None = None,
        handshake: bool = True,
    ) -> RawClient:
        """Connect, and unless told otherwise complete the opening handshake."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        if receive_buffer is not None:
            # Set before connecting so that the advertised window stays this small.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        protocol = ClientProtocol(
            parse_uri(ws_url(port, query)),
            origin=Origin(origin) if origin else None,
            subprotocols=[Subprotocol(s) for s in subprotocols] if subprotocols else None,
        )
        client = cls(sock, protocol)
        if handshake:
            await client.handshake()
        return client

    async def handshake(self) -> Response:
        """Send the opening handshake and read the server's response."""
        self.protocol.send_request(self.protocol.connect())
        await self.flush()
        while True:
            for event in await self.read_events():
                if isinstance(event, Response):
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

    def try_send_text(self, text: str) -> bool:
        """Queue one text message without waiting; False when the socket's send buffer is full.

        A server that stops reading from a client makes this return False
        sooner or later; with the message only partly written the stream
        would be corrupt, so the caller must stop sending then.
        """
        self.protocol.send_text(text.encode())
        data = b"".join(self.protocol.data_to_send())
        try:
            sent = self.sock.send(data)
        except BlockingIOError:
            sent = 0
        if sent == len(data):
            return True
        self._unsent = data[sent:]
        return False

    async def read_events(self) -> list[Any]:
        """Read from the socket once; return the frames or response parsed so far (empty at EOF)."""
        data = await self._loop.sock_recv(self.sock, 65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        await self.flush()  # pongs and close frames the protocol wants to send back
        return self.protocol.events_received()

    async def messages_until_closed(self) -> tuple[list[Message], int | None]:
        """Read everything until the server closes; return the JSON messages and the close code."""
        messages: list[Message] = []
        while True:
            try:
                events = await self.read_events()
            except ConnectionResetError:
                break
            for event in events:
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    messages.append(json.loads(event.data))
            if self.protocol.close_rcvd is not None or self.protocol.state.name == "CLOSED":
                break
        code = self.protocol.close_rcvd.code if self.protocol.close_rcvd is not None else None
        return messages, code

    async def at_eof(self) -> bool:
        """Read and discard until the server closes the TCP connection; True when it did."""
        while True:
            try:
                data = await self._loop.sock_recv(self.sock, 65536)
            except ConnectionResetError:
                return True
            if not data:
                return True

    def close(self) -> None:
        """Drop the socket without a closing handshake."""
        self.sock.close()
