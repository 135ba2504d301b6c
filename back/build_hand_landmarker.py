"""Build the browser's hand tracking models, ``hand_landmarker.task`` and its lite twin, from the installed wheel.

``@mediapipe/tasks-vision`` ships no model. Its HandLandmarker reads a
``.task`` bundle: a zip holding ``hand_detector.tflite`` and
``hand_landmarks_detector.tflite``. The Python wheel that the server runs
carries both models, with the metadata that tasks-vision needs, as
``mediapipe/modules/palm_detection/palm_detection_full.tflite`` and
``mediapipe/modules/hand_landmark/hand_landmark_full.tflite``; so the page
tracks with the very weights the server's MediaPipe would use, and nothing
is downloaded. With ``--lite`` the landmarks come from
``hand_landmark_lite.tflite`` instead, the server's default (complexity 0):
cheaper, and what testkit's drawn hands are drawn for; the page takes it
with ``?landmarks=lite``. The palm detector is the full one either way:
the wheel's lite detector lacks the NormalizationOptions metadata that
tasks-vision refuses to run without. The zip is deterministic (fixed order, dates and modes,
stored uncompressed as MediaPipe's own bundles are): the same wheel gives the
same bytes.

Usage: ``python build_hand_landmarker.py [--lite] OUTPUT``, with the interpreter whose
site-packages holds MediaPipe (``make setup`` and the Dockerfile run it).
The models are Apache-2.0, like MediaPipe: see front_demo/THIRD_PARTY_NOTICES.txt.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
import zipfile
from pathlib import Path

# Name in the bundle -> path inside the installed mediapipe package.
MEMBERS = (
    ("hand_detector.tflite", "modules/palm_detection/palm_detection_full.tflite"),
    ("hand_landmarks_detector.tflite", "modules/hand_landmark/hand_landmark_full.tflite"),
)
LITE_MEMBERS = (
    MEMBERS[0],
    ("hand_landmarks_detector.tflite", "modules/hand_landmark/hand_landmark_lite.tflite"),
)
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can hold: no build time leaks in
FILE_MODE = 0o644


def mediapipe_dir() -> Path:
    """The installed mediapipe package's folder, found without importing it (which loads its native library)."""
    spec = importlib.util.find_spec("mediapipe")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("mediapipe is not installed for this interpreter (see back/requirements-mediapipe.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def bundle_bytes(package: Path, lite: bool = False) -> list[tuple[str, bytes]]:
    """The bundle's members, in order, read from ``package`` (with the lite landmark model if ``lite``)."""
    members = []
    for name, source in LITE_MEMBERS if lite else MEMBERS:
        path = package / source
        if not path.is_file():
            raise SystemExit(f"{path} is missing: this MediaPipe wheel does not ship the Hands models")
        members.append((name, path.read_bytes()))
    return members


def write_bundle(output: Path, members: list[tuple[str, bytes]]) -> None:
    """Write the zip to ``output`` atomically (a half-written bundle is never served)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".hand_landmarker.", dir=output.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_STORED) as bundle:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_STORED
                info.create_system = 3  # Unix, so that the mode below means what it says
                info.external_attr = (0o100000 | FILE_MODE) << 16
                bundle.writestr(info, data)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str]) -> int:
    lite = argv[:1] == ["--lite"]
    arguments = argv[1:] if lite else argv
    if len(arguments) != 1:
        print("usage: python build_hand_landmarker.py [--lite] OUTPUT", file=sys.stderr)
        return 2
    output = Path(arguments[0])
    package = mediapipe_dir()
    write_bundle(output, bundle_bytes(package, lite))
    print(f"{output}: {output.stat().st_size} bytes from {package}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
