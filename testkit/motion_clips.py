"""Short clips (lists of BGR frames at 30 fps) of drawn letter handshapes moving.

Each clip is described first as one :class:`~testkit.skeleton_drawing.Placement`
per frame (the ``*_placements`` functions: pure, cheap, testable without
drawing), then rendered on one textured background by :func:`render_clip`.

* :func:`j_clip`: the I handshape held, then the pinky traces a J: the hand
  moves down, hooks sideways and the forearm turns about 90 degrees.
* :func:`z_clip`: the index-pointing handshape held, then the hand traces
  a Z (across, diagonally back and down, across), left to right as in a
  mirrored (selfie) picture, which is what MediaPipe's handedness assumes.
* ``times``: J and Z signed again and again, as a signer repeats a letter:
  the end held a little longer (a pause), the hand straight back to the
  start, untwisting, and the letter again (:func:`repeated`).
* :func:`drifting_clip`: any letter held while the hand drifts and wobbles.
* :func:`spelling_clip`: letters held one after another; between two equal
  letters the hand leaves the frame, or (``double``) slides the letter a
  little to the side or bounces it, as signers spell a double letter.

Sizes are the hand's length in pixels as if its fingers were straight (see
:class:`~testkit.skeleton_drawing.Placement`), not the drawn height: a fist
letter (I, X, E, O) is drawn about 0.6 of ``size`` tall, H about 0.4, D and
L about 0.7-0.75. ``mirror`` draws the other hand and mirrors the motion.

Measured with the real MediaPipe 0.10.21 in video mode: at ``size`` 200 in
640x480 the hand is found in 95-100% of the frames of every clip; smaller
hands are found far less reliably, fists least (see the testkit report).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from .hand_drawing import HEIGHT, WIDTH, textured_background
from .letter_shapes import letter_shape
from .skeleton_drawing import Placement, draw_skeleton, palm_length

FPS = 30
HOLD_FRAMES = 9  # 0.3 s: a signer settles into the handshape before moving
J_MOVE_FRAMES = 24  # 0.8 s
Z_MOVE_FRAMES = 36  # 1.2 s: at 1.0 s MediaPipe lost hands 130-160 px long in the diagonal stroke
DRIFT_FRAMES = 45  # 1.5 s
LETTER_FRAMES = 30  # 1 s per spelled letter
CHANGE_FRAMES = 4  # the hand reshaping between two different letters
AWAY_FRAMES = 6  # the hand out of the picture between two equal letters
DOUBLE_FRAMES = 6  # or the letter moved in the picture between them, in 0.2 s:
SLIDE_LENGTH = 0.35  # slid sideways by this share of the hand length (toward the picture's right for a right hand)
BOUNCE_LENGTH = 0.2  # or bounced down and back up by this share (3 cm of a 20 cm hand, 0.15, is too little for
# the server to see the hand move: signify.recognition.trajectory.hand_speed measures over 0.2 s)
DOUBLES = ("away", "slide", "bounce")
REPEAT_PAUSE_FRAMES = 9  # a repeated J or Z: its end held this much longer (0.6 s in all) before going back
RETURN_FRAMES = 12  # 0.4 s back to the start
J_DROP = 0.5  # of the hand length: how far the pinky travels down before the hook
J_HOOK_RADIUS = 0.2  # of the hand length
J_HOOK_DEGREES = 150.0
J_TURN_DEGREES = 90.0  # the forearm's turn over the whole J
Z_WIDTH = 1.0  # of the hand length, capped so the Z stays in the picture
Z_HEIGHT = 0.8
DRIFT_PALMS_PER_SECOND = 0.75  # in palm widths, a third of the hand length
PALM_WIDTH = 0.32  # of the hand length: knuckle to knuckle across the palm
WOBBLE_DEGREES = 3.0
# A camera's sensor noise (standard deviation in 8-bit levels), new in every frame: without it
# a held hand is the same picture every frame, and a palm detector that misses it once misses it for good.
CAMERA_NOISE = 3.0
# A held hand still trembles by a pixel or so; it gives the palm detector a new picture every frame.
TREMOR_PIXELS = 1.0
TREMOR_DEGREES = 0.5

Frames = list[NDArray[np.uint8]]


@dataclass(frozen=True)
class Framing:
    """Where the clip's hand starts and how the picture is made.

    ``cx``/``cy`` default to the picture's centre (a little above it);
    ``size`` is the hand length in pixels.
    """

    size: float = 200.0
    cx: float | None = None
    cy: float | None = None
    mirror: bool = False
    seed: int = 0
    width: int = WIDTH
    height: int = HEIGHT
    noise: float = CAMERA_NOISE
    tremor: float = TREMOR_PIXELS

    def start(self) -> Placement:
        """The placement of the hand in the clip's first frame."""
        cx = self.width / 2 if self.cx is None else self.cx
        cy = self.height * 0.45 if self.cy is None else self.cy
        return Placement(cx=cx, cy=cy, size=self.size, mirror=self.mirror)


def smoothstep(t: float) -> float:
    """Ease in and out on 0..1: hands accelerate and stop instead of jerking."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


def j_path(t: float) -> tuple[float, float]:
    """The J stroke at progress ``t`` in 0..1, in hand lengths from its start (x towards the thumb, y down).

    A straight drop, then an arc hooking towards the thumb side; the split
    between them follows their lengths, so the speed is even along the path.
    """
    arc = math.radians(J_HOOK_DEGREES) * J_HOOK_RADIUS
    travelled = smoothstep(t) * (J_DROP + arc)
    if travelled <= J_DROP:
        return 0.0, travelled
    angle = (travelled - J_DROP) / J_HOOK_RADIUS
    # The arc's centre lies beside the drop's end, on the thumb side.
    return -J_HOOK_RADIUS * (1.0 - math.cos(angle)), J_DROP + J_HOOK_RADIUS * math.sin(angle)


def z_path(t: float, width: float = Z_WIDTH, height: float = Z_HEIGHT) -> tuple[float, float]:
    """The Z at progress ``t`` in 0..1, from its top-left corner, in hand lengths: across, diagonal, across."""
    corners = [(0.0, 0.0), (width, 0.0), (0.0, height), (width, height)]
    strokes = list(itertools.pairwise(corners))
    lengths = [math.dist(a, b) for a, b in strokes]
    travelled = smoothstep(t) * sum(lengths)
    for (a, b), length in zip(strokes, lengths, strict=True):
        if travelled <= length:
            f = travelled / length
            return a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])
        travelled -= length
    return corners[-1]


def j_placements(framing: Framing = Framing(), hold: int = HOLD_FRAMES, move: int = J_MOVE_FRAMES) -> list[Placement]:
    """Per-frame placements of the J: hold, trace, hold."""
    start = framing.start()
    side = -1.0 if framing.mirror else 1.0
    # Centre the J's drop on the framing's centre, so the hand stays in the picture.
    start = replace(start, cy=start.cy - J_DROP * framing.size / 2)
    placements = []
    for t in _progress(hold, move):
        dx, dy = j_path(t)
        placements.append(
            replace(
                start,
                cx=start.cx + side * dx * framing.size,
                cy=start.cy + dy * framing.size,
                yaw=side * J_TURN_DEGREES * smoothstep(t),
            )
        )
    return placements


def z_placements(framing: Framing = Framing(), hold: int = HOLD_FRAMES, move: int = Z_MOVE_FRAMES) -> list[Placement]:
    """Per-frame placements of the Z: hold at its top-left corner, trace, hold at its bottom-right."""
    start = framing.start()
    side = -1.0 if framing.mirror else 1.0
    # About one hand length wide, but never wider than half the picture.
    width = min(Z_WIDTH, 0.5 * framing.width / framing.size)
    height = min(Z_HEIGHT, 0.35 * framing.height / framing.size)
    # Centre the whole Z on the framing's centre.
    left, top = start.cx - side * width * framing.size / 2, start.cy - height * framing.size / 2
    placements = []
    for t in _progress(hold, move):
        dx, dy = z_path(t, width, height)
        placements.append(replace(start, cx=left + side * dx * framing.size, cy=top + dy * framing.size))
    return placements


def repeated(
    one: Sequence[Placement], times: int, pause: int = REPEAT_PAUSE_FRAMES, back: int = RETURN_FRAMES
) -> list[Placement]:
    """``one`` motion's placements ``times`` over: between two, its end held ``pause`` frames more, then the
    hand moved straight back to its start over ``back`` frames (untwisting), as a signer repeats a letter."""
    if times < 1:
        raise ValueError("times must be at least 1")
    start, end = one[0], one[-1]
    placements: list[Placement] = []
    for repeat in range(times):
        if repeat:
            placements += [end] * pause
            for i in range(back):
                f = smoothstep((i + 1) / back)
                placements.append(replace(end, cx=end.cx + f * (start.cx - end.cx), cy=end.cy + f * (start.cy - end.cy),
                                          yaw=end.yaw + f * (start.yaw - end.yaw)))
        placements += one
    return placements


def drift_placements(framing: Framing = Framing(), frames: int = DRIFT_FRAMES) -> list[Placement]:
    """A held hand drifting slowly on a diagonal and wobbling a few degrees, like a live signer."""
    start = framing.start()
    step = DRIFT_PALMS_PER_SECOND * PALM_WIDTH * framing.size / FPS
    placements = []
    for i in range(frames):
        # Drift away and back, so the hand stays in the picture however long the clip.
        offset = step * (frames / 2 - abs(i - frames / 2)) - step * frames / 4
        placements.append(
            replace(
                start,
                cx=start.cx + offset * 0.8,
                cy=start.cy + offset * 0.6,
                tilt=WOBBLE_DEGREES * math.sin(2 * math.pi * i / FPS),
            )
        )
    return placements


def render_clip(
    skeletons: Sequence[NDArray[np.float64] | None], placements: Sequence[Placement], framing: Framing = Framing()
) -> Frames:
    """One frame per (skeleton, placement); ``None`` draws the empty background (the hand is away)."""
    background = textured_background(framing.seed, framing.width, framing.height)
    rng = np.random.default_rng(framing.seed)
    frames = []
    for skeleton, placement in zip(skeletons, placements, strict=True):
        if skeleton is None:
            frame = background.copy()
        else:
            shaken = tremble(placement, framing.tremor, rng)
            frame = draw_skeleton(skeleton, shaken, framing.seed, framing.width, framing.height, background)
        frames.append(add_noise(frame, framing.noise, rng))
    return frames


def tremble(placement: Placement, pixels: float, rng: np.random.Generator) -> Placement:
    """The placement moved by a random tremor of about ``pixels`` (unchanged when ``pixels`` is 0)."""
    if pixels <= 0:
        return placement
    dx, dy, turn = rng.normal(0.0, 1.0, 3)
    return replace(
        placement,
        cx=placement.cx + pixels * dx,
        cy=placement.cy + pixels * dy,
        tilt=placement.tilt + TREMOR_DEGREES * pixels * turn,
    )


def add_noise(frame: NDArray[np.uint8], sigma: float, rng: np.random.Generator) -> NDArray[np.uint8]:
    """The frame with Gaussian sensor noise of ``sigma`` levels (unchanged when ``sigma`` is 0)."""
    if sigma <= 0:
        return frame
    noisy = frame.astype(np.float32) + rng.normal(0.0, sigma, frame.shape).astype(np.float32)
    return np.asarray(np.clip(np.round(noisy), 0, 255), dtype=np.uint8)


def j_clip(framing: Framing = Framing(), hold: int = HOLD_FRAMES, move: int = J_MOVE_FRAMES, times: int = 1) -> Frames:
    """The letter J: the I handshape held, its pinky tracing a J while the forearm turns, held again
    (``times`` in a row: :func:`repeated`)."""
    placements = repeated(j_placements(framing, hold, move), times)
    return render_clip([letter_shape("I")] * len(placements), placements, framing)


def z_clip(framing: Framing = Framing(), hold: int = HOLD_FRAMES, move: int = Z_MOVE_FRAMES, times: int = 1) -> Frames:
    """The letter Z: the index-pointing handshape held, tracing a Z, held again (``times`` in a row:
    :func:`repeated`)."""
    placements = repeated(z_placements(framing, hold, move), times)
    return render_clip([letter_shape("Z")] * len(placements), placements, framing)


def drifting_clip(letter: str, framing: Framing = Framing(), frames: int = DRIFT_FRAMES) -> Frames:
    """A static letter's handshape held while the hand drifts and wobbles."""
    placements = drift_placements(framing, frames)
    return render_clip([letter_shape(letter)] * len(placements), placements, framing)


@dataclass(frozen=True)
class SpelledFrame:
    """One frame of a spelled word: the letter it belongs to, what the hand does, and where it is."""

    letter: int  # index into the word
    part: str  # "held"; "change" (reshaping from the letter before); "away", "slide" or "bounce" (a double's gap)
    step: int  # the frame's number within its part
    offset: tuple[float, float]  # from where the hand started, in hand lengths (x right, y down)


def spelling_frames(
    word: str, letter_frames: int = LETTER_FRAMES, change: int = CHANGE_FRAMES, away: int = AWAY_FRAMES,
    double: str = "away",
) -> list[SpelledFrame]:
    """The frame layout of fingerspelling ``word``, one place for the drawn clips and the benchmark's photo clips.

    Each letter is held for ``letter_frames``. Between two different letters the hand reshapes over ``change``
    frames. Between two equal ones (``double``) it leaves the picture for ``away`` frames, or moves the letter
    for :data:`DOUBLE_FRAMES`: slid sideways by :data:`SLIDE_LENGTH` (the letters after it stay there), or
    bounced down by :data:`BOUNCE_LENGTH` and back up.
    """
    if double not in DOUBLES:
        raise ValueError(f"double must be one of {DOUBLES}")
    frames: list[SpelledFrame] = []
    x = 0.0
    for i in range(len(word)):
        doubled = i > 0 and word[i].upper() == word[i - 1].upper()
        if doubled and double == "away":
            frames.extend(SpelledFrame(i, "away", k, (x, 0.0)) for k in range(away))
        elif doubled:
            start = x
            for k in range(DOUBLE_FRAMES):
                if double == "slide":
                    x = start + SLIDE_LENGTH * smoothstep((k + 1) / DOUBLE_FRAMES)
                    frames.append(SpelledFrame(i, double, k, (x, 0.0)))
                else:
                    y = BOUNCE_LENGTH * math.sin(math.pi * (k + 1) / (DOUBLE_FRAMES + 1))
                    frames.append(SpelledFrame(i, double, k, (x, y)))
        elif i:
            frames.extend(SpelledFrame(i, "change", k, (x, 0.0)) for k in range(change))
        frames.extend(SpelledFrame(i, "held", k, (x, 0.0)) for k in range(letter_frames))
    return frames


def spelling_skeletons(
    word: str, letter_frames: int = LETTER_FRAMES, change: int = CHANGE_FRAMES, away: int = AWAY_FRAMES,
    double: str = "away",
) -> list[NDArray[np.float64] | None]:
    """Per-frame skeletons for fingerspelling ``word`` (:func:`spelling_frames`): ``None`` where the hand is
    away, the skeletons blended while it changes, the letter before held while a double moves it."""
    return _skeletons(word, spelling_frames(word, letter_frames, change, away, double), change)


def _skeletons(word: str, layout: list[SpelledFrame], change: int) -> list[NDArray[np.float64] | None]:
    """The skeleton of each frame of ``word``'s layout (``change``: the frames a reshaping takes)."""
    shapes = [letter_shape(letter) for letter in word]

    def skeleton(frame: SpelledFrame) -> NDArray[np.float64] | None:
        if frame.part == "held":
            return shapes[frame.letter]
        if frame.part == "change":
            return _blend(shapes[frame.letter - 1], shapes[frame.letter], (frame.step + 1) / (change + 1))
        return None if frame.part == "away" else shapes[frame.letter - 1]

    return [skeleton(frame) for frame in layout]


def spelling_clip(
    word: str,
    framing: Framing = Framing(),
    letter_frames: int = LETTER_FRAMES,
    change: int = CHANGE_FRAMES,
    away: int = AWAY_FRAMES,
    double: str = "away",
) -> Frames:
    """Fingerspelling ``word`` with the hand held still at each letter (see :func:`spelling_skeletons`)."""
    layout = spelling_frames(word, letter_frames, change, away, double)
    start = framing.start()
    side = -1.0 if framing.mirror else 1.0
    placements = [replace(start, cx=start.cx + side * dx * framing.size, cy=start.cy + dy * framing.size)
                  for dx, dy in (frame.offset for frame in layout)]
    return render_clip(_skeletons(word, layout, change), placements, framing)


def z_then_spelling_clip(word: str, framing: Framing = Framing(), double: str = "slide") -> Frames:
    """``word``, which starts with Z: the Z drawn, then the letters after it spelled where the Z ended, as
    :func:`spelling_clip` spells them (doubles made as ``double``): "ZOO", where the O after a Z is slid."""
    if not word.upper().startswith("Z"):
        raise ValueError("the word must start with Z")
    drawn = z_placements(framing)
    layout = spelling_frames(word, LETTER_FRAMES, CHANGE_FRAMES, AWAY_FRAMES, double)[LETTER_FRAMES:]  # Z drawn instead
    end, side = drawn[-1], -1.0 if framing.mirror else 1.0
    after = [replace(end, cx=end.cx + side * dx * framing.size, cy=end.cy + dy * framing.size)
             for dx, dy in (frame.offset for frame in layout)]
    skeletons = [letter_shape("Z")] * len(drawn) + _skeletons(word, layout, CHANGE_FRAMES)
    return render_clip(skeletons, [*drawn, *after], framing)


def _blend(a: NDArray[np.float64], b: NDArray[np.float64], t: float) -> NDArray[np.float64]:
    """A skeleton part way from ``a`` to ``b``; both are first brought to the wrist and to one palm length,
    as the shapes come from different cameras and scales."""
    a0, b0 = (a - a[0]) / palm_length(a), (b - b[0]) / palm_length(b)
    return np.asarray((1.0 - t) * a0 + t * b0)


def _progress(hold: int, move: int) -> list[float]:
    """Motion progress per frame: ``hold`` frames at 0, ``move`` frames rising to 1, ``hold`` frames at 1."""
    return [0.0] * hold + [(i + 1) / move for i in range(move)] + [1.0] * hold
