"""What calibration costs: the per-frame adaptation, fitting a full profile, and the profile's size.

Measured in this process on the real model's embeddings, single-threaded,
as a session's worker thread runs them.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from signify.calibration.adaptation import fit_adaptation
from signify.calibration.profile import MAX_EXAMPLES_PER_LETTER, Profile, decode_profile, encode_profile
from signify.recognition.model import LetterModel

SCORED_FRAMES = 20_000
FITS = 20


def calibration_costs(model_path: Path) -> dict[str, Any]:
    """Median costs in microseconds and milliseconds, and the full profile's size in characters."""
    model = LetterModel(model_path)
    size = model.embedding_size
    if size is None:
        return {"available": False}
    rng = np.random.default_rng(0)
    classes = len(model.card.labels)
    scored = [model.predict(rng.normal(0, 0.5, (32, 21, 3)).astype(np.float32)) for _ in range(classes)]
    labels = np.repeat(np.arange(classes), MAX_EXAMPLES_PER_LETTER)
    embeddings = np.stack([scored[label].embedding for label in labels]).astype(np.float32)
    embeddings += rng.normal(0, 0.3, embeddings.shape).astype(np.float32)
    log_probabilities = np.stack([np.log(np.maximum(scored[label].probabilities, 1e-30)) for label in labels])
    profile = Profile(model.card.name, model.card.version, labels, embeddings, log_probabilities.astype(np.float32))
    text = encode_profile(profile)
    fits = []
    for _ in range(FITS):
        started = time.perf_counter()
        profile = decode_profile(text, model.card.name, model.card.version, classes, size)
        adaptation = fit_adaptation(profile, model.card.anchors)
        fits.append(time.perf_counter() - started)
    probabilities, embedding = scored[0].probabilities, scored[0].embedding
    assert embedding is not None
    started = time.perf_counter()
    for _ in range(SCORED_FRAMES):
        adaptation.adapt(probabilities, embedding)
    per_frame = (time.perf_counter() - started) / SCORED_FRAMES
    return {
        "available": True,
        "adapt_per_frame_us": round(per_frame * 1e6, 1),
        "profile_fit_ms_median": round(float(np.median(fits)) * 1e3, 1),
        "profile_fit_ms_max": round(max(fits) * 1e3, 1),
        "full_profile_examples": len(labels),
        "full_profile_chars": len(text),
        "anchors": model.card.anchors is not None,
    }
