"""ASL letter handshapes as 21-point skeletons taken from real signers.

Each shape is the MediaPipe Hands landmarks (0.10.21, static image mode,
model complexity 1) of one photo in the public-domain Roboflow "American
Sign Language Letters" set (``train/images``; the file is named below).
Photos MediaPipe labelled as a left hand are mirrored onto the right hand,
as :func:`signify.recognition.normalization.normalize_hand` does. Coordinates are
square units (MediaPipe x and z times the photo's width/height), wrist at
the origin, rounded to 3 decimals; x right, y down, z smaller = nearer the
camera. The shapes are embedded so that tests never read the data set.

How each photo was chosen: among the letter's photos that the shipped model
``models/asl-lstm.onnx`` (2.2.0) scores above 0.9, and among 8-20 of the most
different asl-ai webcam frames (github.com/borisgraudt/asl-ai, MIT) of that
letter, the one whose *drawing* (:mod:`testkit.skeleton_drawing`) MediaPipe
found and the model read as the letter most often, over 24 video-mode frames
at hand lengths of 200, 100 and 70 px. Photos won: the asl-ai signer holds D
and O side-on, which a flat drawing cannot tell from the other hand.

J and Z are motions: J is the I handshape moving; Z starts from the
index-pointing handshape, D here (:data:`INDEX_POINTING`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def _shape(*rows: tuple[float, float, float]) -> NDArray[np.float64]:
    shape = np.array(rows, dtype=np.float64)
    shape.setflags(write=False)  # shared module constants: nobody may edit them in place
    return shape


LETTER_SHAPES: dict[str, NDArray[np.float64]] = {
    # pinky up, the other fingers curled, thumb across them:
    # roboflow-asl-letters train/images/I23_jpg.rf.a8c38824ead79c16249bb349ad48cc45.jpg
    "I": _shape(
        (0.000, 0.000, 0.000),
        (-0.112, -0.040, -0.119),
        (-0.160, -0.166, -0.184),
        (-0.073, -0.234, -0.231),
        (0.049, -0.227, -0.258),
        (-0.103, -0.324, -0.149),
        (-0.122, -0.396, -0.231),
        (-0.119, -0.284, -0.245),
        (-0.101, -0.249, -0.246),
        (0.006, -0.336, -0.122),
        (0.014, -0.415, -0.210),
        (-0.011, -0.279, -0.203),
        (-0.007, -0.271, -0.183),
        (0.096, -0.315, -0.110),
        (0.100, -0.340, -0.206),
        (0.050, -0.225, -0.185),
        (0.024, -0.205, -0.149),
        (0.186, -0.277, -0.105),
        (0.227, -0.390, -0.171),
        (0.264, -0.443, -0.175),
        (0.294, -0.530, -0.166),
    ),
    # index hooked, the others curled:
    # roboflow-asl-letters train/images/X21_jpg.rf.6d5aa7c163e8126919e743c328757527.jpg
    # (mirrored: MediaPipe saw a left hand)
    "X": _shape(
        (-0.000, 0.000, 0.000),
        (-0.135, -0.073, 0.016),
        (-0.232, -0.172, -0.016),
        (-0.312, -0.250, -0.063),
        (-0.289, -0.289, -0.110),
        (-0.059, -0.352, -0.026),
        (-0.094, -0.467, -0.088),
        (-0.170, -0.514, -0.116),
        (-0.238, -0.523, -0.129),
        (-0.001, -0.345, -0.072),
        (-0.222, -0.357, -0.152),
        (-0.224, -0.239, -0.151),
        (-0.174, -0.208, -0.129),
        (0.023, -0.305, -0.120),
        (-0.198, -0.295, -0.198),
        (-0.192, -0.196, -0.169),
        (-0.134, -0.179, -0.130),
        (0.029, -0.242, -0.167),
        (-0.148, -0.244, -0.207),
        (-0.154, -0.179, -0.176),
        (-0.110, -0.158, -0.143),
    ),
    # index straight up, the others curled to meet the thumb:
    # roboflow-asl-letters train/images/D6_jpg.rf.77a2c550063bcf698e4ad12498fdd339.jpg
    "D": _shape(
        (0.000, 0.000, 0.000),
        (-0.083, -0.079, -0.075),
        (-0.084, -0.193, -0.112),
        (0.045, -0.217, -0.144),
        (0.160, -0.200, -0.171),
        (-0.014, -0.322, -0.074),
        (0.006, -0.442, -0.131),
        (0.023, -0.508, -0.165),
        (0.044, -0.568, -0.191),
        (0.085, -0.302, -0.070),
        (0.125, -0.363, -0.146),
        (0.094, -0.270, -0.163),
        (0.075, -0.218, -0.159),
        (0.158, -0.261, -0.075),
        (0.223, -0.337, -0.149),
        (0.185, -0.269, -0.145),
        (0.158, -0.230, -0.123),
        (0.212, -0.203, -0.087),
        (0.264, -0.274, -0.142),
        (0.249, -0.262, -0.143),
        (0.231, -0.246, -0.131),
    ),
    # index and middle together, pointing sideways:
    # roboflow-asl-letters train/images/H9_jpg.rf.8ff9debc87f4e7a471620ebb53781ff7.jpg
    # (mirrored: MediaPipe saw a left hand)
    "H": _shape(
        (-0.000, 0.000, 0.000),
        (-0.045, -0.142, 0.042),
        (-0.181, -0.196, 0.067),
        (-0.301, -0.164, 0.091),
        (-0.363, -0.102, 0.117),
        (-0.259, -0.184, -0.009),
        (-0.460, -0.217, -0.005),
        (-0.568, -0.225, 0.008),
        (-0.652, -0.221, 0.022),
        (-0.299, -0.086, -0.018),
        (-0.501, -0.139, -0.010),
        (-0.627, -0.167, 0.007),
        (-0.717, -0.173, 0.023),
        (-0.313, 0.004, -0.016),
        (-0.439, -0.052, 0.011),
        (-0.390, -0.080, 0.054),
        (-0.333, -0.079, 0.090),
        (-0.306, 0.079, -0.013),
        (-0.400, 0.021, 0.024),
        (-0.367, -0.009, 0.068),
        (-0.320, -0.003, 0.106),
    ),
    # fingertips curled down onto the thumb:
    # roboflow-asl-letters train/images/E19_jpg.rf.8fbfc3b0366982613362c159365d1184.jpg
    "E": _shape(
        (0.000, 0.000, 0.000),
        (-0.052, -0.070, -0.039),
        (-0.045, -0.150, -0.060),
        (0.032, -0.171, -0.081),
        (0.106, -0.148, -0.096),
        (-0.007, -0.215, -0.029),
        (0.010, -0.278, -0.066),
        (-0.008, -0.223, -0.087),
        (-0.016, -0.184, -0.099),
        (0.053, -0.204, -0.027),
        (0.077, -0.273, -0.062),
        (0.052, -0.210, -0.069),
        (0.043, -0.173, -0.069),
        (0.105, -0.181, -0.033),
        (0.141, -0.250, -0.066),
        (0.104, -0.203, -0.058),
        (0.084, -0.169, -0.048),
        (0.151, -0.147, -0.043),
        (0.178, -0.207, -0.063),
        (0.145, -0.188, -0.058),
        (0.121, -0.163, -0.051),
    ),
    # thumb and index at a right angle:
    # roboflow-asl-letters train/images/L24_jpg.rf.e1fd0f2c2677c998fba3c3dccb7e5ff2.jpg
    "L": _shape(
        (0.000, 0.000, 0.000),
        (-0.061, -0.047, -0.031),
        (-0.106, -0.113, -0.051),
        (-0.146, -0.162, -0.072),
        (-0.187, -0.188, -0.094),
        (-0.006, -0.169, -0.021),
        (0.000, -0.231, -0.048),
        (0.008, -0.266, -0.067),
        (0.021, -0.297, -0.083),
        (0.043, -0.154, -0.027),
        (0.057, -0.207, -0.070),
        (0.025, -0.165, -0.083),
        (0.008, -0.136, -0.084),
        (0.084, -0.124, -0.037),
        (0.104, -0.175, -0.083),
        (0.064, -0.134, -0.078),
        (0.041, -0.103, -0.063),
        (0.119, -0.083, -0.051),
        (0.147, -0.123, -0.082),
        (0.111, -0.108, -0.077),
        (0.082, -0.089, -0.068),
    ),
    # fingertips meeting the thumb in a ring:
    # roboflow-asl-letters train/images/O15_jpg.rf.db2897d07d4dd56509113e0766611142.jpg
    # (mirrored: MediaPipe saw a left hand)
    "O": _shape(
        (-0.000, 0.000, 0.000),
        (-0.082, -0.102, 0.026),
        (-0.102, -0.197, 0.034),
        (-0.125, -0.274, 0.023),
        (-0.101, -0.331, 0.012),
        (0.032, -0.256, 0.079),
        (0.047, -0.356, 0.053),
        (-0.015, -0.367, 0.021),
        (-0.064, -0.344, 0.002),
        (0.064, -0.253, 0.044),
        (0.081, -0.372, 0.011),
        (0.002, -0.386, -0.025),
        (-0.057, -0.348, -0.046),
        (0.095, -0.244, 0.002),
        (0.106, -0.367, -0.028),
        (0.018, -0.380, -0.054),
        (-0.046, -0.347, -0.065),
        (0.113, -0.226, -0.038),
        (0.085, -0.323, -0.061),
        (0.016, -0.341, -0.073),
        (-0.040, -0.323, -0.078),
    ),
}

# The start shape of Z (index straight up, the others curled): the model has
# no separate "1", and reads this shape as D.
INDEX_POINTING = LETTER_SHAPES["D"]

# The letters whose shape is a motion, and the static shape each starts from.
MOTION_START = {"J": "I", "Z": "D"}


def letter_shape(letter: str) -> NDArray[np.float64]:
    """The skeleton of a letter (J and Z give their start shapes, I and D); raises KeyError for others."""
    key = letter.upper()
    return LETTER_SHAPES[MOTION_START.get(key, key)]
