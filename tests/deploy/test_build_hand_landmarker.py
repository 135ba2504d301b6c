"""The browser's model bundle is the installed wheel's Hands models, zipped the same way every time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import build_hand_landmarker as build
import pytest

BACK = Path(__file__).resolve().parents[2] / "back"


@pytest.mark.parametrize(("flags", "landmarks"), [([], "hand_landmark_full"), (["--lite"], "hand_landmark_lite")])
def test_the_bundle_holds_the_wheels_hands_models_under_the_names_tasks_vision_reads(
    tmp_path: Path, flags: list[str], landmarks: str
) -> None:
    output = tmp_path / "dist" / "hand_landmarker.task"
    result = subprocess.run([sys.executable, str(BACK / "build_hand_landmarker.py"), *flags, str(output)],
                            capture_output=True, text=True, check=True)
    assert str(output) in result.stdout
    package = build.mediapipe_dir()
    with zipfile.ZipFile(output) as bundle:
        assert bundle.namelist() == ["hand_detector.tflite", "hand_landmarks_detector.tflite"]
        # The full palm detector either way: the wheel's lite one lacks metadata tasks-vision needs.
        assert bundle.read("hand_detector.tflite") == (
            package / "modules/palm_detection/palm_detection_full.tflite").read_bytes()
        assert bundle.read("hand_landmarks_detector.tflite") == (
            package / f"modules/hand_landmark/{landmarks}.tflite").read_bytes()
        assert all(info.compress_type == zipfile.ZIP_STORED for info in bundle.infolist())
        assert bundle.testzip() is None
    assert [p.name for p in output.parent.iterdir()] == ["hand_landmarker.task"]  # no temporary file left


def test_the_same_wheel_gives_the_same_bytes(tmp_path: Path) -> None:
    members = build.bundle_bytes(build.mediapipe_dir())
    build.write_bundle(tmp_path / "a.task", members)
    build.write_bundle(tmp_path / "b.task", members)
    assert (tmp_path / "a.task").read_bytes() == (tmp_path / "b.task").read_bytes()
    assert (tmp_path / "a.task").stat().st_mode & 0o777 == 0o644


def test_a_wheel_without_the_models_stops_the_build_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="does not ship the Hands models"):
        build.bundle_bytes(tmp_path)


def test_usage() -> None:
    assert build.main([]) == 2
    assert build.main(["--lite"]) == 2
