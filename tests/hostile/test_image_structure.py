"""A file's structure cannot buy unbounded decoding work, nor hide a frame header from the size check.

Each class of hostile structure is built from real encoder output by byte
surgery, at several sizes, and must be refused by the header walk: the exact
message says which check refused it, so the decoder was never reached. Files
that only look odd (restart markers, fill bytes, many IDAT chunks, 32 scans
on a small frame) must still decode, to the size the walk read.
"""

from __future__ import annotations

import functools
import struct
import zlib

import cv2
import numpy as np
import pytest
from signify.recognition.imageheaders import (
    MAX_JPEG_MARKERS,
    MAX_JPEG_SCANS,
    MAX_PNG_ANCILLARY_CHUNKS,
    MAX_PNG_CHUNKS,
    MAX_PNG_TEXT_CHUNKS,
)
from signify.recognition.images import MAX_SCANS_AT_FULL_SIZE, ImageError, decode_image

from . import payloads
from .conftest import Serve
from .wire import answer, open_client, ready, still_predicts

MAX_PIXELS = 4 * 1024 * 1024  # the default MAX_IMAGE_PIXELS
SMALL = payloads.encode(np.zeros((64, 64, 3), np.uint8), ".jpg")


def refused(data: bytes, code: str = "bad_image") -> str:
    """The message of the error the file is refused with."""
    with pytest.raises(ImageError) as caught:
        decode_image(data, MAX_PIXELS)
    assert caught.value.code == code, caught.value.message
    return caught.value.message


def frame_body(count: int = 3, sampling: int = 0x22, precision: int = 8, size: int = 64) -> bytes:
    """A frame header body (after its length) with the given parameters."""
    components = b"".join(bytes((index + 1, sampling if index == 0 else 0x11, 0)) for index in range(count))
    return struct.pack(">BHHB", precision, size, size, count) + components


def insert_before_frame(data: bytes, inserted: bytes) -> bytes:
    """``inserted`` placed just before the frame header."""
    at = data.index(b"\xff\xc0")
    return data[:at] + inserted + data[at:]


# ---- JPEG: cost bounded by structure ------------------------------------------------


@pytest.mark.parametrize(("side", "scans"), [(64, MAX_JPEG_SCANS + 1), (640, 100), (2048, 6000)])
def test_more_scans_than_the_cap_are_refused_unread(side: int, scans: int) -> None:
    # 2048 px with 6000 scans is the 100 KB file that took libjpeg 16 s.
    message = refused(payloads.repeated_scan_jpeg(side, side, scans))
    assert message == f"JPEG has more than {MAX_JPEG_SCANS} scans"


@pytest.mark.parametrize("scans", [MAX_SCANS_AT_FULL_SIZE + 1, MAX_JPEG_SCANS])
def test_scans_times_pixels_beyond_the_work_budget_are_too_large(scans: int) -> None:
    message = refused(payloads.repeated_scan_jpeg(2048, 2048, scans), "too_large")
    assert message == (f"JPEG of 2048x2048 in {scans} scans exceeds the limit of "
                       f"{MAX_SCANS_AT_FULL_SIZE * MAX_PIXELS} pixels decoded (scans x pixels)")


@pytest.mark.parametrize(("marker", "kind"), [
    (0xC3, "lossless"), (0xC5, "hierarchical"), (0xC7, "hierarchical"), (0xC9, "arithmetic"),
    (0xCB, "arithmetic"), (0xCD, "hierarchical arithmetic"), (0xCF, "hierarchical arithmetic"), (0xC8, "reserved"),
])
def test_frame_types_libjpeg_is_not_asked_to_decode(marker: int, kind: str) -> None:
    message = refused(payloads.with_frame_header(SMALL, marker=marker))
    assert message == f"unsupported JPEG type ({kind}): only baseline and progressive are decoded"


@pytest.mark.parametrize(("body", "expected"), [
    (frame_body(count=0), "JPEG with 0 components: 1 to 4 are decoded"),
    (frame_body(count=5), "JPEG with 5 components: 1 to 4 are decoded"),
    (frame_body(count=255), "JPEG with 255 components: 1 to 4 are decoded"),
    (frame_body(sampling=0x00), "JPEG sampling factors out of range 1 to 4"),
    (frame_body(sampling=0x51), "JPEG sampling factors out of range 1 to 4"),
    (frame_body(sampling=0x1F), "JPEG sampling factors out of range 1 to 4"),
    (frame_body(precision=12), "JPEG of 12-bit samples: only 8-bit is decoded"),
    (frame_body()[:-3], "corrupt JPEG frame header: its length does not match its components"),
    (frame_body()[:4], "corrupt JPEG frame header"),
])
def test_frame_headers_out_of_range(body: bytes, expected: str) -> None:
    assert refused(payloads.with_frame_header(SMALL, body=body)) == expected


def test_segment_running_past_the_end() -> None:
    data = bytearray(SMALL)
    table = data.index(b"\xff\xc4")  # the first Huffman table, after the frame header
    data[table + 2 : table + 4] = b"\xff\xff"
    assert refused(bytes(data)) == f"truncated JPEG: a segment runs past the end ({len(data)} bytes)"
    before_frame = bytearray(SMALL)
    before_frame[4:6] = b"\xff\xff"  # APP0's length
    assert refused(bytes(before_frame)) == f"truncated JPEG: no frame header ({len(SMALL)} bytes)"


@pytest.mark.parametrize("marker", [0x00, 0x02, 0x80, 0xBF, 0xD8, 0xF0, 0xFD])
def test_markers_libjpeg_does_not_know_are_refused(marker: int) -> None:
    message = refused(insert_before_frame(SMALL, bytes((0xFF, marker)) + b"\x00\x04ab"))
    assert message.startswith(f"unsupported JPEG marker 0xFF{marker:02X} at byte ")


def test_a_megabyte_of_fill_bytes_is_walked_and_decoded() -> None:
    # Fill bytes before a marker are legal; the walk skips them without a Python loop per byte.
    data = insert_before_frame(SMALL, b"\xff" * (1024 * 1024))
    assert decode_image(data, MAX_PIXELS).shape == (64, 64, 3)


def test_too_many_markers() -> None:
    comments = b"\xff\xfe\x00\x02" * MAX_JPEG_MARKERS
    assert refused(insert_before_frame(SMALL, comments)) == f"JPEG has more than {MAX_JPEG_MARKERS} markers"


def test_scan_before_frame_header_and_no_scan() -> None:
    segments = payloads.jpeg_segments(SMALL)
    scan = next(s for s in segments if payloads.is_segment(s, 0xDA))
    assert refused(insert_before_frame(SMALL, scan)) == "JPEG scan before its frame header"
    no_scan = b"".join(s for s in segments if not payloads.is_segment(s, 0xDA))
    assert refused(no_scan) == f"truncated JPEG: no scan ({len(no_scan)} bytes)"


def test_scan_of_a_component_the_frame_lacks() -> None:
    data = bytearray(SMALL)
    scan = data.index(b"\xff\xda")
    data[scan + 5] = 9  # the first component selector
    assert refused(bytes(data)) == "JPEG scan names a component its frame does not have"


# ---- JPEG: no frame header hidden from the size check ---------------------------------


@pytest.mark.parametrize(("hiding", "expected"), [
    ("ff00", "unsupported JPEG marker 0xFF00 at byte 158"),
    ("garbage", "corrupt JPEG marker stream"),
    ("second", "JPEG has a second frame header"),
    ("after scan", "JPEG has a second frame header"),
])
@pytest.mark.parametrize("side", [8192, 16384, 65535])
def test_hidden_frame_header_is_refused(hiding: str, expected: str, side: int) -> None:
    assert refused(payloads.hidden_frame_jpeg(hiding, side, side)) == expected


def test_first_frame_header_is_the_one_measured() -> None:
    big_first = payloads.with_frame_header(SMALL, body=frame_body(size=8192))
    assert refused(big_first, "too_large") == "JPEG of 8192x8192 exceeds the limit of 4194304 pixels"


@pytest.mark.parametrize("hiding", ["app", "after end"])
def test_frame_header_nobody_reads_is_harmless(hiding: str) -> None:
    # libjpeg skips APP segments by their length and stops at EOI, as the walk does.
    assert decode_image(payloads.hidden_frame_jpeg(hiding), MAX_PIXELS).shape == (64, 64, 3)


# ---- JPEG: what real encoders write still decodes -------------------------------------


@functools.cache
def jpegs_that_decode() -> dict[str, tuple[bytes, tuple[int, int]]]:
    """Valid JPEGs of unusual structure, with their (height, width)."""
    picture = payloads.hand_bgr()
    shape = picture.shape[:2]
    gray = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    progressive = payloads.encode(picture, ".jpg", cv2.IMWRITE_JPEG_PROGRESSIVE, 1)
    fill = progressive.replace(b"\xff\xc4", b"\xff\xff\xff\xc4")  # fill bytes before markers are allowed
    return {
        "baseline": (payloads.encode(picture, ".jpg"), shape),
        "progressive": (progressive, shape),
        "progressive grayscale": (payloads.encode(gray, ".jpg", cv2.IMWRITE_JPEG_PROGRESSIVE, 1), shape),
        "baseline with restarts": (payloads.encode(picture, ".jpg", cv2.IMWRITE_JPEG_RST_INTERVAL, 4), shape),
        "progressive with restarts": (
            payloads.encode(picture, ".jpg", cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 2), shape
        ),
        "fill bytes": (fill, shape),
        "4:4:4": (payloads.encode(picture, ".jpg", cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                                  cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444), shape),
        "progressive 2048x2048": (payloads.progressive_jpeg(2048, 2048), (2048, 2048)),
        f"{MAX_JPEG_SCANS} scans at 1024x1024": (payloads.repeated_scan_jpeg(1024, 1024, MAX_JPEG_SCANS), (1024, 1024)),
    }


@pytest.mark.parametrize("name", list(jpegs_that_decode()))
def test_real_jpegs_still_decode(name: str) -> None:
    data, shape = jpegs_that_decode()[name]
    assert decode_image(data, MAX_PIXELS).shape == (*shape, 3)


# ---- PNG -------------------------------------------------------------------------------


@functools.cache
def png_cases() -> dict[str, tuple[bytes, str]]:
    """Hostile PNG structures and the message each is refused with."""
    good = payloads.encode(np.zeros((16, 16, 3), np.uint8), ".png")
    header_second = good[:8] + payloads.png_chunk(b"tEXt", b"a\x00b") + good[8:]
    huge_length = bytearray(payloads.png_with_chunks((b"tEXt", b"a\x00b")))
    text = huge_length.index(b"tEXt") - 4
    huge_length[text : text + 4] = struct.pack(">I", 0xFFFFFFF0)
    return {
        "IHDR not first": (header_second, "corrupt PNG: IHDR is not the first chunk"),
        "chunk length past the end": (
            bytes(huge_length), f"truncated PNG: a chunk runs past the end ({len(huge_length)} bytes)"
        ),
        "second IHDR": (payloads.png_with_chunks((b"IHDR", good[16:29])), "PNG has a second IHDR"),
        "chunk name not letters": (payloads.png_with_chunks((b"te#t", b"")), "corrupt PNG: bad chunk type at byte 33"),
        "too many ancillary chunks": (
            payloads.png_with_chunks(*[(b"tEXt", b"a\x00b")] * (MAX_PNG_ANCILLARY_CHUNKS + 1)),
            f"PNG has more than {MAX_PNG_ANCILLARY_CHUNKS} chunks besides its image data",
        ),
        "too many ancillary chunks after the image": (
            payloads.png_with_chunks(*[(b"tIME", bytes(7))] * 100, before_idat=False),
            f"PNG has more than {MAX_PNG_ANCILLARY_CHUNKS} chunks besides its image data",
        ),
        # Each inflates to libpng's 8 MB bound: 60 of them in a 1 MB frame took a second.
        "compressed text bombs": (
            payloads.png_with_chunks(*[(b"zTXt", b"k\x00\x00" + zlib.compress(bytes(8_000_000), 9))] * 5),
            f"PNG has more than {MAX_PNG_TEXT_CHUNKS} compressed text chunks",
        ),
        "compressed international text bombs after the image": (
            payloads.png_with_chunks(*[(b"iTXt", b"k\x00\x01\x00\x00\x00" + zlib.compress(bytes(10**6)))] * 5,
                                     before_idat=False),
            f"PNG has more than {MAX_PNG_TEXT_CHUNKS} compressed text chunks",
        ),
        "too many chunks": (
            payloads.png_with_chunks(*[(b"IDAT", b"")] * MAX_PNG_CHUNKS),
            f"PNG has more than {MAX_PNG_CHUNKS} chunks",
        ),
        "no image data": (good[:33] + payloads.png_chunk(b"IEND", b""), "truncated PNG: no image data (45 bytes)"),
    }


@pytest.mark.parametrize("name", list(png_cases()))
def test_png_structure_is_refused(name: str) -> None:
    data, expected = png_cases()[name]
    assert refused(data) == expected


@pytest.mark.parametrize("pieces", [1, 7, 300])
def test_png_with_its_data_in_many_chunks_still_decodes(pieces: int) -> None:
    data = payloads.png_split_idat(payloads.encode(payloads.hand_bgr(), ".png"), pieces)
    assert data.count(b"IDAT") == pieces
    assert decode_image(data, MAX_PIXELS).shape == (*payloads.hand_bgr().shape[:2], 3)


def test_png_with_the_chunks_encoders_write_still_decodes() -> None:
    text = (b"tEXt", b"Software\x00signify")
    packed = (b"zTXt", b"Comment\x00\x00" + zlib.compress(b"hello" * 100))
    data = payloads.png_with_chunks(text, packed, (b"pHYs", bytes(9)), *[packed] * (MAX_PNG_TEXT_CHUNKS - 1))
    assert decode_image(data, MAX_PIXELS).shape == (16, 16, 3)


# ---- over the wire ------------------------------------------------------------------------


async def test_attack_files_get_their_answer_and_the_connection_goes_on(serve: Serve, hand_frame: bytes) -> None:
    app = await serve()
    async with open_client(app) as ws:
        await ready(ws)
        attacks = [
            (payloads.repeated_scan_jpeg(2048, 2048, 6000), "bad_image", f"JPEG has more than {MAX_JPEG_SCANS} scans"),
            (payloads.hidden_frame_jpeg("ff00"), "bad_image", "unsupported JPEG marker 0xFF00 at byte 158"),
            (payloads.hidden_frame_jpeg("second"), "bad_image", "JPEG has a second frame header"),
        ]
        for frame_id, (data, code, message) in enumerate(attacks, start=1):
            reply = await answer(ws, data)
            assert reply == {"type": "error", "id": frame_id, "code": code, "message": message}
        await still_predicts(ws, hand_frame, len(attacks) + 1)
