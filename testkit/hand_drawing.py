"""Camera frames of a plainly drawn hand that MediaPipe Hands detects.

Tests and the benchmark render their own frames from a 21-point hand
skeleton instead of depending on recorded data: a skin-toned palm polygon
and five thick, rounded finger strokes on a textured background. They are
drawn for MediaPipe's lite landmark model (:data:`TRACKER_COMPLEXITY`): the
full one finds no hand in them, so a server that reads them must track with
the lite one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

TRACKER_COMPLEXITY = 0  # the MediaPipe model_complexity whose landmark model finds these hands
WIDTH, HEIGHT = 640, 480
SKIN_BGR = (140, 180, 225)
OUTLINE_BGR = (90, 120, 170)
OUTLINE_PIXELS = 4
FINGER_WIDTH = 0.07  # of the hand's height
FOREARM_WIDTH = 0.25
FOREARM_LENGTH = 0.55
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
PALM = (0, 1, 5, 9, 13, 17)

# An open right hand, palm to the camera, in a 0..1 box (x right, y down).
OPEN_HAND = np.array([
    (0.50, 0.92),
    (0.36, 0.84), (0.26, 0.74), (0.19, 0.65), (0.13, 0.58),  # thumb
    (0.37, 0.55), (0.35, 0.37), (0.34, 0.26), (0.33, 0.16),  # index
    (0.48, 0.53), (0.48, 0.33), (0.48, 0.21), (0.48, 0.10),  # middle
    (0.59, 0.55), (0.61, 0.37), (0.62, 0.26), (0.63, 0.17),  # ring
    (0.69, 0.60), (0.74, 0.46), (0.76, 0.38), (0.78, 0.30),  # pinky
])


@dataclass(frozen=True)
class Pose:
    """Where and how big the hand is drawn: centre (pixels), height (pixels), tilt (degrees)."""

    cx: float = WIDTH / 2
    cy: float = HEIGHT * 0.42
    size: float = 250.0
    tilt: float = 6.0  # a slight tilt: upright drawn hands are detected less reliably


def hand_points(pose: Pose, skeleton: NDArray[np.float64] = OPEN_HAND) -> NDArray[np.float64]:
    """The skeleton placed in the image: (21, 2) pixel coordinates."""
    centred = (skeleton - 0.5) * pose.size
    angle = math.radians(pose.tilt)
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    return np.asarray(centred @ rotation.T + (pose.cx, pose.cy))


def textured_background(seed: int = 0, width: int = WIDTH, height: int = HEIGHT) -> NDArray[np.uint8]:
    """A muted, noisy background: a flat one makes detection less reliable."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 40, size=(height // 8, width // 8, 3), dtype=np.uint8)
    base = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    textured = np.asarray(cv2.add(base, np.full_like(base, (70, 80, 60))), dtype=np.uint8)
    return textured


def draw_hand(pose: Pose = Pose(), seed: int = 0, width: int = WIDTH, height: int = HEIGHT) -> NDArray[np.uint8]:
    """A BGR image of the drawn hand, with a forearm, on a textured background.

    A darker outline under the skin strokes and the forearm below the wrist
    were what made MediaPipe's palm detector fire reliably on a drawing.
    """
    image = textured_background(seed, width, height)
    points = hand_points(pose)
    _draw_strokes(image, points, pose, OUTLINE_BGR, OUTLINE_PIXELS)
    _draw_strokes(image, points, pose, SKIN_BGR, 0)
    for finger in FINGERS:
        for joint in finger[:-1]:
            cv2.circle(image, _pixel(points[joint]), 2, OUTLINE_BGR, -1)
    return image


def _draw_strokes(
    image: NDArray[np.uint8], points: NDArray[np.float64], pose: Pose, color: tuple[int, int, int], extra: int
) -> None:
    finger_width = max(3, int(pose.size * FINGER_WIDTH)) + extra
    angle = math.radians(pose.tilt)
    forearm_end = points[0] + pose.size * FOREARM_LENGTH * np.array([-math.sin(angle), math.cos(angle)])
    cv2.line(image, _pixel(points[0]), _pixel(forearm_end), color, int(pose.size * FOREARM_WIDTH) + extra)
    palm = cv2.convexHull(np.round(points[list(PALM)]).astype(np.int32))
    cv2.fillConvexPoly(image, palm, color, lineType=cv2.LINE_AA)
    if extra:
        cv2.polylines(image, [palm], True, color, extra)
    for finger in FINGERS:
        chain = [0, *finger] if finger[0] == 1 else list(finger)
        for a, b in itertools.pairwise(chain):
            cv2.line(image, _pixel(points[a]), _pixel(points[b]), color, finger_width, cv2.LINE_AA)


def _pixel(point: NDArray[np.float64]) -> tuple[int, int]:
    return round(float(point[0])), round(float(point[1]))


def encode_jpeg(bgr: NDArray[np.uint8], quality: int = 85) -> bytes:
    """JPEG bytes of a BGR image."""
    ok, buffer = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def hand_jpeg(pose: Pose = Pose(), seed: int = 0) -> bytes:
    """One drawn-hand frame as JPEG bytes."""
    return encode_jpeg(draw_hand(pose, seed))


def moving_hand_frames(count: int, seed: int = 0) -> list[NDArray[np.uint8]]:
    """``count`` BGR frames of the hand drifting and tilting a little, like a live camera."""
    frames = []
    for i in range(count):
        phase = 2 * math.pi * i / max(count, 1)
        pose = Pose(cx=WIDTH / 2 + 25 * math.sin(phase), cy=HEIGHT * 0.42 + 10 * math.cos(phase),
                    size=250 + 10 * math.sin(2 * phase), tilt=6 * math.sin(phase))
        frames.append(draw_hand(pose, seed))
    return frames


def blank_frame(seed: int = 0) -> NDArray[np.uint8]:
    """A frame with no hand in it."""
    return textured_background(seed)
