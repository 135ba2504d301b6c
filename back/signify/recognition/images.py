"""Camera frame decoding that a hostile file cannot turn into a memory bomb.

A 5 KB JPEG may declare 30000 x 30000 pixels, and ``cv2.imdecode`` would
allocate gigabytes for it before failing; a 100 KB progressive JPEG may ask
for thousands of passes over its pixels. :func:`read_image_size` walks the
file's structure without decoding (:mod:`signify.recognition.imageheaders`), and
:func:`decode_image` refuses anything over the pixel budget, with a side
longer than :data:`MAX_IMAGE_SIDE`, or over the work budget of scans x
pixels, before OpenCV sees it.
"""

from __future__ import annotations

import os

# Backstop for OpenCV's own decoders; it only works if set before cv2 is imported.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(64 * 1024 * 1024))

import cv2
import numpy as np
from numpy.typing import NDArray

from .imageheaders import MAX_JPEG_SCANS, ImageError, ImageSize, read_image_size

__all__ = [
    "MAX_IMAGE_SIDE", "MAX_JPEG_SCANS", "MAX_SCANS_AT_FULL_SIZE", "ImageError", "ImageSize", "decode_image",
    "read_image_size",
]

cv2.setNumThreads(1)  # frames are small; OpenCV's own pool would fight the worker threads

# Far beyond any camera, yet well inside what MediaPipe survives: a side of
# 32767 pixels or more aborts the whole process inside its image transform.
MAX_IMAGE_SIDE = 16384

# Decoding a progressive JPEG costs a pass over the image per scan: the work
# allowed is scans x pixels <= this many times the pixel limit. A standard
# progressive JPEG (10 scans) at the full pixel limit fits, and a smaller frame
# may have up to MAX_JPEG_SCANS. Measured here: a 2048x2048 scan costs about 3 ms.
MAX_SCANS_AT_FULL_SIZE = 16


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
    if size.scans * size.width * size.height > MAX_SCANS_AT_FULL_SIZE * max_pixels:
        raise ImageError(
            "too_large",
            f"{size.format} of {size.width}x{size.height} in {size.scans} scans exceeds the limit of "
            f"{MAX_SCANS_AT_FULL_SIZE * max_pixels} pixels decoded (scans x pixels)",
        )
    bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        raise ImageError("bad_image", f"could not decode image ({len(data)} bytes)")
    # OpenCV turns a JPEG as its EXIF orientation says, so width and height may trade places.
    if bgr.shape[:2] not in ((size.height, size.width), (size.width, size.height)):
        raise ImageError("bad_image", "decoded size differs from the header")
    rgb = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
    return rgb
