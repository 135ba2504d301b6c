"""The profile blob: what the server hands out reads back exactly, and nothing else reads at all."""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np
import pytest
from signify.calibration.profile import (
    MAX_EXAMPLES_PER_LETTER,
    MAX_PROFILE_CHARS,
    Profile,
    ProfileError,
    decode_profile,
    encode_profile,
    examples_per_letter,
)

CLASSES, DIMS = 26, 128
MODEL = ("asl-lstm", "3.1.0")


def make_profile(letters: list[int], per_letter: int = 3, seed: int = 0) -> Profile:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.array(letters, dtype=np.int64), per_letter)
    logits = rng.normal(0, 3, (len(labels), CLASSES))
    log_probabilities = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return Profile(*MODEL, labels, rng.normal(0, 1, (len(labels), DIMS)).astype(np.float32),
                   log_probabilities.astype(np.float32))


def decode(text: str, name: str = MODEL[0], version: str = MODEL[1]) -> Profile:
    return decode_profile(text, name, version, CLASSES, DIMS)


def error_of(text: str, **kwargs: str) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        decode(text, **kwargs)
    return caught.value


def reseal(blob: bytes) -> str:
    """A blob whose body was edited, with a checksum that matches again: only the structure checks can refuse it."""
    body = blob[:-4]
    return base64.b64encode(body + struct.pack("<I", zlib.crc32(body))).decode()


def test_a_profile_reads_back_as_float16_of_what_was_written() -> None:
    profile = make_profile([6, 10, 15])
    read = decode(encode_profile(profile))
    assert read.model == MODEL
    np.testing.assert_array_equal(read.labels, profile.labels)
    np.testing.assert_allclose(read.embeddings, profile.embeddings, atol=2e-3)
    np.testing.assert_allclose(read.log_probabilities, np.maximum(profile.log_probabilities, -30), atol=2e-2)
    assert read.letters(tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == ["G", "K", "P"]


def test_a_full_profile_fits_the_limit() -> None:
    text = encode_profile(make_profile(list(range(CLASSES)), MAX_EXAMPLES_PER_LETTER))
    assert len(text) <= MAX_PROFILE_CHARS
    assert len(decode(text).labels) == CLASSES * MAX_EXAMPLES_PER_LETTER


def test_another_model_version_is_a_mismatch() -> None:
    text = encode_profile(make_profile([1]))
    error = error_of(text, version="3.2.0")
    assert error.code == "profile_mismatch"
    assert "asl-lstm 3.1.0" in error.message and "3.2.0" in error.message
    assert error_of(text, name="other").code == "profile_mismatch"


def test_a_damaged_profile_is_refused_by_its_checksum() -> None:
    blob = bytearray(base64.b64decode(encode_profile(make_profile([1]))))
    blob[40] ^= 0x01
    error = error_of(base64.b64encode(bytes(blob)).decode())
    assert (error.code, error.message) == ("bad_profile", "profile is damaged (checksum mismatch)")


@pytest.mark.parametrize("text", ["not base64!", "QUJD", base64.b64encode(b"PNG\x00" * 20).decode(), ""])
def test_what_is_not_a_profile_is_a_bad_profile(text: str) -> None:
    assert error_of(text).code == "bad_profile"


def test_an_oversized_profile_is_refused_before_decoding() -> None:
    error = error_of("A" * (MAX_PROFILE_CHARS + 4))
    assert error.code == "bad_profile" and "exceeds" in error.message


def test_truncated_profiles_are_refused_at_every_length() -> None:
    blob = base64.b64decode(encode_profile(make_profile([1, 2])))
    for cut in range(4, len(blob) - 4, 7):
        assert error_of(reseal(blob[:cut] + b"\0\0\0\0")).code == "bad_profile"


def test_a_resealed_profile_with_impossible_contents_is_refused() -> None:
    profile = make_profile([1])
    nan = Profile(*MODEL, profile.labels, np.full_like(profile.embeddings, np.nan), profile.log_probabilities)
    assert error_of(encode_profile(nan)).code == "bad_profile"
    positive = Profile(*MODEL, profile.labels, profile.embeddings, np.abs(profile.log_probabilities) + 1)
    assert error_of(encode_profile(positive)).message == "profile holds values no model gives"
    outside = Profile(*MODEL, np.full_like(profile.labels, CLASSES), profile.embeddings, profile.log_probabilities)
    assert error_of(encode_profile(outside)).code == "bad_profile"
    crowded = make_profile([4], MAX_EXAMPLES_PER_LETTER + 1)
    assert "too many" in error_of(encode_profile(crowded)).message


def test_a_profile_for_another_shape_of_model_is_refused() -> None:
    text = encode_profile(make_profile([1]))
    with pytest.raises(ProfileError) as caught:
        decode_profile(text, *MODEL, CLASSES, 64)
    assert caught.value.code == "bad_profile" and "26 classes of 128 values" in caught.value.message


def test_merging_replaces_the_newer_profiles_letters_and_keeps_the_others() -> None:
    older, newer = make_profile([1, 2], seed=1), make_profile([2, 3], seed=2)
    merged = older.merged(newer)
    assert sorted(merged.labels.tolist()) == [1, 1, 1, 2, 2, 2, 3, 3, 3]
    np.testing.assert_array_equal(merged.embeddings[merged.labels == 2], newer.embeddings[newer.labels == 2])
    np.testing.assert_array_equal(merged.embeddings[merged.labels == 1], older.embeddings[older.labels == 1])
    with pytest.raises(ValueError, match="different models"):
        older.merged(Profile("asl-lstm", "9", newer.labels, newer.embeddings, newer.log_probabilities))


def test_a_model_with_longer_embeddings_keeps_fewer_examples_and_its_full_profile_still_fits() -> None:
    assert examples_per_letter(CLASSES, DIMS, *MODEL) == MAX_EXAMPLES_PER_LETTER
    fewer = examples_per_letter(CLASSES, 256, *MODEL)
    assert 0 < fewer < MAX_EXAMPLES_PER_LETTER
    rng = np.random.default_rng(1)
    rows = CLASSES * fewer
    full = Profile(*MODEL, np.repeat(np.arange(CLASSES), fewer), rng.normal(0, 1, (rows, 256)).astype(np.float32),
                   -np.abs(rng.normal(0, 3, (rows, CLASSES))).astype(np.float32))
    assert len(encode_profile(full)) <= MAX_PROFILE_CHARS
    assert examples_per_letter(CLASSES, 10_000, *MODEL) == 0
