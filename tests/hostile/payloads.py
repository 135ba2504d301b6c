"""Hostile and unusual images, built byte by byte where an encoder would refuse to make them.

The JPEG builders the benchmark's attack mode needs too live in testkit/hostile_payloads.py.
"""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
from numpy.typing import NDArray

from testkit.hand_drawing import draw_hand

# The JPEG builders the benchmark needs too, re-exported: tests import every builder from here.
from testkit.hostile_payloads import (  # noqa: F401
    encode,
    frame_header,
    hidden_frame_jpeg,
    is_segment,
    jpeg_bomb,
    jpeg_segments,
    repeated_scan_jpeg,
)


def hand_bgr() -> NDArray[np.uint8]:
    """The drawn hand MediaPipe detects, as a BGR image."""
    return draw_hand()


def grayscale_png() -> bytes:
    """The hand as an 8-bit one-channel PNG."""
    return encode(cv2.cvtColor(hand_bgr(), cv2.COLOR_BGR2GRAY), ".png")


def rgba_png() -> bytes:
    """The hand as a PNG with an alpha channel (half transparent at the edges)."""
    bgra = cv2.cvtColor(hand_bgr(), cv2.COLOR_BGR2BGRA)
    bgra[:, :40, 3] = 128
    return encode(bgra, ".png")


def sixteen_bit_png() -> bytes:
    """The hand as a 16-bit-per-channel PNG."""
    return encode(hand_bgr().astype(np.uint16) * 257, ".png")


def one_pixel_png() -> bytes:
    """A valid 1x1 image."""
    return encode(np.full((1, 1, 3), 200, np.uint8), ".png")


def blank_png(width: int, height: int) -> bytes:
    """A valid black grayscale PNG of any size, compressed row by row: 10000x10000 takes ~100 KB, not 100 MB."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + width)  # filter byte "none", then black pixels
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", body) + _png_chunk(b"IEND", b"")


def png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` (the checksum fixed so it looks sound)."""
    data = bytearray(encode(np.zeros((8, 8, 3), np.uint8), ".png"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def webp_bomb(width: int, height: int) -> bytes:
    """A tiny extended WebP whose canvas declares ``width`` x ``height``."""
    image = encode(np.zeros((8, 8, 3), np.uint8), ".webp", cv2.IMWRITE_WEBP_QUALITY, 80)
    canvas = b"\x00" * 4 + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    chunks = b"VP8X" + struct.pack("<I", len(canvas)) + canvas + image[12:]
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + chunks


def exif_rotated_jpeg(image: NDArray[np.uint8]) -> bytes:
    """A JPEG whose EXIF orientation says "turn 90 degrees", as phone cameras write them."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<HHHIHHI", 1, 0x0112, 3, 1, 6, 0, 0)
    app1 = b"Exif\x00\x00" + tiff
    data = encode(image, ".jpg")
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + data[2:]


def random_bytes(size: int, seed: int = 7) -> bytes:
    """Noise that is no image format at all."""
    data = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert not data.startswith((b"\xff\xd8", b"\x89PNG", b"RIFF"))
    return data


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# ---- JPEG structure, rebuilt segment by segment -------------------------------------


def progressive_jpeg(width: int, height: int, seed: int = 3) -> bytes:
    """A progressive JPEG of noise as OpenCV writes it (libjpeg's standard script: 10 scans)."""
    noise = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return encode(noise, ".jpg", cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_QUALITY, 80)


def with_frame_header(data: bytes, marker: int | None = None, body: bytes | None = None) -> bytes:
    """The JPEG with its frame header's marker or body (after the length) replaced."""
    segments = jpeg_segments(data)
    index = next(i for i, segment in enumerate(segments) if segment[1] in (0xC0, 0xC1, 0xC2))
    old = segments[index]
    new_body = old[4:] if body is None else body
    new_marker = old[1] if marker is None else marker
    segments[index] = bytes((0xFF, new_marker)) + struct.pack(">H", 2 + len(new_body)) + new_body
    return b"".join(segments)


def png_with_chunks(*chunks: tuple[bytes, bytes], before_idat: bool = True) -> bytes:
    """A 16x16 PNG with extra ``(type, body)`` chunks before (or after) its image data."""
    data = encode(np.zeros((16, 16, 3), np.uint8), ".png")
    extra = b"".join(_png_chunk(kind, body) for kind, body in chunks)
    at = data.index(b"IDAT") - 4 if before_idat else len(data) - 12
    return data[:at] + extra + data[at:]


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with its checksum."""
    return _png_chunk(kind, body)


def png_split_idat(data: bytes, pieces: int) -> bytes:
    """The same PNG with its image data spread over ``pieces`` IDAT chunks (encoders choose their own split)."""
    chunks: list[tuple[bytes, bytes]] = []
    offset = 8
    while offset < len(data):
        length, kind = struct.unpack_from(">I4s", data, offset)
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 12 + length
    body = b"".join(chunk for kind, chunk in chunks if kind == b"IDAT")
    step = -(-len(body) // pieces)
    first = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    rest = [chunk for chunk in chunks[first:] if chunk[0] != b"IDAT"]
    parts = [(b"IDAT", body[i : i + step]) for i in range(0, len(body), step)]
    return data[:8] + b"".join(_png_chunk(kind, chunk) for kind, chunk in [*chunks[:first], *parts, *rest])
