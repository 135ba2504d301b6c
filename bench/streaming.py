"""What the shipped network would cost a frame if it carried its recurrent state from frame to frame.

Today every answer reads a whole window: the per-frame layers and 32 LSTM
steps from a zero state, for every frame of every session (issue 17's
0.05 ms a window is not reached: the float LSTM alone is about 53 us of a
window in a batch). A network that carries its state reads each frame
once. This measures that design's cost with the shipped file's own
layers and weights: the graph is the shipped one with the LSTM's state
as an input and an output, fed one frame per session per call.

It is a cost, not a model: its letters would change if it were run this
way. The shipped network was trained on windows that start from a zero
state; its motion input is measured from the window's last frame
(``recognition.trajectory.window_motion``); and its velocity inputs are
computed inside the graph, zero at each call's first frame, so one frame
a call reads none. Carrying the state in serving needs a network trained
for it (see docs/performance.md).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from numpy.typing import NDArray

from .keypoints import ms_per_item

# ONNX LSTM inputs: X, W, R, B, sequence_lens, initial_h, initial_c.
INITIAL_H, INITIAL_C = 5, 6
STATE_INPUTS = ("state_h", "state_c")


def carried_state_graph(model_path: Path) -> tuple[bytes, int]:
    """The shipped model with its LSTM's state as inputs ``state_h``, ``state_c`` ``[1, batch, hidden]`` and as
    outputs of the same names suffixed ``_out``; the serialized graph and the hidden size."""
    model = onnx.load(str(model_path))
    graph = model.graph
    lstms = [node for node in graph.node if node.op_type == "LSTM"]
    if len(lstms) != 1:
        raise ValueError(f"{model_path}: expected one LSTM, found {len(lstms)}")
    lstm = lstms[0]
    attributes = {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in lstm.attribute}
    if attributes.get("direction", b"forward") != b"forward" or attributes.get("layout", 0) != 0:
        raise ValueError(f"{model_path}: the LSTM must run forward with layout 0 to carry a [1, batch, hidden] state")
    if len(lstm.output) < 3 or not lstm.output[1] or not lstm.output[2]:
        raise ValueError(f"{model_path}: the LSTM does not name its last hidden and cell states")
    hidden = attributes["hidden_size"]
    inputs = list(lstm.input) + [""] * (INITIAL_C + 1 - len(lstm.input))
    inputs[INITIAL_H], inputs[INITIAL_C] = STATE_INPUTS
    # The exporter's zero initial states stay in the graph, unused: onnxruntime prunes them.
    del lstm.input[:]
    lstm.input.extend(inputs)
    for name in STATE_INPUTS:
        graph.input.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [1, "batch", hidden]))
    for index, name in ((1, "state_h_out"), (2, "state_c_out")):
        graph.node.append(onnx.helper.make_node("Identity", [lstm.output[index]], [name]))
        graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [1, "batch", hidden]))
    onnx.checker.check_model(model)
    return model.SerializeToString(), int(hidden)


class CarriedStateNetwork:
    """The shipped network run a few frames at a time, its recurrent state carried between calls."""

    def __init__(self, model_path: Path) -> None:
        graph, self.hidden = carried_state_graph(model_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # as the server's scoring thread runs the model
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def zero_state(self, batch: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """A state for ``batch`` sessions that have seen nothing."""
        zeros = np.zeros((1, batch, self.hidden), dtype=np.float32)
        return zeros, zeros.copy()

    def step(self, hands: NDArray[np.float32], motion: NDArray[np.float32],
             state: tuple[NDArray[np.float32], NDArray[np.float32]]
             ) -> tuple[NDArray[np.float32], tuple[NDArray[np.float32], NDArray[np.float32]]]:
        """Probabilities after ``hands`` ``[batch, time, 21, 3]`` and ``motion`` ``[batch, time, 3]`` read from
        ``state``, and the state after them."""
        probabilities, state_h, state_c = self._session.run(
            ["probabilities", "state_h_out", "state_c_out"],
            {"keypoints": hands, "motion": motion, "state_h": state[0], "state_c": state[1]})
        return probabilities, (state_h, state_c)


def carried_state_error(model_path: Path, split: int = 16) -> float:
    """Largest difference between the shipped model's probabilities for whole windows and the carried-state graph's
    after the same windows in two calls. Frame ``split`` repeats the frame before it: the network's velocity inputs
    are differences to the previous frame, which a call that starts there cannot see: the repeat makes them zero
    there in both."""
    from signify.recognition.model import LetterModel

    rng = np.random.default_rng(1)
    hands = rng.normal(0, 0.5, (8, 32, 21, 3)).astype(np.float32)
    hands[:, split] = hands[:, split - 1]
    motion = rng.normal(0, 1.0, (8, 32, 3)).astype(np.float32)
    motion[:, split] = motion[:, split - 1]
    whole = np.stack([scores.probabilities for scores in LetterModel(model_path).predict_batch(hands, motion)])
    network = CarriedStateNetwork(model_path)
    _, state = network.step(hands[:, :split], motion[:, :split], network.zero_state(8))
    halves, _ = network.step(hands[:, split:], motion[:, split:], state)
    return float(np.abs(halves - whole).max())


def carried_state_costs(model_path: Path, batches: tuple[int, ...] = (1, 8, 64, 256),
                        seconds: float = 1.0) -> dict[str, Any]:
    """ms per session-frame of one carried-state step (one frame per session per call), by batch size, beside
    how far the carried state is from the whole window's answer (``carried_state_error``)."""
    network = CarriedStateNetwork(model_path)
    rng = np.random.default_rng(0)
    costs: dict[str, Any] = {"max_abs_diff_vs_window": carried_state_error(model_path)}
    for batch in batches:
        hands = rng.normal(0, 0.5, (batch, 1, 21, 3)).astype(np.float32)
        motion = rng.normal(0, 1.0, (batch, 1, 3)).astype(np.float32)
        # A step costs the same whatever the state holds: every call reads the state after one frame.
        _, state = network.step(hands, motion, network.zero_state(batch))
        costs[f"batch_{batch}_ms_per_frame"] = ms_per_item(partial(network.step, hands, motion, state), batch,
                                                             seconds)
    return costs


if __name__ == "__main__":  # python -m bench.streaming [MODEL]
    import json
    import sys

    from signify.config import Settings

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().model_path
    print(json.dumps({"model": str(path), "carried_state": carried_state_costs(path, seconds=2.0)}, indent=2))
