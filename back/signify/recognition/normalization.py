"""Hand keypoint normalization shared by training and serving.

The model never sees raw MediaPipe coordinates. Raw coordinates depend on
where the hand is in the picture, how far it is from the camera, the
picture's aspect ratio and which hand signs; none of that says which
letter it is. :func:`normalize_hand` removes all four, and it is the only
copy of this logic: the training pipeline imports it from here.

Conventions (MediaPipe Hands): ``x`` is divided by the image width, ``y``
by the image height, and ``z`` is depth relative to the wrist "on roughly
the same scale as x". Multiplying ``x`` and ``z`` by width/height puts all
three axes in units of image height, so a square hand stays square.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

NUM_LANDMARKS = 21
WRIST = 0
PALM_KNUCKLES = (5, 9, 13, 17)  # index, middle, ring and pinky MCP joints
CANONICAL_HANDEDNESS = "Right"
MIN_PALM_SIZE = 1e-6


def normalize_hand(
    landmarks: ArrayLike,
    *,
    handedness: str | None = CANONICAL_HANDEDNESS,
    aspect: float = 1.0,
) -> NDArray[np.float32]:
    """Return hand keypoints in a position-, scale- and side-free frame.

    ``landmarks`` has shape ``(..., 21, 3)``: one hand, or any stack of
    hands (a sequence, a batch of sequences). ``aspect`` is the source
    image's width divided by its height. ``handedness`` is MediaPipe's
    label for the hand; left hands are mirrored onto right hands so the
    model learns each letter once.

    The result has the wrist at the origin and the mean wrist-to-knuckle
    distance equal to one. A degenerate hand (all points on the wrist)
    comes back as zeros rather than as infinities.
    """
    return normalized(in_image_heights(landmarks, aspect), mirror_sign(handedness))


def normalized(
    points: NDArray[np.float32], signs: float | NDArray[np.float32], palm: NDArray[np.float32] | None = None
) -> NDArray[np.float32]:
    """:func:`normalize_hand` of hands already in image heights (:func:`in_image_heights`), in place.

    ``signs`` is each hand's :func:`mirror_sign` (one for all, or one per
    hand, shaped like ``points.shape[:-2]``): a batch of windows from many
    clients, each hand with its own label, is normalized in one pass.
    ``palm``: the hands' :func:`palm_size`, when the caller has it already.
    """
    size = palm_size(points) if palm is None else palm
    points -= points[..., WRIST : WRIST + 1, :]
    safe_size = np.where(size > MIN_PALM_SIZE, size, np.inf)
    points /= safe_size[..., None, None]
    points[..., 0] *= np.asarray(signs, dtype=np.float32)[..., None]
    return points


def in_image_heights(landmarks: ArrayLike, aspect: float) -> NDArray[np.float32]:
    """A float32 copy of raw landmarks ``(..., 21, 3)`` with x and z multiplied by ``aspect``: all three axes
    in units of image height. Raises ValueError for another shape or an aspect that is not positive."""
    points = np.array(landmarks, dtype=np.float32, copy=True)
    if points.shape[-2:] != (NUM_LANDMARKS, 3):
        raise ValueError(f"expected (..., {NUM_LANDMARKS}, 3) landmarks, got {points.shape}")
    if not aspect > 0:
        raise ValueError(f"aspect must be positive, got {aspect}")
    points[..., 0] *= aspect
    points[..., 2] *= aspect
    return points


def palm_size(points: NDArray[np.float32]) -> NDArray[np.float32]:
    """The mean wrist-to-knuckle distance of hands ``(..., 21, 3)``: the unit of a normalized hand."""
    size: NDArray[np.float32] = np.linalg.norm(
        points[..., PALM_KNUCKLES, :] - points[..., WRIST : WRIST + 1, :], axis=-1).mean(axis=-1)
    return size


def is_mirrored(handedness: str | None) -> bool:
    """Whether a hand with this MediaPipe label is mirrored onto the canonical side."""
    return handedness is not None and handedness.strip().lower() == "left"


def mirror_sign(handedness: str | None) -> float:
    """-1 for a hand that normalization mirrors onto the canonical side (see :func:`is_mirrored`), else 1."""
    return -1.0 if is_mirrored(handedness) else 1.0
