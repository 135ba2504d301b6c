"""Releases on a live server: swaps, a canary and a rollback while sessions stream, and the admin API's guard."""

from __future__ import annotations

import asyncio
import json
import math
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from signify.app import Application

from testkit.model_files import Defect, write_release
from tests.conftest import StartApp
from tests.e2e.client import health, open_client, receive

TOKEN = "test-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HAND = [[0.5 + 0.01 * i, 0.5 - 0.015 * i, 0.0] for i in range(21)]
SWAP_BUDGET_S = 2.0


@pytest.fixture
def store(tmp_path: Path) -> Path:
    write_release(tmp_path, "1.0.0", "A")
    write_release(tmp_path, "2.0.0", "B")
    write_release(tmp_path, "3.0.0", defect=Defect(nan=True))  # newest, and broken
    return tmp_path


async def start(start_app: StartApp, store: Path, **env: str) -> Application:
    return await start_app(MODEL_STORE=str(store), ADMIN_TOKEN=TOKEN, MAX_SESSIONS_PER_CLIENT="0", MAX_FPS="240",
                           **env)


def admin_url(app: Application, path: str) -> str:
    return f"http://127.0.0.1:{app.health_port}/admin/{path}"


async def admin(app: Application, path: str, body: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        request = http.post(admin_url(app, path), json=body or {}, headers=AUTH if headers is None else headers) \
            if path != "releases" else http.get(admin_url(app, path), headers=AUTH if headers is None else headers)
        async with request as response:
            return response.status, await response.json()


async def stream(app: Application, frames: int, log: list[dict[str, Any]]) -> None:
    """One keypoint client in lockstep: a frame, then everything up to its answer."""
    async with open_client(app) as ws:
        log.append(await receive(ws))
        for frame_id in range(1, frames + 1):
            await ws.send(json.dumps({"type": "keypoints", "id": frame_id, "landmarks": HAND}))
            while True:
                message = await receive(ws)
                log.append(message)
                if message.get("id") == frame_id or frame_id in message.get("ids", []):
                    break
            await asyncio.sleep(0.006)


def check_stream(log: list[dict[str, Any]], frames: int) -> list[str]:
    """Every frame answered once, each answer by the model the last notice named; the versions in turn."""
    version = log[0]["model"]["version"]
    versions = [version]
    letter = {"1.0.0": "A", "2.0.0": "B"}
    answered: list[int] = []
    for message in log[1:]:
        if message["type"] == "model":
            version = message["model"]["version"]
            versions.append(version)
            continue
        assert message["type"] == "prediction", message
        answered.append(message["id"])
        assert message["top"][0]["label"] == letter[version], (message["id"], version, message["top"][0])
    assert answered == list(range(1, frames + 1))
    return versions


async def test_newest_broken_release_is_passed_over_and_a_pin_is_served(start_app: StartApp, store: Path) -> None:
    app = await start(start_app, store)
    assert (await health(app))["model"]["version"] == "2.0.0"
    pinned = await start(start_app, store, MODEL_VERSION="1.0.0")
    assert (await health(pinned))["model"]["version"] == "1.0.0"


async def test_without_a_valid_release_the_server_never_becomes_ready(start_app: StartApp, tmp_path: Path) -> None:
    write_release(tmp_path, "3.0.0", defect=Defect(nan=True))
    app = await start_app(MODEL_STORE=str(tmp_path))
    body = await health(app)
    assert body["ready"] is False and "warm_up" in body["error"]
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{app.health_port}/ready") as response:
        assert response.status == 503


async def test_activate_and_rollback_while_sessions_stream(start_app: StartApp, store: Path) -> None:
    app = await start(start_app, store, MODEL_VERSION="1.0.0")
    frames, clients = 220, 4
    logs: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    streams = asyncio.gather(*(stream(app, frames, log) for log in logs))
    await asyncio.sleep(0.4)
    started = time.perf_counter()
    status, body = await admin(app, "activate", {"version": "2.0.0"})
    activate_s = time.perf_counter() - started
    assert status == 200 and body["active"] == "2.0.0" and body["previous"] == "1.0.0", body
    assert (await health(app))["model"]["version"] == "2.0.0"
    status, body = await admin(app, "activate", {"version": "3.0.0"})  # broken: refused, nothing changes
    assert status == 422 and body["check"] == "warm_up", body
    await asyncio.sleep(0.4)
    started = time.perf_counter()
    status, body = await admin(app, "rollback")
    rollback_s = time.perf_counter() - started
    assert status == 200 and body["active"] == "1.0.0", body
    await streams
    for log in logs:
        assert check_stream(log, frames) == ["1.0.0", "2.0.0", "1.0.0"]
    assert activate_s < SWAP_BUDGET_S and rollback_s < SWAP_BUDGET_S
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{app.health_port}/metrics") as response:
        metrics = await response.text()
    assert 'signify_model_frames_total{version="2.0.0"}' in metrics
    assert 'signify_model_active{role="stable",version="1.0.0"}' in metrics


async def test_a_canary_serves_its_share_of_new_sessions_and_rolls_back(start_app: StartApp, store: Path) -> None:
    app = await start(start_app, store, MODEL_VERSION="1.0.0")
    log: list[dict[str, Any]] = []
    running = asyncio.create_task(stream(app, 60, log))  # a stable session streaming throughout
    await asyncio.sleep(0.1)
    started = time.perf_counter()
    status, body = await admin(app, "canary", {"version": "2.0.0", "percent": 30})
    assert status == 200 and body["canary"] == {"version": "2.0.0", "percent": 30.0}, body
    assert time.perf_counter() - started < SWAP_BUDGET_S
    assert (await health(app))["canary"]["version"] == "2.0.0"
    sessions, canaries = 200, 0
    for _ in range(sessions):
        async with open_client(app) as ws:
            canaries += (await receive(ws))["model"]["version"] == "2.0.0"
    p = 0.3
    assert abs(canaries - sessions * p) < 4 * math.sqrt(sessions * p * (1 - p)), canaries
    ws = await open_client(app)  # find a canary session, then roll the canary back under it
    while (await receive(ws))["model"]["version"] != "2.0.0":
        await ws.close()
        ws = await open_client(app)
    async with ws:
        await ws.send(json.dumps({"type": "keypoints", "id": 1, "landmarks": HAND}))
        assert (await receive(ws))["top"][0]["label"] == "B"
        status, body = await admin(app, "rollback")
        assert status == 200 and body["canary"] is None and body["active"] == "1.0.0"
        await ws.send(json.dumps({"type": "keypoints", "id": 2, "landmarks": HAND}))
        notice, answer = await receive(ws), await receive(ws)
        assert notice["type"] == "model" and notice["model"]["version"] == "1.0.0"
        assert answer["id"] == 2 and answer["top"][0]["label"] == "A"
    await running
    assert check_stream(log, 60) == ["1.0.0"]  # the canary never touched a session opened before it


async def test_a_swap_cancels_a_calibration_and_says_so(start_app: StartApp, store: Path) -> None:
    app = await start(start_app, store, MODEL_VERSION="1.0.0")
    async with open_client(app) as ws:
        ready = await receive(ws)
        assert ready["config"]["calibration"]["available"] is True
        await ws.send(json.dumps({"type": "calibration_start", "letters": ["A", "B"]}))
        assert (await receive(ws))["state"] == "prompt"
        assert (await admin(app, "activate", {"version": "2.0.0"}))[0] == 200
        await ws.send(json.dumps({"type": "keypoints", "id": 1, "landmarks": HAND}))
        notice = await receive(ws)
        assert notice == {"type": "model", "model": {"name": "asl-lstm", "version": "2.0.0",
                                                     "labels": ready["model"]["labels"]},
                          "calibration": {"available": True}, "profile_dropped": False,
                          "calibration_cancelled": True}
        answer = await receive(ws)
        assert answer["type"] == "prediction" and "calibration" not in answer


async def test_the_admin_api_wants_the_bearer_token_and_never_in_the_query(start_app: StartApp, store: Path) -> None:
    app = await start(start_app, store, MODEL_VERSION="1.0.0")
    status, body = await admin(app, "releases")
    assert status == 200 and [r["version"] for r in body["releases"]] == ["1.0.0", "2.0.0", "3.0.0"]
    assert body["active"] == "1.0.0"
    for headers in ({}, {"Authorization": "Bearer wrong-token-wrong-token"}, {"Authorization": TOKEN}):
        assert (await admin(app, "activate", {"version": "2.0.0"}, headers))[0] == 401
    async with aiohttp.ClientSession() as http, \
            http.get(admin_url(app, "releases") + f"?token={TOKEN}", headers=AUTH) as response:
        assert response.status == 400
    assert (await admin(app, "activate", {"version": "9.9.9"}))[0] == 404
    assert (await admin(app, "canary", {"version": "2.0.0", "percent": 150}))[0] == 409
    assert (await admin(app, "canary", {"version": "2.0.0"}))[0] == 400
    assert (await health(app))["model"]["version"] == "1.0.0"


async def test_without_admin_token_there_is_no_admin_api(start_app: StartApp, store: Path) -> None:
    app = await start_app(MODEL_STORE=str(store))
    async with aiohttp.ClientSession() as http, http.get(admin_url(app, "releases"), headers=AUTH) as response:
        assert response.status == 404
