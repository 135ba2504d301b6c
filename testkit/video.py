"""YUV4MPEG2 files: what Chromium's fake camera plays (--use-file-for-fake-video-capture)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray


def write_y4m(path: Path, frames: Sequence[NDArray[np.uint8]], fps: int = 30) -> None:
    """Write BGR frames (all the same even size) as a 4:2:0 Y4M video."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as file:
        file.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            file.write(b"FRAME\n")
            file.write(np.ascontiguousarray(_i420(frame)).tobytes())


def as_played(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A BGR frame as a Y4M file holds it and the fake camera gives it back: its colour at half resolution (4:2:0)."""
    return np.asarray(cv2.cvtColor(_i420(frame), cv2.COLOR_YUV2BGR_I420), dtype=np.uint8)


def _i420(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    # OpenCV's I420 layout is exactly Y4M's: the Y plane, then U, then V.
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
