"""Running the demo page's modules under node, for the tests that check them against the server's Python."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def run_node(args: list[str], what: str, *, stdin: str | None = None, cwd: Path | None = None,
             timeout: float = 60) -> str:
    """What ``node args`` prints; the test fails (never skips) without node, or when node fails.

    ``what`` says what the test could not do without node, e.g. "front_demo/zoom.js cannot be checked".
    """
    node = shutil.which("node")
    if node is None:
        pytest.fail(f"node is not installed: {what}. Install Node.js 20 (apt-get install nodejs npm), which "
                    "`make setup` needs for the demo's tracker anyway.")
    done = subprocess.run([node, *args], input=stdin, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)
    assert done.returncode == 0, f"node {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


def run_runner(runner: Path, payload: dict[str, Any], what: str, *, timeout: float = 60) -> dict[str, Any]:
    """What a test's node ``runner`` (an .mjs reading ``payload`` as JSON on stdin) writes, read as JSON."""
    result: dict[str, Any] = json.loads(run_node([str(runner)], what, stdin=json.dumps(payload), timeout=timeout))
    return result
