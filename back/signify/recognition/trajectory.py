"""Where the hand is in the picture over time: the part of a motion letter that normalization removes.

:func:`~signify.recognition.normalization.normalize_hand` keeps a hand's shape and drops
where the hand is and how large it looks. That is right for the 24 held
letters and wrong for J and Z: Z is an index finger moving along a Z, and
once its position is removed a Z is a D or an X held still (the model read
every Z as X). So each normalized frame keeps its *placement* beside it:
the wrist in units of image height, the palm's size, and whether the hand
was mirrored onto a right hand. :func:`window_motion` turns a window of
placements into the path the wrist took, measured in palm sizes from where
the hand is now and mirrored like the hand is now: the model sees the
motion, and still not where the hand is or how far the camera is.
:func:`hand_speed` says how fast the hand moves, which the transcript uses
to wait for a motion to resolve.

The wrist is kept as the camera saw it, never mirrored frame by frame:
MediaPipe's handedness label can flip between two frames of one hand, and
a path mirrored by each frame's own label would jump across the picture.

Like normalization, this is the only copy: training imports it from here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .normalization import MIN_PALM_SIZE, WRIST, in_image_heights, mirror_sign, palm_size

PLACEMENT_SIZE = 4  # wrist x and y (image-height units, as the camera saw them), palm size, mirror sign
MOTION_SIZE = 3  # wrist x and y from the window's last frame in palm sizes, and the log of the palm's size change
# A real hand moves a few palm sizes within a window; a larger jump is MediaPipe
# losing the hand and finding another thing, which must not dominate the input.
MOTION_LIMIT = 8.0
# Speed is measured between frames this far apart, not between neighbours,
# and is the median joint's: MediaPipe's jitter does not add up over frames
# and rarely moves most joints at once, a motion does both, so a hand held
# still does not look like it moves.
SPEED_SPAN = 6
# A track's first frames are not measured from. MediaPipe's first landmarks of a hand it
# has just found come from the palm detector's box, the next ones from tracking, and the
# two disagree: measured on real hands 50-100 px tall in 640x480 (bench/webcam_motion.py),
# the median speed over a span that holds a track's first frame was 0.07-0.14 palm sizes
# a frame for a hand held still, above MOVING_SPEED in half to 84% of those frames, and
# it fell to a still hand's 0.02 once that frame had left the span. Counted as motion, that
# lock-on "moved" for six frames in a row: a movement, after which the model's Z or J,
# read from the same jump, was written for a hand that never moved.
#
# Past its settling frames, a young track (less than a whole span after them) is measured as soon as two
# of its own frames place each end (YOUNG_END_FRAMES): how far the hand moved since it settled, divided by
# the whole span, as if it had been held where it settled before it was found. A hand the tracker finds in
# the middle of a J or Z, moving, is then seen moving within a few frames: counted still until a whole span
# had followed the settling frames, a 100 px Z found in its last stroke and a 70 px J found in its hook
# never made a movement, and neither was written. Each end is the median of up to ENDPOINT_FRAMES of the
# track's own frames (its first ones, its last ones), so that one frame's jump right after the settling
# ones does not stay in every young span. Measured from one frame at each end, a 50 px I's lock-on jitter
# read as two moving frames; the Transcript then did not take that I for the shape held before the J
# drawn from it, and wrote the J, read as Z, as Z (bench/webcam_motion.py --paths image640-full).
# Measured over the frames there were instead of the whole span, a held hand whose landmarks were still
# settling (its zoomed view resizing about it) moved too: a held 100 px I, which the model read as Z from
# its lock-on jump, was written "ZI" (bench/webcam_motion.py --fold all; docs/model.md, "A hand found in
# the middle of its motion", "The ends of the issue's range of speeds and sizes").
SETTLE_FRAMES = 2
# Each end of the span is where each joint was in the median of this many frames ending there: a small
# hand's landmarks jump for a frame now and then (held real hands 50 px tall: 6-12% of frames over
# MOVING_SPEED, bench/webcam_motion.py), and one frame's jump must not make a held hand move, neither
# when the jump is the span's last frame nor when it is its first. A steady movement gives the speed it
# gave before: the median of three frames of a steady path is the middle one.
ENDPOINT_FRAMES = 3
YOUNG_END_FRAMES = 2  # a young track is still until this many of its own frames can place each end


def hand_placement(
    landmarks: ArrayLike, *, handedness: str | None = "Right", aspect: float = 1.0
) -> NDArray[np.float32]:
    """Wrist position, palm size and mirror sign of raw MediaPipe landmarks ``(..., 21, 3)``: ``(..., 4)``.

    Units follow :func:`~signify.recognition.normalization.normalize_hand`: x is
    multiplied by ``aspect`` (width / height). The sign is -1 for a hand
    labelled 'Left', which normalization mirrors onto a right hand, else 1.
    """
    return placed(in_image_heights(landmarks, aspect), mirror_sign(handedness))


def placed(points: NDArray[np.float32], signs: float | NDArray[np.float32]) -> NDArray[np.float32]:
    """:func:`hand_placement` of hands already in image heights, with their mirror signs (one, or one per hand)."""
    palm = palm_size(points)
    placement = np.empty((*palm.shape, PLACEMENT_SIZE), dtype=np.float32)
    placement[..., :2] = points[..., WRIST, :2]
    placement[..., 2] = palm
    placement[..., 3] = signs
    return placement


def window_motion(placements: ArrayLike) -> NDArray[np.float32]:
    """The wrist's path over a window of placements ``(..., time, 4)``, as the model reads it: ``(..., time, 3)``.

    Per frame: the wrist's x and y minus the last frame's, divided by the
    window's median palm size, x mirrored if the last frame's hand is, and
    the log of the palm's size over that median (the hand coming closer or
    going away). A window of a hand held still is all zeros, wherever the
    hand is and however large.
    """
    places = np.asarray(placements, dtype=np.float32)
    if places.shape[-1] != PLACEMENT_SIZE or places.ndim < 2:
        raise ValueError(f"expected (..., time, {PLACEMENT_SIZE}) placements, got {places.shape}")
    if places.shape[-2] == 0:
        return np.zeros((*places.shape[:-1], MOTION_SIZE), dtype=np.float32)
    palm = np.maximum(places[..., 2], MIN_PALM_SIZE)
    scale = np.median(palm, axis=-1, keepdims=True)
    path = (places[..., :2] - places[..., -1:, :2]) / scale[..., None]
    path[..., 0] *= places[..., -1:, 3]
    depth = np.log(palm / scale)
    motion: NDArray[np.float32] = np.concatenate([path, depth[..., None]], axis=-1)
    return np.clip(motion, -MOTION_LIMIT, MOTION_LIMIT).astype(np.float32)


def hand_speed(shapes: ArrayLike, placements: ArrayLike, span: int = SPEED_SPAN, settle: int = 0) -> float:
    """How fast the hand moved lately, in palm sizes per frame: 0 for fewer than two frames (or, settling, below).

    ``shapes`` are normalized hands ``(time, 21, 3)`` and ``placements``
    their placements ``(time, 4)``. Every joint's place in the picture is
    rebuilt from the two, so a hand that turns (J) moves as much as one that
    travels (Z); the speed is the median joint's distance between the
    span's two ends, ``span`` frames apart, divided by the frames between
    and the palm size. Each end is where each joint was in the median of
    the :data:`ENDPOINT_FRAMES` frames that end there (fewer in a window too
    short for them), so that one frame's jump moves no held hand.

    ``settle`` frames at the window's start are a track settling, not
    motion (:data:`SETTLE_FRAMES`; a window shorter than the buffer starts
    where its track started): they are never measured from. Until a whole
    span (``span + 1`` frames) has followed them, the hand is still until
    :data:`YOUNG_END_FRAMES` of the frames after them can place each end
    (twice as many frames in all), then measured over
    those there are as if it had been held where it settled for the rest
    of the span: how far it moved between the median of its first frames
    and that of its last (up to :data:`ENDPOINT_FRAMES` each, half the
    frames at most), divided by the whole span. Once ``span +
    ENDPOINT_FRAMES`` have followed them they change nothing.
    """
    return float(hand_speeds(shapes, placements, span, settle))


def hand_speeds(
    shapes: ArrayLike, placements: ArrayLike, span: int = SPEED_SPAN, settle: int = 0
) -> NDArray[np.float32]:
    """:func:`hand_speed` of windows of one length at once: ``(..., time, 21, 3)``, ``(..., time, 4)`` -> ``(...)``."""
    hands = np.asarray(shapes, dtype=np.float32)
    places = np.asarray(placements, dtype=np.float32)
    if hands.shape[:-2] != places.shape[:-1]:
        raise ValueError(f"shapes {hands.shape} do not match placements {places.shape}")
    young = False  # less than a whole span after the settling frames
    if settle > 0:
        hands, places = hands[..., settle:, :, :], places[..., settle:, :]
        young = hands.shape[-3] <= span
    time = hands.shape[-3]
    if time < 2:
        return np.zeros(hands.shape[:-3], dtype=np.float32)
    if young:  # from where it settled: its first frames place one end, its last the other
        kept = min(ENDPOINT_FRAMES, time // 2)  # frames that place each end
        if kept < YOUNG_END_FRAMES:
            return np.zeros(hands.shape[:-3], dtype=np.float32)  # a lone frame would place an end: still
        frames = time - kept
    else:
        frames = min(span, time - 1)
        kept = min(ENDPOINT_FRAMES, time - frames)
    early, late = slice(time - frames - kept, time - frames), slice(time - kept, time)
    shape = np.concatenate([hands[..., early, :, :2], hands[..., late, :, :2]], axis=-3)  # (..., 2 * kept, 21, 2)
    where = np.concatenate([places[..., early, :], places[..., late, :]], axis=-2)  # (..., 2 * kept, 4)
    shape[..., 0] *= where[..., 3, None]  # each hand as the camera saw it, whatever its label
    joints = where[..., None, :2] + shape * where[..., 2, None, None]
    ends = _middle(joints.reshape(*joints.shape[:-3], 2, kept, *joints.shape[-2:]))  # (..., 2, 21, 2)
    palm = np.maximum(np.median(places[..., -1 - frames :, 2], axis=-1), MIN_PALM_SIZE)
    moved = np.median(np.linalg.norm(ends[..., 1, :, :] - ends[..., 0, :, :], axis=-1), axis=-1)
    speeds: NDArray[np.float32] = (moved / ((span if young else frames) * palm)).astype(np.float32)
    return speeds


def _middle(values: NDArray[np.float32]) -> NDArray[np.float32]:
    """The median over axis -3 of at most :data:`ENDPOINT_FRAMES` values, without a sort (``np.median``'s cost)."""
    count = values.shape[-3]
    if count == 1:
        return values[..., 0, :, :]
    if count == 2:
        mean: NDArray[np.float32] = values.mean(axis=-3, dtype=np.float32)
        return mean
    if count != 3:
        raise ValueError(f"expected at most 3 values, got {count}")
    a, b, c = values[..., 0, :, :], values[..., 1, :, :], values[..., 2, :, :]
    return np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
