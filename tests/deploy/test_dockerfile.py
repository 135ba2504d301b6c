"""The Dockerfile, .dockerignore and railway.toml describe an image that can really be built and run."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

from tests.deploy.dockerfile import (
    REPO,
    copy_sources,
    dockerignore_excludes,
    pip_commands,
    read_dockerfile,
    read_dockerignore,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    assert all("requirements" in s or not s.startswith("back/") for s in copied_before[:-1])


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
    for needed in ("models/asl-lstm.onnx", "models/asl-lstm.json", "back/signify/server.py", "back/main.py"):
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


@pytest.mark.slow
def test_the_dockerfile_install_steps_give_a_server_that_becomes_ready(tmp_path: Path) -> None:
    """The Dockerfile's own pip commands, in a fresh venv, and its COPY layout: the server reaches /ready."""
    instructions = read_dockerfile()
    app = tmp_path / "app"
    workdir = app / "back"
    workdir.mkdir(parents=True)
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
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    for arguments in pip_commands(instructions):
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *arguments],
                       cwd=workdir, check=True, timeout=900)
    subprocess.run([str(python), "-c", "import signify.model"], cwd=workdir, check=True)  # the build-time check
    port, health_port = free_port(), free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PORT": str(port), "HEALTH_PORT": str(health_port),
           "HOST": "127.0.0.1"}
    server = subprocess.Popen([str(python), "main.py"], cwd=workdir, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/ready", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.2)
        probe = subprocess.run([str(python), "-m", "signify.probe"], cwd=workdir, env=env, check=False)
        assert probe.returncode == 0
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
