"""Tiny ONNX letter models written for the tests: one letter always, or one defect each.

Built with the ``onnx`` helper package (a dev dependency): ``keypoints
[batch, time, 21, 3]`` and ``motion [batch, time, 3]`` in, ``probabilities
[batch, 26]`` (a softmax of constant logits, the chosen letter far ahead)
and ``embedding [batch, 8]`` out, so that every answer says which model
gave it. Written as ``<name>-<version>.onnx`` with a stamped card beside it.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from signify.models.checks import sha256_hex

LETTERS = list(string.ascii_uppercase)
EMBEDDING = 8


@dataclass(frozen=True)
class Defect:
    """What is wrong with a model file, if anything."""

    nan: bool = False  # every probability is NaN
    landmark_dims: int = 3  # the keypoints input's last axis (the server sends 3)
    classes: int = 26  # the probabilities' width
    output_name: str = "probabilities"
    unnormalized: bool = False  # outputs the logits themselves, declared as probabilities


def model_bytes(letter: str = "A", defect: Defect = Defect()) -> bytes:
    """The ONNX file of a model that answers ``letter`` for every window."""
    import onnx
    from onnx import TensorProto, helper

    logits = np.full(defect.classes, -4.0, dtype=np.float32)
    logits[LETTERS.index(letter) % defect.classes] = 6.0
    constants = [
        helper.make_tensor("axes", TensorProto.INT64, [3], [1, 2, 3]),
        helper.make_tensor("one", TensorProto.INT64, [1], [1]),
        helper.make_tensor("scale", TensorProto.FLOAT, [], [float("nan") if defect.nan else 0.0]),
        helper.make_tensor("logits", TensorProto.FLOAT, [defect.classes], logits.tolist()),
        helper.make_tensor("features", TensorProto.FLOAT, [EMBEDDING], np.linspace(-1, 1, EMBEDDING).tolist()),
    ]
    nodes = [
        helper.make_node("ReduceSum", ["keypoints", "axes"], ["summed"], keepdims=0),  # [batch]
        helper.make_node("Mul", ["summed", "scale"], ["zeros"]),
        helper.make_node("Unsqueeze", ["zeros", "one"], ["column"]),  # [batch, 1]
        helper.make_node("Add", ["column", "logits"], ["scores"]),  # [batch, classes]
        (helper.make_node("Identity", ["scores"], [defect.output_name]) if defect.unnormalized
         else helper.make_node("Softmax", ["scores"], [defect.output_name], axis=-1)),
        helper.make_node("Add", ["column", "features"], ["embedding"]),  # [batch, 8]
    ]
    graph = helper.make_graph(
        nodes, "letter",
        [helper.make_tensor_value_info("keypoints", TensorProto.FLOAT, ["batch", "time", 21, defect.landmark_dims]),
         helper.make_tensor_value_info("motion", TensorProto.FLOAT, ["batch", "time", 3])],
        [helper.make_tensor_value_info(defect.output_name, TensorProto.FLOAT, ["batch", defect.classes]),
         helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", EMBEDDING])],
        initializer=constants,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    data: bytes = model.SerializeToString()
    onnx.checker.check_model(onnx.load_from_string(data))
    return data


def write_release(directory: Path, version: str, letter: str = "A", defect: Defect = Defect(),
                  name: str = "asl-lstm", labels: list[str] | None = None, stamp: bool = True,
                  data: bytes | None = None) -> Path:
    """Write ``<name>-<version>.onnx`` and its card into ``directory``; return the model's path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{version}.onnx"
    data = data if data is not None else model_bytes(letter, defect)
    path.write_bytes(data)
    card: dict[str, Any] = {"name": name, "version": version, "labels": labels if labels is not None else LETTERS,
                            "output": {"name": "probabilities", "kind": "probabilities"}}
    if stamp:
        card["sha256"] = sha256_hex(data)
    path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return path
