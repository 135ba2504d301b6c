"""Plain HTTP on both ports, spoken badly on purpose: every request gets a status line, HEAD never a body.

Raw sockets on loopback, so that nothing between the test and the server
tidies the request up or reads the body that must not be there.
"""

from __future__ import annotations

import asyncio

import pytest
from signify.app import Application

from .conftest import Serve
from .wire import RawClient

TOO_LARGE = b"HTTP/1.1 413 Request Entity Too Large\r\n"


async def exchange(port: int, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Send a raw request, read until the server closes; return the status line, headers and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    async with asyncio.timeout(30):
        data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    headers = {name.decode().lower(): value.decode() for name, _, value in (line.partition(b": ") for line in lines)}
    return status + b"\r\n", headers, body


def request(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    """A request that asks the server to close after answering, so that reading to EOF ends."""
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.fixture
async def app(serve: Serve) -> Application:
    return await serve()


@pytest.mark.parametrize("path", ["/", "/index.html", "/health", "/ready", "/config.json", "/no-such-page"])
@pytest.mark.parametrize("port_name", ["websocket", "health"])
async def test_head_gets_the_get_headers_and_no_body(app: Application, path: str, port_name: str) -> None:
    port = app.websocket.port if port_name == "websocket" else app.health_port
    get_status, get_headers, get_body = await exchange(port, request("GET", path))
    head_status, head_headers, head_body = await exchange(port, request("HEAD", path))
    assert head_status == get_status
    assert head_body == b""
    assert get_body
    assert head_headers["content-type"] == get_headers["content-type"]
    if "content-length" in get_headers:
        assert head_headers["content-length"] == get_headers["content-length"] == str(len(get_body))


async def test_head_on_the_websocket_path_is_told_to_upgrade(app: Application) -> None:
    status, headers, body = await exchange(app.websocket.port, request("HEAD", "/ws"))
    assert (status, headers["upgrade"], body) == (b"HTTP/1.1 426 Upgrade Required\r\n", "websocket", b"")


@pytest.mark.parametrize("path", ["/", "/ws", "/health", "/no-such-page"])
@pytest.mark.parametrize(("method", "headers", "body"), [
    ("GET", ["Content-Length: 5"], b"hello"),
    ("GET", ["Content-Length: 1000000"], b"x" * 1000),  # a body announced, mostly never sent
    ("GET", ["Transfer-Encoding: chunked"], b"5\r\nhello\r\n0\r\n\r\n"),
    ("POST", ["Content-Length: 5"], b"hello"),
    ("PUT", ["Transfer-Encoding: gzip, chunked"], b"0\r\n\r\n"),
])
async def test_a_request_with_a_body_on_the_websocket_port_gets_413(
    app: Application, path: str, method: str, headers: list[str], body: bytes
) -> None:
    status, answer_headers, text = await exchange(app.websocket.port, request(method, path, *headers, body=body))
    assert status == TOO_LARGE
    assert answer_headers["connection"] == "close"
    assert text.startswith(b"Failed to open a WebSocket connection: ")
    await still_serves(app)


@pytest.mark.parametrize("raw", [
    b"nonsense\r\n\r\n",
    b"GET / HTTP/2.0\r\nHost: localhost\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n",
    b"GET /\xff HTTP/1.1\r\nHost: localhost\r\n\r\n",
])
async def test_a_request_that_is_not_http_gets_400(app: Application, raw: bytes) -> None:
    status, _, text = await exchange(app.websocket.port, raw)
    assert status == b"HTTP/1.1 400 Bad Request\r\n"
    assert text.startswith(b"Failed to open a WebSocket connection: ")
    await still_serves(app)


@pytest.mark.parametrize("method", ["POST", "DELETE", "OPTIONS", "BREW"])
async def test_other_methods_without_a_body_get_405(app: Application, method: str) -> None:
    status, headers, _ = await exchange(app.websocket.port, request(method, "/", "Content-Length: 0"))
    assert (status, headers["allow"]) == (b"HTTP/1.1 405 Method Not Allowed\r\n", "GET, HEAD")


async def test_a_client_that_leaves_mid_request_is_not_answered(app: Application) -> None:
    status, _, _ = await exchange(app.websocket.port, b"GET / HTTP/1.1\r\nHost: local")
    assert status == b"\r\n"  # nothing at all: the request was never complete
    await still_serves(app)


async def still_serves(app: Application) -> None:
    """The server still answers plain HTTP on its WebSocket port."""
    status, _, _ = await exchange(app.websocket.port, request("GET", "/health"))
    assert status == b"HTTP/1.1 200 OK\r\n"


# ---- fragments ---------------------------------------------------------------------------


async def send_fragmented(client: RawClient, data: bytes, fragments: int) -> None:
    """One binary message in ``fragments`` frames."""
    size = -(-len(data) // fragments)
    pieces = [data[i * size : (i + 1) * size] for i in range(fragments)]
    client.protocol.send_binary(pieces[0], fin=False)
    for piece in pieces[1:-1]:
        client.protocol.send_continuation(piece, fin=False)
    client.protocol.send_continuation(pieces[-1], fin=True)
    await client.flush()


async def test_a_message_in_4096_fragments_is_read(app: Application, hand_frame: bytes) -> None:
    client = await RawClient.open(app.websocket.port)
    try:
        assert (await client.text_messages())[0]["type"] == "ready"
        await send_fragmented(client, hand_frame, 4096)
        messages: list[dict[str, object]] = []
        while not messages:
            messages = await client.text_messages()
        assert (messages[0]["type"], messages[0]["id"]) == ("prediction", 1)
    finally:
        client.close()


async def test_a_message_in_4097_fragments_closes_1009(app: Application, hand_frame: bytes) -> None:
    client = await RawClient.open(app.websocket.port)
    try:
        await send_fragmented(client, hand_frame, 4097)
        messages, close = await client.messages_until_closed()
    finally:
        client.close()
    assert [message["type"] for message in messages] == ["ready"]
    assert close == (1009, "too many fragments")
