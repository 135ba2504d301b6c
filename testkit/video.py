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
            # OpenCV's I420 layout is exactly Y4M's: the Y plane, then U, then V.
            file.write(np.ascontiguousarray(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)).tobytes())
