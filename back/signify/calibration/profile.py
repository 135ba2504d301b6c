"""A user's calibration profile as a compact blob that the client keeps (PROTOCOL.md, Calibration).

The profile holds what the shared model saw of the user's hand: for each
calibrated letter a few embeddings (the model's ``embedding`` output) and
the shared model's log-probabilities for the same windows. The adaptation
is fitted from them whenever a profile is loaded
(:mod:`signify.calibration.adaptation`), so the blob stays valid when the
fitting improves, and calibrating more letters later merges with it.

An embedding means something only to the model that made it: the profile
names the model and its version, and is refused by any other.

Layout (little-endian), then base64::

    b"SGNP" | u8 format | u8 n, name | u8 n, version | u16 classes | u16 dims | u16 count
    | count x u8 label | count x dims x f16 embedding | count x classes x f16 log-probability | u32 crc32
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MAGIC = b"SGNP"
FORMAT = 1
MAX_PROFILE_CHARS = 64 * 1024  # the blob as sent, base64
# Examples kept per letter at most. Six embeddings of 128 values and their
# log-probabilities for all 26 letters come to 64,312 base64 characters, just
# under MAX_PROFILE_CHARS; a model with longer embeddings keeps fewer
# (examples_per_letter), so that a full profile always fits.
MAX_EXAMPLES_PER_LETTER = 6
# float16 keeps log-probabilities to about 0.01 down to this; lower means "never" anyway.
LOG_PROBABILITY_FLOOR = -30.0
_HEADER = struct.Struct("<HHH")
_CRC = struct.Struct("<I")


class ProfileError(ValueError):
    """A profile that cannot be used; ``code`` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Profile:
    """Calibration examples for one model: ``labels[i]`` is the class index of row ``i``."""

    model_name: str
    model_version: str
    labels: NDArray[np.int64]  # (count,)
    embeddings: NDArray[np.float32]  # (count, dims)
    log_probabilities: NDArray[np.float32]  # (count, classes), the shared model's

    @property
    def model(self) -> tuple[str, str]:
        """The name and version of the model whose embeddings these are."""
        return self.model_name, self.model_version

    @property
    def classes(self) -> int:
        """How many letters the model tells apart."""
        return int(self.log_probabilities.shape[1])

    def letters(self, names: tuple[str, ...]) -> list[str]:
        """The calibrated letters, in the model's label order."""
        return [names[i] for i in sorted(set(self.labels.tolist()))]

    def merged(self, newer: Profile) -> Profile:
        """This profile with every letter ``newer`` has replaced by ``newer``'s examples."""
        if newer.model != self.model or newer.classes != self.classes:
            raise ValueError("profiles of different models cannot be merged")
        keep = ~np.isin(self.labels, newer.labels)
        return Profile(
            self.model_name,
            self.model_version,
            np.concatenate([self.labels[keep], newer.labels]),
            np.concatenate([self.embeddings[keep], newer.embeddings]),
            np.concatenate([self.log_probabilities[keep], newer.log_probabilities]),
        )


def examples_per_letter(classes: int, dims: int, name: str = "", version: str = "") -> int:
    """How many examples of every letter a full profile of this model can hold (0: not even one)."""
    for count in range(MAX_EXAMPLES_PER_LETTER, 0, -1):
        # Measured on the encoder itself (about a millisecond), so the layout is written down once.
        rows = classes * count
        full = Profile(name, version, np.repeat(np.arange(classes), count), np.zeros((rows, dims), np.float32),
                       np.zeros((rows, classes), np.float32))
        if len(encode_profile(full)) <= MAX_PROFILE_CHARS:
            return count
    return 0


def encode_profile(profile: Profile) -> str:
    """The blob the server hands out, base64."""
    name, version = profile.model_name.encode(), profile.model_version.encode()
    count, dims = profile.embeddings.shape
    body = b"".join([
        MAGIC,
        bytes([FORMAT, len(name)]), name,
        bytes([len(version)]), version,
        _HEADER.pack(profile.classes, dims, count),
        profile.labels.astype(np.uint8).tobytes(),
        profile.embeddings.astype("<f2").tobytes(),
        np.maximum(profile.log_probabilities, LOG_PROBABILITY_FLOOR).astype("<f2").tobytes(),
    ])
    return base64.b64encode(body + _CRC.pack(zlib.crc32(body))).decode("ascii")


def decode_profile(text: str, model_name: str, model_version: str, classes: int, dims: int) -> Profile:
    """Read a blob for the loaded model; raises :class:`ProfileError` with the code to answer."""
    if len(text) > MAX_PROFILE_CHARS:
        raise ProfileError("bad_profile", f"profile of {len(text)} characters exceeds {MAX_PROFILE_CHARS}")
    try:
        blob = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ProfileError("bad_profile", "profile is not valid base64") from None
    if len(blob) < len(MAGIC) + _CRC.size or not blob.startswith(MAGIC):
        raise ProfileError("bad_profile", "not a Signify calibration profile")
    body, (crc,) = blob[: -_CRC.size], _CRC.unpack(blob[-_CRC.size :])
    if zlib.crc32(body) != crc:
        raise ProfileError("bad_profile", "profile is damaged (checksum mismatch)")
    try:
        return _read_body(body, model_name, model_version, classes, dims)
    except (IndexError, struct.error, UnicodeDecodeError):
        raise ProfileError("bad_profile", "profile is truncated or malformed") from None


def _read_body(body: bytes, model_name: str, model_version: str, classes: int, dims: int) -> Profile:
    at = len(MAGIC)
    if body[at] != FORMAT:
        raise ProfileError("bad_profile", f"profile format {body[at]} is not supported (expected {FORMAT})")
    name, at = _short_string(body, at + 1)
    version, at = _short_string(body, at)
    if (name, version) != (model_name, model_version):
        raise ProfileError(
            "profile_mismatch", f"profile is for model {name} {version}, this server runs {model_name} {model_version}"
        )
    stored_classes, stored_dims, count = _HEADER.unpack_from(body, at)
    at += _HEADER.size
    if (stored_classes, stored_dims) != (classes, dims):
        raise ProfileError("bad_profile", f"profile has {stored_classes} classes of {stored_dims} values, "
                                          f"the model {classes} of {dims}")
    if not 0 < count <= classes * MAX_EXAMPLES_PER_LETTER:
        raise ProfileError("bad_profile", f"profile holds {count} examples (1 to {classes * MAX_EXAMPLES_PER_LETTER})")
    sizes = (count, count * dims * 2, count * classes * 2)
    if len(body) != at + sum(sizes):
        raise ProfileError("bad_profile", "profile is truncated or malformed")
    labels = np.frombuffer(body, np.uint8, count, at).astype(np.int64)
    embeddings = np.frombuffer(body, "<f2", count * dims, at + sizes[0]).astype(np.float32).reshape(count, dims)
    log_probabilities = np.frombuffer(body, "<f2", count * classes, at + sizes[0] + sizes[1])
    log_probabilities = log_probabilities.astype(np.float32).reshape(count, classes)
    if labels.max() >= classes or np.bincount(labels).max() > MAX_EXAMPLES_PER_LETTER:
        raise ProfileError("bad_profile", "profile has labels outside the model's or too many examples of one")
    if not (np.isfinite(embeddings).all() and np.isfinite(log_probabilities).all()) or log_probabilities.max() > 0:
        raise ProfileError("bad_profile", "profile holds values no model gives")
    return Profile(name, version, labels, embeddings, log_probabilities)


def _short_string(body: bytes, at: int) -> tuple[str, int]:
    length = body[at]
    end = at + 1 + length
    if end > len(body):
        raise IndexError(at)
    return body[at + 1 : end].decode("utf-8"), end
