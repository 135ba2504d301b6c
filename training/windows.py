"""Turning sources into model inputs: windows of 1 to ``max_frames`` normalized hands and their motion.

The server asks the model about whatever its ring buffer holds, which
right after a hand appears is one frame, then two, and so on up to the
buffer size. Training windows therefore have random lengths. Photos and
landmark rows are single poses: their windows repeat the pose with a
little per-frame noise, like a held letter in front of a camera, held
still, drifting or making one straight move (:mod:`training.motion`), and
some begin with another letter that the hand changes from, as in a spelled
word: a change of shape is not motion (:meth:`LetterCatalog.after_another`). J
and Z come from recordings and, more often, from every source's starting
handshapes moved along J and Z paths. Each window's motion input is
computed by the server's own :func:`signify.recognition.trajectory.window_motion`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from signify.recognition.trajectory import MOTION_SIZE, window_motion

from .augment import augment_windows, random_speed, time_warp
from .motion import (
    CHANGE_FRAMES,
    MOTION_LOOKALIKES,
    STARTING_SHAPES,
    TRAINING_DRIFT,
    Z,
    changing_hands,
    drift_placements,
    held_placements,
    motion_clip,
    motion_window,
    recorded_paths,
    straight_move_placements,
    sway_hands,
)
from .sources import Poses, Sequences

HELD_POSE_NOISE = 0.01
AUGMENT_CHUNK = 256
# Of the J and Z windows, this share is synthesized from every source's starting shapes;
# the rest are what the other windows are (asl-ai's recordings, held photos).
SYNTHESIZED_MOTION_SHARE = 0.6
# How held poses move: still, drifting (with a little sway), or one straight move. The shapes
# a J or a Z starts from, and X, move more often: they are what a motion must not be read into.
HELD_STILL, HELD_DRIFTING = 0.5, 0.35
LOOKALIKE_STILL, LOOKALIKE_DRIFTING = 0.3, 0.45
RECORDED_PATH_FRAMES = 30
# Of the held letters' windows from poses, this share begins with another letter, which the hand changes from:
# in a spelled word every letter but the first comes after one, and a change of shape is not a J or a Z.
AFTER_ANOTHER_SHARE = 0.25
MIN_HELD_AFTER_CHANGE = 3  # frames of the letter after the change: a window that ends mid-change is neither letter

Window = tuple[NDArray[np.float32], NDArray[np.float32]]  # hands (time, 21, 3) and placements (time, 4)


@dataclass(frozen=True)
class WindowSet:
    """Padded windows ready for a batch: ``hands`` (n, max_frames, 21, 3), ``motion`` (n, max_frames, 3),
    true lengths and labels."""

    hands: NDArray[np.float32]
    motion: NDArray[np.float32]
    lengths: NDArray[np.int64]
    labels: NDArray[np.int64]


def random_length(rng: np.random.Generator, max_frames: int) -> int:
    """Short windows are as common in serving as long ones: draw lengths evenly, full windows a bit more often."""
    return max_frames if rng.random() < 0.3 else int(rng.integers(1, max_frames + 1))


def pose_window(pose: NDArray[np.float32], length: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """A held pose: the same hand repeated, each frame with its own small tracking noise."""
    return with_tracking_noise(np.broadcast_to(pose, (length, *pose.shape)), rng)


def with_tracking_noise(hands: NDArray[np.float32], rng: np.random.Generator) -> NDArray[np.float32]:
    """Hands ``(time, 21, 3)`` with independent noise on every joint of every frame, as MediaPipe's estimate wobbles."""
    return hands + rng.standard_normal(hands.shape, dtype=np.float32) * np.float32(HELD_POSE_NOISE)


def sequence_window(
    segment: NDArray[np.float32], placements: NDArray[np.float32], length: int, rng: np.random.Generator
) -> Window:
    """A stretch of consecutive frames from a recording, with where the hand was, replayed at a random speed."""
    rate = random_speed(rng)
    span = min(len(segment), int(np.ceil((length - 1) * rate)) + 1)  # recorded frames the window covers
    start = int(rng.integers(0, len(segment) - span + 1))
    stretch = slice(start, start + span)
    return time_warp(segment[stretch], rate)[:length], time_warp(placements[stretch], rate)[:length]


def pad(windows: list[Window], labels: list[int], max_frames: int) -> WindowSet:
    """Stack windows of different lengths, zero-padded at the end; each window's motion from its own placements."""
    hands = np.zeros((len(windows), max_frames, 21, 3), dtype=np.float32)
    motion = np.zeros((len(windows), max_frames, MOTION_SIZE), dtype=np.float32)
    for i, (window, placements) in enumerate(windows):
        hands[i, : len(window)] = window
        motion[i, : len(window)] = window_motion(placements)
    lengths = np.array([len(w) for w, _ in windows], dtype=np.int64)
    return WindowSet(hands, motion, lengths, np.array(labels, dtype=np.int64))


class LetterCatalog:
    """Every source's material grouped by letter, looked up once instead of once per window."""

    def __init__(self, sequences: list[Sequences], poses: list[Poses]) -> None:
        # One list per source that has the letter: a source is drawn first, then one of its recordings, so that
        # a source of many short recordings (donated windows) does not crowd out one of a few long ones.
        self.recordings: dict[int, list[list[Window]]] = defaultdict(list)
        self.z_paths: list[NDArray[np.float32]] = []  # real Z paths, to be drawn by other hands
        for recorded in sequences:
            by_letter: dict[int, list[Window]] = defaultdict(list)
            for segment, label, places in zip(recorded.segments, recorded.labels, recorded.placements, strict=True):
                by_letter[int(label)].append((segment, places))
                if label == Z:
                    self.z_paths.extend(recorded_paths(places, RECORDED_PATH_FRAMES))
            for label, recordings in by_letter.items():
                self.recordings[label].append(recordings)
        # One entry per source that has the letter: a source is drawn first, then one of its poses.
        self.poses: dict[int, list[NDArray[np.float32]]] = defaultdict(list)
        for posed in poses:
            for label in np.unique(posed.labels):
                self.poses[int(label)].append(posed.hands[posed.labels == label])

    @property
    def has_recordings(self) -> bool:
        """Whether any source has recordings."""
        return bool(self.recordings)

    @property
    def has_poses(self) -> bool:
        """Whether any source has poses."""
        return bool(self.poses)

    def recording(self, label: int, length: int, rng: np.random.Generator) -> Window | None:
        """A window of ``length`` frames cut from a recording of the letter, if any source has one."""
        sources = self.recordings.get(label)
        if not sources:
            return None
        # No draw is spent choosing among one source: with one, the windows are what they were before donations.
        segments = sources[int(rng.integers(0, len(sources)))] if len(sources) > 1 else sources[0]
        segment, places = segments[int(rng.integers(0, len(segments)))]
        return sequence_window(segment, places, length, rng)

    def held_pose(self, label: int, length: int, rng: np.random.Generator) -> Window | None:
        """A window of one pose of the letter held for ``length`` frames, if any source has one.

        Some are held still; the rest drift and sway, or make one straight
        move, and are still that letter (see :data:`HELD_STILL`).
        """
        pose = self._pose(label, rng)
        if pose is None:
            return None
        hands = pose_window(pose, length, rng)
        still, drifting = (LOOKALIKE_STILL, LOOKALIKE_DRIFTING) if label in MOTION_LOOKALIKES else (
            HELD_STILL, HELD_DRIFTING)
        how = rng.random()
        if how < still:
            return hands, held_placements(length, rng)
        if how < still + drifting:
            return sway_hands(hands, rng), drift_placements(length, rng, TRAINING_DRIFT)
        return hands, straight_move_placements(length, rng)

    def after_another(self, label: int, length: int, rng: np.random.Generator) -> Window | None:
        """A window that ends holding the letter after changing into it from another held letter, as in a
        spelled word, the hand held in place; None if no source has the letter.

        In place, not drifting: a drift is as fast as a small J's hook (:data:`TRAINING_DRIFT`), and a
        change of shape that also travels is what a J is. Trained with drifting changes too, the fold
        models wrote fewer J in bench.webcam_motion's J clips (an I turning as it moves along the hook).
        """
        pose = self._pose(label, rng)
        others = [other for other in self.poses if other != label and other not in STARTING_SHAPES]
        if pose is None or not others:
            return None
        before = self._pose(others[int(rng.integers(0, len(others)))], rng)
        assert before is not None
        held = int(rng.integers(min(MIN_HELD_AFTER_CHANGE, length), length + 1))
        change = min(int(rng.integers(CHANGE_FRAMES[0], CHANGE_FRAMES[1] + 1)), length - held)
        hands = np.concatenate([np.repeat(before[None], length - held - change, axis=0),
                                changing_hands(before, pose, change), np.repeat(pose[None], held, axis=0)])
        return with_tracking_noise(hands, rng), held_placements(length, rng)

    def synthesized_motion(self, label: int, max_frames: int, rng: np.random.Generator) -> Window | None:
        """A J or Z window made from a source's starting handshape, if any source has one."""
        shapes = [shape for shape in STARTING_SHAPES[label] if shape in self.poses]
        if not shapes:
            return None
        pose = self._pose(shapes[int(rng.integers(0, len(shapes)))], rng)
        assert pose is not None
        clip = motion_clip(label, pose, rng, self.z_paths)
        hands, places = motion_window(clip, rng, max_frames)
        return with_tracking_noise(hands, rng), places

    def _pose(self, label: int, rng: np.random.Generator) -> NDArray[np.float32] | None:
        sources = self.poses.get(label)
        if not sources:
            return None
        hands = sources[int(rng.integers(0, len(sources)))]
        return hands[int(rng.integers(0, len(hands)))]


def sample_windows(
    sequences: list[Sequences],
    poses: list[Poses],
    count: int,
    max_frames: int,
    rng: np.random.Generator,
    *,
    sequence_share: float,
    synthesized_motion_share: float = SYNTHESIZED_MOTION_SHARE,
    augment: bool = True,
) -> WindowSet:
    """``count`` windows, classes balanced: of J and Z, ``synthesized_motion_share`` synthesized; of the
    rest, ``sequence_share`` from sequences and the others from poses."""
    catalog = LetterCatalog(sequences, poses)
    windows: list[Window] = []
    labels: list[int] = []
    for _ in range(count):
        label = int(rng.integers(0, 26))
        window = None
        if label in STARTING_SHAPES and rng.random() < synthesized_motion_share:
            window = catalog.synthesized_motion(label, max_frames, rng)
        use_sequence = catalog.has_recordings and (not catalog.has_poses or rng.random() < sequence_share)
        length = random_length(rng, max_frames)
        if window is None and use_sequence:
            window = catalog.recording(label, length, rng)
        if window is None and label not in STARTING_SHAPES and rng.random() < AFTER_ANOTHER_SHARE:
            window = catalog.after_another(label, length, rng)
        if window is None:
            window = catalog.held_pose(label, length, rng)
        if window is not None:
            windows.append(window)
            labels.append(label)
    data = pad(windows, labels, max_frames)
    if not augment:
        return data
    real_frames = (np.arange(max_frames) < data.lengths[:, None])[:, :, None, None]
    # In chunks: arrays that stay in cache, instead of an epoch-sized temporary per step.
    for start in range(0, len(data.hands), AUGMENT_CHUNK):
        chunk = slice(start, start + AUGMENT_CHUNK)
        data.hands[chunk] = augment_windows(data.hands[chunk], rng) * real_frames[chunk]  # padding stays zero
    return data
