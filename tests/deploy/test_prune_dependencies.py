"""The image's pruning rules remove what the server never reads and nothing it does."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import prune_dependencies as prune

# A miniature site-packages: path -> whether the rules may remove it.
LAYOUT = {
    "numpy/__init__.py": False,
    "numpy/__init__.pyi": True,
    "numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": False,
    "numpy/core/include/numpy/ndarrayobject.h": True,
    "numpy/core/tests/test_numeric.py": True,
    "numpy/testing/__init__.py": False,
    "numpy.libs/libopenblas64_p-r0.so": False,
    "numpy-1.26.4.dist-info/RECORD": False,
    "fontTools/misc/bezierTools.py": False,
    "fontTools/misc/bezierTools.c": True,
    "cv2/data/__init__.py": False,
    "cv2/data/haarcascade_eye.xml": True,
    "onnxruntime/capi/onnxruntime_pybind11_state.cpython-311-x86_64-linux-gnu.so": False,
    "onnxruntime/capi/libonnxruntime_providers_shared.so": False,
    "onnxruntime/capi/libonnxruntime.so.1.32.0": True,
    "onnxruntime/transformers/optimizer.py": True,
    "mediapipe/modules/hand_landmark/hand_landmark_full.tflite": False,
    "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite": False,
    "mediapipe/modules/hand_landmark/hand_landmark_tracking_cpu.binarypb": False,
    "mediapipe/modules/palm_detection/palm_detection_full.tflite": False,
    "mediapipe/modules/pose_landmark/__init__.py": False,
    "mediapipe/modules/pose_landmark/pose_landmark_full.tflite": True,
    "mediapipe/modules/pose_landmark/pose_landmark_cpu.binarypb": True,
    "mediapipe/modules/objectron/calculators/annotation_data_pb2.py": False,
    "mediapipe/tasks/python/test/test_utils.py": True,
    "pip/_vendor/colorama/tests/ansi_test.py": False,  # the base image's
    "typing_extensions.py": False,
}
BYTECODE = {
    "__pycache__/typing_extensions.cpython-311.pyc": True,
    "numpy/__pycache__/__init__.cpython-311.pyc": True,
    "pip/__pycache__/__init__.cpython-311.pyc": False,  # the base image's
}


def make_site(root: Path, paths: dict[str, bool]) -> Path:
    """Create every path of ``paths`` under ``root`` as a small file."""
    for relative in paths:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(b"x" * 100)
    return root


def covered(path: Path, removed: set[Path]) -> bool:
    """Whether ``path`` is one of ``removed`` or lies inside one of them."""
    return path in removed or not removed.isdisjoint(path.parents)


def test_the_rules_pick_exactly_the_unused_files(tmp_path: Path) -> None:
    site = make_site(tmp_path, LAYOUT)
    removed = set(prune.removable(site))
    assert {p for p in LAYOUT if covered(site / p, removed)} == {p for p, gone in LAYOUT.items() if gone}


def test_all_bytecode_but_the_base_images_is_dropped(tmp_path: Path) -> None:
    site = make_site(tmp_path, {**LAYOUT, **BYTECODE})
    removed = set(prune.bytecode(site))
    assert {p for p in BYTECODE if covered(site / p, removed)} == {p for p, gone in BYTECODE.items() if gone}
    assert not any(covered(site / p, removed) for p in LAYOUT)


def test_delete_removes_files_and_folders_and_counts_their_bytes(tmp_path: Path) -> None:
    site = make_site(tmp_path, LAYOUT)
    freed = prune.delete(prune.removable(site))
    assert freed == 100 * sum(LAYOUT.values())
    assert all((site / p).exists() != gone for p, gone in LAYOUT.items())


def test_no_module_the_server_has_loaded_would_be_removed() -> None:
    """In this test environment: nothing imported so far (MediaPipe, OpenCV, onnxruntime...) is on the list."""
    import importlib

    for name in prune.SERVER_IMPORTS:
        importlib.import_module(name)
    site = Path(sysconfig.get_paths()["purelib"])
    removed = set(prune.removable(site))
    loaded = [Path(m.__file__) for m in list(sys.modules.values()) if getattr(m, "__file__", None)]
    assert not [str(f) for f in loaded if f.is_relative_to(site) and covered(f, removed)]
