"""Frame decoding reads the header before it decodes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from signify.recognition.images import ImageError, decode_image, read_image_size


def encoded(extension: str, image: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(extension, image)
    assert ok
    return buffer.tobytes()


@pytest.fixture
def picture() -> np.ndarray:
    image = np.zeros((48, 64, 3), dtype=np.uint8)
    image[:, :, 2] = 200  # red in BGR
    return image


@pytest.mark.parametrize(("extension", "name"), [(".jpg", "JPEG"), (".png", "PNG"), (".webp", "WebP")])
def test_header_size_of_each_format(picture: np.ndarray, extension: str, name: str) -> None:
    size = read_image_size(encoded(extension, picture))
    assert (size.width, size.height, size.format) == (64, 48, name)


def test_lossless_webp_header() -> None:
    image = np.full((10, 30, 3), 90, np.uint8)
    ok, buffer = cv2.imencode(".webp", image, [cv2.IMWRITE_WEBP_QUALITY, 101])
    assert ok
    size = read_image_size(buffer.tobytes())
    assert (size.width, size.height) == (30, 10)


def test_decode_gives_rgb(picture: np.ndarray) -> None:
    rgb = decode_image(encoded(".png", picture), max_pixels=10_000)
    assert rgb.shape == (48, 64, 3)
    assert rgb.dtype == np.uint8
    assert rgb[0, 0].tolist() == [200, 0, 0]


def test_grayscale_becomes_three_channels() -> None:
    rgb = decode_image(encoded(".png", np.full((20, 20), 128, np.uint8)), max_pixels=10_000)
    assert rgb.shape == (20, 20, 3)


def test_too_many_pixels_is_refused_before_decoding(picture: np.ndarray) -> None:
    with pytest.raises(ImageError) as caught:
        decode_image(encoded(".jpg", picture), max_pixels=64 * 48 - 1)
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("data", [b"hello", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP"])
def test_garbage_is_a_bad_image(data: bytes) -> None:
    with pytest.raises(ImageError) as caught:
        decode_image(data, max_pixels=10_000)
    assert caught.value.code == "bad_image"
