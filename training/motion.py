"""Motion for every signer's hand: J and Z synthesized from held handshapes, and the motions that are not J or Z.

The only recorded motion is asl-ai's, one signer's. Every source has held
handshapes, though, and a J is an I handshape moving along a hook while the
forearm turns, a Z an index-pointing handshape moving along three strokes.
So motion letters are built from every source's starting shapes
(:data:`STARTING_SHAPES`) moved along J and Z paths: parametric ones
(:func:`j_path`, :func:`z_path`) and the real Z paths of asl-ai's recording
(:func:`recorded_paths`), each drawn at its own size (a J half to twice
the hand's height, a Z 0.4 to twice across), duration (0.4 to 1.5 s),
direction, holds before and after, and tracking noise.

What the model must not learn matters as much: that any moving I is a J,
or any moving index a Z. Held letters therefore also come drifting
(:func:`drift_placements`) and making one straight move, as a hand does
when it comes up into the picture (:func:`straight_move_placements`), and
keep their label.

Everything works on normalized hands ``(time, 21, 3)`` and placements
``(time, 4)`` (:mod:`signify.recognition.trajectory`: wrist x, y, palm size and mirror
sign, always a right hand's here); a palm size of one puts the paths in
palm sizes. A hand is about 2.2 palm sizes tall (wrist to middle
fingertip), which is how the paths' sizes in hand heights are turned into
palm sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from signify.recognition.smoothing import MOTION_LETTERS

from .sources import LETTER_INDEX

Hands = NDArray[np.float32]
Placements = NDArray[np.float32]

J, Z = LETTER_INDEX["J"], LETTER_INDEX["Z"]
# The held handshapes each motion letter starts from: J's I, and Z's index-pointing shapes
# (D: index up, the others on the thumb; G: index pointing sideways).
STARTING_SHAPES = {J: (LETTER_INDEX["I"],), Z: (LETTER_INDEX["D"], LETTER_INDEX["G"])}
# The held shapes the transcript treats as a motion's start and tail (signify.recognition.smoothing.MOTION_LETTERS:
# I; D, G and X): what a motion must not be read into.
MOTION_LOOKALIKES = frozenset(LETTER_INDEX[shape] for shapes in MOTION_LETTERS.values() for shape in shapes)
HAND_HEIGHT = 2.2  # palm sizes
FRAMES_PER_SECOND = 30
MOTION_SECONDS = (0.4, 1.5)
PATH_SIZE = (0.5, 2.0)  # hand heights: a J's height, drawn evenly
# A Z's size is its larger side, drawn evenly on a log scale (as many Zs from 0.4 to 0.9 hand heights as from 0.9
# to 2), a little below the half hand: a Z half as wide as the hand is 0.4 of it tall. Sized by its height
# from PATH_SIZE, as before 3.5.0, a wide Z was never under 0.7 hand heights across, and real hands drawing a Z
# half their size were read as the D or G it began from (docs/model.md, "A Z half the hand's size").
Z_SIZE = (0.4, 2.0)
HOLD_FRAMES = (0, 12)  # still frames before and after the motion
# How far a J's hand turns in the picture's plane, either way, over the motion. As the forearm turns, the pinky
# that pointed up points to the side or at the camera: seen from the front the hand turns in the picture as much
# as about its own axis. Trained with up to 0.15 rad (9 degrees), the network wrote a J that turns 90 degrees in
# the picture from a quarter fewer real hands at webcam framing with one seed than another (docs/model.md).
J_PICTURE_TURN = np.pi / 2
# A window is a motion letter only once it holds at least this share of the
# motion: one Z stroke alone is a straight move, which any letter may make.
MIN_MOTION_SHARE = 0.5
# A hand that drifts while it holds a letter: palm sizes per frame at most, and how far it sways.
# Training draws from a wider range than a drift (up to about the transcript's moving speed), so
# that what only drifts is never a J or a Z; the held-out takes drift as a signer would.
TRAINING_DRIFT = (0.05, 0.15)
DRIFT = (0.025, 0.1)
STRAIGHT_MOVE_SPEED = (0.05, 0.2)  # palm sizes per frame: a hand coming up into the picture
PLACEMENT_NOISE = (0.003, 0.03)  # palm sizes: MediaPipe's wrist jitter, larger for small hands
CHANGE_FRAMES = (0, 6)  # frames a hand takes to change from one letter's shape into the next one's


@dataclass(frozen=True)
class Clip:
    """A synthesized take: hands and placements per frame, and the frames where the motion runs."""

    hands: Hands
    placements: Placements
    motion_start: int
    motion_end: int  # exclusive


def j_path(progress: NDArray[np.float64]) -> NDArray[np.float64]:
    """The pinky's J, as a right hand draws it seen from the camera: down, then a hook to the side and up.

    ``progress`` runs from 0 to 1; the path is one unit tall, y pointing down.
    """
    down = 0.65  # share of the progress spent on the straight stroke
    straight = np.minimum(progress / down, 1.0)
    angle = np.pi * np.clip((progress - down) / (1 - down), 0.0, 1.0)
    radius = 0.25
    hook_x = np.where(progress > down, -radius + radius * np.cos(angle), 0.0)
    hook_y = np.where(progress > down, radius * np.sin(angle), 0.0)
    return np.stack([hook_x, 0.75 * straight + hook_y], axis=-1)


def z_path(progress: NDArray[np.float64]) -> NDArray[np.float64]:
    """The index finger's Z: across, diagonally back and down, across again; one unit wide and tall."""
    corners = np.array([(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)])
    lengths = np.linalg.norm(np.diff(corners, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(lengths)]) / lengths.sum()
    return np.stack([np.interp(progress, along, corners[:, axis]) for axis in range(2)], axis=-1)


def recorded_paths(placements: Placements, length: int, min_travel: float = 1.5) -> list[Placements]:
    """Stretches of a real recording whose wrist travels at least ``min_travel`` palm sizes: real motion paths.

    The stretches are ``length`` frames long, start every ``length // 2``
    frames, and come back in palm sizes from their first frame, to be given
    to another signer's hand.
    """
    paths = []
    for start in range(0, len(placements) - length + 1, max(1, length // 2)):
        stretch = placements[start : start + length]
        palm = float(np.median(stretch[:, 2]))
        travel = np.linalg.norm(np.diff(stretch[:, :2], axis=0), axis=1).sum() / palm
        if travel >= min_travel:
            paths.append(as_placements((stretch[:, :2] - stretch[0, :2]) / palm, stretch[:, 2] / palm))
    return paths


def rotation_about(axis: int, angles: NDArray[np.float64]) -> NDArray[np.float32]:
    """Rotation matrices ``(n, 3, 3)`` by ``angles`` about the x (0), y (1) or z (2) axis."""
    cos, sin = np.cos(angles), np.sin(angles)
    matrices = np.zeros((len(angles), 3, 3))
    first, second = [a for a in range(3) if a != axis]
    matrices[:, axis, axis] = 1.0
    matrices[:, first, first] = cos
    matrices[:, first, second] = -sin
    matrices[:, second, first] = sin
    matrices[:, second, second] = cos
    return matrices.astype(np.float32)


def turn(pose: Hands, rotations: NDArray[np.float32]) -> Hands:
    """One normalized hand ``(21, 3)`` turned about its wrist by each rotation: ``(n, 21, 3)``.

    The wrist is the origin and rotations keep lengths, so each turned hand
    is still normalized.
    """
    return np.einsum("tij,kj->tki", rotations, pose).astype(np.float32)


def eased(frames: int) -> NDArray[np.float64]:
    """Progress from 0 to 1 over ``frames`` frames, slow at both ends as a hand starts and stops."""
    t = np.linspace(0.0, 1.0, frames)
    return t - np.sin(2 * np.pi * t) / (2 * np.pi)


def motion_clip(
    letter: int, pose: Hands, rng: np.random.Generator, recorded: list[Placements] | None = None,
    *, picture_turn: float = J_PICTURE_TURN, z_by_height: bool = False,
) -> Clip:
    """A J or a Z made from a held ``pose`` of its starting shape: hold, motion, hold.

    With ``recorded`` paths (Z only), one of them is used a third of the
    time instead of the parametric path. A J's hand turns in the picture's
    plane by up to ``picture_turn`` radians, either way. A parametric Z is
    sized by its larger side (:data:`Z_SIZE`), or with ``z_by_height`` by
    its height (:data:`PATH_SIZE`), as the card's held-out takes are.
    """
    frames = round(rng.uniform(*MOTION_SECONDS) * FRAMES_PER_SECOND)
    before, after = (int(rng.integers(HOLD_FRAMES[0], HOLD_FRAMES[1] + 1)) for _ in range(2))
    progress = eased(frames)
    share = rng.random()  # where the letter's size lies in its range
    if letter == J:
        path = j_path(progress) * _evenly(PATH_SIZE, share) * HAND_HEIGHT
        # The forearm turns as the pinky hooks: the hand rotates about its own upright axis, and in the picture.
        twist = rng.uniform(np.radians(50), np.radians(120)) * progress
        rotations = rotation_about(1, twist) @ rotation_about(2, rng.uniform(-picture_turn, picture_turn) * progress)
    elif letter == Z:
        if recorded and rng.random() < 1 / 3:
            real = recorded[int(rng.integers(0, len(recorded)))]
            frames = len(real)
            progress = np.linspace(0.0, 1.0, frames)
            path = real[:, :2].astype(np.float64) * rng.uniform(0.7, 1.4)
        else:
            aspect = rng.uniform(0.7, 1.4)
            if z_by_height:
                shape = np.array([aspect, 1.0]) * _evenly(PATH_SIZE, share)
            else:
                shape = np.array([aspect, 1.0]) / max(aspect, 1.0) * _evenly_on_log_scale(Z_SIZE, share)
            path = z_path(progress) * shape * HAND_HEIGHT
        wobble = rng.uniform(-0.15, 0.15) * np.sin(np.pi * progress * rng.uniform(1, 3))
        rotations = rotation_about(2, wobble)
    else:
        raise ValueError(f"{letter} is not a motion letter")
    # Direction jitter, and either direction: left-handed signers and mislabelled hands draw the mirror image.
    path = path @ _planar_rotation(rng.uniform(-0.35, 0.35)).T
    if rng.random() < 0.5:
        path[:, 0] *= -1
    moving = turn(pose, rotations)
    hands = np.concatenate([np.repeat(pose[None], before, axis=0), moving, np.repeat(moving[-1:], after, axis=0)])
    wrist = np.concatenate([np.zeros((before, 2)), path, np.repeat(path[-1:], after, axis=0)])
    depth = np.exp(np.cumsum(rng.normal(0, 0.01, len(hands))))  # the hand comes a little closer or goes away
    placements = with_noise(as_placements(wrist, depth), rng)
    return Clip(hands, placements, before, before + frames)


def changing_hands(first: Hands, second: Hands, frames: int) -> Hands:
    """The ``frames`` hands between the shapes ``first`` and ``second`` ``(21, 3)`` (neither included), as a
    signer changes from one letter to the next: every joint on a straight line, slow at both ends."""
    progress = eased(frames + 2)[1:-1, None, None]
    return (first[None] + (second - first)[None] * progress).astype(np.float32)


def as_placements(wrist: NDArray[np.float64], palm: NDArray[np.float64]) -> Placements:
    """Placements of a right hand (:func:`~signify.recognition.trajectory.hand_placement`) from wrists and palms."""
    return np.column_stack([wrist, palm, np.ones(len(palm))]).astype(np.float32)


def motion_window(clip: Clip, rng: np.random.Generator, max_frames: int) -> tuple[Hands, Placements]:
    """A window of a motion clip that ends during or after the motion and holds at least half of it."""
    frames = clip.motion_end - clip.motion_start
    needed = int(np.ceil(MIN_MOTION_SHARE * frames))
    length = int(rng.integers(min(needed, max_frames), max_frames + 1))
    length = min(length, len(clip.hands))
    # The window [end - length + 1, end] must hold `needed` motion frames.
    first_end = clip.motion_start + needed - 1
    last_end = min(len(clip.hands) - 1, clip.motion_end - needed + length - 1)
    end = int(rng.integers(first_end, max(first_end, last_end) + 1))
    start = max(0, end - length + 1)
    return clip.hands[start : end + 1], clip.placements[start : end + 1]


def still_placements(length: int) -> Placements:
    """A hand held perfectly still, with a palm size of one."""
    return as_placements(np.zeros((length, 2)), np.ones(length))


def held_placements(length: int, rng: np.random.Generator) -> Placements:
    """A hand held still: only tracking noise moves it."""
    return with_noise(still_placements(length), rng)


def drift_placements(length: int, rng: np.random.Generator, limits: tuple[float, float] = DRIFT) -> Placements:
    """A hand that drifts slowly in one direction and sways a little while it holds its letter.

    ``limits`` are the largest drift speed (palm sizes per frame) and sway (palm sizes).
    """
    heading = _unit(rng)
    speed = rng.uniform(0, limits[0])
    t = np.arange(length)
    drift = speed * t[:, None] * heading
    sway = rng.uniform(0, limits[1]) * np.sin(2 * np.pi * t / rng.uniform(30, 90) + rng.uniform(0, 2 * np.pi))
    wrist = drift + sway[:, None] * _unit(rng)
    return with_noise(as_placements(wrist, np.ones(length)), rng)


def straight_move_placements(length: int, rng: np.random.Generator) -> Placements:
    """A hand that makes one straight move at some point in the window, held still before and after."""
    frames = int(rng.integers(4, 21))
    start = int(rng.integers(-frames, length))
    heading = _unit(rng)
    travel = rng.uniform(*STRAIGHT_MOVE_SPEED) * frames
    progress = np.clip((np.arange(length) - start) / frames, 0.0, 1.0)
    wrist = travel * progress[:, None] * heading
    return with_noise(as_placements(wrist, np.ones(length)), rng)


def sway_hands(hands: Hands, rng: np.random.Generator, max_degrees: float = 8.0) -> Hands:
    """A held hand that rolls a few degrees back and forth over the window, as a drifting hand does."""
    t = np.arange(len(hands))
    roll = np.radians(rng.uniform(0, max_degrees)) * np.sin(2 * np.pi * t / rng.uniform(30, 90))
    return np.einsum("tij,tkj->tki", rotation_about(2, roll), hands).astype(np.float32)


def with_noise(placements: Placements, rng: np.random.Generator) -> Placements:
    """Independent wrist jitter per frame, at one level per take."""
    sigma = rng.uniform(*PLACEMENT_NOISE)
    noisy = placements.copy()
    noisy[:, :2] += rng.normal(0, sigma, (len(placements), 2)).astype(np.float32) * placements[:, 2:3]
    return noisy


def _evenly(limits: tuple[float, float], share: float) -> float:
    """The value ``share`` of the way from the first of ``limits`` to the second."""
    return limits[0] + share * (limits[1] - limits[0])


def _evenly_on_log_scale(limits: tuple[float, float], share: float) -> float:
    """The value ``share`` of the way from the first of ``limits`` to the second, on a log scale."""
    return limits[0] * (limits[1] / limits[0]) ** share


def _unit(rng: np.random.Generator) -> NDArray[np.float64]:
    """A direction in the picture's plane, drawn evenly."""
    heading = rng.uniform(0, 2 * np.pi)
    return np.array([np.cos(heading), np.sin(heading)])


def _planar_rotation(angle: float) -> NDArray[np.float64]:
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
