"""testkit.video: Y4M files for Chromium's fake camera, and frames as that camera gives them back."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from testkit.video import as_played, write_y4m


def test_a_written_frame_read_back_is_the_frame_as_played(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2)]
    path = tmp_path / "clip.y4m"
    write_y4m(path, frames)
    header, *chunks = path.read_bytes().split(b"FRAME\n")
    assert header == b"YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420jpeg\n" and len(chunks) == 2
    for frame, chunk in zip(frames, chunks, strict=True):
        planes = np.frombuffer(chunk, dtype=np.uint8).reshape(48 * 3 // 2, 64)
        assert np.array_equal(as_played(frame), cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420))


def test_as_played_keeps_the_frame_but_halves_its_colour_resolution() -> None:
    frame = np.zeros((16, 16, 3), dtype=np.uint8)
    frame[:, ::2] = (0, 0, 255)  # red and black columns: colour finer than 4:2:0 holds
    played = as_played(frame)
    assert played.shape == frame.shape and played.dtype == np.uint8
    assert np.abs(played.astype(int) - frame).max() > 60  # the colour is blurred across each pair of columns
    grey = np.full((16, 16, 3), 128, dtype=np.uint8)
    assert np.abs(as_played(grey).astype(int) - 128).max() <= 2  # flat colour comes back as it was
