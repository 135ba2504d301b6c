"""One release from files to a served model: every check of :mod:`.checks`, in order, or a refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..recognition.model import LetterModel, ModelCard, ModelError
from ..recognition.normalization import NUM_LANDMARKS
from ..recognition.trajectory import MOTION_SIZE
from .checks import check_labels, check_outputs, check_probabilities, check_sha256, sha256_hex

WARM_UP_SEED = 0


def load_release(path: Path, max_frames: int) -> LetterModel:
    """Read, verify, load and warm up the model at ``path`` (its card beside it); raise a ``ModelError`` naming
    the check that refused it. The bytes that were hashed are the bytes onnxruntime loads."""
    card_path = path.with_suffix(".json")
    if not card_path.is_file():
        raise ModelError(f"model card {card_path.name} not found beside {path.name}", "card")
    card = ModelCard.read(card_path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"model file {path} cannot be read: {exc.strerror or exc}", "file") from None
    check_sha256(sha256_hex(data), card.sha256)
    check_labels(card.labels)
    model = LetterModel(path, data=data, card=card)
    check_outputs(model.output_names)
    warm_up_check(model, max_frames)
    return model


def warm_up_check(model: LetterModel, max_frames: int) -> float:
    """Run every window length once (so the first client pays nothing), then a full window alone and in a batch
    of two; each answer must be finite probabilities. Returns the seconds it took."""
    try:
        seconds = model.warm_up(max_frames)
        rng = np.random.default_rng(WARM_UP_SEED)
        hands = rng.normal(0.0, 0.5, size=(2, max_frames, NUM_LANDMARKS, 3)).astype(np.float32)
        motion = rng.normal(0.0, 1.0, size=(2, max_frames, MOTION_SIZE)).astype(np.float32)
        single = model.predict(hands[0], motion[0]).probabilities[None]
        batch = np.stack([scores.probabilities for scores in model.predict_batch(hands, motion)])
    except ModelError:
        raise
    except Exception as exc:  # onnxruntime's own exception types: a graph that fails at run time
        raise ModelError(f"warm-up window failed: {exc}", "warm_up") from None
    check_probabilities(single, len(model.card.labels))
    check_probabilities(batch, len(model.card.labels))
    return seconds
