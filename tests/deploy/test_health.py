"""The operator's view: /health, /live, /ready and /metrics on the health port, probes on PORT."""

from __future__ import annotations

import asyncio
import json
import re

import aiohttp
from signify.app import Application

from tests.conftest import StartApp
from tests.e2e.client import open_client, receive


async def fetch(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


def health_url(app: Application, path: str) -> str:
    return f"http://127.0.0.1:{app.health_port}{path}"


async def test_health_reports_service_model_uptime_sessions_version(start_app: StartApp) -> None:
    app = await start_app()
    status, text = await fetch(health_url(app, "/health"))
    body = json.loads(text)
    assert status == 200
    assert body["status"] == "ok" and body["service"] == "signify"
    assert body["model_loaded"] is True and body["ready"] is True
    assert body["model"]["name"] == "asl-lstm" and body["model"]["version"]
    assert body["uptime_s"] >= 0 and body["sessions"] == 0 and body["version"]
    assert (await fetch(health_url(app, "/live")))[0] == 200
    assert (await fetch(health_url(app, "/ready")))[0] == 200


async def test_probes_on_the_websocket_port(start_app: StartApp) -> None:
    app = await start_app()
    base = f"http://127.0.0.1:{app.websocket.port}"
    status, text = await fetch(base + "/health")
    assert status == 200 and json.loads(text)["model_loaded"] is True
    assert (await fetch(base + "/ready"))[0] == 200
    assert (await fetch(base + "/nothing-here"))[0] == 404
    assert json.loads((await fetch(base + "/config.json"))[1]) == {"websocket_port": None, "websocket_path": "/ws"}
    assert json.loads((await fetch(health_url(app, "/config.json")))[1])["websocket_port"] == app.websocket.port


async def test_ready_turns_503_while_draining(start_app: StartApp) -> None:
    app = await start_app()
    app.status.draining = True
    status, text = await fetch(health_url(app, "/ready"))
    assert status == 503 and json.loads(text)["status"] == "draining"
    assert (await fetch(health_url(app, "/health")))[0] == 200
    app.status.draining = False


async def test_a_missing_model_keeps_ready_at_503(start_app: StartApp, tmp_path: object) -> None:
    app = await start_app(MODEL_PATH="/nonexistent/asl-lstm.onnx")
    status, text = await fetch(health_url(app, "/health"))
    assert status == 200 and json.loads(text)["model_loaded"] is False
    assert (await fetch(health_url(app, "/ready")))[0] == 503
    async with open_client(app) as ws:
        await ws.wait_closed()
    assert ws.close_code == 1011  # never a fake prediction


async def test_metrics_count_frames_sessions_and_stage_latency(
    start_app: StartApp, hand_jpegs: list[bytes]
) -> None:
    app = await start_app()
    async with open_client(app) as ws:
        await receive(ws)
        for frame in hand_jpegs[:6]:
            await ws.send(frame)
            await receive(ws)
        await ws.send(b"not an image")
        await receive(ws)
        status, text = await fetch(health_url(app, "/metrics"))
    assert status == 200

    def value(pattern: str) -> float:
        match = re.search(rf"^{pattern} ([0-9.e+-]+)$", text, re.MULTILINE)
        assert match, pattern
        return float(match.group(1))

    assert value("signify_frames_received_total") == 7
    assert value("signify_frames_processed_total") == 6
    assert value(r'signify_frames_failed_total\{code="bad_image"\}') == 1
    assert value("signify_frames_dropped_total") == 0
    assert value("signify_sessions_open") == 1
    for stage in ("decode", "keypoints", "model", "total"):
        assert value(rf'signify_stage_latency_seconds_count\{{stage="{stage}"\}}') == 6
    assert re.search(r'^signify_model_info\{name="asl-lstm",version="[^"]+"\} 1.0$', text, re.MULTILINE)


async def test_ready_turns_503_while_every_seat_is_taken_and_200_when_one_frees(start_app: StartApp) -> None:
    app = await start_app(MAX_SESSIONS="1", MAX_KEYPOINT_SESSIONS="1")
    probes = [health_url(app, "/ready"), f"http://127.0.0.1:{app.websocket.port}/ready"]
    async with open_client(app) as ws:
        assert (await receive(ws))["type"] == "ready"
        for url in probes:
            status, text = await fetch(url)
            assert status == 503 and json.loads(text)["status"] == "full"
        assert (await fetch(health_url(app, "/health")))[0] == 200
        await ws.send(b"\xff\xd8 still served")  # the open socket is never touched by it
        assert (await receive(ws))["type"] == "error"
    for _ in range(100):
        if app.status.sessions == 0:
            break
        await asyncio.sleep(0.02)
    for url in probes:
        status, text = await fetch(url)
        assert status == 200 and json.loads(text)["status"] == "ok"
