"""Prune the installed runtime dependencies down to what the server loads.

The image runs this right after pip, in the same RUN, so that what it removes
never reaches a layer. It deletes only what the server never reads: test
suites, C/Cython sources, headers and type stubs, the model files of
MediaPipe's other solutions, onnxruntime's offline tooling and its C library
for other packages, OpenCV's Haar cascades, and all bytecode. Then it imports
what the server imports and runs MediaPipe Hands at both model complexities:
that fails the build if a rule ever removes something Hands needs, and
writes bytecode back for exactly the modules in use, so start-up does not
pay for compiling them (the image forbids writing bytecode at run time).
onnxruntime is proven by the Dockerfile's later check, which loads the model.

Usage: ``python prune_dependencies.py``, with the interpreter whose
site-packages is to be pruned.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path

# Test suites shipped inside wheels (numpy, matplotlib, mpl_toolkits, MediaPipe's tasks).
TEST_DIRECTORIES = frozenset({"tests", "test"})
# Build inputs and type stubs: nothing reads them at run time.
SOURCE_SUFFIXES = frozenset({".c", ".h", ".pyx", ".pxd", ".pyi"})
# onnxruntime's offline model optimisation, quantization and conversion tools.
UNUSED_TREES = ("onnxruntime/transformers", "onnxruntime/quantization", "onnxruntime/tools")
# (folder, pattern) of single files:
# - OpenCV's Haar cascades (cv2 imports cv2.data, so that module stays);
# - onnxruntime's C library, which the wheel carries for other packages to link
#   against (onnxruntime PR 19938); its Python bindings are a separate,
#   self-contained library that never loads it.
UNUSED_FILES = (("cv2/data", "*.xml"), ("onnxruntime/capi", "libonnxruntime.so*"))
# The server runs only MediaPipe Hands, at model complexity 0 or 1 (both kept).
# The face, iris, pose, holistic, selfie-segmentation and objectron models go;
# their Python modules stay, because mediapipe.solutions imports them.
MEDIAPIPE_MODULES = "mediapipe/modules"
HANDS_MODULES = frozenset({"hand_landmark", "palm_detection"})
MODEL_SUFFIXES = frozenset({".tflite", ".binarypb"})
# What back/signify imports from its dependencies.
SERVER_IMPORTS = ("numpy", "cv2", "onnxruntime", "mediapipe", "aiohttp.web", "websockets.asyncio.server",
                  "prometheus_client")
# The base image's own packages: not ours (in the image they live in an earlier layer).
BASE_PACKAGES = frozenset({"pip", "setuptools", "pkg_resources", "_distutils_hack", "wheel"})


def removable(site: Path) -> Iterator[Path]:
    """Every file or folder under ``site`` that the server never reads (bytecode aside)."""
    yield from (site / tree for tree in UNUSED_TREES if (site / tree).is_dir())
    for folder, pattern in UNUSED_FILES:
        yield from sorted((site / folder).glob(pattern))
    yield from _unused_mediapipe_models(site / MEDIAPIPE_MODULES)
    for package in _packages(site):
        yield from _tests_and_sources(package)


def bytecode(site: Path) -> Iterator[Path]:
    """Every ``__pycache__`` folder of the installed packages (the base image's aside)."""
    if (site / "__pycache__").is_dir():
        yield site / "__pycache__"  # single-file modules such as typing_extensions
    for package in _packages(site):
        yield from sorted(p for p in package.rglob("__pycache__") if p.is_dir())


def _packages(site: Path) -> list[Path]:
    """The package folders under ``site``: not metadata, bundled libraries or the base image's."""
    return sorted(p for p in site.iterdir() if p.is_dir() and p.name not in BASE_PACKAGES
                  and p.name != "__pycache__" and not p.name.endswith((".dist-info", ".libs")))


def _tests_and_sources(package: Path) -> Iterator[Path]:
    """Test folders (whole) and source or stub files outside them."""
    for path in sorted(package.rglob("*")):
        if any(parent.name in TEST_DIRECTORIES for parent in path.relative_to(package).parents):
            continue  # inside a test folder, which goes whole
        test_folder = path.is_dir() and path.name in TEST_DIRECTORIES
        if test_folder or (path.is_file() and path.suffix in SOURCE_SUFFIXES):
            yield path


def _unused_mediapipe_models(modules: Path) -> Iterator[Path]:
    """Model files of every MediaPipe module that Hands does not use."""
    if not modules.is_dir():
        return
    for module in sorted(p for p in modules.iterdir() if p.is_dir() and p.name not in HANDS_MODULES):
        yield from sorted(p for p in module.rglob("*") if p.suffix in MODEL_SUFFIXES)


def delete(paths: Iterable[Path]) -> int:
    """Remove files and folders; return the bytes freed."""
    freed = 0
    for path in list(paths):
        if path.is_dir():
            freed += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            shutil.rmtree(path)
        elif path.exists():
            freed += path.stat().st_size
            path.unlink()
    return freed


def warm_up() -> None:
    """Import what the server imports and run Hands at both complexities, writing bytecode as it goes."""
    sys.dont_write_bytecode = False  # the image forbids bytecode at run time, not here
    for name in SERVER_IMPORTS:
        importlib.import_module(name)
    import mediapipe as mp
    import numpy as np

    blank = np.zeros((64, 64, 3), dtype=np.uint8)
    for complexity in (0, 1):
        # A graph opens every model file it uses on its first frame: a missing one raises here.
        with mp.solutions.hands.Hands(max_num_hands=1, model_complexity=complexity) as hands:
            hands.process(blank)


def main() -> int:
    """Prune this interpreter's site-packages, drop all bytecode, then warm up, which writes back what is used."""
    site = Path(sysconfig.get_paths()["purelib"])
    unused = delete(removable(site))
    stale = delete(bytecode(site))
    warm_up()
    print(f"pruned {site}: {unused / 1e6:.1f} MB never read, {stale / 1e6:.1f} MB of bytecode (in-use rewritten)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
