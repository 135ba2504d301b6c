"""The three data sources, each read into the server's own keypoint convention.

Every source ends up as normalized hands (``signify.recognition.normalization.normalize_hand``,
the same function the server calls), so the model sees at training time
exactly what it sees when serving.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import itertools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.images import ImageError, decode_image
from signify.recognition.normalization import NUM_LANDMARKS, normalize_hand
from signify.recognition.trajectory import hand_placement
from tqdm import tqdm

from .augment import far_reshoot, reshoot

LETTERS = tuple(chr(ord("A") + i) for i in range(26))
LETTER_INDEX = {letter: i for i, letter in enumerate(LETTERS)}
MAX_PHOTO_PIXELS = 4096 * 4096
EXTRACTION_CHUNK = 64  # photos per task handed to a worker process
# A photo reaches MediaPipe as the server would see it held before its camera:
# a clip of this many identical frames through the server's own tracker
# (video mode). The palm detector finds the hand in the first frame; every
# later frame is tracked from the previous landmarks, which fit the fingers
# better, and that is what the server answers from for all but a stream's
# first frame. Held-out photos scored as well after 4 frames as after 8 or 16,
# and every frame costs extraction time.
HELD_PHOTO_FRAMES = 4
# Re-shoots per photo for training (see load_photos): four raised top-3 on
# held-out photos by 1.2 points at complexity 0 when photos were scored on a
# single look (model 2.1.0); scored as clips, they are worth about half a point.
PHOTO_RESHOOTS = 4
# Far re-shoots per photo (see load_photos, ``--far-reshoots``), on top of PHOTO_RESHOOTS, in the same source.
# Off: two per photo (a third of the re-shoots; MediaPipe finds the hand in 65% of them) left the held-out
# photos as they were (complexity 0 top-1 88.4% both, 3 folds) and did not read bench.webcam_motion's 50-100 px
# hands of photo fold 0 better than seed noise (3 seeds each: held shapes about 1 point of frames more at every
# size alike, J written 3 clips of 27 fewer per size on keypoints-zoom).
PHOTO_FAR_RESHOOTS = 0
FAR_RESHOOT_VERSION = 1  # bump when far_reshoot changes, so that cached landmarks are not reused
# The hand's longer side in a photo without a YOLO box: the photos' hands are about 150-250 px.
TYPICAL_HAND_PIXELS = 200.0
# The held-out evaluation splits the photos' originals into this many folds: original index mod PHOTO_FOLDS.
PHOTO_FOLDS = 3
RESHOOT_SEED = 11

# The asl-ai recordings come from a 640x480 webcam: with x scaled by 4/3 its
# palms have the proportions of the photo set's palms (see the model card).
ASL_AI_ASPECT = 4 / 3


@dataclass(frozen=True)
class Sequences:
    """Consecutive frames of one signer: ``segments[i]`` is one letter's recording, (frames, 21, 3).

    ``placements[i]`` is where the hand was in each of those frames
    (:func:`signify.recognition.trajectory.hand_placement`), which J and Z need.
    """

    segments: list[NDArray[np.float32]]
    labels: NDArray[np.int64]
    placements: list[NDArray[np.float32]]

    def of_letters(self, letters: NDArray[np.int64] | tuple[int, ...]) -> Sequences:
        """Only the recordings of the given letters."""
        keep = [i for i, label in enumerate(self.labels) if label in letters]
        return Sequences([self.segments[i] for i in keep], self.labels[keep], [self.placements[i] for i in keep])


@dataclass(frozen=True)
class Poses:
    """Normalized hand poses with labels, a group id and a shot id.

    Poses of one group (the copies of one original photo) stay on one side
    of a split. A shot is one picture held before a tracker: its poses are
    consecutive, in the order the tracker gave them.
    """

    hands: NDArray[np.float32]  # (n, 21, 3)
    labels: NDArray[np.int64]
    groups: NDArray[np.int64]
    shots: NDArray[np.int64]

    def shot_starts(self) -> NDArray[np.int64]:
        """Where each shot's run of consecutive poses begins."""
        return np.flatnonzero(np.r_[True, self.shots[1:] != self.shots[:-1]])

    def shot_ends(self) -> NDArray[np.int64]:
        """Each shot's last pose: the landmarks of a tracker that has settled on the picture."""
        return np.r_[self.shot_starts()[1:], len(self.shots)] - 1

    def where(self, selection: NDArray[np.bool_] | NDArray[np.int64]) -> Poses:
        """The poses a boolean mask or an index array selects, every field alike."""
        return Poses(self.hands[selection], self.labels[selection], self.groups[selection], self.shots[selection])

    def first_frames(self) -> Poses:
        """Only the first pose of every shot: what a single look at each picture finds."""
        return self.where(self.shot_starts())

    def shot_windows(self, hold: int) -> tuple[list[NDArray[np.float32]], NDArray[np.int64]]:
        """Each shot's frames in order, a one-frame shot held still for ``hold`` frames; and each shot's label."""
        starts = self.shot_starts()
        bounds = itertools.pairwise([*starts.tolist(), len(self.shots)])
        windows = [self.hands[a:b] if b - a > 1 else np.repeat(self.hands[a:b], hold, axis=0) for a, b in bounds]
        return windows, self.labels[starts]


def load_asl_ai(data: Path) -> Sequences:
    """asl-ai/landmarks.npz: about 400 consecutive webcam frames per letter, split where ``frame`` restarts."""
    archive = np.load(data / "asl-ai" / "landmarks.npz")
    hands = normalize_hand(archive["landmarks"], handedness="Right", aspect=ASL_AI_ASPECT)
    placements = hand_placement(archive["landmarks"], handedness="Right", aspect=ASL_AI_ASPECT)
    labels, frames = archive["labels"], archive["frame"]
    starts = [0, *np.flatnonzero((np.diff(frames) != 1) | (labels[1:] != labels[:-1])) + 1, len(frames)]
    bounds = list(itertools.pairwise(starts))
    segment_labels = np.array([LETTER_INDEX[str(labels[a])] for a in starts[:-1]], dtype=np.int64)
    return Sequences([hands[a:b] for a, b in bounds], segment_labels, [placements[a:b] for a, b in bounds])


def load_landmark_rows(data: Path, aspect: float = 4 / 3) -> Poses:
    """asl-translator-landmarks/asl_landmarks.csv: wrist-relative rows of another signer (no Q)."""
    hands, labels = [], []
    with (data / "asl-translator-landmarks" / "asl_landmarks.csv").open(newline="") as file:
        for row in csv.DictReader(file):
            values = [float(row[f"{axis}{i}"]) for i in range(1, 22) for axis in "xyz"]
            hands.append(np.array(values, dtype=np.float32).reshape(21, 3))
            labels.append(LETTER_INDEX[row["label"]])
    normalized = normalize_hand(np.stack(hands), handedness="Right", aspect=aspect)
    rows = np.arange(len(labels), dtype=np.int64)  # every row its own group and its own one-frame shot
    return Poses(normalized, np.array(labels, dtype=np.int64), rows, rows.copy())


def photo_original(path: Path) -> str:
    """The original photo a Roboflow file was augmented from: ``A12_jpg.rf.<hash>.jpg`` -> ``A12``."""
    return path.name.split("_jpg", 1)[0]


def load_photos(data: Path, cache_dir: Path, model_complexity: int = 0, reshoots: int = 0, far: int = 0) -> Poses:
    """roboflow-asl-letters through the server's own decode and MediaPipe path, cached by file list and settings.

    Every photo with a hand is one shot of up to :data:`HELD_PHOTO_FRAMES`
    poses: the photo held before the server's tracker. With ``reshoots`` > 0
    the poses come instead from that many re-shoots of every photo
    (:func:`~training.augment.reshoot`: turned, zoomed, shifted, mirrored,
    relit), each a shot of one frame (static image mode, which finds what a
    tracker's first frame finds): they are training material, never scored,
    and one frame each keeps their extraction affordable. ``far`` more
    re-shoots per photo (:func:`~training.augment.far_reshoot`) show its
    hand 45-110 px tall, noisy and JPEG'd, enlarged back: a webcam's view
    from across a room.
    Their landmarks carry MediaPipe's real errors on other framings, which
    jittering landmarks cannot imitate. A re-shoot keeps its photo's group
    id, so it never lands on the other side of a held-out split.
    """
    images = sorted((data / "roboflow-asl-letters" / "train" / "images").glob("*.jpg"))
    if far:
        # The far views come after the others from each photo's generator: those stay what they were (and
        # cached), and only the far views are extracted, under a key of their own.
        near = load_photos(data, cache_dir, model_complexity, reshoots)
        settings = f"|mc={model_complexity}|frames=1|reshoots={reshoots}|seed={RESHOOT_SEED}"
        settings += f"|far={far}|far_version={FAR_RESHOOT_VERSION}|far-only"
        distant = _extracted(images, cache_dir, settings, model_complexity, reshoots, far, first_view=reshoots)
        shots = distant.shots + (int(near.shots.max()) + 1 if len(near.shots) else 0)  # shots stay distinct
        return Poses(np.concatenate([near.hands, distant.hands]), np.concatenate([near.labels, distant.labels]),
                     np.concatenate([near.groups, distant.groups]), np.concatenate([near.shots, shots]))
    settings = f"|mc={model_complexity}|frames={1 if reshoots else HELD_PHOTO_FRAMES}"
    if reshoots:
        settings += f"|reshoots={reshoots}|seed={RESHOOT_SEED}"
    return _extracted(images, cache_dir, settings, model_complexity, reshoots, 0, first_view=0)


def _extracted(
    images: list[Path], cache_dir: Path, settings: str, model_complexity: int, reshoots: int, far: int,
    first_view: int,
) -> Poses:
    """The poses of every image's views from ``first_view`` on, from the cache under ``settings`` or extracted."""
    key = hashlib.sha256(("\n".join(p.name for p in images) + settings).encode()).hexdigest()[:16]
    cache = cache_dir / f"photos-{key}.npz"
    if cache.exists():
        cached = np.load(cache)
        return Poses(cached["hands"], cached["labels"], cached["groups"], cached["shots"])
    frames = 1 if reshoots or far else HELD_PHOTO_FRAMES
    originals = {name: i for i, name in enumerate(sorted({photo_original(p) for p in images}))}
    chunks = _chunks(list(enumerate(images)), EXTRACTION_CHUNK)
    extract = functools.partial(_extract_hands, model_complexity=model_complexity, reshoots=reshoots, far=far,
                                frames=frames, first_view=first_view)
    views_per_photo = max(reshoots + far - first_view, 1)
    found: list[tuple[NDArray[np.float32], str, int]] = []
    description = f"photo landmarks, complexity {model_complexity}, {reshoots} re-shoots, {far} far"
    # A Hands graph runs on about one core and must not be shared between threads: one process per core.
    pool = ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=multiprocessing.get_context("spawn"))
    with pool, tqdm(total=len(images) * views_per_photo, desc=description, unit="img") as progress:
        for chunk, hands in zip(chunks, pool.map(extract, chunks), strict=True):
            found.extend(hands)
            progress.update(len(chunk) * views_per_photo)
    result = Poses(
        np.array([hand for hand, _, _ in found], dtype=np.float32).reshape(-1, NUM_LANDMARKS, 3),
        np.array([LETTER_INDEX[name[0].upper()] for _, name, _ in found], dtype=np.int64),
        np.array([originals[photo_original(Path(name))] for _, name, _ in found], dtype=np.int64),
        np.array([shot for _, _, shot in found], dtype=np.int64),
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(cache, hands=result.hands, labels=result.labels, groups=result.groups, shots=result.shots)
    return result


def hand_pixels(path: Path, shape: tuple[int, ...]) -> float:
    """The longer side of the hand's YOLO box in ``labels/`` beside the photo's ``images/``, in pixels."""
    label = path.parent.parent / "labels" / (path.stem + ".txt")
    rows = [line.split() for line in label.read_text().splitlines() if line.strip()] if label.is_file() else []
    if not rows or len(rows[0]) < 5:
        return TYPICAL_HAND_PIXELS
    width, height = float(rows[0][3]) * shape[1], float(rows[0][4]) * shape[0]
    return max(width, height)


def _chunks(items: list[tuple[int, Path]], size: int) -> list[list[tuple[int, Path]]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _extract_hands(
    photos: list[tuple[int, Path]], model_complexity: int, reshoots: int, frames: int, far: int = 0,
    first_view: int = 0,
) -> list[tuple[NDArray[np.float32], str, int]]:
    """Normalized hands found in ``photos`` (or in their re-shoots), with the file and the shot each came from."""
    found = []
    # Clips run with the server's own settings (video mode), so that frames after the first are tracked.
    single_look = frames == 1
    with HandTracker(HandSettings(static_image_mode=single_look, model_complexity=model_complexity)) as tracker:
        for index, path in photos:
            try:
                rgb = decode_image(path.read_bytes(), MAX_PHOTO_PIXELS)
            except ImageError:
                continue
            # Seeded per photo, so that the re-shoots do not depend on how the work was split.
            rng = np.random.default_rng([RESHOOT_SEED, index])
            # The far re-shoots are drawn after the others, which stay what they are without them.
            views = [reshoot(rgb, rng) for _ in range(reshoots)]
            views += [far_reshoot(rgb, rng, hand_pixels(path, rgb.shape[:2])) for _ in range(far)]
            views = views or [rgb]
            for number, view in enumerate(views):
                if number < first_view:
                    continue
                shot = index * len(views) + number
                aspect = view.shape[1] / view.shape[0]
                if not single_look:
                    tracker.reset()  # each shot starts from the palm detector, like a new stream
                for _ in range(frames):
                    hand = tracker.detect(view)
                    if hand is not None:
                        pose = normalize_hand(hand.landmarks, handedness=hand.handedness, aspect=aspect)
                        found.append((pose, path.name, shot))
    return found
