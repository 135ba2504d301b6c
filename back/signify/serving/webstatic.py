"""The demo page's static files, served on both ports without a web framework.

Two kinds of file, and nothing else:

- the page's own files: those with a known type directly in ``front_demo/``
  (not its npm manifests);
- the on-device hand tracker's assets, each named in :data:`VENDOR_FILES`:
  the ``@mediapipe/tasks-vision`` runtime that ``npm ci`` puts in
  ``front_demo/node_modules`` (only the bundle and the wasm builds the page
  loads), and the model bundle that ``back/build_hand_landmarker.py`` writes
  to ``front_demo/dist``. The page loads them from here, never from a CDN.
  A missing asset is answered 404, and the page then tracks on the server.
"""

from __future__ import annotations

from pathlib import Path

from ..config import REPO_ROOT

DEMO_DIR = REPO_ROOT / "front_demo"
TASKS_VISION = "node_modules/@mediapipe/tasks-vision"
# URL path (under the page) -> file under DEMO_DIR. FilesetResolver picks the SIMD or the
# no-SIMD wasm build by what the browser supports; the "module" builds are not used.
VENDOR_FILES = {
    "vendor/tasks-vision/vision_bundle.mjs": f"{TASKS_VISION}/vision_bundle.mjs",
    "vendor/tasks-vision/wasm/vision_wasm_internal.js": f"{TASKS_VISION}/wasm/vision_wasm_internal.js",
    "vendor/tasks-vision/wasm/vision_wasm_internal.wasm": f"{TASKS_VISION}/wasm/vision_wasm_internal.wasm",
    "vendor/tasks-vision/wasm/vision_wasm_nosimd_internal.js": f"{TASKS_VISION}/wasm/vision_wasm_nosimd_internal.js",
    "vendor/tasks-vision/wasm/vision_wasm_nosimd_internal.wasm":
        f"{TASKS_VISION}/wasm/vision_wasm_nosimd_internal.wasm",
    "vendor/hand_landmarker.task": "dist/hand_landmarker.task",
    "vendor/hand_landmarker_lite.task": "dist/hand_landmarker_lite.task",
}
# npm's files beside the page: build inputs, not part of it.
NOT_SERVED = frozenset({"package.json", "package-lock.json"})
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",  # WebAssembly.instantiateStreaming insists on it
    ".task": "application/octet-stream",
}


def find_static(url_path: str, root: Path = DEMO_DIR) -> tuple[Path, str] | None:
    """The file and content type that ``url_path`` names under ``root``, if it is one the page may have.

    A page file is a file with a known type directly inside ``root``; a vendor
    file is one of :data:`VENDOR_FILES`. ``..``, folders and links out of
    ``root`` are refused.
    """
    relative = url_path.split("?", 1)[0].lstrip("/") or "index.html"
    if relative in VENDOR_FILES:
        relative = VENDOR_FILES[relative]
    elif "/" in relative or relative in NOT_SERVED:
        return None
    try:
        candidate = (root / relative).resolve()
        base = root.resolve()
    except (OSError, ValueError):
        return None
    if base not in candidate.parents or not candidate.is_file():
        return None
    content_type = CONTENT_TYPES.get(candidate.suffix)
    return (candidate, content_type) if content_type else None


def cache_control(url_path: str) -> str:
    """How long a browser may keep a static file: the tracker's assets (about 21 MB) a day, the page none.

    The assets change only with a server release (npm's lock file and the wheel pin them), so a
    returning page does not download them again; the page's own files are revalidated every time,
    so that a deploy shows at once.
    """
    relative = url_path.split("?", 1)[0].lstrip("/")
    return "public, max-age=86400" if relative in VENDOR_FILES else "no-cache"
