"""Augmentations: plausible variation between people, cameras and takes.

The hand augmentations are pure NumPy and work on a batch of windows,
shape ``(windows, ..., 21, 3)``: every window draws its own parameters and
all frames of one window share them, so a motion stays coherent. A whole
epoch is augmented in a few array operations instead of a Python loop per
window (which cost about a third of the training time). Each function takes
the random generator explicitly so that a fixed seed fixes the whole run.
:func:`reshoot` works one step earlier, on a photo's pixels (OpenCV),
before MediaPipe finds the hand in it.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray
from signify.recognition.normalization import WRIST

FINGER_CHAINS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
# Per joint: its finger, and the joint that finger grows from. The wrist and each finger's
# first joint are their own base, so scaling leaves them where they are.
FINGER_OF_JOINT = np.array([0] + [finger for finger, chain in enumerate(FINGER_CHAINS) for _ in chain])
FINGER_BASE_OF_JOINT = np.array([WRIST] + [chain[0] for chain in FINGER_CHAINS for _ in chain])

Hands = NDArray[np.float32]


def per_window(values: NDArray[np.float64], hands: Hands) -> NDArray[np.float32]:
    """``values`` of shape ``(windows, k)`` shaped to broadcast over ``hands`` as ``(windows, 1, ..., k)``."""
    middle = (1,) * (hands.ndim - 2)
    return np.asarray(values, dtype=np.float32).reshape(values.shape[0], *middle, values.shape[-1])


def rotate(hands: Hands, rng: np.random.Generator, max_roll_deg: float = 15.0, max_tilt_deg: float = 10.0) -> Hands:
    """Rotate each window about the camera axis (a hand held at another angle) and a little in depth."""
    limits = np.radians([max_roll_deg, max_tilt_deg, max_tilt_deg])
    roll, pitch, yaw = (rng.uniform(-1, 1, (len(hands), 3)) * limits).T
    zero, one = np.zeros_like(roll), np.ones_like(roll)

    def matrices(*rows: tuple[NDArray[np.float64], ...]) -> NDArray[np.float64]:
        return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)  # (windows, 3, 3)

    rz = matrices((np.cos(roll), -np.sin(roll), zero), (np.sin(roll), np.cos(roll), zero), (zero, zero, one))
    rx = matrices((one, zero, zero), (zero, np.cos(pitch), -np.sin(pitch)), (zero, np.sin(pitch), np.cos(pitch)))
    ry = matrices((np.cos(yaw), zero, np.sin(yaw)), (zero, one, zero), (-np.sin(yaw), zero, np.cos(yaw)))
    rotation = (rz @ rx @ ry).astype(np.float32)
    points = hands.reshape(len(hands), -1, 3)
    return (points @ rotation.transpose(0, 2, 1)).reshape(hands.shape)


def stretch(hands: Hands, rng: np.random.Generator, amount: float = 0.1) -> Hands:
    """Scale each axis a little differently: other hand proportions and camera distortion."""
    return hands * per_window(1.0 + rng.uniform(-amount, amount, (len(hands), 3)), hands)


def bend_fingers(hands: Hands, rng: np.random.Generator, amount: float = 0.12) -> Hands:
    """Lengthen or shorten each finger's bones a little, independently per finger."""
    factors = 1.0 + rng.uniform(-amount, amount, (len(hands), len(FINGER_CHAINS)))
    joint_factors = factors[:, FINGER_OF_JOINT].astype(np.float32).reshape(len(hands), *(1,) * (hands.ndim - 3), -1, 1)
    base = np.take(hands, FINGER_BASE_OF_JOINT, axis=-2)
    return (base + (hands - base) * joint_factors).astype(np.float32)


def jitter(hands: Hands, rng: np.random.Generator, low: float = 0.005, high: float = 0.03) -> Hands:
    """Independent noise on every joint, as MediaPipe's own estimate wobbles; each window its own level."""
    sigma = per_window(rng.uniform(low, high, (len(hands), 1)), hands)
    return (hands + rng.standard_normal(hands.shape, dtype=np.float32) * sigma).astype(np.float32)


def random_speed(rng: np.random.Generator, max_log_rate: float = 0.35) -> float:
    """A replay speed between about 0.7x and 1.4x: other signing speeds and camera frame rates."""
    return float(np.exp(rng.uniform(-max_log_rate, max_log_rate)))


def time_warp(sequence: NDArray[np.float32], rate: float) -> NDArray[np.float32]:
    """Replay a sequence (frames first, any shape per frame) ``rate`` times as fast, interpolating linearly."""
    last = sequence.shape[0] - 1
    positions = np.arange(0, last + 1e-6, rate)  # up to the last recorded frame, never past it
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, last)
    weight = (positions - low).reshape(-1, *(1,) * (sequence.ndim - 1)).astype(np.float32)
    return np.asarray(sequence[low] * (1 - weight) + sequence[high] * weight, dtype=np.float32)


def augment_windows(windows: Hands, rng: np.random.Generator) -> Hands:
    """The full set, one draw of parameters per window: ``(windows, time, 21, 3)`` in and out."""
    return jitter(bend_fingers(stretch(rotate(windows, rng), rng), rng), rng)


def reshoot(rgb: NDArray[np.uint8], rng: np.random.Generator) -> NDArray[np.uint8]:
    """The same photo as another camera might have taken it: turned, zoomed, shifted, mirrored and relit.

    For landmark extraction at training time (see ``load_photos``): the
    hand is the same, the pixels MediaPipe sees are not.
    """
    height, width = rgb.shape[:2]
    centre = (width / 2 + rng.uniform(-0.05, 0.05) * width, height / 2 + rng.uniform(-0.05, 0.05) * height)
    turn = cv2.getRotationMatrix2D(centre, rng.uniform(-25, 25), rng.uniform(0.75, 1.15))
    view = cv2.warpAffine(rgb, turn, (width, height), borderMode=cv2.BORDER_REFLECT)
    if rng.random() < 0.5:
        view = view[:, ::-1]
    relit = view.astype(np.float32) * rng.uniform(0.7, 1.3) + rng.uniform(-25, 25)
    return np.ascontiguousarray(np.clip(relit, 0, 255).astype(np.uint8))


# Far re-shoots (see far_reshoot): the hand's longer side at webcam framing, in pixels of a 640 x 480 frame
# (bench/webcam_motion.py's 50-100 px), the webcam's sensor noise in grey levels and its JPEG quality.
FAR_HAND_PIXELS = (45.0, 110.0)
FAR_NOISE = (1.5, 4.0)
FAR_JPEG = (75, 86)


def far_reshoot(rgb: NDArray[np.uint8], rng: np.random.Generator, hand_pixels: float) -> NDArray[np.uint8]:
    """A re-shoot seen from across the room: the hand only 45-110 px tall, noisy and JPEG'd, then enlarged back.

    ``hand_pixels`` is the hand's longer side in ``rgb`` (its YOLO box).
    The picture is shrunk so that the hand is as small as a webcam shows it
    at a distance, gets sensor noise and webcam JPEG compression at that
    size, and is scaled back up to its own size: what MediaPipe's landmark
    model reads of such a hand (the server's zoomed view, or the landmark
    model's own crop of the full frame) is an enlarged low-resolution crop.
    """
    view = reshoot(rgb, rng)
    height, width = view.shape[:2]
    scale = min(1.0, rng.uniform(*FAR_HAND_PIXELS) / max(hand_pixels, 1.0))
    small_size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(view, small_size, interpolation=cv2.INTER_AREA).astype(np.float32)
    small += rng.normal(0.0, rng.uniform(*FAR_NOISE), small.shape).astype(np.float32)
    noisy = cv2.cvtColor(np.clip(np.round(small), 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    ok, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(*FAR_JPEG))])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(cv2.resize(decoded, (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.uint8)
