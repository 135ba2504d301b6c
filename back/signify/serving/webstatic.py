"""The demo page's static files, served on both ports without a web framework."""

from __future__ import annotations

from pathlib import Path

from ..config import REPO_ROOT

DEMO_DIR = REPO_ROOT / "front_demo"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
}


def find_static(url_path: str, root: Path = DEMO_DIR) -> tuple[Path, str] | None:
    """The file and content type that ``url_path`` names under ``root``, if any.

    Only files with a known type directly inside ``root`` or its folders are
    served; ``..`` and links out of ``root`` are refused.
    """
    relative = url_path.split("?", 1)[0].lstrip("/") or "index.html"
    if relative.endswith("/"):
        relative += "index.html"
    try:
        candidate = (root / relative).resolve()
        base = root.resolve()
    except (OSError, ValueError):
        return None
    if base not in candidate.parents or not candidate.is_file():
        return None
    content_type = CONTENT_TYPES.get(candidate.suffix)
    return (candidate, content_type) if content_type else None
