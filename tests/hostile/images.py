"""Hostile and unusual images, made by the tests themselves."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np


def encode(extension: str, image: np.ndarray, params: list[int] | None = None) -> bytes:  # type: ignore[type-arg]
    ok, buffer = cv2.imencode(extension, image, params or [])
    assert ok
    return buffer.tobytes()


def jpeg_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny JPEG whose frame header declares a gigantic image."""
    small = encode(".jpg", np.zeros((8, 8, 3), np.uint8))
    sof = small.index(b"\xff\xc0")
    return small[: sof + 5] + struct.pack(">HH", height, width) + small[sof + 9 :]


def png_of(width: int, height: int) -> bytes:
    """A valid, highly compressible grayscale PNG of any size, written by hand (OpenCV would allocate it)."""
    raw = b"".join(b"\x00" + b"\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
