"""The ONNX letter model and its card.

The model file never stands alone: its card (the ``.json`` beside it)
names the labels in output order, the model's name and version, and
whether the output is already a probability. A missing or inconsistent
pair is a :class:`ModelError`; there is no fallback model.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .normalization import NUM_LANDMARKS


class ModelError(RuntimeError):
    """The model file or its card is missing, unreadable or inconsistent."""


@dataclass(frozen=True)
class ModelCard:
    """What the server needs to know from ``<model>.json``."""

    name: str
    version: str
    labels: tuple[str, ...]
    outputs_probabilities: bool

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        """Read and check a card file."""
        try:
            card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            labels = tuple(str(label) for label in card["labels"])
            kind = card.get("output", {}).get("kind", "probabilities")
            return cls(str(card["name"]), str(card["version"]), labels, kind == "probabilities")
        except FileNotFoundError:
            raise ModelError(f"model card {path} not found (it must lie beside the model)") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"model card {path} is invalid: {exc}") from None


@dataclass(frozen=True)
class LetterScores:
    """The model's answer for one window: probabilities in label order."""

    probabilities: NDArray[np.float32]
    labels: tuple[str, ...]

    def top(self, k: int) -> list[tuple[str, float]]:
        """The ``k`` most likely letters with their probabilities, best first."""
        order = np.argsort(-self.probabilities)[:k]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]


class LetterModel:
    """An onnxruntime session over normalized keypoint windows ``(time, 21, 3)``."""

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        if not path.is_file():
            raise ModelError(f"model file {path} not found")
        self.path = path
        self.card = ModelCard.read(path.with_suffix(".json"))
        options = ort.SessionOptions()
        # A tiny LSTM is fastest single-threaded; parallelism comes from sessions.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own non-standard exception types
            raise ModelError(f"model file {path} cannot be loaded: {exc}") from None
        self._input = self._session.get_inputs()[0]
        self._output = self._session.get_outputs()[0]
        self._check_shapes()

    @property
    def input_shape(self) -> list[Any]:
        """The model's declared input shape, symbolic axes as names."""
        return list(self._input.shape)

    @property
    def output_shape(self) -> list[Any]:
        """The model's declared output shape."""
        return list(self._output.shape)

    def _check_shapes(self) -> None:
        shape = self.input_shape
        if len(shape) != 4 or shape[2:] != [NUM_LANDMARKS, 3]:
            raise ModelError(f"model input must be [batch, time, {NUM_LANDMARKS}, 3], got {shape}")
        classes = self.output_shape[-1]
        if classes != len(self.card.labels):
            raise ModelError(f"model has {classes} outputs but its card lists {len(self.card.labels)} labels")

    def predict(self, window: NDArray[np.float32]) -> LetterScores:
        """Score one window of normalized keypoints, shape ``(time, 21, 3)``."""
        batch = np.ascontiguousarray(window[None], dtype=np.float32)
        (scores,) = self._session.run([self._output.name], {self._input.name: batch})
        row = np.asarray(scores[0], dtype=np.float32)
        if not self.card.outputs_probabilities:
            row = np.exp(row - row.max())
            row /= row.sum()
        return LetterScores(row, self.card.labels)

    def warm_up(self, max_frames: int) -> float:
        """Run every window length once so the first client pays no start-up cost; return seconds."""
        started = time.perf_counter()
        rng = np.random.default_rng(0)
        for frames in range(1, max_frames + 1):
            self.predict(rng.normal(size=(frames, NUM_LANDMARKS, 3)).astype(np.float32))
        return time.perf_counter() - started
