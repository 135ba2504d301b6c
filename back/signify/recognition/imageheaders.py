"""What an image file commits its decoder to, read from its structure without decoding.

A decoder's cost is set by the file's structure, not its size: a 5 KB JPEG
may declare 30000 x 30000 pixels, and a 100 KB progressive JPEG of 2048 x
2048 that repeats one scan six thousand times keeps libjpeg busy for 16 s
(each scan is a pass over every block). So the whole container is walked
here the way the decoder will read it, and anything whose structure implies
a cost beyond the limits, or that the decoder would read differently from
this walk, is refused before OpenCV sees it.

JPEG: every marker segment from SOI to EOI, with the entropy-coded data of
each scan skipped up to the next marker that is not a restart (as libjpeg
does). The first frame header (SOF) gives the size; a second one, a scan
before it, an unknown marker, or garbage between segments is refused, so no
frame header can hide where this walk does not look but libjpeg does.
PNG: IHDR first, then every chunk by its length up to IEND. WebP: the size
in its first chunk; libwebp's cost is bounded by the pixels (one frame, one
pass), and it refuses a frame whose size differs from an extended header's
canvas before allocating anything.

Pure functions only: no decoding library is imported here.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass


class ImageError(ValueError):
    """A frame that cannot be decoded; ``code`` is the protocol error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ImageSize:
    """Dimensions and format as declared by an image header, and how many passes decoding makes."""

    width: int
    height: int
    format: str
    scans: int = 1  # a progressive JPEG is decoded in several passes over the whole image


# A progressive JPEG as libjpeg, browsers and cameras write it has 10 scans
# (6 for grayscale), and a baseline one 1 to 3. Each scan costs a pass over
# every block of its components, and a scan can be a dozen bytes: without a
# cap, 100 KB buys thousands of passes.
MAX_JPEG_SCANS = 32
# Markers of any kind a JPEG may hold, restarts inside scan data not counted.
# Real files have a few dozen; the cap keeps this walk itself cheap.
MAX_JPEG_MARKERS = 1024
# PNG chunks other than IDAT (text, colour profiles...): each may be parsed,
# some decompressed, by libpng. Encoders write a handful.
MAX_PNG_ANCILLARY_CHUNKS = 64
# Compressed text chunks (zTXt, iTXt): libpng inflates each, up to 8 MB, which
# took 18 ms here; 60 of them in a 1 MB frame cost a second. Encoders write none.
MAX_PNG_TEXT_CHUNKS = 4
# IDAT chunks: libpng writes 8 KB each, so a 1 MiB frame needs about 130.
MAX_PNG_CHUNKS = 4096
MAX_PNG_CHUNK_LENGTH = 2**31 - 1  # the PNG specification's own bound

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_SOI, _EOI, _SOS, _TEM = 0xD8, 0xD9, 0xDA, 0x01
_RESTARTS = range(0xD0, 0xD8)
# The frame types libjpeg-turbo decodes with Huffman coding, as OpenCV builds it.
_DECODED_SOF = {0xC0: "baseline", 0xC1: "extended sequential", 0xC2: "progressive"}
_OTHER_SOF = {
    0xC3: "lossless", 0xC5: "hierarchical", 0xC6: "hierarchical", 0xC7: "hierarchical",
    0xC9: "arithmetic", 0xCA: "arithmetic", 0xCB: "arithmetic", 0xCD: "hierarchical arithmetic",
    0xCE: "hierarchical arithmetic", 0xCF: "hierarchical arithmetic", 0xC8: "reserved",
}
# Segments with a length that the decoder reads or skips: DHT, DAC, DQT, DNL, DRI, APP0-15, COM.
_TABLE_MARKERS = frozenset({0xC4, 0xCC, 0xDB, 0xDC, 0xDD, *range(0xE0, 0xF0), 0xFE})
# Inside scan data 0xFF is followed by 0x00 (a stuffed 0xFF byte), a restart
# marker, or more 0xFF fill; any other byte after it is the next marker.
_END_OF_SCAN_DATA = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# Any number of 0xFF may precede a marker: skipped by a regular expression, as a
# Python loop over a megabyte of them would hold the GIL for a tenth of a second.
_FILL = re.compile(rb"\xff+")


def read_image_size(data: bytes) -> ImageSize:
    """Walk a JPEG, PNG or WebP file's structure and return its declared size.

    Raises :class:`ImageError` (``bad_image``) for anything that is not one of
    the three formats, is truncated in its headers, or whose structure the
    decoder would read differently or at unbounded cost.
    """
    if data.startswith(_PNG_SIGNATURE):
        return _png_size(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    raise ImageError("bad_image", f"not a JPEG, PNG or WebP image ({len(data)} bytes)")


# ---- JPEG ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    components: frozenset[int]


def _jpeg_size(data: bytes) -> ImageSize:
    frame: _Frame | None = None
    scans = 0
    markers = 0
    offset = 2  # past SOI
    while offset < len(data):
        marker, offset = _next_marker(data, offset)
        if marker is None:
            break
        markers += 1
        if markers > MAX_JPEG_MARKERS:
            raise _bad(f"JPEG has more than {MAX_JPEG_MARKERS} markers")
        if marker == _EOI:
            break
        if marker in _RESTARTS or marker == _TEM:  # no length; libjpeg passes over them
            continue
        if marker != _SOS and marker not in _DECODED_SOF and marker not in _OTHER_SOF and marker not in _TABLE_MARKERS:
            raise _bad(f"unsupported JPEG marker 0xFF{marker:02X} at byte {offset - 2}")
        if offset + 2 > len(data):
            raise _truncated_jpeg(data, frame)
        (length,) = struct.unpack_from(">H", data, offset)
        end = offset + length
        if length < 2:
            raise _bad(f"corrupt JPEG segment length at byte {offset}")
        if end > len(data):
            raise _truncated_jpeg(data, frame)
        body = data[offset + 2 : end]
        if marker in _DECODED_SOF or marker in _OTHER_SOF:
            if frame is not None:
                raise _bad("JPEG has a second frame header")
            frame = _jpeg_frame(marker, body)
        elif marker == _SOS:
            if frame is None:
                raise _bad("JPEG scan before its frame header")
            _check_scan(body, frame)
            scans += 1
            if scans > MAX_JPEG_SCANS:
                raise _bad(f"JPEG has more than {MAX_JPEG_SCANS} scans")
            found = _END_OF_SCAN_DATA.search(data, end)
            if found is None:  # cut inside the scan data: the decoder meets the end too, at bounded cost
                break
            end = found.start()
        offset = end
    if frame is None:
        raise _truncated_jpeg(data, frame)
    if scans == 0:
        raise _bad(f"truncated JPEG: no scan ({len(data)} bytes)")
    return ImageSize(frame.width, frame.height, "JPEG", scans)


def _next_marker(data: bytes, offset: int) -> tuple[int | None, int]:
    """The marker at ``offset`` (after any fill bytes) and the offset just past it; None at the end."""
    if data[offset] != 0xFF:
        raise _bad("corrupt JPEG marker stream")  # libjpeg would skip these bytes: something may hide there
    fill = _FILL.match(data, offset)
    assert fill is not None
    offset = fill.end()
    if offset >= len(data):
        return None, offset
    return data[offset], offset + 1


def _truncated_jpeg(data: bytes, frame: _Frame | None) -> ImageError:
    if frame is None:
        return _bad(f"truncated JPEG: no frame header ({len(data)} bytes)")
    return _bad(f"truncated JPEG: a segment runs past the end ({len(data)} bytes)")


def _jpeg_frame(marker: int, body: bytes) -> _Frame:
    if marker not in _DECODED_SOF:
        raise _bad(f"unsupported JPEG type ({_OTHER_SOF[marker]}): only baseline and progressive are decoded")
    if len(body) < 6:
        raise _bad("corrupt JPEG frame header")
    precision, height, width, count = struct.unpack_from(">BHHB", body)
    if precision != 8:
        raise _bad(f"JPEG of {precision}-bit samples: only 8-bit is decoded")
    if not 1 <= count <= 4:
        raise _bad(f"JPEG with {count} components: 1 to 4 are decoded")
    if len(body) != 6 + 3 * count:
        raise _bad("corrupt JPEG frame header: its length does not match its components")
    components = body[6:]
    for index in range(count):
        sampling = components[3 * index + 1]
        if not (1 <= sampling >> 4 <= 4 and 1 <= sampling & 0x0F <= 4):
            raise _bad("JPEG sampling factors out of range 1 to 4")
    return _Frame(width, height, frozenset(components[0::3]))


def _check_scan(body: bytes, frame: _Frame) -> None:
    count = body[0] if body else 0
    if not 1 <= count <= 4 or len(body) != 4 + 2 * count:
        raise _bad("corrupt JPEG scan header")
    if not all(selector in frame.components for selector in body[1 : 1 + 2 * count : 2]):
        raise _bad("JPEG scan names a component its frame does not have")


# ---- PNG -----------------------------------------------------------------------


def _png_size(data: bytes) -> ImageSize:
    if len(data) < 33:
        raise _bad(f"truncated PNG header ({len(data)} bytes)")
    if data[12:16] != b"IHDR":  # libpng refuses any other first chunk
        raise _bad("corrupt PNG: IHDR is not the first chunk")
    if struct.unpack_from(">I", data, 8)[0] != 13:
        raise _bad("corrupt PNG header: IHDR is not 13 bytes")
    width, height = struct.unpack_from(">II", data, 16)
    offset = 33  # past the signature and IHDR
    chunks = ancillary = texts = 0
    image_data = False
    while offset < len(data):
        if offset + 8 > len(data):
            raise _bad(f"truncated PNG: a chunk runs past the end ({len(data)} bytes)")
        length, kind = struct.unpack_from(">I4s", data, offset)
        end = offset + 12 + length
        if length > MAX_PNG_CHUNK_LENGTH or end > len(data):
            raise _bad(f"truncated PNG: a chunk runs past the end ({len(data)} bytes)")
        chunks += 1
        if not kind.isalpha():  # libpng refuses any other chunk name
            raise _bad(f"corrupt PNG: bad chunk type at byte {offset}")
        if kind == b"IEND":
            break
        if kind == b"IDAT":
            image_data = True
        elif kind == b"IHDR":
            raise _bad("PNG has a second IHDR")
        else:
            ancillary += 1
            texts += kind in (b"zTXt", b"iTXt")
        if chunks > MAX_PNG_CHUNKS:
            raise _bad(f"PNG has more than {MAX_PNG_CHUNKS} chunks")
        if ancillary > MAX_PNG_ANCILLARY_CHUNKS:
            raise _bad(f"PNG has more than {MAX_PNG_ANCILLARY_CHUNKS} chunks besides its image data")
        if texts > MAX_PNG_TEXT_CHUNKS:
            raise _bad(f"PNG has more than {MAX_PNG_TEXT_CHUNKS} compressed text chunks")
        offset = end
    if not image_data:
        raise _bad(f"truncated PNG: no image data ({len(data)} bytes)")
    return ImageSize(width, height, "PNG")


# ---- WebP ----------------------------------------------------------------------


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
    raise _bad(f"truncated or unsupported WebP header ({len(data)} bytes)")


def _bad(message: str) -> ImageError:
    return ImageError("bad_image", message)
