"""The Dockerfile, .dockerignore and railway.toml describe an image that can really be built and run."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from prune_dependencies import BASE_PACKAGES  # the base image's own packages: in the venv, not our layer
from signify.config import Settings
from websockets.asyncio.client import connect

from tests.deploy.dockerfile import (
    REPO,
    Instruction,
    copy_sources,
    dependency_steps,
    dockerignore_excludes,
    pip_commands,
    read_dockerfile,
    read_dockerignore,
)
from tests.server_process import ServerProcess

LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


def context_files(source: str) -> list[Path]:
    path = REPO / source
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def test_base_image_user_ports_healthcheck_and_command() -> None:
    instructions = read_dockerfile()
    keywords = [i.keyword for i in instructions]
    assert instructions[0].keyword == "FROM" and instructions[0].arguments == "python:3.11-slim"
    users = [i.arguments for i in instructions if i.keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    exposed = {port for i in instructions if i.keyword == "EXPOSE" for port in i.arguments.split()}
    assert {"8765", "8080"} <= exposed
    healthcheck = next(i for i in instructions if i.keyword == "HEALTHCHECK")
    assert healthcheck.exec_form() == ["python", "-m", "signify.probe"]
    command = [i for i in instructions if i.keyword == "CMD"][-1]
    assert command.exec_form() == ["python", "main.py"]  # exec form: SIGTERM reaches Python
    assert "ENTRYPOINT" not in keywords


def test_dependencies_are_installed_before_the_code_is_copied() -> None:
    instructions = read_dockerfile()
    first_pip = next(n for n, i in enumerate(instructions) if i.keyword == "RUN" and "pip install" in i.arguments)
    code_copy = next(n for n, i in enumerate(instructions) if i.keyword == "COPY" and "signify" in i.arguments)
    assert first_pip < code_copy
    copied_before = [s for i in instructions[:first_pip] if i.keyword == "COPY" for s in i.arguments.split()]
    # Only the requirement files and the pruning script, which the dependency layer runs.
    assert all("requirements" in s or s == "back/prune_dependencies.py" or not s.startswith("back/")
               for s in copied_before[:-1])


def test_torch_and_training_stay_out_of_the_image() -> None:
    installed = " ".join(" ".join(c) for c in pip_commands(read_dockerfile()))
    assert "torch" not in installed and "requirements-train" not in installed
    for source, _ in copy_sources(read_dockerfile()):
        assert not source.startswith(("training", "tests", "bench"))


def test_every_copied_file_exists_and_is_not_ignored() -> None:
    patterns = read_dockerignore()
    for source, _ in copy_sources(read_dockerfile()):
        files = context_files(source)
        assert files, f"COPY {source}: nothing there"
        kept = [f for f in files if not dockerignore_excludes(str(f.relative_to(REPO)), patterns)]
        assert kept, f"COPY {source}: everything is excluded by .dockerignore"
    for needed in ("models/asl-lstm.onnx", "models/asl-lstm.json", "back/signify/serving/server.py", "back/main.py"):
        assert not dockerignore_excludes(needed, patterns), needed


def test_dockerignore_keeps_development_files_out() -> None:
    patterns = read_dockerignore()
    for unwanted in ("tests/conftest.py", "training/fit.py", ".venv/bin/python", ".git/HEAD", "bench/__main__.py",
                     "back/signify/__pycache__/app.cpython-311.pyc", "README.md"):
        assert dockerignore_excludes(unwanted, patterns), unwanted


def test_the_model_is_real_not_an_lfs_pointer() -> None:
    model = REPO / "models" / "asl-lstm.onnx"
    assert not model.read_bytes()[:64].startswith(LFS_POINTER_PREFIX)
    assert model.stat().st_size > 10_000


def test_gitattributes_tracks_weights_with_lfs() -> None:
    attributes = (REPO / ".gitattributes").read_text()
    assert "*.onnx filter=lfs diff=lfs merge=lfs -text" in attributes


def test_railway_builds_this_dockerfile_and_probes_a_path_the_public_port_answers() -> None:
    config = tomllib.loads((REPO / "railway.toml").read_text())
    assert config["build"]["builder"] == "DOCKERFILE"
    assert (REPO / config["build"]["dockerfilePath"]).is_file()
    assert config["deploy"]["healthcheckPath"] in ("/health", "/ready")
    assert config["deploy"]["restartPolicyType"] == "ON_FAILURE"


# What the image's dependency layer may weigh, measured like ``du -sm`` on the
# replayed site-packages. Measured at about 385 MB after pruning (506 MB
# before it); the bound leaves room for version drift but fails if the
# pruning step silently stops working.
SITE_PACKAGES_LIMIT_MB = 450


def replay_copy_layout(instructions: list[Instruction], app: Path) -> Path:
    """Copy every COPY source to where the image puts it, ``/app`` mapped to ``app``; return the workdir."""
    for source, destination in copy_sources(instructions):
        target = Path(destination) if destination.startswith("/") else Path("/app/back") / destination
        target = app / target.relative_to("/app")
        if (REPO / source).is_dir():
            shutil.copytree(REPO / source, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            target = target / Path(source).name if destination.endswith("/") or destination == "./" else target
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / source, target)
    return app / "back"


def replayed(command: list[str], python: Path) -> list[str]:
    """A command of the Dockerfile's dependency layer, run with the venv's interpreter instead of the image's."""
    if command[:2] == ["pip", "install"]:
        return [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *command[2:]]
    if command[0] == "python":
        return [str(python), *command[1:]]
    raise AssertionError(f"this test does not know how to replay {command}")


def disk_usage_mb(path: Path) -> float:
    """What ``du -sm`` reports for ``path``: blocks of its files and folders, in MB of 2**20 bytes."""
    entries = [path, *path.rglob("*")] if path.is_dir() else [path]
    return sum(e.lstat().st_blocks * 512 for e in entries) / 2**20


def site_packages_mb(python: Path) -> tuple[float, float]:
    """The venv's site-packages size, in total and without the base image's own packages."""
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    site = Path(purelib)
    total = disk_usage_mb(site)
    base = sum(disk_usage_mb(p) for p in site.iterdir() if p.name.split("-")[0] in BASE_PACKAGES
               or p.name == "distutils-precedence.pth")
    return total, total - base


async def stream(url: str, frames: list[bytes]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``ready`` message and one answer per frame, sent one at a time like a camera client."""
    async with connect(url, compression=None) as ws:
        ready: dict[str, Any] = json.loads(await ws.recv())
        answers = []
        for frame in frames:
            await ws.send(frame)
            answers.append(json.loads(await ws.recv()))
    return ready, answers


@pytest.mark.slow
def test_the_dockerfile_install_steps_give_a_server_that_becomes_ready(tmp_path: Path, hand_jpegs: list[bytes]) -> None:
    """The Dockerfile's dependency layer (pip and pruning) in a fresh venv, and its COPY layout: the server serves."""
    instructions = read_dockerfile()
    workdir = replay_copy_layout(instructions, tmp_path / "app")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    build_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for command in dependency_steps(instructions):
        subprocess.run(replayed(command, python), cwd=workdir, env=build_env, check=True, timeout=900)
    total, ours = site_packages_mb(python)
    print(f"site-packages after the Dockerfile's dependency layer: {total:.0f} MB "
          f"({ours:.0f} MB without pip and setuptools, which the base image already has)")
    assert total < SITE_PACKAGES_LIMIT_MB, f"site-packages is {total:.0f} MB"
    # the build-time check
    subprocess.run([str(python), "-c", "import signify.recognition.model"], cwd=workdir, check=True)
    server = ServerProcess(python=python, cwd=workdir, base_env=build_env)
    try:
        server.wait_listening()
        probe_env = {**build_env, "HEALTH_PORT": str(server.health_port)}
        probe = subprocess.run([str(python), "-m", "signify.probe"], cwd=workdir, env=probe_env, check=False)
        assert probe.returncode == 0, server.stderr()
        ready, answers = asyncio.run(stream(server.url, hand_jpegs[:10]))
    finally:
        assert server.terminate(limit_s=30) == 0, server.stderr()
    assert [a["type"] for a in answers] == ["prediction"] * 10
    with_hand = [a for a in answers if a["hand"]]
    assert with_hand, "the pruned MediaPipe found no hand in the drawn frames"
    assert all(a["letter"] in ready["model"]["labels"] and len(a["landmarks"]) == 21 for a in with_hand)


def test_the_donation_directory_is_the_servers_and_never_in_the_context() -> None:
    """DATASET_PATH's default, /app/data/donations.sqlite3, is writable by the user the server runs as."""
    instructions = read_dockerfile()
    user = [i.arguments for i in instructions if i.keyword == "USER"][-1]
    commands = [shlex.split(part) for i in instructions if i.keyword == "RUN" for part in i.arguments.split("&&")]
    assert ["mkdir", "-p", "/app/data"] in commands
    assert ["chown", f"{user}:{user}", "/app/data"] in commands
    assert Settings().dataset_path == REPO / "data" / "donations.sqlite3"  # /app/data in the image
    assert dockerignore_excludes("data/donations.sqlite3", read_dockerignore())
