"""A cluster on loopback: replicas (``python main.py``, as an operator starts it) behind the real HAProxy.

Replica N listens on 127.0.1.N, every replica on the same PORT and
HEALTH_PORT, as deploy/haproxy.cfg's loopback slots expect; HAProxy runs
that very file (deploy/cluster.py starts it). HAProxy must be installed:
.ci/run installs it, and these tests fail rather than skip without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest

from bench.process import free_port
from deploy.cluster import SLOTS, HAProxy, Ports
from tests.server_process import ServerProcess


class Cluster:
    """Replicas in slots, HAProxy in front; every process is stopped at the end of the test."""

    def __init__(self, **env: str) -> None:
        self.ports = Ports(lb=free_port(), stats=free_port(), replica=free_port(), health=free_port())
        self.env = {"TRUSTED_PROXIES": "127.0.0.1", "DRAIN_TIMEOUT": "5", **env}
        self.replicas: dict[int, ServerProcess] = {}
        self.retired: list[ServerProcess] = []
        self.haproxy: HAProxy | None = None

    @property
    def url(self) -> str:
        """Where cameras connect: HAProxy."""
        assert self.haproxy is not None
        return self.haproxy.url

    def start(self, replicas: int) -> None:
        """Start ``replicas`` replicas (in parallel) and HAProxy; return once HAProxy sees them all up."""
        started = [self._launch(slot) for slot in range(1, replicas + 1)]
        for replica in started:
            replica.wait_listening()
        self.haproxy = HAProxy(self.ports)
        self.haproxy.wait_serving(self.replicas)

    def _launch(self, slot: int) -> ServerProcess:
        replica = ServerProcess(**{**self.ports.replica_env(slot), **self.env})
        self.replicas[slot] = replica
        return replica

    def add_replica(self) -> int:
        """Start a fresh replica in a free slot; return the slot once HAProxy sends it cameras."""
        assert self.haproxy is not None
        slot = next(s for s in range(1, SLOTS + 1) if s not in self.replicas)
        self._launch(slot).wait_listening()
        self.haproxy.wait_status({slot: "UP"})
        return slot

    def terminate(self, slot: int) -> int:
        """SIGTERM the replica in ``slot`` and wait for its exit code."""
        replica = self.replicas.pop(slot)
        self.retired.append(replica)
        return replica.terminate()

    def kill(self, slot: int) -> None:
        """SIGKILL the replica in ``slot``."""
        replica = self.replicas.pop(slot)
        self.retired.append(replica)
        replica.kill()

    def sessions(self) -> dict[int, int]:
        """Open sessions per slot, from each replica's /health."""
        return {slot: int(replica.health()["sessions"]) for slot, replica in self.replicas.items()}

    def closed_sessions(self) -> list[dict[str, object]]:
        """Every "Client disconnected" line of every replica so far."""
        return [entry for replica in [*self.replicas.values(), *self.retired] for entry in replica.log()
                if entry.get("message") == "Client disconnected"]

    def stop(self) -> None:
        """Stop everything at once."""
        for replica in [*self.replicas.values(), *self.retired]:
            replica.kill()
        if self.haproxy is not None:
            self.haproxy.stop()


MakeCluster = Callable[..., Cluster]


@pytest.fixture
def make_cluster() -> Iterator[MakeCluster]:
    """Make an unstarted cluster whose replicas get the settings given; all are stopped after the test."""
    made: list[Cluster] = []

    def make(**env: str) -> Cluster:
        one = Cluster(**env)
        made.append(one)
        return one

    yield make
    for one in made:
        one.stop()


async def until(condition: Callable[[], bool], limit_s: float = 10.0, message: str = "") -> None:
    """Poll ``condition`` until it is true; fail after ``limit_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {limit_s} s: {message}")
        await asyncio.sleep(0.05)
