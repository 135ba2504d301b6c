"""``python main.py`` in a subprocess, watched through its JSON log and /proc."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testkit.hand_drawing import TRACKER_COMPLEXITY

BACK = Path(__file__).resolve().parents[1] / "back"
START_LIMIT_S = 60.0


@dataclass(frozen=True)
class Usage:
    """What the process holds at one moment, from /proc/<pid>."""

    rss_kib: int
    threads: int
    fds: int


class ServerProcess:
    """The server as an operator starts it, on ephemeral loopback ports.

    Its stderr is read continuously by a thread (a full pipe would stall the
    server), so the log can be inspected while it runs and after it exits.
    """

    def __init__(
        self, *, python: Path | str = sys.executable, cwd: Path = BACK, base_env: Mapping[str, str] | None = None,
        **env: str,
    ) -> None:
        """Start ``python main.py`` in ``cwd``; ``env`` overrides ``base_env`` (by default this process's own)."""
        # Never a MODEL_PATH from the caller's environment: these tests prove the shipped model.
        inherited = {name: value for name, value in (os.environ if base_env is None else base_env).items()
                     if name != "MODEL_PATH"}
        # No donation store unless a test asks for one: never the repository's data/.
        # The lite landmark model, for testkit's drawn hands, unless a test says otherwise.
        environment = {**inherited, "HOST": "127.0.0.1", "PORT": "0", "HEALTH_PORT": "0", "LOG_LEVEL": "INFO",
                       "DATASET_PATH": "", "MEDIAPIPE_MODEL_COMPLEXITY": str(TRACKER_COMPLEXITY), **env}
        # The bound ports are read from the "Server listening" line, written at INFO.
        assert environment["LOG_LEVEL"] in ("INFO", "DEBUG"), "the ports are only logged at INFO"
        self.process = subprocess.Popen(
            [str(python), "main.py"], cwd=cwd, env=environment,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        self.host = environment["HOST"]  # a loopback address: 127.0.0.1, or a cluster slot's 127.0.1.N
        self.port = 0
        self.health_port = 0
        self._stderr: list[str] = []
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    @property
    def url(self) -> str:
        """The WebSocket endpoint (known once listening)."""
        return f"ws://{self.host}:{self.port}/ws"

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)
            entry = _json_line(line)
            if entry is not None and entry.get("message") == "Server listening":
                self.port, self.health_port = int(entry["port"]), int(entry["health_port"])
                self._listening.set()

    def wait_listening(self) -> None:
        """Wait for the "Server listening" line; fail with the log if the server exits instead."""
        deadline = time.monotonic() + START_LIMIT_S
        while not self._listening.wait(0.1):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("server did not start:\n" + self.stderr())
        assert self.health()["ready"], self.stderr()

    def health(self) -> dict[str, Any]:
        """The health port's /health body."""
        with urllib.request.urlopen(f"http://{self.host}:{self.health_port}/health", timeout=5) as response:
            body: dict[str, Any] = json.loads(response.read())
        return body

    def usage(self) -> Usage:
        """Resident memory, threads and open file descriptors right now."""
        status = dict(
            line.split(":", 1) for line in Path(f"/proc/{self.pid}/status").read_text().splitlines() if ":" in line
        )
        return Usage(
            rss_kib=int(status["VmRSS"].split()[0]),
            threads=int(status["Threads"]),
            fds=len(os.listdir(f"/proc/{self.pid}/fd")),
        )

    def terminate(self, limit_s: float = 60.0) -> int:
        """SIGTERM, then wait for the exit code."""
        self.process.terminate()
        code = self.process.wait(timeout=limit_s)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        """Stop it for good, whatever state it is in."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=10)

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far."""
        return "".join(self._stderr)

    def log(self) -> list[dict[str, Any]]:
        """The JSON log lines so far (a configuration error, written before logging starts, is skipped)."""
        return [entry for entry in map(_json_line, list(self._stderr)) if entry is not None]


def _json_line(line: str) -> dict[str, Any] | None:
    if not line.startswith("{"):
        return None
    try:
        entry: dict[str, Any] = json.loads(line)
    except ValueError:
        return None
    return entry
