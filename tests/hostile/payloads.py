"""Hostile and unusual images, built byte by byte where an encoder would refuse to make them."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
from numpy.typing import NDArray

from testkit.hand_drawing import draw_hand


def encode(image: NDArray[np.generic], extension: str, *params: int) -> bytes:
    """Encode with OpenCV (BGR or BGRA channel order, 8 or 16 bits)."""
    ok, buffer = cv2.imencode(extension, image, list(params))
    assert ok, extension
    return bytes(buffer.tobytes())


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


def jpeg_bomb(width: int, height: int) -> bytes:
    """A few hundred bytes of JPEG whose frame header declares ``width`` x ``height``."""
    data = bytearray(encode(np.zeros((8, 8, 3), np.uint8), ".jpg"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


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
