"""ONNX export, checked against PyTorch with the same onnxruntime settings the server uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from signify.recognition.model import EMBEDDING_OUTPUT, KEYPOINTS_INPUT, MOTION_INPUT, PROBABILITIES_OUTPUT, LetterModel
from signify.recognition.trajectory import MOTION_SIZE

from .network import LetterLSTM, ProbabilityModel
from .sources import LETTERS

OPSET = 17
PARITY_TOLERANCE = 1e-4


def export_onnx(network: LetterLSTM, path: Path) -> None:
    """Write ``keypoints [batch, time, 21, 3]`` and ``motion [batch, time, 3]`` -> ``probabilities [batch, 26]``
    and ``embedding [batch, 128]``, batch and time axes dynamic."""
    model = ProbabilityModel(network).eval()
    example = (torch.zeros(1, 8, 21, 3), torch.zeros(1, 8, MOTION_SIZE))
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        example,
        str(path),
        input_names=[KEYPOINTS_INPUT, MOTION_INPUT],
        output_names=[PROBABILITIES_OUTPUT, EMBEDDING_OUTPUT],
        dynamic_axes={KEYPOINTS_INPUT: {0: "batch", 1: "time"}, MOTION_INPUT: {0: "batch", 1: "time"},
                      PROBABILITIES_OUTPUT: {0: "batch"}, EMBEDDING_OUTPUT: {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )


def export_for_evaluation(network: LetterLSTM, directory: Path) -> Path:
    """Export ``network`` into ``directory`` with a minimal card, so that the server's own code can load it."""
    path = directory / "model.onnx"
    export_onnx(network, path)
    card = {"name": "evaluation", "version": "0", "labels": list(LETTERS)}
    path.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")
    return path


@torch.no_grad()
def check_parity(network: LetterLSTM, path: Path, seed: int = 0) -> float:
    """Largest difference between PyTorch and the server's ONNX loader over several window lengths."""
    served = LetterModel(path)
    model = ProbabilityModel(network).eval()
    rng = np.random.default_rng(seed)
    worst = 0.0
    for frames in (1, 2, 5, 16, 32, 40):
        window = rng.normal(0, 0.5, size=(frames, 21, 3)).astype(np.float32)
        motion = rng.normal(0, 1.0, size=(frames, MOTION_SIZE)).astype(np.float32)
        probabilities, embedding = model(torch.from_numpy(window[None]), torch.from_numpy(motion[None]))
        # The exported graph computes the joints' differences its own way: checked against training's.
        trained = torch.softmax(network(torch.from_numpy(window[None]), torch.from_numpy(motion[None])), dim=-1)
        worst = max(worst, float(np.abs(trained[0].numpy() - probabilities[0].numpy()).max()))
        scores = served.predict(window, motion)
        assert scores.embedding is not None
        worst = max(worst, float(np.abs(scores.probabilities - probabilities[0].numpy()).max()),
                    float(np.abs(scores.embedding - embedding[0].numpy()).max()))
    if worst > PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX and PyTorch disagree by {worst:.2e}")
    return worst
