"""What the demo's static files are: the page's own and an allow-list of vendor files, nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from signify.serving.webstatic import CONTENT_TYPES, VENDOR_FILES, cache_control, find_static


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A miniature front_demo/ after ``npm ci`` and the model build, with things around it that must stay unserved."""
    files = {
        "index.html": "<!doctype html>", "app.js": "", "style.css": "", "THIRD_PARTY_NOTICES.txt": "Apache",
        "package.json": "{}", "package-lock.json": "{}", "notes.md": "",
        "node_modules/@mediapipe/tasks-vision/vision_bundle.cjs": "",
        "node_modules/@mediapipe/tasks-vision/README.md": "",
        "node_modules/@mediapipe/tasks-vision/vision_bundle.mjs.map": "", "node_modules/other/index.js": "",
        "sub/page.js": "",
        **{target: "x" for target in VENDOR_FILES.values()},
    }
    demo = tmp_path / "front_demo"
    for name, text in files.items():
        (demo / name).parent.mkdir(parents=True, exist_ok=True)
        (demo / name).write_text(text)
    (tmp_path / "secret.js").write_text("")
    return demo


@pytest.mark.parametrize(("path", "content_type"), [
    ("/", "text/html; charset=utf-8"),
    ("/index.html?server=x", "text/html; charset=utf-8"),
    ("/app.js", "text/javascript; charset=utf-8"),
    ("/THIRD_PARTY_NOTICES.txt", "text/plain; charset=utf-8"),
    ("/vendor/tasks-vision/vision_bundle.mjs", "text/javascript; charset=utf-8"),
    ("/vendor/tasks-vision/wasm/vision_wasm_internal.wasm", "application/wasm"),
    ("/vendor/tasks-vision/wasm/vision_wasm_nosimd_internal.wasm", "application/wasm"),
    ("/vendor/tasks-vision/wasm/vision_wasm_internal.js", "text/javascript; charset=utf-8"),
    ("/vendor/hand_landmarker.task", "application/octet-stream"),
])
def test_the_page_and_the_listed_vendor_files_are_served_with_their_types(
    root: Path, path: str, content_type: str
) -> None:
    found = find_static(path, root)
    assert found is not None, path
    assert found[1] == content_type


@pytest.mark.parametrize("path", [
    "/package.json", "/package-lock.json", "/notes.md",  # npm's manifests; a type not served
    "/node_modules/@mediapipe/tasks-vision/vision_bundle.mjs",  # only under its vendor name
    "/node_modules/@mediapipe/tasks-vision/vision_bundle.cjs", "/node_modules/other/index.js",
    "/vendor/tasks-vision/vision_bundle.cjs", "/vendor/tasks-vision/vision_bundle.mjs.map",
    "/vendor/tasks-vision/README.md", "/vendor/other/index.js", "/dist/hand_landmarker.task",
    "/sub/page.js", "/../secret.js", "/vendor/../../secret.js", "/vendor/", "/sub/",
])
def test_nothing_else_is_served(root: Path, path: str) -> None:
    assert find_static(path, root) is None


def test_a_vendor_file_not_installed_is_not_found(root: Path) -> None:
    (root / VENDOR_FILES["vendor/hand_landmarker.task"]).unlink()
    assert find_static("/vendor/hand_landmarker.task", root) is None


def test_every_vendor_file_has_a_type() -> None:
    assert all(Path(target).suffix in CONTENT_TYPES for target in VENDOR_FILES.values())
    assert all(path.startswith("vendor/") for path in VENDOR_FILES)


def test_the_trackers_assets_are_kept_a_day_and_the_page_revalidated() -> None:
    for vendor in VENDOR_FILES:
        assert cache_control("/" + vendor) == "public, max-age=86400"
    assert cache_control("/vendor/tasks-vision/vision_bundle.mjs?v=1") == "public, max-age=86400"
    for page in ("/", "/index.html", "/app.js", "/style.css", "/vendor/not-a-vendor-file.js"):
        assert cache_control(page) == "no-cache"
