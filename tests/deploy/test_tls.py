"""wss:// without a proxy: SSL_CERTFILE and SSL_KEYFILE make the server speak TLS itself."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.conftest import StartApp

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


async def test_wss_with_a_self_signed_certificate(
    start_app: StartApp, certificate: tuple[Path, Path], hand_jpegs: list[bytes]
) -> None:
    cert, key = certificate
    app = await start_app(SSL_CERTFILE=str(cert), SSL_KEYFILE=str(key))
    client_tls = ssl.create_default_context(cafile=str(cert))
    async with connect(f"wss://127.0.0.1:{app.websocket.port}/ws", ssl=client_tls, compression=None) as ws:
        ready = json.loads(await ws.recv())
        answers = []
        for frame in hand_jpegs[:5]:
            await ws.send(frame)
            answers.append(json.loads(await ws.recv()))
    assert ready["type"] == "ready"
    assert [a["type"] for a in answers] == ["prediction"] * 5
    assert any(a["hand"] for a in answers)


async def test_plain_ws_is_refused_when_tls_is_on(start_app: StartApp, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    app = await start_app(SSL_CERTFILE=str(cert), SSL_KEYFILE=str(key))
    with pytest.raises(Exception):  # noqa: B017 - the exact failure depends on how the TLS server hangs up
        async with connect(f"ws://127.0.0.1:{app.websocket.port}/ws", open_timeout=3):
            pass
