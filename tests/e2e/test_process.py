"""`python main.py` as an operator runs it: start-up, probes on both ports, SIGTERM drain."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.server_process import BACK, ServerProcess


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    process = ServerProcess(MAX_FPS="240")
    process.wait_listening()
    yield process
    process.kill()


def test_probes_answer_on_both_ports(server: ServerProcess) -> None:
    for port in (server.port, server.health_port):
        status, body = get(f"http://127.0.0.1:{port}/health")
        assert status == 200
        assert body["model_loaded"] is True and body["status"] == "ok"
        assert get(f"http://127.0.0.1:{port}/ready")[0] == 200
    assert server.terminate() == 0
    messages = [line["message"] for line in server.log()]
    assert "Loaded ONNX model" in messages
    assert "Server stopped" in messages


def test_sigterm_answers_every_accepted_frame_then_closes_with_1001(
    server: ServerProcess, hand_jpegs: list[bytes]
) -> None:
    async def stream_through_shutdown() -> tuple[dict[int, str], int | None]:
        answers: dict[int, str] = {}
        async with connect(server.url, compression=None) as ws:
            await ws.recv()
            for frame in hand_jpegs[:10]:
                await ws.send(frame)
            server.process.terminate()
            try:
                while True:
                    message = json.loads(await ws.recv())
                    for frame_id in message.get("ids") or [message["id"]]:
                        answers[frame_id] = message.get("reason", message["type"])
            except ConnectionClosed:
                pass
            return answers, ws.close_code

    answers, close_code = asyncio.run(stream_through_shutdown())
    assert close_code == 1001
    assert server.process.wait(timeout=20) == 0
    disconnected = [line for line in server.log() if line["message"] == "Client disconnected"]
    assert len(disconnected) == 1
    accepted = disconnected[0]["frames"]
    # Every frame the server accepted got exactly one answer; a frame is only superseded by a
    # newer one that is then served, and frames arriving after the drain began are refused.
    assert sorted(answers)[: int(accepted)] == list(range(1, int(accepted) + 1))
    assert set(answers.values()) <= {"prediction", "superseded", "shutting_down"}
    predicted = [frame_id for frame_id, answer in answers.items() if answer == "prediction"]
    assert predicted
    superseded = [frame_id for frame_id, answer in answers.items() if answer == "superseded"]
    assert all(any(p > frame_id for p in predicted) for frame_id in superseded)
    refused = [frame_id for frame_id, answer in answers.items() if answer == "shutting_down"]
    assert all(frame_id > max(predicted) for frame_id in refused)
    assert any(line["message"] == "Client connected" and "session" in line for line in server.log())


def test_a_missing_model_is_said_plainly_and_never_ready(tmp_path: Path) -> None:
    server = ServerProcess(MODEL_PATH=str(tmp_path / "absent.onnx"))
    try:
        deadline = time.monotonic() + 30
        while not any(line["level"] == "ERROR" for line in server.log()):
            assert server.process.poll() is None and time.monotonic() < deadline, server.stderr()
            time.sleep(0.1)
        while not server.port:
            time.sleep(0.05)
        status, body = get(f"http://127.0.0.1:{server.health_port}/health")
        assert status == 200
        assert body["model_loaded"] is False
        assert "absent.onnx" in str(body["error"])
        assert get(f"http://127.0.0.1:{server.health_port}/ready")[0] == 503
        assert get(f"http://127.0.0.1:{server.port}/ready")[0] == 503
    finally:
        assert server.terminate() == 0
    errors = [line for line in server.log() if line["level"] == "ERROR"]
    assert "absent.onnx" in str(errors[0]["error"])


def test_a_bad_setting_stops_start_up_with_one_line_naming_it() -> None:
    result = subprocess.run([sys.executable, "main.py"], cwd=BACK, env={"SLIDING_WINDOW_SIZE": "zero", "PATH": ""},
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SLIDING_WINDOW_SIZE" in result.stderr
