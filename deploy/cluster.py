"""A Signify cluster on one machine: N replicas on loopback behind HAProxy, with deploy/haproxy.cfg.

``make cluster`` (``python -m deploy.cluster --replicas 3``) starts replica N
of ``python main.py`` on 127.0.1.N, all with the same PORT and HEALTH_PORT as
containers would have, then HAProxy in front of them on 127.0.0.1:8765 and
its status page on 127.0.0.1:8404. Ctrl-C stops everything: the replicas
drain (every accepted frame answered, then 1001), then HAProxy. SIGHUP rolls
the replicas as a deploy does: a fresh replica in a free slot, ready and seen
up by HAProxy, before the old one gets SIGTERM, one at a time.

:class:`HAProxy` is also what the cluster tests and ``python -m bench
--cluster`` run, so all three exercise the configuration that ships.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "deploy" / "haproxy.cfg"
BACKEND = "replicas"  # the backend's name in haproxy.cfg
SLOTS = 8  # loopback slots in haproxy.cfg: replica N on 127.0.1.N
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_LIMIT_S = 60.0


def slot_host(slot: int) -> str:
    """The loopback address of replica slot ``slot`` (1 to :data:`SLOTS`), as haproxy.cfg names it."""
    if not 1 <= slot <= SLOTS:
        raise ValueError(f"slots are 1 to {SLOTS}")
    return f"127.0.1.{slot}"


def server_name(slot: int) -> str:
    """HAProxy's name for the server in ``slot``."""
    return f"replica{slot}"


@dataclass(frozen=True)
class Ports:
    """Where HAProxy listens (``lb``, ``stats``, on 127.0.0.1) and the ports every replica binds on its address."""

    lb: int = 8765
    stats: int = 8404
    replica: int = 8765
    health: int = 8080

    def haproxy_env(self) -> dict[str, str]:
        """The environment deploy/haproxy.cfg reads, for the loopback slots."""
        return {"SIGNIFY_LB_BIND": f"127.0.0.1:{self.lb}", "SIGNIFY_LB_STATS": f"127.0.0.1:{self.stats}",
                "SIGNIFY_PORT": str(self.replica), "SIGNIFY_HEALTH_PORT": str(self.health)}

    def replica_env(self, slot: int) -> dict[str, str]:
        """The settings of the replica in ``slot``: its own address, the shared ports, HAProxy as trusted proxy."""
        # HAProxy connects from 127.0.0.1: its X-Forwarded-For names the camera.
        return {"HOST": slot_host(slot), "PORT": str(self.replica), "HEALTH_PORT": str(self.health),
                "TRUSTED_PROXIES": "127.0.0.1"}


def parse_stats_csv(text: str, backend: str = BACKEND) -> dict[str, str]:
    """HAProxy's ``;csv`` status page: each server of ``backend`` and its status (UP, DOWN, MAINT, ...)."""
    rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
    return {row["svname"]: row["status"].split(" ")[0] for row in rows
            if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")}


class HAProxy:
    """``haproxy -f deploy/haproxy.cfg`` in the foreground, its log lines read by a thread."""

    def __init__(self, ports: Ports, config: Path = CONFIG, on_line: Callable[[str], None] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        """Start it; ``on_line`` gets every line it logs (each connection's JSON line when it ends)."""
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(binary).exists():
            raise FileNotFoundError("haproxy is not installed: apt-get install haproxy (.ci/run does)")
        self.ports = ports
        self.lines: list[str] = []
        self._on_line = on_line
        self.process = subprocess.Popen(
            [binary, "-db", "-f", str(config)], env={**os.environ, **ports.haproxy_env(), **(env or {})},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,  # Ctrl-C reaches this process only: it stops them in order
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def url(self) -> str:
        """Where cameras connect."""
        return f"ws://127.0.0.1:{self.ports.lb}/ws"

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if self._on_line is not None:
                self._on_line(line)

    def servers(self) -> dict[str, str]:
        """Each server's status as HAProxy sees it now (``replica1``: ``UP``, ...)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ports.stats}/;csv", timeout=5) as response:
            return parse_stats_csv(response.read().decode())

    def wait_serving(self, slots: Iterable[int], limit_s: float = 30.0) -> None:
        """Wait until HAProxy sends cameras to exactly these slots: each of them up, every other slot down.

        A server counts as up until its first check says otherwise, so right after
        HAProxy starts an empty slot would still be offered connections (each
        retried elsewhere once refused).
        """
        up = set(slots)
        self.wait_status({slot: "UP" if slot in up else "DOWN" for slot in range(1, SLOTS + 1)}, limit_s)

    def wait_status(self, slots: Mapping[int, str], limit_s: float = 30.0) -> None:
        """Wait until each slot's server has the status given (``UP`` or ``DOWN``)."""
        wanted = {server_name(slot): status for slot, status in slots.items()}
        deadline = time.monotonic() + limit_s
        seen: dict[str, str] = {}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("haproxy exited:\n" + "".join(self.lines))
            try:
                seen = self.servers()
            except OSError:
                seen = {}
            if all(seen.get(name) == status for name, status in wanted.items()):
                return
            time.sleep(0.05)
        raise TimeoutError(f"haproxy did not see {wanted} (saw {seen})")

    def connections(self) -> list[dict[str, object]]:
        """The JSON lines HAProxy logged so far, one per connection that ended."""
        found: list[dict[str, object]] = []
        for line in list(self.lines):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                found.append(entry)
        return found

    def cpu_seconds(self) -> float:
        """User plus system CPU time HAProxy has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        """Stop at once (SIGTERM is HAProxy's hard stop: stop the replicas first, they close their sockets)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)


class Replica:
    """``python main.py`` in back/, on its slot's address; its JSON log goes to this process's stderr."""

    def __init__(self, slot: int, ports: Ports, env: Mapping[str, str] | None = None) -> None:
        self.slot = slot
        self.ports = ports
        self.process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=REPO / "back",
            env={**os.environ, **(env or {}), **ports.replica_env(slot)},
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
        )

    def ready(self) -> bool:
        """Whether /ready answers 200 now."""
        try:
            with urllib.request.urlopen(f"http://{slot_host(self.slot)}:{self.ports.health}/ready", timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def wait_ready(self, limit_s: float = START_LIMIT_S) -> None:
        """Wait for /ready 200; fail if the process exits first."""
        deadline = time.monotonic() + limit_s
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"replica in slot {self.slot} did not start")
            time.sleep(0.05)

    def terminate(self, limit_s: float = 60.0) -> int:
        """SIGTERM (drain, then 1001 to every client) and wait for the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(timeout=limit_s)


class LocalCluster:
    """Replicas in slots 1..N and HAProxy in front, started and stopped together."""

    def __init__(self, replicas: int, ports: Ports, env: Mapping[str, str] | None = None) -> None:
        if not 1 <= replicas < SLOTS:
            raise ValueError(f"1 to {SLOTS - 1} replicas (one slot stays free for rolling deploys)")
        self.ports = ports
        self._env = dict(env or {})
        self._count = replicas
        self.replicas: dict[int, Replica] = {}
        self.haproxy: HAProxy | None = None

    def start(self) -> None:
        """Start the replicas (in parallel), wait until they are ready, then HAProxy, until it sees them up."""
        for slot in range(1, self._count + 1):
            self.replicas[slot] = Replica(slot, self.ports, self._env)
        for replica in self.replicas.values():
            replica.wait_ready()
        self.haproxy = HAProxy(self.ports, on_line=_forward)
        self.haproxy.wait_serving(self.replicas)

    def roll(self) -> None:
        """A rolling deploy: each replica in turn is replaced by a fresh one in a free slot, started first."""
        assert self.haproxy is not None
        for old in sorted(self.replicas):
            slot = next(s for s in range(1, SLOTS + 1) if s not in self.replicas)
            fresh = Replica(slot, self.ports, self._env)
            fresh.wait_ready()
            self.haproxy.wait_status({slot: "UP"})
            self.replicas[slot] = fresh
            self.replicas.pop(old).terminate()

    def stop(self) -> None:
        """Drain every replica (in parallel), then stop HAProxy."""
        for replica in self.replicas.values():
            if replica.process.poll() is None:
                replica.process.terminate()
        for replica in self.replicas.values():
            try:
                replica.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                replica.process.kill()
        if self.haproxy is not None:
            self.haproxy.stop()


def main(argv: list[str] | None = None) -> int:
    """Run a local cluster until Ctrl-C; SIGHUP rolls the replicas."""
    parser = argparse.ArgumentParser(prog="python -m deploy.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765, help="where cameras connect (HAProxy, on 127.0.0.1)")
    parser.add_argument("--stats-port", type=int, default=8404, help="HAProxy's status page")
    parser.add_argument("--replica-port", type=int, default=8765, help="PORT of every replica, on its own address")
    parser.add_argument("--health-port", type=int, default=8080, help="HEALTH_PORT of every replica")
    args = parser.parse_args(argv)
    cluster = LocalCluster(args.replicas, Ports(args.port, args.stats_port, args.replica_port, args.health_port))
    stop = threading.Event()
    roll = threading.Event()

    def on_stop(_: int, __: FrameType | None) -> None:
        stop.set()

    def on_hup(_: int, __: FrameType | None) -> None:
        roll.set()

    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGHUP, on_hup)
    try:
        cluster.start()
        _say(f"cluster up: {args.replicas} replicas behind HAProxy; open http://localhost:{args.port}/ "
             f"(HAProxy's status: http://localhost:{args.stats_port}/). Ctrl-C stops all; "
             f"kill -HUP {os.getpid()} rolls the replicas one by one.")
        while not stop.wait(0.2):
            if roll.is_set():
                roll.clear()
                _say("rolling the replicas")
                cluster.roll()
                _say(f"rolled: replicas now in slots {sorted(cluster.replicas)}")
    finally:
        _say("stopping: replicas drain, then HAProxy")
        cluster.stop()
    return 0


def _forward(line: str) -> None:
    """HAProxy's line on this process's stderr, as JSON: its connection lines are; its notices are wrapped."""
    line = line.rstrip("\n")
    if not line.startswith("{"):
        if line.startswith("[") and "]" in line:  # "[WARNING]  (1070) : ...": the same notice follows as a log line
            return
        line = json.dumps({"logger": "haproxy", "level": "INFO", "message": line})
    sys.stderr.write(line + "\n")


def _say(message: str) -> None:
    sys.stderr.write(json.dumps({"logger": "deploy.cluster", "level": "INFO", "message": message}) + "\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
