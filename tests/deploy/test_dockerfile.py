"""The Dockerfile, .dockerignore and railway.toml describe an image that can really be built and run."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from build_hand_landmarker import LITE_MEMBERS, MEMBERS
from prune_dependencies import BASE_PACKAGES  # the base image's own packages: in the venv, not our layer
from signify.config import Settings
from signify.serving.webstatic import CONTENT_TYPES, VENDOR_FILES
from websockets.asyncio.client import connect

from tests.deploy.dockerfile import (
    REPO,
    Instruction,
    Stage,
    copy_sources,
    dependency_steps,
    dockerignore_excludes,
    final_stage,
    pip_commands,
    read_dockerfile,
    read_dockerignore,
    run_commands,
    stage_copies,
    stages,
)
from tests.server_process import ServerProcess

LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


def context_files(source: str) -> list[Path]:
    path = REPO / source
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def test_base_image_user_ports_healthcheck_and_command() -> None:
    instructions = final_stage(read_dockerfile())
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
    instructions = final_stage(read_dockerfile())
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
                     "back/signify/__pycache__/app.cpython-311.pyc", "README.md",
                     # made in the build: npm ci in the web stage, the .task from the image's own wheel
                     "front_demo/node_modules/@mediapipe/tasks-vision/vision_bundle.mjs",
                     "front_demo/dist/hand_landmarker.task"):
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


def _copy_into(source: Path, destination: str, workdir: PurePosixPath, root: Path) -> None:
    """Copy ``source`` as COPY does to ``destination`` (absolute, or relative to ``workdir``), ``/`` mapped to root."""
    target_path = PurePosixPath(destination) if destination.startswith("/") else workdir / destination
    target = root / target_path.relative_to("/")
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        target = target / source.name if destination.endswith("/") or destination in (".", "./") else target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)


def replay_copy_layout(instructions: list[Instruction], app: Path, built: dict[str, Path] | None = None) -> Path:
    """Copy every COPY source to where the image puts it, ``/app`` mapped to ``app``; return the workdir.

    ``built`` maps a stage name to the folder its replayed file system lies in, for ``COPY --from``.
    """
    assert app.name == "app"
    root = app.parent  # the image's / : everything the image stage copies goes under /app
    for source, destination in copy_sources(final_stage(instructions)):
        _copy_into(REPO / source, destination, PurePosixPath("/app/back"), root)
    for stage, source, destination in stage_copies(final_stage(instructions)):
        assert built is not None and stage in built, f"COPY --from={stage}: that stage was not replayed"
        _copy_into(built[stage] / PurePosixPath(source).relative_to("/"), destination, PurePosixPath("/app/back"),
                   root)
    return app / "back"


def replay_stage(stage: Stage, root: Path, env: dict[str, str]) -> Path:
    """A build stage before the image's: its COPYs from the context and its RUNs, ``/`` mapped to ``root``.

    Its RUNs may only be ``npm ci`` (run with this machine's npm, which installs exactly the lock file).
    """
    workdir = PurePosixPath("/")
    for instruction in stage.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = workdir / instruction.arguments
            (root / workdir.relative_to("/")).mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY":
            for source, destination in copy_sources([instruction]):
                _copy_into(REPO / source, destination, workdir, root)
        elif instruction.keyword == "RUN":
            for command in run_commands([instruction]):
                assert command[:2] == ["npm", "ci"], f"this test does not know how to replay {command}"
                subprocess.run(command, cwd=root / workdir.relative_to("/"), env=env, check=True, timeout=600)
        else:
            raise AssertionError(f"this test does not know how to replay {instruction}")
    return root


def replayed(command: list[str], python: Path, app: Path | None = None) -> list[str]:
    """A command of the Dockerfile's image stage, run with the venv's interpreter instead of the image's.

    Paths under ``/app`` in its arguments are mapped to ``app``.
    """
    if app is not None:
        command = [str(app / PurePosixPath(w).relative_to("/app")) if w.startswith("/app/") else w for w in command]
    if command[:2] == ["pip", "install"]:
        return [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *command[2:]]
    if command[0] == "python":
        return [str(python), *command[1:]]
    raise AssertionError(f"this test does not know how to replay {command}")


def asset_steps(instructions: list[Instruction]) -> list[list[str]]:
    """The image stage's commands that build the demo's assets: ``python build_hand_landmarker.py …``."""
    return [c for c in run_commands(final_stage(instructions)) if c[:2] == ["python", "build_hand_landmarker.py"]]


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
    build_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    # The web stage: npm ci from the lock file, with this machine's npm configuration and a cache of its own.
    npm_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(tmp_path)),
               "npm_config_cache": str(tmp_path / "npm-cache")}
    built = {stage.name: replay_stage(stage, tmp_path / f"stage-{stage.name}", npm_env)
             for stage in stages(instructions)[:-1] if stage.name}
    app = tmp_path / "app"
    workdir = replay_copy_layout(instructions, app, built)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    for command in dependency_steps(instructions):
        subprocess.run(replayed(command, python), cwd=workdir, env=build_env, check=True, timeout=900)
    # The model bundle, from the wheel just installed and pruned.
    for command in asset_steps(instructions):
        subprocess.run(replayed(command, python, app), cwd=workdir, env=build_env, check=True, timeout=300)
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
        served = {path: fetch(f"http://127.0.0.1:{port}/{path}") for path in VENDOR_FILES
                  for port in (server.port, server.health_port)}
    finally:
        assert server.terminate(limit_s=30) == 0, server.stderr()
    assert [a["type"] for a in answers] == ["prediction"] * 10
    with_hand = [a for a in answers if a["hand"]]
    assert with_hand, "the pruned MediaPipe found no hand in the drawn frames"
    assert all(a["letter"] in ready["model"]["labels"] and len(a["landmarks"]) == 21 for a in with_hand)
    # The page's hand tracker is served from the image, with the types the browser needs.
    for path, (content_type, body) in served.items():
        assert content_type == CONTENT_TYPES[PurePosixPath(path).suffix], path
        assert body == (app / "front_demo" / VENDOR_FILES[path]).read_bytes(), path
    assert served["vendor/tasks-vision/wasm/vision_wasm_internal.wasm"][1][:4] == b"\0asm"
    site = Path(subprocess.run([str(python), "-c", "import mediapipe, os; print(os.path.dirname(mediapipe.__file__))"],
                               capture_output=True, text=True, check=True, cwd=workdir).stdout.strip())
    for path, members in (("vendor/hand_landmarker.task", MEMBERS), ("vendor/hand_landmarker_lite.task", LITE_MEMBERS)):
        with zipfile.ZipFile(io.BytesIO(served[path][1])) as archive:
            assert archive.namelist() == [name for name, _ in members]
            for name, source in members:
                assert archive.read(name) == (site / source).read_bytes(), (path, name)


def fetch(url: str) -> tuple[str, bytes]:
    """The content type and body of a GET."""
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.headers["Content-Type"], response.read()


def test_the_web_stage_installs_the_lock_file_and_the_image_gets_only_the_served_files() -> None:
    """The tracker's files come from npm ci in a node stage; each file the server serves is copied or built."""
    instructions = read_dockerfile()
    web, image = stages(instructions)
    assert web.base == "node:20-slim" and web.name == "web"
    assert image.base == "python:3.11-slim"
    assert sorted(s for s, _ in copy_sources(web.instructions)) == ["front_demo/package-lock.json",
                                                                   "front_demo/package.json"]
    assert [c[:2] for c in run_commands(web.instructions)] == [["npm", "ci"]]  # the lock file, never a resolve
    workdir = next(i.arguments for i in web.instructions if i.keyword == "WORKDIR")
    copied = {str(PurePosixPath(destination) / PurePosixPath(source).name): source
              for stage, source, destination in stage_copies(instructions) if stage == web.name}
    built = {command[-1] for command in asset_steps(instructions)}  # the output is the last argument
    for target in VENDOR_FILES.values():
        in_image = f"/app/front_demo/{target}"
        if target.startswith("node_modules/"):
            assert copied.get(in_image) == f"{workdir}/{target}", f"{in_image} is not copied from the web stage"
        else:
            assert in_image in built, f"{in_image} is not built"
    # Nothing else of node_modules: no other wasm build, no source maps.
    assert all(PurePosixPath(p).name in {"package.json", *(PurePosixPath(t).name for t in VENDOR_FILES.values())}
               for p in copied)


def test_the_donation_directory_is_the_servers_and_never_in_the_context() -> None:
    """DATASET_PATH's default, /app/data/donations.sqlite3, is writable by the user the server runs as."""
    instructions = read_dockerfile()
    user = [i.arguments for i in instructions if i.keyword == "USER"][-1]
    commands = [shlex.split(part) for i in instructions if i.keyword == "RUN" for part in i.arguments.split("&&")]
    assert ["mkdir", "-p", "/app/data"] in commands
    assert ["chown", f"{user}:{user}", "/app/data"] in commands
    assert Settings().dataset_path == REPO / "data" / "donations.sqlite3"  # /app/data in the image
    assert dockerignore_excludes("data/donations.sqlite3", read_dockerignore())
