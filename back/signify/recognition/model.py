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
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..calibration.adaptation import Anchors
from .normalization import NUM_LANDMARKS
from .trajectory import MOTION_SIZE

if TYPE_CHECKING:
    import onnxruntime

# The model's two inputs, by name: the normalized hands and the wrist's path (signify.recognition.trajectory).
KEYPOINTS_INPUT = "keypoints"
MOTION_INPUT = "motion"
# Its outputs: the letters' scores, and (from model 3.1.0) the embedding its last layer read, which a
# user's calibration adapts on (signify.calibration). A model without it serves uncalibrated.
PROBABILITIES_OUTPUT = "probabilities"
EMBEDDING_OUTPUT = "embedding"


class ModelError(RuntimeError):
    """The model file or its card is missing, unreadable or inconsistent.

    ``check`` names the check that refused it (``card``, ``file``, ``sha256``, ``load``, ``signature``,
    ``labels``, ``warm_up``: :mod:`signify.models.checks`), so that an operator knows what to fix.
    """

    def __init__(self, message: str, check: str = "model") -> None:
        super().__init__(message)
        self.check = check


@dataclass(frozen=True)
class ModelCard:
    """What the server needs to know from ``<model>.json``."""

    name: str
    version: str
    labels: tuple[str, ...]
    outputs_probabilities: bool
    anchors: Anchors | None = None  # the generic example of every letter that calibration fits with
    sha256: str | None = None  # of the ONNX file, hex: a release is served only if its file has it

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        """Read and check a card file."""
        try:
            card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            labels = tuple(str(label) for label in card["labels"])
            kind = card.get("output", {}).get("kind", "probabilities")
            anchors = _anchors(card.get("calibration_anchors"))
            sha256 = card.get("sha256")
            return cls(str(card["name"]), str(card["version"]), labels, kind == "probabilities", anchors,
                       str(sha256).lower() if sha256 is not None else None)
        except FileNotFoundError:
            raise ModelError(f"model card {path} not found (it must lie beside the model)", "card") from None
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelError(f"model card {path} is invalid: {exc}", "card") from None


def _anchors(entry: Any) -> Anchors | None:
    """The card's ``calibration_anchors``: one embedding and its log-probabilities per label (checked against
    the model by :class:`LetterModel`)."""
    if entry is None:
        return None
    embeddings = np.asarray(entry["embeddings"], dtype=np.float32)
    log_probabilities = np.asarray(entry["log_probabilities"], dtype=np.float32)
    classes = len(embeddings)
    if embeddings.ndim != 2 or log_probabilities.shape != (classes, classes):
        raise ValueError("calibration_anchors must hold one embedding and one row of log-probs per label")
    if not (np.isfinite(embeddings).all() and np.isfinite(log_probabilities).all()):
        raise ValueError("calibration_anchors hold values that are not finite")
    return Anchors(embeddings, log_probabilities)


@dataclass(frozen=True)
class LetterScores:
    """The model's answer for one window: probabilities in label order, and the embedding behind them."""

    probabilities: NDArray[np.float32]
    labels: tuple[str, ...]
    embedding: NDArray[np.float32] | None = None

    def top(self, k: int) -> list[tuple[str, float]]:
        """The ``k`` most likely letters with their probabilities, best first."""
        order = np.argsort(-self.probabilities)[:k]
        return [(self.labels[i], float(self.probabilities[i])) for i in order]

    def best(self) -> str:
        """The most likely letter: ``top(1)``'s, without sorting."""
        return self.labels[int(np.argmax(self.probabilities))]


def single_thread_options() -> onnxruntime.SessionOptions:
    """onnxruntime's options for the letter network: one thread. A tiny LSTM is fastest single-threaded;
    parallelism comes from sessions (the server's scoring threads)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return options


class LetterModel:
    """An onnxruntime session over windows of normalized hands ``(time, 21, 3)`` and their motion ``(time, 3)``."""

    def __init__(self, path: Path, data: bytes | None = None, card: ModelCard | None = None) -> None:
        """Load ``path`` (or ``data``, the bytes read from it, so that what was verified is what runs) with
        ``card`` (by default the ``.json`` beside it)."""
        import onnxruntime as ort

        if data is None and not path.is_file():
            raise ModelError(f"model file {path} not found", "file")
        self.path = path
        self.card = card if card is not None else ModelCard.read(path.with_suffix(".json"))
        try:
            source = data if data is not None else str(path)
            self._session = ort.InferenceSession(source, single_thread_options(), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own non-standard exception types
            raise ModelError(f"model file {path} cannot be loaded: {exc}", "load") from None
        self._inputs = {node.name: node for node in self._session.get_inputs()}
        outputs = {node.name: node for node in self._session.get_outputs()}
        self._output = outputs.get(PROBABILITIES_OUTPUT, self._session.get_outputs()[0])
        self._embedding = outputs.get(EMBEDDING_OUTPUT)
        self._output_names = [self._output.name] + ([self._embedding.name] if self._embedding is not None else [])
        self._check_shapes()

    @property
    def version(self) -> str:
        """The card's version: what sessions, metrics and profiles know this model by."""
        return self.card.version

    @property
    def output_names(self) -> list[str]:
        """The names of every output of the graph."""
        return [node.name for node in self._session.get_outputs()]

    @property
    def input_shape(self) -> list[Any]:
        """The declared shape of the keypoints input, symbolic axes as names."""
        return list(self._inputs[KEYPOINTS_INPUT].shape)

    @property
    def motion_shape(self) -> list[Any]:
        """The declared shape of the motion input."""
        return list(self._inputs[MOTION_INPUT].shape)

    @property
    def output_shape(self) -> list[Any]:
        """The model's declared output shape."""
        return list(self._output.shape)

    @property
    def embedding_size(self) -> int | None:
        """The length of the ``embedding`` output, or None for a model without one (it cannot be calibrated)."""
        return int(self._embedding.shape[-1]) if self._embedding is not None else None

    def _check_shapes(self) -> None:
        if set(self._inputs) != {KEYPOINTS_INPUT, MOTION_INPUT}:
            expected = f"{KEYPOINTS_INPUT!r} and {MOTION_INPUT!r}"
            raise ModelError(f"model inputs must be {expected}, got {sorted(self._inputs)}", "signature")
        shape = self.input_shape
        if len(shape) != 4 or shape[2:] != [NUM_LANDMARKS, 3]:
            raise ModelError(f"model input must be [batch, time, {NUM_LANDMARKS}, 3], got {shape}", "signature")
        if len(self.motion_shape) != 3 or self.motion_shape[2] != MOTION_SIZE:
            raise ModelError(f"model motion input must be [batch, time, {MOTION_SIZE}], got {self.motion_shape}",
                             "signature")
        classes = self.output_shape[-1]
        if classes != len(self.card.labels):
            raise ModelError(f"model has {classes} outputs but its card lists {len(self.card.labels)} labels",
                             "signature")
        if self._embedding is not None:
            shape = list(self._embedding.shape)
            if len(shape) != 2 or not isinstance(shape[1], int) or shape[1] < 1:
                raise ModelError(f"model embedding output must be [batch, size], got {shape}", "signature")
            anchors = self.card.anchors
            if anchors is not None and anchors.embeddings.shape != (classes, shape[1]):
                raise ModelError(f"the card's calibration anchors are {list(anchors.embeddings.shape)}, "
                                 f"the model needs {classes} of its embedding's {shape[1]} values", "card")

    def predict(self, window: NDArray[np.float32], motion: NDArray[np.float32] | None = None) -> LetterScores:
        """Score one window: normalized hands ``(time, 21, 3)`` and the wrist's path ``(time, 3)``.

        Without ``motion`` the hand is taken as held still: its path is all zeros.
        """
        if motion is None:
            motion = np.zeros((len(window), MOTION_SIZE), dtype=np.float32)
        feeds = {
            KEYPOINTS_INPUT: np.ascontiguousarray(window[None], dtype=np.float32),
            MOTION_INPUT: np.ascontiguousarray(motion[None], dtype=np.float32),
        }
        scores, *embedding = self._session.run(self._output_names, feeds)
        row = np.asarray(scores[0], dtype=np.float32)
        if not self.card.outputs_probabilities:
            row = np.exp(row - row.max())
            row /= row.sum()
        return LetterScores(row, self.card.labels, np.asarray(embedding[0][0], dtype=np.float32) if embedding else None)

    def predict_batch(self, windows: NDArray[np.float32], motions: NDArray[np.float32]) -> list[LetterScores]:
        """Score windows of one length in one call: hands ``(batch, time, 21, 3)``, paths ``(batch, time, 3)``."""
        feeds = {
            KEYPOINTS_INPUT: np.ascontiguousarray(windows, dtype=np.float32),
            MOTION_INPUT: np.ascontiguousarray(motions, dtype=np.float32),
        }
        scores, *embeddings = self._session.run(self._output_names, feeds)
        rows = np.asarray(scores, dtype=np.float32)
        if not self.card.outputs_probabilities:
            rows = np.exp(rows - rows.max(axis=1, keepdims=True))
            rows /= rows.sum(axis=1, keepdims=True)
        embedded = np.asarray(embeddings[0], dtype=np.float32) if embeddings else None
        return [LetterScores(row, self.card.labels, embedded[i] if embedded is not None else None)
                for i, row in enumerate(rows)]

    def warm_up(self, max_frames: int) -> float:
        """Run every window length once so the first client pays no start-up cost; return seconds."""
        started = time.perf_counter()
        rng = np.random.default_rng(0)
        for frames in range(1, max_frames + 1):
            hands = rng.normal(size=(frames, NUM_LANDMARKS, 3)).astype(np.float32)
            self.predict(hands, rng.normal(size=(frames, MOTION_SIZE)).astype(np.float32))
        return time.perf_counter() - started
