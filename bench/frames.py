"""The frames the load generator streams: drawn hands, and real signing video when the data set is present."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from testkit.hand_drawing import encode_jpeg, moving_hand_frames

LONG_SIDE = 320  # what the demo page sends for a large hand (front_demo/framesize.js; a small one gets 640)
POSE_VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pose-videos"


def _downscale(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    height, width = frame.shape[:2]
    scale = LONG_SIDE / max(height, width)
    size = (round(width * scale), round(height * scale))
    return np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def drawn_frames(count: int = 60) -> list[bytes]:
    """JPEG frames of a drawn hand drifting like a live camera, at demo size."""
    return [encode_jpeg(_downscale(frame), quality=75) for frame in moving_hand_frames(count)]


def video_frames(folder: Path = POSE_VIDEOS, limit: int = 300) -> list[bytes]:
    """JPEG frames of the real signing videos in ../shared/data/pose-videos, if that folder exists."""
    frames: list[bytes] = []
    for video in sorted(folder.glob("*.mp4")) if folder.is_dir() else []:
        capture = cv2.VideoCapture(str(video))
        while len(frames) < limit:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(encode_jpeg(_downscale(np.asarray(frame, dtype=np.uint8)), quality=75))
        capture.release()
    return frames
