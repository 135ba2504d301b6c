"""Augmentations of normalized hands: plausible variation between people, cameras and takes.

Pure NumPy, shapes ``(..., 21, 3)`` in and out. Each function takes the
random generator explicitly so that a fixed seed fixes the whole run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from signify.normalization import WRIST

FINGER_CHAINS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))

Hands = NDArray[np.float32]


def rotate(hands: Hands, rng: np.random.Generator, max_roll_deg: float = 15.0, max_tilt_deg: float = 10.0) -> Hands:
    """Rotate about the camera axis (a hand held at another angle) and a little in depth."""
    roll, pitch, yaw = np.radians(rng.uniform(-1, 1, 3) * (max_roll_deg, max_tilt_deg, max_tilt_deg))
    rz = np.array([[np.cos(roll), -np.sin(roll), 0], [np.sin(roll), np.cos(roll), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(pitch), -np.sin(pitch)], [0, np.sin(pitch), np.cos(pitch)]])
    ry = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    return np.asarray(hands @ (rz @ rx @ ry).T, dtype=np.float32)


def stretch(hands: Hands, rng: np.random.Generator, amount: float = 0.1) -> Hands:
    """Scale each axis a little differently: other hand proportions and camera distortion."""
    factors = (1.0 + rng.uniform(-amount, amount, 3)).astype(np.float32)
    return hands * factors


def bend_fingers(hands: Hands, rng: np.random.Generator, amount: float = 0.12) -> Hands:
    """Lengthen or shorten each finger's bones a little, independently per finger."""
    out = hands.copy()
    for chain in FINGER_CHAINS:
        factor = np.float32(1.0 + rng.uniform(-amount, amount))
        base = out[..., chain[0] : chain[0] + 1, :]
        out[..., list(chain), :] = base + (out[..., list(chain), :] - base) * factor
    out[..., WRIST, :] = 0.0
    return out


def jitter(hands: Hands, rng: np.random.Generator, sigma: float = 0.02) -> Hands:
    """Independent noise on every joint, as MediaPipe's own estimate wobbles."""
    return (hands + rng.normal(0.0, sigma, hands.shape)).astype(np.float32)


def time_warp(sequence: Hands, rng: np.random.Generator, max_rate: float = 0.35) -> Hands:
    """Replay a sequence faster or slower (frame resampling): other signing speeds and camera frame rates."""
    frames = sequence.shape[0]
    rate = float(np.exp(rng.uniform(-max_rate, max_rate)))
    positions = np.clip(np.arange(0, frames, rate), 0, frames - 1)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, frames - 1)
    weight = (positions - low)[:, None, None].astype(np.float32)
    return np.asarray(sequence[low] * (1 - weight) + sequence[high] * weight, dtype=np.float32)


def augment_window(window: Hands, rng: np.random.Generator) -> Hands:
    """The full set, applied to a whole window at once so the motion stays coherent."""
    out = bend_fingers(stretch(rotate(window, rng), rng), rng)
    return jitter(out, rng, sigma=float(rng.uniform(0.005, 0.03)))
