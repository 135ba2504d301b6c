"""deploy/: HAProxy's configuration as HAProxy itself reads it, and the compose file that runs it in Docker.

There is no Docker engine here: compose.yaml is held to what it must say (the
same haproxy.cfg, the image's ports, a drain that fits DRAIN_TIMEOUT), and
haproxy.cfg is checked by ``haproxy -c`` in both of its modes. tests/cluster
runs the very same file in front of real replicas.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml
from signify.config import Settings

from deploy.cluster import CONFIG, SLOTS, Ports, parse_stats_csv, slot_host
from tests.deploy.dockerfile import read_dockerfile

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "deploy" / "compose.yaml"


def haproxy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["haproxy", "-c", "-f", str(CONFIG)], env={**os.environ, **env},
                          capture_output=True, text=True, check=False)


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def test_haproxy_accepts_the_configuration_for_loopback_replicas_and_for_docker() -> None:
    loopback = haproxy_check(Ports().haproxy_env())
    assert loopback.returncode == 0, loopback.stderr
    docker = haproxy_check({"SIGNIFY_SERVICE": "signify"})
    assert docker.returncode == 0, docker.stderr
    assert "Warnings" not in loopback.stdout + loopback.stderr + docker.stdout + docker.stderr


def test_the_configuration_balances_websockets_by_open_sockets_and_probes_ready() -> None:
    text = CONFIG.read_text()
    for line in ("balance leastconn", "http-check send meth GET uri /ready", "http-check expect status 200",
                 "option forwardfor", "timeout tunnel 1h", "option redispatch 1"):
        assert re.search(rf"^\s+{re.escape(line)}\s*$", text, re.MULTILINE), line
    assert 'check port "${SIGNIFY_HEALTH_PORT-8080}"' in text
    slots = re.findall(r'server (replica\d) "(127\.0\.1\.\d+):', text)
    assert slots == [(f"replica{n}", slot_host(n)) for n in range(1, SLOTS + 1)]


def test_compose_puts_the_same_haproxy_in_front_of_replicas_of_the_image() -> None:
    services = compose()["services"]
    replica, haproxy = services["signify"], services["haproxy"]
    assert replica["build"] == {"context": "..", "dockerfile": "back/Dockerfile"}
    assert (COMPOSE.parent / replica["build"]["context"] / replica["build"]["dockerfile"]).resolve() == \
        REPO / "back" / "Dockerfile"
    mount, target = haproxy["volumes"][0].split(":")[:2]
    assert (COMPOSE.parent / mount).resolve() == CONFIG and target == "/usr/local/etc/haproxy/haproxy.cfg"
    assert haproxy["image"].startswith("haproxy:2.")
    assert "ports" not in replica  # cameras reach the replicas through HAProxy only
    env = haproxy["environment"]
    assert env["SIGNIFY_SERVICE"] == "signify"  # the service's DNS name: one address per replica


def test_compose_names_the_ports_the_image_listens_on() -> None:
    docker_env = {}
    for instruction in read_dockerfile():
        if instruction.keyword == "ENV":
            docker_env.update(pair.split("=", 1) for pair in instruction.arguments.split() if "=" in pair)
    env = compose()["services"]["haproxy"]["environment"]
    assert env["SIGNIFY_PORT"] == docker_env["PORT"] == "8765"
    assert env["SIGNIFY_HEALTH_PORT"] == docker_env["HEALTH_PORT"] == "8080"
    published = compose()["services"]["haproxy"]["ports"]
    assert f"{env['SIGNIFY_LB_BIND'].lstrip(':')}:8765" in published


def test_compose_trusts_haproxy_and_waits_out_the_drain() -> None:
    services = compose()["services"]
    replica = services["signify"]
    haproxy_address = services["haproxy"]["networks"]["signify"]["ipv4_address"]
    assert replica["environment"]["TRUSTED_PROXIES"] == haproxy_address
    drain = int(replica["environment"]["DRAIN_TIMEOUT"])
    grace = int(replica["stop_grace_period"].rstrip("s"))
    assert grace >= drain + 2  # the server exits within DRAIN_TIMEOUT + 2 s (docs/operations.md)


def test_the_status_page_is_read_for_the_backend_servers_only() -> None:
    text = ("# pxname,svname,qcur,status,\ncameras,FRONTEND,,OPEN,\nreplicas,replica1,0,UP,\n"
            "replicas,replica2,0,DOWN 1/2,\nreplicas,BACKEND,0,UP,\n")
    assert parse_stats_csv(text) == {"replica1": "UP", "replica2": "DOWN"}


def test_railway_runs_replicas_and_waits_for_the_drain_before_sigkill() -> None:
    config = tomllib.loads((REPO / "railway.toml").read_text())["deploy"]
    assert isinstance(config["numReplicas"], int) and config["numReplicas"] >= 2
    drain_timeout = Settings.from_env({}).drain_timeout
    # The server exits within DRAIN_TIMEOUT + 2 s (docs/operations.md); Railway's SIGKILL must come later.
    assert isinstance(config["drainingSeconds"], int) and config["drainingSeconds"] >= drain_timeout + 2
    assert config["healthcheckPath"] == "/ready"
