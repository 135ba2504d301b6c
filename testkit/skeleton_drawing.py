"""Drawing any 21-point hand skeleton, depth-aware, so that MediaPipe Hands detects it.

:mod:`testkit.hand_drawing` draws one flat open hand. Letter handshapes
have fingers curled over the palm and a thumb across them, which a flat
drawing cannot show. Here the palm and each finger are painted back to
front by their depth (MediaPipe z: smaller is nearer the camera), each with
its own darker outline, so a finger lying over the palm stays visible as a
finger, and farther parts are shaded darker.

A drawing is ambiguous in one way a photo is not: a right hand seen from
the palm side has the outline of a left hand seen from the back, and when
MediaPipe picks the wrong one, the server mirrors the hand and the model
reads another letter. Palm creases and fingernails on the side facing the
camera are what tipped MediaPipe to the intended hand (measured: D, I and E
were read as other letters without them).

Skeletons are ``(21, 3)`` arrays in square units (MediaPipe's x and z
multiplied by width/height), of a right hand as MediaPipe labels hands, any
origin and scale: :class:`Placement` puts them in the image.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from .hand_drawing import FINGERS, HEIGHT, OUTLINE_BGR, PALM, SKIN_BGR, WIDTH, textured_background

WRIST = 0
THUMB_BASE = 1
THUMB_KNUCKLE = 2
INDEX_KNUCKLE = 5
MIDDLE_KNUCKLE = 9
RING_KNUCKLE = 13
PINKY_KNUCKLE = 17
KNUCKLES = (INDEX_KNUCKLE, MIDDLE_KNUCKLE, RING_KNUCKLE, PINKY_KNUCKLE)
# The palm's outline includes the fleshy base of the thumb (joint 2), as a real palm does.
PALM_OUTLINE = (*PALM, THUMB_KNUCKLE)

# An extended hand is about 2.5 wrist-to-knuckle lengths long (wrist to middle fingertip).
HAND_LENGTH_IN_PALMS = 2.5
# Widths in wrist-to-knuckle lengths. Landmarks are joint centres, so flesh
# reaches beyond them: the palm gets a rim, and edge-on it keeps that width.
FINGER_WIDTH_PALMS = 0.26
PALM_RIM_PALMS = 0.3
FOREARM_WIDTH_PALMS = 0.65
FOREARM_LENGTH_PALMS = 1.6
# Tuned by measuring MediaPipe's detection rate over the letter shapes at 100-200 px.
OUTLINE_FRACTION = 0.12  # of the finger width: seams drawn thicker made the hand look robotic to MediaPipe
DEPTH_SHADE = 0.3  # the farthest part is this much darker than the nearest
HIGHLIGHT = 0.08  # a finger's middle is this much lighter than its edges: a rounded look
JOINT_DOT_FRACTION = 0.1
CREASE_SHADE = 0.7  # palm lines are the skin colour times this
CREASE_WIDTH = 1.0  # in outline widths
# A camera's softness: edges blurred to a Gaussian of this fraction of the finger
# width. Sharp edges on a big drawn hand kept MediaPipe from detecting it at all;
# a small hand is already this soft once MediaPipe scales its crop up, and blurring
# it as much again halved its detection rate: so only the missing blur is added.
BLUR_FRACTION = 0.1
PIXEL_SOFTNESS = 1.0  # the blur, in pixels, that the pixel grid itself gives


@dataclass(frozen=True)
class Placement:
    """Where and how a skeleton is drawn.

    ``cx``, ``cy``: the centre of the unrotated hand's bounding box, in
    pixels. ``size``: the hand's length in pixels as if its fingers were
    straight (2.5 wrist-to-knuckle lengths), so that all letters of one
    signer at one distance share a scale whatever their shape; a fist is
    drawn about 0.6 of that tall. ``tilt``: in-plane rotation in degrees
    (clockwise on screen). ``yaw``/``pitch``: 3D rotation of the skeleton
    about its wrist, in degrees, about the image's vertical and horizontal
    axes: the forearm turning, the hand bending towards the camera.
    ``mirror``: draw the other hand (flip left-right).
    """

    cx: float = WIDTH / 2
    cy: float = HEIGHT / 2
    size: float = 200.0
    tilt: float = 0.0
    yaw: float = 0.0
    pitch: float = 0.0
    mirror: bool = False


def palm_length(skeleton: NDArray[np.float64]) -> float:
    """The mean wrist-to-knuckle distance: the hand's own unit, as in signify.recognition.normalization."""
    return float(np.linalg.norm(skeleton[list(KNUCKLES)] - skeleton[WRIST], axis=1).mean())


def size_for_height(skeleton: NDArray[np.float64], height: float) -> float:
    """The :attr:`Placement.size` at which the skeleton's landmarks span ``height`` pixels top to bottom.

    For callers who think in drawn hand heights (a webcam shows a hand 50-100 px
    tall); the drawn flesh reaches about a finger's width beyond the landmarks.
    """
    points = np.asarray(skeleton, dtype=np.float64)
    return float(height * HAND_LENGTH_IN_PALMS * palm_length(points) / np.ptp(points[:, 1]))


def rotation_3d(yaw: float, pitch: float) -> NDArray[np.float64]:
    """The rotation matrix for ``yaw`` degrees about y (vertical), then ``pitch`` degrees about x."""
    a, b = math.radians(yaw), math.radians(pitch)
    about_y = np.array([[math.cos(a), 0.0, math.sin(a)], [0.0, 1.0, 0.0], [-math.sin(a), 0.0, math.cos(a)]])
    about_x = np.array([[1.0, 0.0, 0.0], [0.0, math.cos(b), -math.sin(b)], [0.0, math.sin(b), math.cos(b)]])
    return np.asarray(about_x @ about_y)


def place_skeleton(skeleton: NDArray[np.float64], placement: Placement) -> NDArray[np.float64]:
    """The skeleton in image pixels: ``(21, 3)``, x right, y down, z in pixels (smaller is nearer)."""
    points = np.asarray(skeleton, dtype=np.float64)
    points = points - points[WRIST]
    scale = placement.size / (HAND_LENGTH_IN_PALMS * palm_length(points))
    # The bounding-box centre is taken before the 3D turn, so turning the forearm
    # pivots the hand about its wrist instead of sliding the wrist sideways.
    centre = (points[:, :2].min(axis=0) + points[:, :2].max(axis=0)) / 2
    placed = points @ rotation_3d(placement.yaw, placement.pitch).T
    placed[:, :2] -= centre
    placed *= scale
    if placement.mirror:
        placed[:, 0] *= -1.0
    angle = math.radians(placement.tilt)
    in_plane = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    placed[:, :2] = placed[:, :2] @ in_plane.T + (placement.cx, placement.cy)
    return np.asarray(placed)


def palm_faces_camera(points: NDArray[np.float64], mirrored: bool = False) -> bool:
    """Whether a right hand's palm (a left hand's, if ``mirrored``), not its back, is towards the camera."""
    normal = np.cross(points[INDEX_KNUCKLE] - points[WRIST], points[PINKY_KNUCKLE] - points[WRIST])
    return bool(normal[2] > 0) != mirrored


def draw_skeleton(
    skeleton: NDArray[np.float64],
    placement: Placement = Placement(),
    seed: int = 0,
    width: int = WIDTH,
    height: int = HEIGHT,
    background: NDArray[np.uint8] | None = None,
) -> NDArray[np.uint8]:
    """A BGR image of the skeleton drawn as a hand with a forearm on a textured background.

    ``background`` (``height`` x ``width`` BGR) saves re-rendering the
    texture for every frame of a clip; it is copied, not changed.
    """
    image = textured_background(seed, width, height) if background is None else background.copy()
    points = place_skeleton(skeleton, placement)
    paint_skeleton(image, points, placement.mirror)
    wanted = BLUR_FRACTION * FINGER_WIDTH_PALMS * palm_length(points)
    missing = math.sqrt(max(0.0, wanted**2 - PIXEL_SOFTNESS**2))
    if missing < 0.3:
        return image
    return np.asarray(cv2.GaussianBlur(image, (0, 0), missing), dtype=np.uint8)


def paint_skeleton(image: NDArray[np.uint8], points: NDArray[np.float64], mirrored: bool = False) -> None:
    """Paint placed ``(21, 3)`` pixel points onto ``image``, back to front.

    Each finger is one unit, outline then skin, so its joints show no seams
    (seams made the hand look robotic, and MediaPipe missed it); a finger in
    front of the palm or of another finger keeps its own outline.
    """
    palm = palm_length(points)
    finger = max(3.0, FINGER_WIDTH_PALMS * palm)
    outline = max(1, round(OUTLINE_FRACTION * finger))
    palm_side = palm_faces_camera(points, mirrored)
    z_near, z_far = float(points[:, 2].min()), float(points[:, 2].max())
    _paint_forearm(image, points, palm, outline)
    for depth, chain in sorted(_parts(points), key=lambda part: -part[0]):
        skin = _shade(depth, z_near, z_far)
        if chain is None:
            _paint_palm(image, points, max(3.0, PALM_RIM_PALMS * palm), outline, skin)
            if palm_side:
                _paint_creases(image, points, outline)
        else:
            _paint_finger(image, points[list(chain)], finger, outline, skin)
            if _shows_nail(points, chain, palm_side):
                _paint_nail(image, points[chain[-2]], points[chain[-1]], finger, outline, skin)


def _parts(points: NDArray[np.float64]) -> list[tuple[float, tuple[int, ...] | None]]:
    """Every paintable part with its mean depth: the palm (``None``) and each finger's joint chain."""
    parts: list[tuple[float, tuple[int, ...] | None]] = [(float(points[list(PALM), 2].mean()), None)]
    for chain in FINGERS:
        # The thumb starts at the wrist; the other fingers at their knuckles.
        joints = (WRIST, *chain) if chain[0] == THUMB_BASE else chain
        parts.append((float(points[list(joints[1:]), 2].mean()), joints))
    return parts


def _shows_nail(points: NDArray[np.float64], chain: tuple[int, ...], palm_side: bool) -> bool:
    """A nail shows on a curled finger seen from the palm side, or on a straight one seen from the back."""
    up = points[MIDDLE_KNUCKLE, :2] - points[WRIST, :2]
    tip = points[chain[-1], :2] - points[chain[-2], :2]
    curled = float(np.dot(tip, up)) < 0
    return curled == palm_side


def _shade(depth: float, z_near: float, z_far: float) -> tuple[int, int, int]:
    """The skin colour, darkened with distance from the camera."""
    span = max(z_far - z_near, 1e-6)
    return _scaled(SKIN_BGR, 1.0 - DEPTH_SHADE * (depth - z_near) / span)


def _scaled(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    b, g, r = (min(255, round(channel * factor)) for channel in colour)
    return b, g, r


def _paint_forearm(image: NDArray[np.uint8], points: NDArray[np.float64], palm: float, outline: int) -> None:
    """The forearm leaves the wrist away from the middle knuckle, as seen on screen."""
    direction = points[WRIST, :2] - points[MIDDLE_KNUCKLE, :2]
    length = float(np.linalg.norm(direction))
    if length < 1e-6:
        direction, length = np.array([0.0, 1.0]), 1.0
    end = points[WRIST, :2] + direction / length * FOREARM_LENGTH_PALMS * palm
    thickness = max(3, round(FOREARM_WIDTH_PALMS * palm))
    cv2.line(image, _pixel(points[WRIST]), _pixel(end), OUTLINE_BGR, thickness + 2 * outline, cv2.LINE_AA)
    cv2.line(image, _pixel(points[WRIST]), _pixel(end), SKIN_BGR, thickness, cv2.LINE_AA)


def _paint_palm(
    image: NDArray[np.uint8], points: NDArray[np.float64], rim: float, outline: int, skin: tuple[int, int, int]
) -> None:
    hull = cv2.convexHull(np.round(points[list(PALM_OUTLINE), :2]).astype(np.int32))
    cv2.polylines(image, [hull], True, OUTLINE_BGR, round(rim) + 2 * outline, cv2.LINE_AA)
    cv2.fillConvexPoly(image, hull, skin, lineType=cv2.LINE_AA)
    cv2.polylines(image, [hull], True, skin, round(rim), cv2.LINE_AA)


def _paint_creases(image: NDArray[np.uint8], points: NDArray[np.float64], outline: int) -> None:
    """The heart, head and life lines, placed between the knuckles and the wrist."""

    def between(a: int, b: int, t: float) -> NDArray[np.float64]:
        return np.asarray(points[a, :2] + t * (points[b, :2] - points[a, :2]))

    lines = [
        [between(17, 0, 0.3), between(13, 0, 0.25), between(9, 0, 0.25), between(5, 0, 0.2)],
        [between(17, 0, 0.5), between(13, 0, 0.45), between(9, 0, 0.4), between(5, 1, 0.35)],
        [between(5, 1, 0.45), (between(9, 0, 0.55) + between(2, 0, 0.5)) / 2, between(1, 0, 0.6), between(0, 9, 0.12)],
    ]
    crease = _scaled(SKIN_BGR, CREASE_SHADE)
    thickness = max(1, round(CREASE_WIDTH * outline))
    for line in lines:
        cv2.polylines(image, [np.round(np.array(line)).astype(np.int32)], False, crease, thickness, cv2.LINE_AA)


def _paint_finger(
    image: NDArray[np.uint8], chain: NDArray[np.float64], width: float, outline: int, skin: tuple[int, int, int]
) -> None:
    """One finger: its outline under its skin, a lighter middle, and small dots at its joints."""
    joints = [_pixel(point) for point in chain]
    layers = ((OUTLINE_BGR, width + 2 * outline), (skin, width), (_scaled(skin, 1 + HIGHLIGHT), 0.45 * width))
    for colour, thickness in layers:
        for a, b in itertools.pairwise(joints):
            cv2.line(image, a, b, colour, max(1, round(thickness)), cv2.LINE_AA)
    for joint in joints[1:-1]:
        cv2.circle(image, joint, max(1, round(JOINT_DOT_FRACTION * width)), OUTLINE_BGR, -1, cv2.LINE_AA)


def _paint_nail(
    image: NDArray[np.uint8],
    dip: NDArray[np.float64],
    tip: NDArray[np.float64],
    width: float,
    outline: int,
    skin: tuple[int, int, int],
) -> None:
    """A lighter, outlined oval on the last bone, just short of the tip."""
    direction = tip[:2] - dip[:2]
    length = float(np.linalg.norm(direction))
    if length < 2:
        return  # the finger points at the camera: its nail is a dot at most
    centre = tip[:2] - 0.25 * direction
    angle = math.degrees(math.atan2(direction[1], direction[0]))
    axes = (max(1, round(0.3 * length)), max(1, round(0.3 * width)))
    cv2.ellipse(image, _pixel(centre), axes, angle, 0, 360, _scaled(skin, 1.15), -1, cv2.LINE_AA)
    cv2.ellipse(image, _pixel(centre), axes, angle, 0, 360, _scaled(skin, 0.8), max(1, outline // 2), cv2.LINE_AA)


def _pixel(point: NDArray[np.float64]) -> tuple[int, int]:
    return round(float(point[0])), round(float(point[1]))
