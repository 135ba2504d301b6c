"""A server under test in its own process, measured from /proc."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from signify.config import VARIABLES

from testkit.hand_drawing import TRACKER_COMPLEXITY

REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerUnderTest:
    """A started server: its process, ports and cold-start time."""

    process: subprocess.Popen[bytes]
    port: int
    health_port: int | None
    cold_start_s: float

    @property
    def url(self) -> str:
        """The WebSocket endpoint."""
        return f"ws://127.0.0.1:{self.port}/ws"

    def rss_mb(self) -> float:
        """Resident memory now, in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def idle_rss_mb(self, timeout: float = 60.0) -> float | None:
        """Resident memory once every session and its graph are gone and the heap trimmed (Signify only)."""
        if self.health_port is None:
            return None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/health", timeout=5) as response:
                health = json.loads(response.read())
            if not health["sessions"] and not health.get("sessions_closing"):
                return self.rss_mb()  # sessions_closing 0: the heap is trimmed too
            time.sleep(0.1)
        return None

    def cpu_seconds(self) -> float:
        """User plus system CPU time used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        """SIGTERM, then wait."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def server_complexity(chosen: str | None, frames: str) -> str:
    """MEDIAPIPE_MODEL_COMPLEXITY for Signify's server: ``chosen``; else, for testkit's drawn hands, the lite
    landmark model they are drawn for (the full one finds none of them); else the environment's or the default."""
    if chosen:
        return chosen
    if frames == "drawn":
        return str(TRACKER_COMPLEXITY)
    default = next(v.default for v in VARIABLES if v.name == "MEDIAPIPE_MODEL_COMPLEXITY")
    return os.environ.get("MEDIAPIPE_MODEL_COMPLEXITY", default)


def start_signify(max_sessions: int, max_fps: int, extra_env: dict[str, str] | None = None) -> ServerUnderTest:
    """``python main.py`` in back/, timed from launch to /ready 200."""
    port, health_port = free_port(), free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "HEALTH_PORT": str(health_port),
           "MAX_SESSIONS": str(max_sessions), "MAX_FPS": str(max_fps), "LOG_LEVEL": "WARNING",
           # Every simulated camera connects from 127.0.0.1.
           "MAX_SESSIONS_PER_CLIENT": "0", **(extra_env or {})}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "main.py"], cwd=REPO / "back", env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: _http_ok(f"http://127.0.0.1:{health_port}/ready"), process)
    return ServerUnderTest(process, port, health_port, time.perf_counter() - started)


def start_naive(model_complexity: int = 0) -> ServerUnderTest:
    """The naive design (bench/naive_server.py), timed from launch to its first accepted connection."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.naive_server", str(port), str(model_complexity)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: _port_open(port), process)
    return ServerUnderTest(process, port, None, time.perf_counter() - started)


def start_floor() -> ServerUnderTest:
    """The floor server (bench/floor_server.py): WebSocket and JSON only, timed to its first accepted connection."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.floor_server", str(port)], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: _port_open(port), process)
    return ServerUnderTest(process, port, None, time.perf_counter() - started)


def _wait_for(condition: object, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise RuntimeError("server did not start in time")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
