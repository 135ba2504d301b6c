"""Hostile JPEGs, built byte by byte where an encoder would refuse to make them.

Shared by the hostile tests (tests/hostile/payloads.py re-exports them) and
``python -m bench --attack``, which may not import from tests/.
"""

from __future__ import annotations

import struct
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray


def encode(image: NDArray[Any], extension: str, *params: int) -> bytes:
    """Encode with OpenCV (BGR or BGRA channel order, 8 or 16 bits)."""
    ok, buffer = cv2.imencode(extension, image, list(params))
    assert ok, extension
    return bytes(buffer.tobytes())


def jpeg_bomb(width: int, height: int) -> bytes:
    """A few hundred bytes of JPEG whose frame header declares ``width`` x ``height``."""
    data = bytearray(encode(np.zeros((8, 8, 3), np.uint8), ".jpg"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_segments(data: bytes) -> list[bytes]:
    """Split a well-formed JPEG into its marker segments, each scan together with its entropy-coded data."""
    segments = [data[:2]]
    offset = 2
    while data[offset + 1] != 0xD9:
        (length,) = struct.unpack_from(">H", data, offset + 2)
        end = offset + 2 + length
        if data[offset + 1] == 0xDA:
            while not (data[end] == 0xFF and data[end + 1] not in (0x00, *range(0xD0, 0xD8))):
                end += 1
        segments.append(data[offset:end])
        offset = end
    segments.append(data[offset : offset + 2])
    return segments


def is_segment(segment: bytes, marker: int) -> bool:
    """Whether a segment from :func:`jpeg_segments` starts with 0xFF ``marker``."""
    return segment[:2] == bytes((0xFF, marker))


def repeated_scan_jpeg(width: int, height: int, scans: int) -> bytes:
    """A progressive JPEG whose last luma refinement scan is repeated until it has ``scans`` scans.

    At 2048x2048, 6000 copies of that 16-byte scan make a 100 KB file that
    kept libjpeg busy for 16 s: each scan is a pass over every block.
    """
    segments = jpeg_segments(encode(np.zeros((height, width, 3), np.uint8), ".jpg",
                                     cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_QUALITY, 50))
    scan_indexes = [i for i, segment in enumerate(segments) if is_segment(segment, 0xDA)]
    extra = scans - len(scan_indexes)
    last = scan_indexes[-1]
    return b"".join([*segments[: last + 1], segments[last] * extra, *segments[last + 1 :]])


def frame_header(width: int, height: int, marker: int = 0xC0) -> bytes:
    """A three-component 4:2:0 frame header segment, as a camera writes it."""
    body = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return bytes((0xFF, marker)) + struct.pack(">H", 2 + len(body)) + body


def hidden_frame_jpeg(hiding: str, width: int = 8192, height: int = 8192) -> bytes:
    """A small JPEG with a second frame header of ``width`` x ``height`` hidden where a header check might not look.

    ``hiding``: "ff00" (inside a fake segment 0xFF00: the old size check skipped
    it by its "length", libjpeg skips only the two bytes and reads on),
    "garbage" (behind non-marker bytes, which libjpeg skips), "second" (a plain
    second frame header after the decoy), "after scan" (after the first scan),
    "app" (inside an APP segment: nobody reads it), "after end" (after EOI).
    """
    small = encode(np.zeros((64, 64, 3), np.uint8), ".jpg")
    segments = jpeg_segments(small)
    sof = next(i for i, segment in enumerate(segments) if is_segment(segment, 0xC0))
    big = frame_header(width, height)
    if hiding == "ff00":
        return b"".join([*segments[:sof], b"\xff\x00", struct.pack(">H", 2 + len(big)), big, *segments[sof:]])
    if hiding == "garbage":
        return b"".join([*segments[:sof], b"\x00\x00", big, *segments[sof:]])
    if hiding == "second":
        return b"".join([*segments[: sof + 1], big, *segments[sof + 1 :]])
    if hiding == "after scan":
        scan = next(i for i, segment in enumerate(segments) if is_segment(segment, 0xDA))
        return b"".join([*segments[: scan + 1], big, *segments[scan + 1 :]])
    if hiding == "app":
        app = b"\xff\xe9" + struct.pack(">H", 2 + len(big)) + big
        return b"".join([*segments[:sof], app, *segments[sof:]])
    if hiding == "after end":
        return small + big
    raise ValueError(hiding)
