"""Motion letters at webcam framing, from real hands: ``python -m bench.webcam_motion --data ../shared/data``.

Issue 15's bar: a J clip and a Z clip of a person the model never saw, at
webcam framing (the hand 50-100 px tall in 640x480), write their letter and
never the letter they start from; HELLO still spells HELLO. testkit's drawn
hands are lost by MediaPipe below about 130 px, so this builds clips from
real hand photos instead: the Roboflow "American Sign Language Letters"
photos (David Lee, Public Domain, ../shared/data/roboflow-asl-letters), 416 x
416, several signers in home settings, a YOLO box around each hand.

Each photo's hand is cut out along its box (a feathered ellipse a little
larger than the box), scaled so that the box's longer side is 50, 70 or 100
px, and moved over a 640 x 480 background made of the same photo with the
hand painted out, enlarged and softened (the signer's own room). Every frame
gets sensor noise, a tremor of the hand and webcam JPEG compression. Clips,
at 30 fps:

* ``J``: an I photo held 0.4 s, then moved along J's drop and hook while it
  turns 90 degrees in the picture's plane, over 0.6-1.2 s, then held 0.6 s.
  Must write J, never I (nor Z).
* ``Z``: a D or G photo (the index-pointing shapes training draws Z from)
  held, moved along Z's three strokes over 0.6-1.2 s, held. Must write Z,
  never D, G or X (nor J).
* ``J quick`` / ``Z quick`` and ``J slow`` / ``Z slow``: the same, drawn
  at the ends of the range issue 15 asks training to cover: in 0.4 s or in
  1.5 s, the letter half, once or twice the hand's length in turn (a J's
  height, a Z's width; ``J`` and ``Z`` draw theirs 0.6-0.9 and 0.8-1.3
  hand lengths over 0.6-1.2 s). A slow small J moves the hand about 1.6
  palm sizes in 1.5 s; a quick large Z sweeps a 100 px hand across 200 px
  in 0.4 s. (They add 378 clips to a run of every class at three sizes.)
* ``J x3`` / ``Z x3``: the letter signed three times in a row, as the
  issue's first J clip was: after each one's end held 0.6 s, the hand goes
  straight back to the start in 0.4 s (untwisting), holds 0.4 s and signs
  again. Must write the letter three times (each end held for a pause) and
  never the shape it starts from.
* ``drift I`` / ``drift X``: the photo drifting about one palm size each
  way, 1.5 s per way, and wobbling. Must write the letter, never J or Z.
  ``drift L`` / ``drift O``: the same for two letters that start no motion,
  which a hand moving them could double (exactly: the letter once).
* ``HELLO``: H, E, L, L, O photos of one scene (same room and light, so
  most likely one signer: the set labels no signers), one second each, the
  hand gone for 8 frames between the two L's.
* ``HELLO slide`` / ``HELLO bounce``: the same, the second L made as
  signers make a double letter without lowering the hand: the L slid
  sideways by a third of the hand's length in 0.2 s, or bounced down and
  back up, and held again (testkit's drawn doubles:
  ``testkit.motion_clips.spelling_frames``).
* ``doubled slide`` / ``doubled bounce``: one D, G, I, X, L or O photo
  held a second, slid or bounced so, held a second again, then the hand
  gone for a word gap, as a word ending in "DD", "GG" ("ODD", "EGG") ends.
  Must write the letter twice, never J or Z. D, G, I and X are the shapes a
  J or Z starts from; L and O start none.
* ``J then doubled`` / ``Z then doubled``: a J or Z clip's motion, then
  the hand, where the motion ended, changes to an E, L or O (another
  photo, pasted over the first one's room; untwisting after a J), holds it
  a second, slides it as ``doubled slide`` does, holds it again and is
  lowered: "JEE", "ZOO". Must write exactly that.

Every clip is played through the server's own code along these paths
(``--paths``):

* ``keypoints``: MediaPipe (the server's HandTracker, video mode,
  complexity 1, which has the weights of the demo's on-device tracker, no
  zoom) on the full 640 x 480 frame, the landmarks sent to
  ``Recognizer.recognize_keypoints``, as the demo's default does;
* ``image``: the frame downscaled to 320 x 240 and JPEG-encoded at quality
  75, as the demo sends it with ``?tracking=server``, decoded and tracked as
  ``Recognizer.recognize_image`` does (the server's decode_image and
  HandTracker with the server's settings under load: complexity 0 and the small-hand
  zoom of signify.recognition.zoom), the landmarks then classified by the
  same Recognizer;
* ``image640``: the same at the camera's 640 x 480 (JPEG 75);
* ``image640-full``: ``image640`` with the full landmark model (complexity 1), as
  the server tracks a camera's images while few cameras send images
  (``MEDIAPIPE_MODEL_COMPLEXITY=auto``, signify.serving.complexity);
* ``image-nozoom``, ``image640-nozoom``: the same without the zoom (the
  tracker before it);
* ``keypoints-zoom``: ``keypoints`` with the zoom, as the demo's on-device
  tracker zooms (front_demo/zoom.js, the same policy).

``--rate 15`` plays every path as a tracker giving 15 results a second
would: the tracker is given only the frames it sees (its zoom, its track
and its misses are a slow tracker's, cached apart from 30 a second's), and
only those are sent, each with its capture time, which the server reads the
stream by (signify.recognition.pacing); ``--rate-played-only`` tracks every
frame as at 30 a second and sends those alone, as this bench measured
slower trackers before 2026-12-07 (docs/model.md, "Trackers slower than 30
results a second"), which a slow tracker's own misses do not show; ``--unpaced``
sends them without, each frame standing for one as before the server read
capture times. ``--exposure 0.5`` blurs a moving hand along its path as a
webcam's shutter open for half of each frame's interval (1/60 s) does;
by default the pictures are sharp. ``--raised`` starts every J and Z clip
(and those drawn from them) as a user starts: the stream without the hand
for 0.2, 0.9 or 1.6 s in turn (the search at different points of its
cycle), then the hand raised from below the frame to where the letter
starts in 0.6 s, holding its shape; by default it is there from the first
frame, 0.4 s before the motion.

Tracking is done once per clip and path and cached (``--cache``), with the
milliseconds each frame's tracking took; the Recognizer (the
shipped ONNX model, smoother and transcript) runs on the cached landmarks,
so a change of the transcript's rules is measured again in seconds.

The shipped model was trained on every one of these photos' shapes (all
three folds go into the final training). What is under test is the motion:
the motion input, ``hand_speed`` and the transcript's rules, on MediaPipe's
real jitter at these sizes. By default only the originals of photo fold 0
(training's held-out split: original index mod 3) are used.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.images import decode_image
from signify.recognition.model import LetterModel
from signify.recognition.recognizer import MOVING_SPEED, Recognizer, RecognizerSettings

from testkit.motion_clips import (
    J_DROP,
    J_HOOK_RADIUS,
    Z_HEIGHT,
    Z_WIDTH,
    j_path,
    smoothstep,
    spelling_frames,
    z_path,
)
from training.sources import PHOTO_FOLDS, photo_original

from .page_tracker import PageTracker, page_tracker

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "asl-lstm.onnx"
DATA = REPO.parent / "shared" / "data"  # the project's shared data, beside the repository (CI lays it there too)
PHOTOS = Path("roboflow-asl-letters") / "train"
WIDTH, HEIGHT, FPS = 640, 480, 30
SIZES = (50, 70, 100)  # the hand box's longer side, in pixels of the 640 x 480 frame
HOLD_BEFORE, HOLD_AFTER = 12, 18  # frames: 0.4 s and 0.6 s
# --raised: the stream starts without the hand for one of these many frames in turn (the search at different
# points of its cycle, 63 frames long: signify.recognition.zoom), then the hand comes up from below the frame.
RAISE_AWAY_FRAMES = (6, 27, 48)
RAISE_FRAMES = 18  # 0.6 s from below the frame to the letter's start
RETURN_FRAMES = 12  # 0.4 s back to the start between repeats
MOVE_FRAMES = (18, 27, 36)  # 0.6, 0.9 and 1.2 s, in turn
PATH_SCALES = (1.0, 1.3, 0.8)  # of testkit's J and Z sizes (Z: 1.0 x 0.8 hand lengths), in turn
# The "quick" and "slow" classes: the ends of issue 15's range of speeds (0.4-1.5 s a letter), and its sizes
# (half to twice the hand's): the J's height, the Z's width, in hand lengths, in turn.
RANGE_MOVE_FRAMES = {"quick": 12, "slow": 45}
RANGE_SIZES = (0.5, 1.0, 2.0)
LETTER_SIZES = {"J": J_DROP + J_HOOK_RADIUS, "Z": Z_WIDTH}  # the same at PATH_SCALES' 1.0, in hand lengths
J_TURN_DEGREES = 90.0
HAND_PALMS = 2.2  # a hand is about 2.2 palm sizes long (training/motion.py)
DRIFT_WAY_FRAMES = 45  # one palm size in 1.5 s, then back
WOBBLE_DEGREES = 3.0
LETTER_FRAMES, CHANGE_FRAMES, AWAY_FRAMES = 30, 4, 8
TREMOR_PIXELS, TREMOR_DEGREES = 0.4, 0.5
CAMERA_NOISE = 3.0  # grey levels, new every frame
BLUR_SAMPLES = 6  # instants a frame's motion blur is made of (--exposure)
WEBCAM_JPEG, DEMO_JPEG, DEMO_LONG_SIDE = 85, 75, 320
# HELLO from one scene each (checked by eye on a contact sheet: same room, wall, floor and light).
HELLO_SETS = (("H2", "E8", "L0", "O23"), ("H20", "E22", "L4", "O25"), ("H11", "E15", "L1", "O14"),
              ("H24", "E23", "L5", "O16"))
# path: (long side of the frame sent, MediaPipe settings); None: the full frame as it is, without JPEG.
PATH_VIEWS: dict[str, tuple[int | None, HandSettings]] = {
    "keypoints": (None, HandSettings(model_complexity=1)),
    "keypoints-zoom": (None, HandSettings(model_complexity=1, zoom=True)),  # as the demo tracks (zoom.js)
    "image": (DEMO_LONG_SIDE, HandSettings(zoom=True)),
    "image640": (WIDTH, HandSettings(zoom=True)),
    "image640-full": (WIDTH, HandSettings(model_complexity=1, zoom=True)),  # auto, while few cameras send images
    "image-nozoom": (DEMO_LONG_SIDE, HandSettings()),
    "image640-nozoom": (WIDTH, HandSettings()),
}
# The demo page's own tracker (bench.page_tracker): path -> whether front_demo/zoom.js zooms.
PAGE_PATHS = {"page": True, "page-nozoom": False}
PATHS = (*PATH_VIEWS, *PAGE_PATHS)
# The cache of RENDER_VERSION 1 held these two paths in one file per clip, under these names.
LEGACY_PATHS = {"keypoints": "keypoints", "image-nozoom": "image"}
CLASSES = {  # name: (photo letters, letter to write, letters never to write)
    "J": ("I", "J", "IZ"),
    "Z": ("DG", "Z", "DGXJ"),
    "J x3": ("I", "JJJ", "IZ"),
    "Z x3": ("DG", "ZZZ", "DGXJ"),
    "J quick": ("I", "J", "IZ"),
    "Z quick": ("DG", "Z", "DGXJ"),
    "J slow": ("I", "J", "IZ"),
    "Z slow": ("DG", "Z", "DGXJ"),
    "drift I": ("I", "I", "JZ"),
    "drift X": ("X", "X", "JZ"),
    # Held letters that start no motion, drifting: a hand that moves holding its letter writes it once.
    "drift L": ("L", "L", "JZ"),
    "drift O": ("O", "O", "JZ"),
}
# HELLO spells a word from photos of one scene, not one clip letter; how the hand makes the double L.
SPELLED = {"HELLO": "away", "HELLO slide": "slide", "HELLO bounce": "bounce"}
# One photo's letter doubled in view (how), the hand then lowered: the letter twice.
DOUBLED = {"doubled slide": "slide", "doubled bounce": "bounce"}
DOUBLED_LETTERS = "DGIXLO"  # the shapes a J or Z starts from, and two that start none
# A motion letter, then another letter doubled in view ("ZOO", "JEEP"): the class, the motion's clip class.
AFTER_MOTION = {"J then doubled": "J", "Z then doubled": "Z"}
AFTER_MOTION_LETTERS = "ELO"  # the letter doubled after it, in turn
ALL_CLASSES = (*CLASSES, *SPELLED, *DOUBLED, *AFTER_MOTION)
WHOLE_WORDS = {*SPELLED, *DOUBLED, *AFTER_MOTION}  # classes written right only when written exactly


@dataclass(frozen=True)
class Photo:
    """One original photo (the first of its augmented copies in which MediaPipe finds the hand)."""

    name: str  # the original, e.g. "I12"
    path: Path
    box: tuple[float, float, float, float]  # centre x, centre y, width, height in pixels
    side: float  # +1 for a hand MediaPipe calls "Right", -1 for "Left": J and Z are drawn mirrored by the other

    @property
    def letter(self) -> str:
        return self.name[0]


@dataclass
class Clip:
    """A clip's description; ``frames()`` renders it."""

    kind: str
    size: int
    photos: tuple[Photo, ...]
    expected: str
    forbidden: str
    seed: int
    # Per frame: which photo (index into photos, -1 for no hand), x, y of the hand's centre, turn in degrees,
    # and whether the hand is in the motion (for diagnostics).
    track: list[tuple[int, float, float, float, bool]] = field(default_factory=list)
    # The share of each frame's 1/30 s that the camera's shutter is open, ending at the frame: a hand that
    # moves is smeared along its path over it (motion blur). 0: a sharp picture at the frame's instant.
    exposure: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.size}|{'+'.join(p.name for p in self.photos)}|{self.seed}"

    @property
    def track_digest(self) -> int:
        """What the clip shows, frame by frame: two clips of one key can differ in speed and size."""
        exposure = (f"exposure {self.exposure:.3f}",) if self.exposure else ()  # sharp clips keep their digest
        return _seed(self.key, *(f"{i},{x:.3f},{y:.3f},{turn:.3f}" for i, x, y, turn, _ in self.track), *exposure)


def originals(data: Path) -> dict[str, list[Path]]:
    """Every original's augmented copies, in name order."""
    found: dict[str, list[Path]] = {}
    for path in sorted((data / PHOTOS / "images").glob("*.jpg")):
        found.setdefault(photo_original(path), []).append(path)
    return found


def fold_of(data: Path) -> dict[str, int]:
    """Each original's photo fold, as training numbers them (index in the sorted originals, mod 3)."""
    return {name: i % PHOTO_FOLDS for i, name in enumerate(sorted(originals(data)))}


def read_box(path: Path) -> tuple[float, float, float, float] | None:
    label = path.parent.parent / "labels" / (path.stem + ".txt")
    if not label.is_file():
        return None
    rows = [line.split() for line in label.read_text().splitlines() if line.strip()]
    if not rows:
        return None
    _, cx, cy, w, h = (float(v) for v in rows[0][:5])
    image = cv2.imread(str(path))
    height, width = image.shape[:2]
    return cx * width, cy * height, w * width, h * height


def pick_photos(data: Path, names: Sequence[str], tracker: HandTracker) -> list[Photo]:
    """For each original, its first copy with a box in which MediaPipe finds a hand at the photo's own size."""
    copies = originals(data)
    photos = []
    for name in names:
        for path in copies.get(name, []):
            box = read_box(path)
            if box is None:
                continue
            rgb = np.asarray(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), dtype=np.uint8)
            tracker.reset()
            hand = tracker.detect(rgb)
            if hand is not None:
                photos.append(Photo(name, path, box, -1.0 if hand.handedness == "Left" else 1.0))
                break
    return photos


class Sprite:
    """A photo's hand at one size: its pixels and a feathered mask, and the background of its room."""

    def __init__(self, photo: Photo, size: int) -> None:
        image = cv2.imread(str(photo.path))
        cx, cy, w, h = photo.box
        scale = size / max(w, h)
        half = 0.9 * max(w, h)
        padded = cv2.copyMakeBorder(image, 400, 400, 400, 400, cv2.BORDER_REFLECT)
        x0, y0 = round(cx - half) + 400, round(cy - half) + 400
        side = round(2 * half)
        crop = padded[y0 : y0 + side, x0 : x0 + side]
        out = max(8, round(side * scale))
        self.pixels = cv2.resize(crop, (out, out), interpolation=cv2.INTER_AREA).astype(np.float32)
        mask = np.zeros((out, out), np.float32)
        centre = (out / 2, out / 2)
        axes = (max(1, round(0.5 * 1.3 * w * scale)), max(1, round(0.5 * 1.3 * h * scale)))
        cv2.ellipse(mask, (round(centre[0]), round(centre[1])), axes, 0, 0, 360, (1.0,), -1)
        self.mask = cv2.GaussianBlur(mask, (0, 0), max(0.8, 0.06 * size))
        self.centre = centre
        self.background = room(np.asarray(image, dtype=np.uint8), photo.box)


def room(image: NDArray[np.uint8], box: tuple[float, float, float, float]) -> NDArray[np.float32]:
    """The photo with its hand filled in from around it, enlarged to 640 x 480 and out of focus: the signer's room."""
    cx, cy, w, h = box
    valid = np.ones(image.shape[:2], np.float32)
    x0, x1 = max(0, round(cx - 0.8 * w)), min(image.shape[1], round(cx + 0.8 * w))
    y0, y1 = max(0, round(cy - 0.8 * h)), min(image.shape[0], round(cy + 0.8 * h))
    valid[y0:y1, x0:x1] = 0.0
    pixels = image.astype(np.float32)
    # Normalized convolution: the hole takes the blurred colours around it.
    spread = cv2.GaussianBlur(pixels * valid[..., None], (0, 0), 40) / np.maximum(
        cv2.GaussianBlur(valid, (0, 0), 40), 1e-3)[..., None]
    filled = pixels * valid[..., None] + spread * (1.0 - valid[..., None])
    big = cv2.resize(filled, (WIDTH, WIDTH), interpolation=cv2.INTER_LINEAR)
    top = (WIDTH - HEIGHT) // 2
    return np.asarray(cv2.GaussianBlur(big[top : top + HEIGHT], (0, 0), 5.0), dtype=np.float32)


def paste(frame: NDArray[np.float32], sprite: Sprite, x: float, y: float, turn: float, alpha: float = 1.0) -> None:
    """Blend the sprite into ``frame`` with its centre at (x, y), turned ``turn`` degrees counter-clockwise."""
    matrix = np.asarray(cv2.getRotationMatrix2D(sprite.centre, turn, 1.0), dtype=np.float64)
    matrix[:, 2] += (x - sprite.centre[0], y - sprite.centre[1])
    pixels = cv2.warpAffine(sprite.pixels, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    mask = cv2.warpAffine(sprite.mask, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)[..., None] * alpha
    frame *= 1.0 - mask
    frame += pixels * mask


def render(clip: Clip) -> Iterator[NDArray[np.uint8]]:
    """The clip's frames as a webcam gives them (BGR, after its JPEG compression)."""
    rng = np.random.default_rng(clip.seed)
    sprites = [Sprite(photo, clip.size) for photo in clip.photos]
    background = sprites[0].background
    for number, (index, *place, _) in enumerate(clip.track):
        frame = background.copy()
        if index >= 0:
            shake = np.array([TREMOR_PIXELS, TREMOR_PIXELS, TREMOR_DEGREES]) * rng.normal(0.0, 1.0, 3)
            now = np.array(place) + shake
            before = clip.track[number - 1] if number else None
            if clip.exposure and before is not None and before[0] == index and list(before[1:4]) != place:
                # The shutter open over the last ``exposure`` of the frame's interval: the hand pasted where it was
                # at instants spread over it, the pictures averaged.
                exposed = np.zeros_like(frame)
                for k in range(BLUR_SAMPLES):
                    t = 1.0 - clip.exposure * (1.0 - (k + 0.5) / BLUR_SAMPLES)
                    picture = background.copy()
                    paste(picture, sprites[index], *(np.array(before[1:4]) + shake + t * (now - shake - before[1:4])))
                    exposed += picture
                frame = exposed / BLUR_SAMPLES
            else:
                paste(frame, sprites[index], *now)
        frame += rng.normal(0.0, CAMERA_NOISE, frame.shape).astype(np.float32)
        bgr = np.clip(np.round(frame), 0, 255).astype(np.uint8)
        ok, jpeg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, WEBCAM_JPEG])
        assert ok
        yield np.asarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), dtype=np.uint8)


def motion_track(kind: str, photo: Photo, size: int, number: int, raised: bool = False
                 ) -> list[tuple[int, float, float, float, bool]]:
    """Per-frame (photo, x, y, turn, moving) of a J, Z, repeated J or Z, quick or slow J or Z, or drifting clip.

    ``raised``: a J or Z clip starts with the hand out of view (for :data:`RAISE_AWAY_FRAMES`, by ``number``) and
    raised into its start place from below the frame (:func:`raise_track`)."""
    letter, _, variant = kind.partition(" ")
    times = variant[1:] if variant.startswith("x") else ""
    if variant in RANGE_MOVE_FRAMES:
        move = RANGE_MOVE_FRAMES[variant]
        scale = RANGE_SIZES[number % len(RANGE_SIZES)] / LETTER_SIZES[letter]
    else:
        move = MOVE_FRAMES[number % len(MOVE_FRAMES)]
        scale = PATH_SCALES[(number // len(MOVE_FRAMES)) % len(PATH_SCALES)]
    side = photo.side
    if letter in ("J", "Z"):

        def place(t: float) -> tuple[float, float, float]:
            """x, y and turn at progress ``t`` along the letter's path."""
            if letter == "J":
                dx, dy = j_path(t)
                return (WIDTH / 2 + side * dx * scale * size, HEIGHT * 0.4 + dy * scale * size,
                        side * J_TURN_DEGREES * smoothstep(t))
            width, height = Z_WIDTH * scale, Z_HEIGHT * scale
            dx, dy = z_path(t, width, height)
            return WIDTH / 2 + side * (dx - width / 2) * size, HEIGHT * 0.45 + (dy - height / 2) * size, 0.0

        (x0, y0, turn0), (x1, y1, turn1) = place(0.0), place(1.0)
        # (number + number // 3) % 3: every wait with every speed and every size of the path, in turn.
        away = RAISE_AWAY_FRAMES[(number + number // len(MOVE_FRAMES)) % len(RAISE_AWAY_FRAMES)]
        track = raise_track(x0, y0, turn0, size, away) if raised else []
        for repeat in range(int(times or 1)):
            for i in range(RETURN_FRAMES if repeat else 0):
                # Back to where the letter starts, straight and untwisting, as a signer repeats it.
                f = smoothstep((i + 1) / RETURN_FRAMES)
                track.append((0, x1 + f * (x0 - x1), y1 + f * (y0 - y1), turn1 + f * (turn0 - turn1), True))
            track += [(0, x0, y0, turn0, False)] * HOLD_BEFORE
            track += [(0, *place((i + 1) / move), True) for i in range(move)]
            track += [(0, x1, y1, turn1, False)] * HOLD_AFTER
        return track
    palm = size / HAND_PALMS
    track = []
    for i in range(2 * DRIFT_WAY_FRAMES):
        offset = palm * (DRIFT_WAY_FRAMES - abs(i - DRIFT_WAY_FRAMES)) / DRIFT_WAY_FRAMES - palm / 2
        wobble = WOBBLE_DEGREES * math.sin(2 * math.pi * i / (1.5 * FPS))
        track.append((0, WIDTH / 2 + 0.8 * offset, HEIGHT * 0.45 + 0.6 * offset, wobble, True))
    return track


def raise_track(x: float, y: float, turn: float, size: int, away: int) -> list[tuple[int, float, float, float, bool]]:
    """Per-frame (photo, x, y, turn, moving) of ``away`` frames without the hand, then photo 0's hand raised from
    below the frame to (x, y) in :data:`RAISE_FRAMES`, holding its shape, as a user's hand comes into view."""
    start = float(HEIGHT + size)  # the whole sprite (1.8 hand lengths across) below the frame
    track = [(-1, x, start, turn, False)] * away
    for i in range(RAISE_FRAMES):
        f = smoothstep((i + 1) / RAISE_FRAMES)
        track.append((0, x, start + f * (y - start), turn, True))
    return track


def spelling_track(word: str, double: str = "away", size: int = 0, side: float = 1.0
                   ) -> list[tuple[int, float, float, float, bool]]:
    """Per-frame (photo, x, y, turn, moving) of ``word`` held letter by letter; photo i is letter i.

    Laid out as testkit's drawn words are (testkit.motion_clips.spelling_frames): the new letter's photo while
    the hand reshapes, none while it is away, and the letter before moving while a double slides it toward
    ``side`` or bounces it (in lengths of the hand, ``size`` pixels)."""
    track = []
    for frame in spelling_frames(word, LETTER_FRAMES, CHANGE_FRAMES, AWAY_FRAMES, double):
        moving = frame.part in ("slide", "bounce")  # the letter before, moved as a double
        photo = -1 if frame.part == "away" else frame.letter - 1 if moving else frame.letter
        dx, dy = frame.offset
        track.append((photo, WIDTH / 2 + side * dx * size, HEIGHT * 0.45 + dy * size, 0.0, moving))
    return track


def doubled_track(double: str, size: int, side: float) -> list[tuple[int, float, float, float, bool]]:
    """Per-frame (photo, x, y, turn, moving) of a letter held, doubled in view (``double``: slid or bounced) and
    held again (photos 0 and 1), then the hand gone for a word gap, as a word ending in a double letter ends."""
    track = spelling_track("AA", double, size, side)
    return track + [(-1, *track[-1][1:4], False)] * RecognizerSettings().word_gap


def after_motion_track(letter: str, photo: Photo, size: int, number: int, side: float, raised: bool = False
                       ) -> list[tuple[int, float, float, float, bool]]:
    """Per-frame (photo, x, y, turn, moving) of ``letter`` (J or Z) drawn from photo 0, then photo 1's letter,
    doubled by a slide toward ``side`` where the motion ended, and the hand gone for a word gap."""
    motion = motion_track(letter, photo, size, number, raised)
    _, x1, y1, turn1, _ = motion[-1]
    # The hand changes shape where the motion ended, untwisting after a J, as between two held letters.
    change = [(1, x1, y1, turn1 * (1 - (k + 1) / CHANGE_FRAMES), False) for k in range(CHANGE_FRAMES)]
    double = [(-1 if i < 0 else i + 1, x - WIDTH / 2 + x1, y - HEIGHT * 0.45 + y1, turn, moving)
              for i, x, y, turn, moving in doubled_track("slide", size, side)]
    return motion + change + double


def build_clips(data: Path, sizes: Sequence[int], fold: int | None, limit: int,
                classes: Sequence[str] = ALL_CLASSES, raised: bool = False) -> tuple[list[Clip], dict[str, int]]:
    """Every clip of the run (of ``classes``), and how many originals each letter offered; ``raised``: the J and Z
    clips' hands raised into view first (:func:`motion_track`)."""
    folds = fold_of(data)
    # Per fold, at most ``limit`` originals of a letter: all folds are the three folds' runs together.
    names_by_letter: dict[str, list[str]] = {}
    for each in sorted(set(folds.values())) if fold is None else [fold]:
        chosen = [name for name, f in folds.items() if f == each]
        by_letter: dict[str, list[str]] = {}
        for name in sorted(chosen, key=lambda n: (n[0], int(n[1:]))):
            by_letter.setdefault(name[0], []).append(name)
        for letter, in_fold in by_letter.items():
            names_by_letter.setdefault(letter, []).extend(in_fold[:limit])
    kinds = {kind: CLASSES[kind] for kind in classes if kind in CLASSES}
    doubled = [kind for kind in classes if kind in DOUBLED]
    after_motion = [kind for kind in classes if kind in AFTER_MOTION]
    wanted = {letter for letters, _, _ in kinds.values() for letter in letters}
    wanted |= set(DOUBLED_LETTERS) if doubled else set()
    for kind in after_motion:
        wanted |= set(CLASSES[AFTER_MOTION[kind]][0]) | set(AFTER_MOTION_LETTERS)
    spelled = [kind for kind in classes if kind in SPELLED]
    hello_names = sorted({name for names in HELLO_SETS for name in names}) if spelled else []
    with HandTracker(HandSettings(static_image_mode=True, model_complexity=1)) as tracker:
        photos = {p.name: p for p in pick_photos(
            data, [n for letter in sorted(wanted) for n in names_by_letter.get(letter, [])] + hello_names,
            tracker)}
    offered = {letter: len(names_by_letter.get(letter, [])) for letter in sorted(wanted)}
    clips = []
    for size in sizes:
        for kind, (letters, expected, forbidden) in kinds.items():
            for name, number in _in_fold_turns(letters, names_by_letter, photos, folds):
                photo = photos[name]
                clip = Clip(kind, size, (photo,), expected, forbidden, seed=_seed(kind, size, name))
                clip.track = motion_track(kind, photo, size, number, raised)
                clips.append(clip)
        for kind in spelled:
            for names in HELLO_SETS:
                if all(n in photos for n in names):
                    hello = tuple(photos[n] for n in (names[0], names[1], names[2], names[2], names[3]))
                    clip = Clip(kind, size, hello, "HELLO", "", seed=_seed(kind, size, "+".join(names)))
                    clip.track = spelling_track("HELLO", SPELLED[kind], size, photos[names[2]].side)
                    clips.append(clip)
        for kind in doubled:
            for letter in DOUBLED_LETTERS:
                for name in names_by_letter.get(letter, []):
                    if name in photos:
                        photo = photos[name]
                        clip = Clip(kind, size, (photo, photo), letter * 2, "JZ", seed=_seed(kind, size, name))
                        clip.track = doubled_track(DOUBLED[kind], size, photo.side)
                        clips.append(clip)
        for kind in after_motion:
            clips += after_motion_clips(kind, size, names_by_letter, photos, folds, raised)
    return clips, offered


def after_motion_clips(kind: str, size: int, names_by_letter: dict[str, list[str]], photos: dict[str, Photo],
                       folds: dict[str, int], raised: bool = False) -> list[Clip]:
    """``kind``'s clips (of :data:`AFTER_MOTION`): each photo the motion is drawn from, then the doubled letter from
    a photo of the same fold, E, L and O in turn."""
    motion = AFTER_MOTION[kind]
    then = {f: _in_turn([[n for n in names_by_letter.get(letter, []) if n in photos and folds[n] == f]
                         for letter in AFTER_MOTION_LETTERS]) for f in set(folds.values())}
    clips = []
    for name, number in _in_fold_turns(CLASSES[motion][0], names_by_letter, photos, folds):
        if not then.get(folds[name]):
            continue
        photo, second = photos[name], photos[then[folds[name]][number % len(then[folds[name]])]]
        clip = Clip(kind, size, (photo, second, second), motion + second.letter * 2, "", seed=_seed(kind, size, name))
        clip.track = after_motion_track(motion, photo, size, number, second.side, raised)
        clips.append(clip)
    return clips


def _in_fold_turns(letters: str, names_by_letter: dict[str, list[str]], photos: dict[str, Photo],
                   folds: dict[str, int]) -> Iterator[tuple[str, int]]:
    """The picked photos of ``letters``, each with its turn within its fold: speeds and sizes take turns by it, so
    that a clip is the same whichever folds are run (and a J or Z clip's motion the same in every class)."""
    numbers: dict[int, int] = {}
    for letter in letters:
        for name in names_by_letter.get(letter, []):
            if name in photos:
                number = numbers[folds[name]] = numbers.get(folds[name], -1) + 1
                yield name, number


def _in_turn(groups: Sequence[Sequence[str]]) -> list[str]:
    """The groups' first items, then their second ones, and so on."""
    return [group[i] for i in range(max(map(len, groups), default=0)) for group in groups if i < len(group)]


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:4], "little")


@dataclass
class Tracked:
    """What MediaPipe found in every frame of a clip, for one path: landmarks (NaN: no hand) and handedness."""

    landmarks: NDArray[np.float32]  # (frames, 21, 3)
    right: NDArray[np.bool_]  # (frames,)
    aspect: float
    ms: NDArray[np.float32] | None = None  # (frames,) the tracker's time per frame; None in the oldest cache


def track_clip(clip: Clip, paths: Sequence[str], page: PageTracker | None = None, rate: float = FPS
                ) -> dict[str, Tracked]:
    """The paths' tracking of the clip, each from a fresh tracker like a new stream (``page`` for the page paths),
    given only the frames a tracker giving ``rate`` results a second sees (the others: no hand)."""
    server = RecognizerSettings()
    mediapipe_paths = [path for path in paths if path in PATH_VIEWS]
    trackers = {path: HandTracker(PATH_VIEWS[path][1]) for path in mediapipe_paths}
    frames = len(clip.track)
    found = {path: (np.full((frames, 21, 3), np.nan, np.float32), np.ones(frames, bool), np.zeros(frames, np.float32))
             for path in mediapipe_paths}
    page_paths = [path for path in paths if path in PAGE_PATHS]
    if page_paths and page is None:
        raise ValueError(f"paths {page_paths} need the page's tracker")
    rendered = []  # the frames, kept only for the page's tracker, which takes a clip at once
    seen = set(kept_frames(frames, rate))
    try:
        for i, bgr in enumerate(render(clip)):
            if i not in seen:
                continue
            if page_paths:
                rendered.append(bgr)
            views = {}
            for path in mediapipe_paths:
                side = PATH_VIEWS[path][0]
                if side is None:
                    views[path] = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
                    continue
                small = bgr if side == WIDTH else cv2.resize(bgr, (side, side * HEIGHT // WIDTH),
                                                              interpolation=cv2.INTER_AREA)
                ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, DEMO_JPEG])
                assert ok
                views[path] = decode_image(jpeg.tobytes(), server.max_image_pixels)
            for path in mediapipe_paths:
                started = time.perf_counter()
                hand = trackers[path].detect(views[path])
                found[path][2][i] = 1000 * (time.perf_counter() - started)
                if hand is not None:
                    found[path][0][i] = hand.landmarks
                    found[path][1][i] = hand.handedness != "Left"
    finally:
        for tracker in trackers.values():
            tracker.close()
    tracked = {path: Tracked(found[path][0], found[path][1], WIDTH / HEIGHT, found[path][2])
               for path in mediapipe_paths}
    for path in page_paths:
        assert page is not None
        result = page.track(rendered, zoom=PAGE_PATHS[path], rate=rate)
        landmarks, ms = np.full((frames, 21, 3), np.nan, np.float32), np.zeros(frames, np.float32)
        right = np.ones(frames, bool)
        order = sorted(seen)
        landmarks[order], right[order], ms[order] = result.landmarks, result.right, result.ms
        tracked[path] = Tracked(landmarks, right, WIDTH / HEIGHT, ms)
    return tracked


def cached_tracking(clip: Clip, paths: Sequence[str], cache: Path, page: PageTracker | None = None,
                    rate: float = FPS) -> dict[str, Tracked]:
    """The paths' tracking of the clip (by a tracker giving ``rate`` results a second), from the cache where it
    holds them, else tracked now and stored."""
    tracked: dict[str, Tracked] = {}
    legacy = cache / f"{_seed(clip.key, 1):08x}.npz"
    files = {path: _cache_files(cache, clip, path, rate) for path in paths}
    for path in paths:
        if found := next((file for file in files[path] if file.exists()), None):
            try:
                with np.load(found) as stored:
                    tracked[path] = Tracked(stored["landmarks"], stored["right"], WIDTH / HEIGHT, stored["ms"])
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:  # tracked again and stored anew
                print(f"  {found.name}: unreadable ({error}): tracking {clip.key} on {path} again", flush=True)
        elif path in LEGACY_PATHS and RENDER_VERSION == 1 and rate == FPS and legacy.exists():
            stored = np.load(legacy)
            name = LEGACY_PATHS[path]
            tracked[path] = Tracked(stored[f"{name}_landmarks"], stored[f"{name}_right"], WIDTH / HEIGHT)
        if path in tracked and len(tracked[path].landmarks) != len(clip.track):
            del tracked[path]  # stored by key alone for another clip of the key: tracked again, under its digest
    missing = [p for p in paths if p not in tracked]
    if missing:
        for path, result in track_clip(clip, missing, page, rate).items():
            tracked[path] = result
            # Written whole or not at all: a run stopped mid-write leaves no half file for the next one to read.
            partial = files[path][0].with_name(files[path][0].name + f".{os.getpid()}.partial")
            try:
                with partial.open("wb") as out:
                    np.savez_compressed(out, landmarks=result.landmarks, right=result.right,
                                        ms=result.ms if result.ms is not None else np.zeros(0, np.float32))
                os.replace(partial, files[path][0])
            finally:
                partial.unlink(missing_ok=True)
    return tracked


def _cache_files(cache: Path, clip: Clip, path: str, rate: float = FPS) -> tuple[Path, ...]:
    """Where a clip's tracking on ``path`` is stored, in the order to look: under the clip's track digest,
    and where caches written before the digest stored it, under its key alone; a slower tracker's (``rate``)
    under the digest and the rate only.

    A clip's speed and size take turns in the order clips are built, so one key could stand for two clips
    (before 2026-12-05, ``--fold all`` numbered them across the folds, the fold runs within each fold);
    an entry stored by key alone is only taken for a clip of as many frames.
    """
    zoomed = PAGE_PATHS[path] if path in PAGE_PATHS else PATH_VIEWS[path][1].zoom
    version = ZOOM_VERSION if zoomed else 0
    if rate != FPS:
        return (cache / f"{_seed(clip.key, RENDER_VERSION, path, version, clip.track_digest, rate):08x}.npz",)
    return (cache / f"{_seed(clip.key, RENDER_VERSION, path, version, clip.track_digest):08x}.npz",
            cache / f"{_seed(clip.key, RENDER_VERSION, path, version):08x}.npz")


@dataclass
class Played:
    text: str
    frames: int  # sent: the clip's frames, or those a slower tracker sees (play's rate)
    hand_frames: int
    speeds_held: list[float]  # hand_speed in frames where the clip's hand is held or drifting, not in a J or Z
    moving_held: int  # of those, frames the transcript was told the hand moves
    stables: str  # the stable letter per frame ('.' none)


def kept_frames(frames: int, rate: float) -> list[int]:
    """The frames of a 30 fps clip that a tracker giving ``rate`` results a second sees, each the newest when
    its turn comes."""
    step = FPS / rate
    return sorted({int(k * step + 1e-9) for k in range(math.ceil(frames / step))} & set(range(frames)))


def play(model: LetterModel, clip: Clip, tracked: Tracked, rate: float = FPS, paced: bool = True) -> Played:
    """The clip's landmarks through a fresh Recognizer: the transcript it writes and how fast it saw the hand.

    ``rate``: only the frames a tracker giving that many results a second sees are sent, each with its capture
    time (``paced``: the page sends one) or without (as before the server read capture times)."""
    recognizer = Recognizer(model, RecognizerSettings())
    text, hand_frames, speeds, moving, stables = "", 0, [], 0, []
    sent = kept_frames(len(tracked.landmarks), rate)
    for i in sent:
        landmarks, right = tracked.landmarks[i], tracked.right[i]
        hand = not np.isnan(landmarks).any()
        answer = recognizer.recognize_keypoints(landmarks if hand else None, "Right" if right else "Left",
                                                tracked.aspect, arrived=i / FPS if paced else None,
                                                captured=1000.0 * i / FPS if paced else None)
        text = answer.text
        stables.append(answer.stable or ".")
        if hand:
            hand_frames += 1
            if not clip.track[i][4] or clip.kind.startswith("drift"):
                # Diagnostics only: the recognizer's own window, read as conclude() reads it.
                speed = float(recognizer.window().speeds[0])
                speeds.append(speed)
                moving += speed > MOVING_SPEED
    return Played(text, len(sent), hand_frames, speeds, moving, "".join(stables))


def _sent_ms(tracked: Tracked, rate: float) -> NDArray[np.float32] | None:
    """The tracker's milliseconds for the frames sent at ``rate`` (a slower tracker is given no others)."""
    return None if tracked.ms is None else tracked.ms[kept_frames(len(tracked.ms), rate)]


def summarize(clips: list[Clip], played: dict[str, dict[str, Played]], paths: Sequence[str],
              timings: dict[str, dict[str, NDArray[np.float32] | None]]) -> list[dict[str, Any]]:
    """One row per path, clip class and hand size."""
    rows = []
    for path in paths:
        for kind in ALL_CLASSES:
            for size in sorted({c.size for c in clips}):
                group = [c for c in clips if c.kind == kind and c.size == size]
                if not group:
                    continue
                results = [played[c.key][path] for c in group]
                texts = [r.text.strip() for r in results]
                frames = sum(r.frames for r in results)
                speeds = np.array([s for r in results for s in r.speeds_held], dtype=np.float64)
                times = [timings[c.key][path] for c in group]
                ms = np.concatenate([t for t in times if t is not None]) if all(t is not None for t in times) else None
                rows.append({
                    "path": path, "class": kind, "size": size, "clips": len(group),
                    "originals": len({p.name for c in group for p in c.photos}),
                    "hand_found": round(sum(r.hand_frames for r in results) / frames, 3),
                    "written": round(np.mean([t == c.expected if kind in WHOLE_WORDS
                                              else c.expected in t for c, t in zip(group, texts, strict=True)]), 3),
                    "forbidden": round(np.mean([bool(set(t) & set(c.forbidden))
                                                for c, t in zip(group, texts, strict=True)]), 3),
                    "exact": round(np.mean([t == c.expected for c, t in zip(group, texts, strict=True)]), 3),
                    "held_speed_median": round(float(np.median(speeds)), 4) if len(speeds) else None,
                    "held_moving": round(sum(r.moving_held for r in results) / max(1, len(speeds)), 3),
                    "ms_mean": None if ms is None else round(float(ms.mean()), 2),
                    "ms_p90": None if ms is None else round(float(np.percentile(ms, 90)), 2),
                    "transcripts": Counter(texts).most_common(6),
                })
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (f"{'path':15} {'class':8} {'px':>3} {'clips':>5} {'orig':>4} {'hand%':>6} {'wrote%':>6} "
              f"{'forbid%':>7} {'exact%':>6} {'v_held':>6} {'mov%':>5} {'ms':>5} {'ms90':>5}  transcripts")
    print(header)
    for r in rows:
        texts = ", ".join(f"{t or '-'!s} x{n}" for t, n in r["transcripts"])
        speed = r["held_speed_median"]
        ms = "".join(f" {r[k] if r[k] is not None else '-':>5}" for k in ("ms_mean", "ms_p90"))
        print(f"{r['path']:15} {r['class']:8} {r['size']:>3} {r['clips']:>5} {r['originals']:>4} "
              f"{100 * r['hand_found']:>6.1f} {100 * r['written']:>6.1f} {100 * r['forbidden']:>7.1f} "
              f"{100 * r['exact']:>6.1f} {speed if speed is not None else '-':>6} "
              f"{100 * r['held_moving']:>5.1f}{ms}  {texts}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webcam_motion", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--fold", default="0", help="photo fold 0, 1 or 2 (training's split), or 'all'")
    parser.add_argument("--per-letter", type=int, default=12, help="at most this many originals per letter")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "signify" / "webcam_motion")
    parser.add_argument("--paths", default="keypoints,image,image-nozoom",
                        help=f"comma-separated, of {', '.join(PATHS)}")
    parser.add_argument("--classes", default=",".join(ALL_CLASSES),
                        help="comma-separated clip classes, of " + ", ".join(ALL_CLASSES))
    parser.add_argument("--rate", type=float, default=FPS,
                        help="results a second the tracker gives: it is given, and sends, only the frames it sees "
                             "(default 30)")
    parser.add_argument("--rate-played-only", action="store_true",
                        help="track every frame, as at 30 a second, and send only those a tracker at --rate sees "
                             "(this bench's reading of slower trackers before 2026-12-07)")
    parser.add_argument("--unpaced", action="store_true",
                        help="send no capture times: every frame stands for one, as before the server read them")
    parser.add_argument("--exposure", type=float, default=0.0,
                        help="share of each frame's interval the shutter is open (0-1): a moving hand blurs along "
                             "its path, as a webcam's does indoors (1/60 s at 30 fps: 0.5); default 0, sharp")
    parser.add_argument("--raised", action="store_true",
                        help="start each J and Z clip without the hand, the search under way, and raise the hand "
                             "into view from below before its hold, as a user does; by default the hand is in view "
                             "from the first frame, 0.4 s before the motion")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "webcam_motion.json")
    args = parser.parse_args(argv)
    if not (args.data / PHOTOS / "images").is_dir():
        print(f"{args.data / PHOTOS} not found: pass --data", file=sys.stderr)
        return 2
    fold = None if args.fold == "all" else int(args.fold)
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    classes = [c for c in args.classes.split(",") if c]
    if unknown_classes := set(classes) - set(ALL_CLASSES):
        print(f"unknown classes {sorted(unknown_classes)}", file=sys.stderr)
        return 2
    if not 0.0 <= args.exposure <= 1.0:
        print("--exposure is a share of the frame's interval, 0 to 1", file=sys.stderr)
        return 2
    clips, offered = build_clips(args.data, sizes, fold, args.per_letter, classes, args.raised)
    for clip in clips:
        clip.exposure = args.exposure
    print(f"{len(clips)} clips; originals per letter offered {offered}", flush=True)
    model = LetterModel(args.model)
    args.cache.mkdir(parents=True, exist_ok=True)
    paths = [p for p in args.paths.split(",") if p]
    if unknown := set(paths) - set(PATHS):
        print(f"unknown paths {sorted(unknown)}", file=sys.stderr)
        return 2
    played: dict[str, dict[str, Played]] = {}
    timings: dict[str, dict[str, NDArray[np.float32] | None]] = {}
    with contextlib.ExitStack() as stack:
        page = stack.enter_context(page_tracker()) if set(paths) & set(PAGE_PATHS) else None
        for number, clip in enumerate(clips):
            tracked = cached_tracking(clip, paths, args.cache, page, FPS if args.rate_played_only else args.rate)
            played[clip.key] = {path: play(model, clip, tracked[path], args.rate, not args.unpaced) for path in paths}
            timings[clip.key] = {path: _sent_ms(tracked[path], args.rate) for path in paths}
            if number % 20 == 0:
                print(f"  {number + 1}/{len(clips)} {clip.key}: "
                      + " | ".join(f"{p} {played[clip.key][p].text!r}" for p in paths), flush=True)
    rows = summarize(clips, played, paths, timings)
    print_table(rows)
    print(f"{time.perf_counter() - started:.0f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    details = [{"clip": c.key, **{p: {"text": played[c.key][p].text, "stable": played[c.key][p].stables}
                                  for p in paths}} for c in clips]
    args.out.write_text(json.dumps({"rows": rows, "clips": details}, indent=1))
    return 0


# Bump when the rendering changes, so that cached tracking is not reused for other pictures.
RENDER_VERSION = 1
# Bump when the zoom changes (signify.recognition.zoom's policy or constants, or how a tracker shrinks its frames to
# find where the picture changed), so that the zoom paths are tracked again. Next time, skip to 20: 17, 18 and 19
# keyed the tracking of three rules that were measured and not shipped (docs/model.md, "Sizing a quick hand's view"),
# which a machine that ran them still holds in its cache.
ZOOM_VERSION = 16

if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
