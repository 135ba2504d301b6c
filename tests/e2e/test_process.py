"""`python main.py` as an operator runs it: start-up, probes on both ports, SIGTERM drain."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

BACK = Path(__file__).resolve().parents[2] / "back"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class ServerProcess:
    """The server started exactly as the README says, with ephemeral ports."""

    def __init__(self, **env: str) -> None:
        self.port, self.health_port = free_port(), free_port()
        environment = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port),
                       "HEALTH_PORT": str(self.health_port), "MAX_FPS": "240", **env}
        # Logs go to a file: a pipe nobody reads fills up and blocks the server mid-log.
        self.log_file = tempfile.NamedTemporaryFile(mode="w+", suffix=".log", prefix="signify-")  # noqa: SIM115
        self.process = subprocess.Popen([sys.executable, "main.py"], cwd=BACK, env=environment,
                                        stdout=subprocess.DEVNULL, stderr=self.log_file, text=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.stderr()
            try:
                if get(f"http://127.0.0.1:{self.health_port}/ready")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not become ready")

    def wait_health(self, condition: Callable[[dict[str, object]], bool]) -> tuple[int, dict[str, object]]:
        """Poll the health port's /health until its body satisfies ``condition``."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{self.health_port}/health")
                if condition(body):
                    return status, body
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("health never reached the expected state")

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far."""
        with open(self.log_file.name) as log:
            return log.read()

    def log_lines(self) -> list[dict[str, object]]:
        """The JSON log lines, once the process has ended."""
        self.process.wait(timeout=30)
        return [json.loads(line) for line in self.stderr().splitlines() if line.startswith("{")]


@pytest.fixture
def server() -> Iterator[ServerProcess]:
    process = ServerProcess()
    yield process
    if process.process.poll() is None:
        process.process.kill()
        process.process.communicate()


def test_probes_answer_on_both_ports(server: ServerProcess) -> None:
    server.wait_ready()
    for port in (server.port, server.health_port):
        status, body = get(f"http://127.0.0.1:{port}/health")
        assert status == 200
        assert body["model_loaded"] is True and body["status"] == "ok"
        assert get(f"http://127.0.0.1:{port}/ready")[0] == 200
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=20) == 0
    messages = [line["message"] for line in server.log_lines()]
    assert "Loaded ONNX model" in messages
    assert "Server stopped" in messages


def test_sigterm_answers_every_accepted_frame_then_closes_with_1001(
    server: ServerProcess, hand_jpegs: list[bytes]
) -> None:
    server.wait_ready()

    async def stream_through_shutdown() -> tuple[dict[int, str], int | None]:
        answers: dict[int, str] = {}
        async with connect(f"ws://127.0.0.1:{server.port}/ws", compression=None) as ws:
            await ws.recv()
            for frame in hand_jpegs[:10]:
                await ws.send(frame)
            server.process.send_signal(signal.SIGTERM)
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
    assert sorted(answers) == list(range(1, 11))  # every frame sent before SIGTERM got its one answer
    assert set(answers.values()) <= {"prediction", "superseded", "shutting_down"}
    predicted = [frame_id for frame_id, answer in answers.items() if answer == "prediction"]
    assert predicted
    # A frame is only superseded by a newer one that is then served; frames that
    # arrived after the drain began are refused, never left unanswered.
    superseded = [frame_id for frame_id, answer in answers.items() if answer == "superseded"]
    assert all(any(p > frame_id for p in predicted) for frame_id in superseded)
    refused = [frame_id for frame_id, answer in answers.items() if answer == "shutting_down"]
    assert all(frame_id > max(predicted) for frame_id in refused)
    assert server.process.wait(timeout=20) == 0
    lines = server.log_lines()
    disconnected = [line for line in lines if line["message"] == "Client disconnected"]
    assert len(disconnected) == 1 and disconnected[0]["frames"] == 10
    assert any(line["message"] == "Client connected" and "session" in line for line in lines)


def test_a_missing_model_is_said_plainly_and_never_ready(tmp_path: Path) -> None:
    server = ServerProcess(MODEL_PATH=str(tmp_path / "absent.onnx"))
    try:
        status, body = server.wait_health(lambda body: body["status"] == "error")
        assert status == 200
        assert body["model_loaded"] is False
        assert "absent.onnx" in str(body["error"])
        assert get(f"http://127.0.0.1:{server.health_port}/ready")[0] == 503
        assert get(f"http://127.0.0.1:{server.port}/ready")[0] == 503
    finally:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=20) == 0
    errors = [line for line in server.log_lines() if line["level"] == "ERROR"]
    assert errors and "absent.onnx" in str(errors[0]["error"])


def test_a_bad_setting_stops_start_up_with_one_line_naming_it() -> None:
    result = subprocess.run([sys.executable, "main.py"], cwd=BACK, env={**os.environ, "SLIDING_WINDOW_SIZE": "zero"},
                            capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "SLIDING_WINDOW_SIZE" in result.stderr
