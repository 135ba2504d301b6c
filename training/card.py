"""The model card written beside the ONNX file: what the server and a reader need to know."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from signify.calibration.adaptation import Anchors
from signify.models.checks import sha256_hex

from .donations import DONATION_FOLDS
from .fit import FitSettings
from .scores import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED
from .sources import ASL_AI_ASPECT, HELD_PHOTO_FRAMES, LETTERS, PHOTO_RESHOOTS
from .transcripts import (
    LEAVING_FRAMES,
    REPEAT_HOLD_FRAMES,
    REPEAT_PAUSE_FRAMES,
    REPEAT_RETURN_FRAMES,
    REPEATS,
)

MODEL_NAME = "asl-lstm"
MODEL_VERSION = "3.5.0"

DATA_SOURCES = [
    {
        "name": "asl-ai",
        "what": "MediaPipe hand landmarks of one signer's webcam, about 400 consecutive frames per letter A-Z",
        "licence": "MIT",
        "url": "https://github.com/borisgraudt/asl-ai (data/raw_gestures)",
        "conventions": f"image-normalized x and y; taken as right hands from a 4:3 camera (aspect {ASL_AI_ASPECT:.3f})",
    },
    {
        "name": "asl-translator-landmarks",
        "what": "1,022 wrist-relative landmark rows of a second signer, 25 letters (no Q)",
        "licence": "MIT (stated in its README)",
        "url": "https://github.com/nejohnson2/real-time-asl-translator",
        "conventions": "taken as right hands from a 4:3 camera; that choice matched the photos best",
    },
    {
        "name": "roboflow-asl-letters",
        "what": "1,512 photos (504 originals x 3 augmentations) of letters A-Z by several signers",
        "licence": "Public Domain (Roboflow Universe, 'American Sign Language Letters', David Lee)",
        "url": "https://github.com/dnth/yolov5-deepsparse-blogpost",
        "conventions": (
            "landmarks extracted with the server's own decode and MediaPipe Hands settings (video mode): each "
            f"photo is shown to a reset tracker as {HELD_PHOTO_FRAMES} identical frames, like a photo held before "
            "the server's camera, so the first frame comes from the palm detector and the rest from tracking. "
            "Done once at each MEDIAPIPE_MODEL_COMPLEXITY (0 and 1): training sees both; samples counts photos "
            "with a hand at complexity 0. "
            f"Training also sees the first-frame landmarks of {PHOTO_RESHOOTS} random re-shoots of "
            "every photo (turned up to 25 degrees, zoomed 0.75-1.15x, shifted, mirrored at 50%, relit); "
            "evaluation scores the photos themselves only"
        ),
    },
]

NORMALIZATION = (
    "signify.recognition.normalization.normalize_hand, shared with the server: x and z multiplied by the image's "
    "width/height, wrist moved to the origin, divided by the mean wrist-to-knuckle distance (joints 5, 9, 13, 17), "
    "and hands MediaPipe labels 'Left' mirrored in x onto right hands."
)


MOTION = (
    "signify.recognition.trajectory.window_motion of signify.recognition.trajectory.hand_placement, shared with the "
    "server: per frame the "
    "wrist's x and y (x times width/height, mirrored like the hand) minus the window's last frame's, divided by the "
    "window's median palm size, and the log of the palm size over that median; clipped to +-8. All zeros for a "
    "hand held still."
)
MOTION_SYNTHESIS = (
    "J and Z from every source's starting handshapes (I; D and G) moved along J paths (down, then a hook to the "
    "side and up, the forearm turning 50-120 degrees and the hand up to 90 degrees in the picture, either way) "
    "and Z paths (three strokes; a third of them asl-ai's real "
    "Z paths); a J 0.5-2 hand heights tall (drawn evenly), a parametric Z 0.4-2 across its larger side (evenly on "
    "a log scale), a real one 0.7-1.4 times its size; 0.4-1.5 s, eased, turned up to 20 degrees, either "
    "direction, 0-12 still frames before and after; a window holds at least half the motion. Of J and Z windows "
    "60% are synthesized. "
    "Held letters are held still (50%), drifting and swaying (35%) or making one straight move (15%); the "
    "starting shapes and X move more often (70%): a hand that drifts or moves straight keeps its letter. "
    "A quarter of the held letters' windows from poses (J and Z never) begin with another held letter "
    "that the hand changes from, in place, over 0-6 frames, and end holding the letter for at least 3 "
    "frames: in a spelled word a change of shape is not a J or a Z."
)

EVALUATION_NOTE = (
    "Each split is scored by a model that never saw the scored data. photos_held_out_originals: "
    "3-fold split of the photos by original (all augmented copies and re-shoots of a photo on one side), "
    "trained with the rest, landmarks at MediaPipe model complexity 0 "
    "(the lite model, every image session's under load); "
    "photos_held_out_originals_complexity_1: the same folds and models, landmarks at complexity 1; "
    "photos_held_out_originals_first_frame: the same folds and models at complexity 0, each photo "
    "scored from its first frame alone (the palm detector's landmarks, held still), as models up to "
    "2.1.0 were scored; "
    "photos_unseen_source: trained without any photo, scored at complexity 0; signer2_unseen_source: "
    "trained without the second signer's rows; asl_ai_held_out_motion: full 32-frame windows from "
    "the last fifth of every asl-ai recording (J and Z in motion), trained on the first four fifths; "
    "asl_ai_unseen_signer_motion: full 32-frame windows of asl-ai's J, Z, I, D, G and X recordings, "
    "scored by a model trained without asl-ai (its J and Z synthesized from the other sources only). "
    "motion_takes_held_out_photos: the held-out photos' I, D and G hands (complexity 0, the last frame "
    "of each photo) each drawing two synthesized J or Z takes, and their I, D, G and X hands drifting "
    "(under 0.025 palm sizes per frame, swaying up to 0.1) for 45 frames, two takes each; every take "
    "played frame by frame through the server's own Recognizer (ONNX model, smoother, transcript) on "
    "a fresh session, and scored by what it committed: recall (the letter committed), false_commits "
    "(a starting shape, or the other motion letter, for J and Z takes; J or Z for drifting ones) and "
    "exact (nothing but the letter). "
    "motion_takes_held_out_photos_repeated: the same hands' J and Z takes (other draws), each signed "
    f"{REPEATS} times in a row: the end held {REPEAT_PAUSE_FRAMES[0]}-{REPEAT_PAUSE_FRAMES[1]} frames, the "
    f"hand back to where it began over {REPEAT_RETURN_FRAMES[0]}-{REPEAT_RETURN_FRAMES[1]} frames (its turn "
    f"undone), held {REPEAT_HOLD_FRAMES[0]}-{REPEAT_HOLD_FRAMES[1]} frames, the same motion again; recall is "
    "the letter written that many times in a row, exact nothing else. "
    "Every take and word ends with its hand lowered: the last hand seen "
    f"moving down for {LEAVING_FRAMES[0]}-{LEAVING_FRAMES[1]} frames, faster each frame, then no hand for a word gap. "
    "words_held_out_photos: in each fold 100 words of 4 to 6 held letters (no J or Z, no letter twice "
    "in a row), each letter one held-out photo's hand (complexity 0, its last frame) held 30-40 frames, "
    "changing into the next over 0-6 frames, played through the Recognizer the same way: recall and "
    "exact (the word written), false_commits (a J or Z written); each word is its own group. "
    "words_held_out_photos_brisk: the same with other words, each letter held 15-18 frames (about two "
    "letters a second). "
    "words_with_motion_held_out_photos (and _brisk): other words made the same way, one letter of each "
    "(anywhere) a J or Z drawn as the takes draw them from a held-out I, D or G hand: that shape held "
    "half a letter, the motion, its end held half a letter, then the change into the next letter where "
    "the motion left the hand; recall and exact (the word written), false_commits (the other motion "
    "letter written). "
    f"A photo is scored on the window of its {HELD_PHOTO_FRAMES} tracked frames, which is what the "
    "server answers from when the photo is held before its camera; a one-frame pose (a landmark row, a "
    "first frame) as 16 identical frames. "
    "samples counts the scored answers, groups the independent units behind them: original photos "
    "(the set's three augmented copies of an original are one group), landmark rows, asl-ai "
    "recordings. Every *_95 is a 95% interval from a bootstrap that resamples whole groups "
    f"({BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}): how far the figure could move with "
    "other photos of the same kind; null where a figure rests on a single group (one recording of "
    "a letter)."
)

DONATION_SOURCE = {
    "name": "donations",
    "what": "calibration windows that users of the server chose to donate (PROTOCOL.md, Donation (opt-in)), "
            "under random contributor ids",
    "licence": "given by their contributors for training this model",
    "url": None,
    "conventions": (
        "stored by the server as its model read them: normalize_hand keypoints and hand_placement placements of up "
        "to the server's buffer size of frames; each window is one recording of its letter, and sequence windows "
        "draw a source first, then one of its recordings"
    ),
}

DONATION_EVALUATION_NOTE = (
    f"donations_held_out_contributors: contributors hashed (SHA-256 of the id) into {DONATION_FOLDS} folds, those "
    "that hold anyone kept; each fold's model "
    "trained on all three sources and the other folds' donations, and each of the fold's donated windows scored "
    "once, as it was stored; groups are contributors."
)


def evaluation_note(evaluation: dict[str, Any]) -> str:
    """How the card's figures were made: every split's, and the donors' when they were held out."""
    if "donations_held_out_contributors" in evaluation:
        return EVALUATION_NOTE + " " + DONATION_EVALUATION_NOTE
    return EVALUATION_NOTE


def write_card(
    model_path: Path,
    settings: FitSettings,
    evaluation: dict[str, dict[str, Any]],
    *,
    parity: float,
    quantization: dict[str, Any],
    seconds: float,
    command: str,
    samples: dict[str, int],
    donations: dict[str, int] | None = None,
    anchors: Anchors | None = None,
) -> None:
    """Write ``<model>.json`` beside the exported ``model_path``, with the file's sha256.

    ``parity``: the float graph's largest difference from PyTorch; ``quantization``: how its learned
    layers were quantized, and what that changed (:func:`training.export.quantization_effect`).

    ``anchors``: the model's generic example of every letter, which a
    user's calibration fits with (:mod:`signify.calibration.adaptation`).

    ``donations`` (``windows`` and ``contributors``) when donated windows
    went into training; without them the card says nothing of donations.
    """
    sources = [{**source, "samples": samples.get(source["name"])} for source in DATA_SOURCES]
    trained_on = "all three sources; the evaluation models below each left data out"
    if donations is not None:
        sources.append({**DONATION_SOURCE, "samples": donations["windows"], "contributors": donations["contributors"]})
        trained_on = (f"all three sources and {donations['windows']} donated windows from "
                      f"{donations['contributors']} contributors; the evaluation models below each left data out")
    note = evaluation_note(evaluation)
    card = {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        # The server serves a release only if its file has this digest (signify.models.checks).
        "sha256": sha256_hex(model_path.read_bytes()),
        "labels": list(LETTERS),
        "input": {
            "name": "keypoints",
            "shape": ["batch", "time", 21, 3],
            "dtype": "float32",
            "max_frames": settings.max_frames,
            "normalization": NORMALIZATION,
        },
        "motion_input": {
            "name": "motion",
            "shape": ["batch", "time", 3],
            "dtype": "float32",
            "computation": MOTION,
        },
        "output": {"name": "probabilities", "shape": ["batch", 26], "kind": "probabilities"},
        "embedding_output": {
            "name": "embedding",
            "shape": ["batch", settings.hidden],
            "what": "the LayerNorm output the last Linear reads, at the window's last frame: what a user's "
                    "calibration adapts on (signify.calibration); the probabilities do not depend on it",
        },
        "architecture": (
            "per frame: 63 coordinates, their 63 frame-to-frame velocities, the 210 distances between every two "
            "joints, and the 3 motion values with their velocities "
            f"-> Linear({settings.embedding}) + GELU -> Linear({settings.hidden}) + GELU; "
            f"LSTM({settings.hidden}); LayerNorm + Linear(26) on the last step; softmax in the graph"
        ),
        "data": sources,
        "training": {
            "command": command,
            "settings": asdict(settings),
            "seconds": seconds,
            "framework": "PyTorch (CPU), exported to ONNX opset 17, learned layers quantized to int8",
            "float_onnx_vs_pytorch_max_abs_diff": parity,
            "quantization": quantization,
            "shipped_model_trained_on": trained_on,
            "motion": MOTION_SYNTHESIS,
        },
        "evaluation": {
            "note": note,
            **evaluation,
        },
        "confusion_matrix_png": model_path.with_suffix(".confusion.png").name,
    }
    if anchors is not None:
        card["calibration_anchors"] = {
            "what": "per letter, the mean embedding of the training photos (held still) and the mean of their "
                    "log-probabilities: the generic examples a calibration fits with, so that letters a user "
                    "did not calibrate stay reachable",
            "embeddings": np.round(anchors.embeddings, 5).tolist(),
            "log_probabilities": np.round(anchors.log_probabilities, 5).tolist(),
        }
    model_path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
