"""The three data sources, each read into the server's own keypoint convention.

Every source ends up as normalized hands (``signify.normalization.normalize_hand``,
the same function the server calls), so the model sees at training time
exactly what it sees when serving.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from signify.hands import HandSettings, HandTracker
from signify.images import ImageError, decode_image
from signify.normalization import normalize_hand
from tqdm import tqdm

LETTERS = tuple(chr(ord("A") + i) for i in range(26))
LETTER_INDEX = {letter: i for i, letter in enumerate(LETTERS)}
MAX_PHOTO_PIXELS = 4096 * 4096

# The asl-ai recordings come from a 640x480 webcam: with x scaled by 4/3 its
# palms have the proportions of the photo set's palms (see the model card).
ASL_AI_ASPECT = 4 / 3


@dataclass(frozen=True)
class Sequences:
    """Consecutive frames of one signer: ``segments[i]`` is one letter's recording, (frames, 21, 3)."""

    segments: list[NDArray[np.float32]]
    labels: NDArray[np.int64]


@dataclass(frozen=True)
class Poses:
    """Single normalized hand poses with labels and a group id (poses of one group stay together in splits)."""

    hands: NDArray[np.float32]  # (n, 21, 3)
    labels: NDArray[np.int64]
    groups: NDArray[np.int64]


def load_asl_ai(data: Path) -> Sequences:
    """asl-ai/landmarks.npz: about 400 consecutive webcam frames per letter, split where ``frame`` restarts."""
    archive = np.load(data / "asl-ai" / "landmarks.npz")
    hands = normalize_hand(archive["landmarks"], handedness="Right", aspect=ASL_AI_ASPECT)
    labels, frames = archive["labels"], archive["frame"]
    starts = [0, *np.flatnonzero((np.diff(frames) != 1) | (labels[1:] != labels[:-1])) + 1, len(frames)]
    segments = [hands[a:b] for a, b in itertools.pairwise(starts)]
    segment_labels = np.array([LETTER_INDEX[str(labels[a])] for a in starts[:-1]], dtype=np.int64)
    return Sequences(segments, segment_labels)


def load_landmark_rows(data: Path, aspect: float = 4 / 3) -> Poses:
    """asl-translator-landmarks/asl_landmarks.csv: wrist-relative rows of another signer (no Q)."""
    hands, labels = [], []
    with (data / "asl-translator-landmarks" / "asl_landmarks.csv").open(newline="") as file:
        for row in csv.DictReader(file):
            values = [float(row[f"{axis}{i}"]) for i in range(1, 22) for axis in "xyz"]
            hands.append(np.array(values, dtype=np.float32).reshape(21, 3))
            labels.append(LETTER_INDEX[row["label"]])
    normalized = normalize_hand(np.stack(hands), handedness="Right", aspect=aspect)
    return Poses(normalized, np.array(labels, dtype=np.int64), np.arange(len(labels), dtype=np.int64))


def photo_original(path: Path) -> str:
    """The original photo a Roboflow file was augmented from: ``A12_jpg.rf.<hash>.jpg`` -> ``A12``."""
    return path.name.split("_jpg", 1)[0]


def load_photos(data: Path, cache_dir: Path, model_complexity: int = 0) -> Poses:
    """roboflow-asl-letters: hands found by the server's own MediaPipe path, cached by file list and settings."""
    images = sorted((data / "roboflow-asl-letters" / "train" / "images").glob("*.jpg"))
    key = hashlib.sha256(("\n".join(p.name for p in images) + f"|mc={model_complexity}").encode()).hexdigest()[:16]
    cache = cache_dir / f"photos-{key}.npz"
    if cache.exists():
        cached = np.load(cache)
        return Poses(cached["hands"], cached["labels"], cached["groups"])
    originals = {name: i for i, name in enumerate(sorted({photo_original(p) for p in images}))}
    hands, labels, groups = [], [], []
    settings = HandSettings(static_image_mode=True, model_complexity=model_complexity)
    with HandTracker(settings) as tracker:
        for path in tqdm(images, desc="photo landmarks", unit="img"):
            try:
                rgb = decode_image(path.read_bytes(), MAX_PHOTO_PIXELS)
            except ImageError:
                continue
            found = tracker.detect(rgb)
            if found is None:
                continue
            aspect = rgb.shape[1] / rgb.shape[0]
            hands.append(normalize_hand(found.landmarks, handedness=found.handedness, aspect=aspect))
            labels.append(LETTER_INDEX[path.name[0].upper()])
            groups.append(originals[photo_original(path)])
    result = Poses(np.stack(hands), np.array(labels, dtype=np.int64), np.array(groups, dtype=np.int64))
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, hands=result.hands, labels=result.labels, groups=result.groups)
    return result
