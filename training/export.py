"""ONNX export: a float graph checked against PyTorch, shipped with its embedding layers quantized to int8.

The two embedding layers read every frame of every window, and were a
quarter of the model's time. Static quantization stores their weights as
int8 and quantizes what flows into them with fixed ranges, measured once
on windows drawn as training draws them (:func:`quantization_windows`):
their time falls by about 60% (the CPU's int8 dot products) and a
window's answer is the same whatever else shares its batch. The rest
stays float: the joint distances, which must stay exact to a small
fraction of a palm, the normalization and classifier, which cost little,
and the LSTM, which onnxruntime quantizes only dynamically, with one
activation range for the whole batch: that made one client's answer
depend on the other clients' windows scored with it (a hand 50 times too
large moved another window's probabilities by up to 0.69), which a
server that batches many users' windows must not allow. Every held-out
figure on the card is taken through the quantized file (:func:`served`),
so the card scores what ships.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from numpy.typing import NDArray
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from signify.recognition.model import (
    EMBEDDING_OUTPUT,
    KEYPOINTS_INPUT,
    MOTION_INPUT,
    PROBABILITIES_OUTPUT,
    LetterModel,
    ModelCard,
)
from signify.recognition.trajectory import MOTION_SIZE

from .evaluate import answers
from .network import LetterLSTM, ProbabilityModel
from .sources import LETTERS, Poses, Sequences
from .windows import Window, WindowSet, pad, sample_windows

OPSET = 17
PARITY_TOLERANCE = 1e-4
# The exported graph's nodes are named after the modules that made them: the embedding layers' products
# are the ones quantized.
QUANTIZED_LAYERS = "/embed/"
RANGE_WINDOWS = 4096
RANGE_SEED = 7
RANGE_BATCH = 256
QUANTIZATION = {
    "method": "onnxruntime static quantization (QDQ): int8 weights, activations quantized with fixed ranges "
              f"(minimum and maximum over {RANGE_WINDOWS} windows drawn as training draws them)",
    "quantized": "the two embedding layers' matrix products",
    "float": "the joint distances and velocities, the LSTM, the LayerNorm and the classifier",
}


def quantization_windows(sequences: list[Sequences], poses: list[Poses], max_frames: int,
                        sequence_share: float) -> WindowSet:
    """The windows the quantizer measures activation ranges on: drawn from a network's training data as
    :func:`training.fit.fit` draws them (held, drifting and moving letters, synthesized J and Z)."""
    rng = np.random.default_rng(RANGE_SEED)
    return sample_windows(sequences, poses, RANGE_WINDOWS, max_frames, rng, sequence_share=sequence_share)


def export_onnx(network: LetterLSTM, path: Path, ranges_from: WindowSet) -> float:
    """Write ``keypoints [batch, time, 21, 3]`` and ``motion [batch, time, 3]`` -> ``probabilities [batch, 26]``
    and ``embedding [batch, 128]``, batch and time axes dynamic, its embedding layers quantized on the ranges
    ``ranges_from`` spans.

    Returns the float graph's largest difference from PyTorch (:func:`check_parity`), checked before
    it is quantized: what quantization changes is measured on real hands by :func:`quantization_effect`.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="signify-export-") as scratch:
        float_path = Path(scratch) / "float.onnx"
        _export_float(network, float_path)
        parity = check_parity(network, float_path)
        quantize(float_path, path, ranges_from)
    return parity


def _export_float(network: LetterLSTM, path: Path) -> None:
    model = ProbabilityModel(network).eval()
    example = (torch.zeros(1, 8, 21, 3), torch.zeros(1, 8, MOTION_SIZE))
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


def quantize(float_path: Path, path: Path, ranges_from: WindowSet) -> None:
    """``float_path`` with its embedding layers (:data:`QUANTIZED_LAYERS`) quantized, written to ``path``."""
    graph = onnx.load(str(float_path)).graph
    layers = [node.name for node in graph.node if node.op_type == "MatMul" and node.name.startswith(QUANTIZED_LAYERS)]
    # The quantizer warns on the root logger that it was not given a pre-processed graph (shape inference,
    # fusions); tried on this graph, pre-processing changed nothing measurable in its speed.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_static(float_path, path, _RangeFeeds(ranges_from), quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=["MatMul"], nodes_to_quantize=layers,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)
    finally:
        root.setLevel(level)


class _RangeFeeds(CalibrationDataReader):
    """The range windows as the model's inputs, cut to their true lengths, windows of one length a call."""

    def __init__(self, windows: WindowSet) -> None:
        self._feeds = self._all(windows)

    @staticmethod
    def _all(windows: WindowSet) -> Iterator[dict[str, NDArray[np.float32]]]:
        for length in np.unique(windows.lengths):
            members = np.flatnonzero(windows.lengths == length)
            for start in range(0, len(members), RANGE_BATCH):
                chunk = members[start : start + RANGE_BATCH]
                yield {KEYPOINTS_INPUT: windows.hands[chunk, :length], MOTION_INPUT: windows.motion[chunk, :length]}

    def get_next(self) -> dict[str, NDArray[np.float32]] | None:
        """The next feed, None when all were given."""
        return next(self._feeds, None)


def export_for_evaluation(network: LetterLSTM, directory: Path, ranges_from: WindowSet) -> Path:
    """Export ``network`` into ``directory`` with a minimal card, so that the server's own code can load it."""
    path = directory / "model.onnx"
    export_onnx(network, path, ranges_from)
    card = {"name": "evaluation", "version": "0", "labels": list(LETTERS)}
    path.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")
    return path


def served(network: LetterLSTM, ranges_from: WindowSet, kept: Path | None = None) -> LetterModel:
    """``network`` as the server runs it: exported, quantized, and loaded by the server's own :class:`LetterModel`;
    with ``kept``, the file and its card are copied there too."""
    with tempfile.TemporaryDirectory(prefix="signify-served-") as scratch:
        exported = export_for_evaluation(network, Path(scratch), ranges_from)
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(exported, kept)
            shutil.copyfile(exported.with_suffix(".json"), kept.with_suffix(".json"))
        return LetterModel(exported)


@torch.no_grad()
def check_parity(network: LetterLSTM, path: Path, seed: int = 0) -> float:
    """Largest difference between PyTorch and the float ONNX graph at ``path`` over several window lengths."""
    served_graph = LetterModel(path, card=ModelCard("float", "0", LETTERS, outputs_probabilities=True))
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
        scores = served_graph.predict(window, motion)
        assert scores.embedding is not None
        worst = max(worst, float(np.abs(scores.probabilities - probabilities[0].numpy()).max()),
                    float(np.abs(scores.embedding - embedding[0].numpy()).max()))
    if worst > PARITY_TOLERANCE:
        raise RuntimeError(f"ONNX and PyTorch disagree by {worst:.2e}")
    return worst


@dataclass(frozen=True)
class QuantizationEffect:
    """How far the quantized model's answers lie from the float network's on the same windows."""

    windows: int
    top1_agreement: float  # share of windows whose best letter is the same
    max_abs_diff: float  # largest difference of any letter's probability

    def card(self) -> dict[str, float | int]:
        """The card's entry."""
        return {"windows": self.windows, "top1_same_as_float": round(self.top1_agreement, 4),
                "probabilities_max_abs_diff": round(self.max_abs_diff, 4)}


@torch.no_grad()
def quantization_effect(network: LetterLSTM, quantized: LetterModel, windows: list[Window]) -> QuantizationEffect:
    """Compare ``network`` (PyTorch, float) with its ``quantized`` export on real ``windows``."""
    batch = pad(windows, [0] * len(windows), max(len(w) for w, _ in windows))
    scores = network(torch.from_numpy(batch.hands), torch.from_numpy(batch.motion), torch.from_numpy(batch.lengths))
    float_probabilities = torch.softmax(scores, dim=-1).numpy()
    quantized_probabilities, _ = answers(quantized, windows)
    agreement = float(np.mean(float_probabilities.argmax(axis=1) == quantized_probabilities.argmax(axis=1)))
    difference = float(np.abs(float_probabilities - quantized_probabilities).max())
    return QuantizationEffect(len(windows), agreement, difference)
