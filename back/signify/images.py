"""Camera frame decoding that a hostile file cannot turn into a memory bomb.

A 5 KB JPEG may declare 30000 x 30000 pixels, and ``cv2.imdecode`` would
allocate gigabytes for it before failing. :func:`read_image_size` reads
the dimensions from the JPEG, PNG or WebP header without decoding, and
:func:`decode_image` refuses anything over the pixel budget, or with a side
longer than :data:`MAX_IMAGE_SIDE`, before OpenCV sees it.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

# Backstop for OpenCV's own decoders; it only works if set before cv2 is imported.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(64 * 1024 * 1024))

import cv2
import numpy as np
from numpy.typing import NDArray

cv2.setNumThreads(1)  # frames are small; OpenCV's own pool would fight the worker threads

# Far beyond any camera, yet well inside what MediaPipe survives: a side of
# 32767 pixels or more aborts the whole process inside its image transform.
MAX_IMAGE_SIDE = 16384


class ImageError(ValueError):
    """A frame that cannot be decoded; ``code`` is the protocol error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ImageSize:
    """Dimensions and format as declared by an image header."""

    width: int
    height: int
    format: str


_JPEG_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def read_image_size(data: bytes) -> ImageSize:
    """Read width and height from a JPEG, PNG or WebP header without decoding."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    raise ImageError("bad_image", f"not a JPEG, PNG or WebP image ({len(data)} bytes)")


def decode_image(data: bytes, max_pixels: int) -> NDArray[np.uint8]:
    """Decode a JPEG, PNG or WebP frame into an RGB ``uint8`` array.

    Grayscale, RGBA and 16-bit images are converted to 8-bit RGB. Raises
    :class:`ImageError` with code ``bad_image`` or ``too_large``.
    """
    size = read_image_size(data)
    if size.width <= 0 or size.height <= 0:
        raise ImageError("bad_image", f"{size.format} declares an empty image ({size.width}x{size.height})")
    if size.width * size.height > max_pixels:
        raise ImageError(
            "too_large",
            f"{size.format} of {size.width}x{size.height} exceeds the limit of {max_pixels} pixels",
        )
    if max(size.width, size.height) > MAX_IMAGE_SIDE:
        raise ImageError(
            "too_large",
            f"{size.format} of {size.width}x{size.height} exceeds the longest side of {MAX_IMAGE_SIDE} pixels",
        )
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        raise ImageError("bad_image", f"could not decode image ({len(data)} bytes)")
    # OpenCV turns a JPEG as its EXIF orientation says, so width and height may trade places.
    if bgr.shape[:2] not in ((size.height, size.width), (size.width, size.height)):
        raise ImageError("bad_image", "decoded size differs from the header")
    rgb = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return rgb


def _png_size(data: bytes) -> ImageSize:
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ImageError("bad_image", f"truncated PNG header ({len(data)} bytes)")
    width, height = struct.unpack(">II", data[16:24])
    return ImageSize(width, height, "PNG")


def _jpeg_size(data: bytes) -> ImageSize:
    offset = 2
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            raise ImageError("bad_image", "corrupt JPEG marker stream")
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            offset += 2
            continue
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        if length < 2:
            raise ImageError("bad_image", "corrupt JPEG segment length")
        if marker in _JPEG_SOF_MARKERS:
            if offset + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[offset + 5 : offset + 9])
            return ImageSize(width, height, "JPEG")
        if marker in (0xD9, 0xDA):  # end of image or start of scan before any frame header
            break
        offset += 2 + length
    raise ImageError("bad_image", f"truncated JPEG: no frame header ({len(data)} bytes)")


def _webp_size(data: bytes) -> ImageSize:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return ImageSize(width & 0x3FFF, height & 0x3FFF, "WebP")
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return ImageSize((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, "WebP")
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return ImageSize(width, height, "WebP")
    raise ImageError("bad_image", f"truncated or unsupported WebP header ({len(data)} bytes)")
