"""ONNX export, checked against PyTorch with the same onnxruntime settings the server uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from signify.model import LetterModel

from .network import LetterLSTM, ProbabilityModel

OPSET = 17
PARITY_TOLERANCE = 1e-4


def export_onnx(network: LetterLSTM, path: Path) -> None:
    """Write ``[batch, time, 21, 3] -> [batch, 26]`` probabilities with dynamic batch and time axes."""
    model = ProbabilityModel(network).eval()
    example = torch.zeros(1, 8, 21, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (example,),
        str(path),
        input_names=["keypoints"],
        output_names=["probabilities"],
        dynamic_axes={"keypoints": {0: "batch", 1: "time"}, "probabilities": {0: "batch"}},
        opset_version=OPSET,
        dynamo=False,
    )


@torch.no_grad()
def check_parity(network: LetterLSTM, path: Path, seed: int = 0) -> float:
    """Largest difference between PyTorch and the server's ONNX loader over several window lengths."""
    served = LetterModel(path)
    model = ProbabilityModel(network).eval()
    rng = np.random.default_rng(seed)
    worst = 0.0
    for frames in (1, 2, 5, 16, 32, 40):
        window = rng.normal(0, 0.5, size=(frames, 21, 3)).astype(np.float32)
        expected = model(torch.from_numpy(window[None]))[0].numpy()
        worst = max(worst, float(np.abs(served.predict(window).probabilities - expected).max()))
    if worst > PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX and PyTorch disagree by {worst:.2e}")
    return worst
