"""What the letter network costs a frame when it carries its recurrent state from frame to frame.

Today every answer reads a whole window: the per-frame layers and 32 LSTM
steps from a zero state, for every frame of every session (issue 17's
0.05 ms a window is not reached: the float LSTM alone is about 53 us of a
window in a batch). A network that carries its state reads each frame
once. :func:`step_graph` derives that network from the shipped file, with
its own layers and weights: the LSTM's state becomes an input and an
output, and the LSTM reads only the last of the frames a call gets. A call
gets two frames, the previous and the current one, because the graph
computes velocity inputs (each frame minus the one before) inside it: the
previous frame is there for the current one's velocities, and its own
features are computed and dropped. A stream's first call repeats its first
frame, whose velocities are then zero, as a window's first frame's are.
Fed that way from a zero state, the graph gives every prefix of a window
the probabilities the shipped file gives that prefix as a window, to the
last bit (:func:`step_error`).

Served, a stream would be reset as windows are: two streams per camera,
each reset every 32 frames, 16 frames apart, the one that has read more
answering (17 to 32 frames; a session-frame costs two stream-frames). That
needs a network whose motion input is measured from the stream's first
frame: the shipped one measures it from the window's last frame
(``recognition.trajectory.window_motion``), so a frame's motion changes as
the window moves on. docs/model.md ("Streams") measures such a network.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from numpy.typing import NDArray
from signify.recognition.model import (
    KEYPOINTS_INPUT,
    MOTION_INPUT,
    PROBABILITIES_OUTPUT,
    LetterModel,
    single_thread_options,
)

from .keypoints import ms_per_item

# ONNX LSTM inputs: X, W, R, B, sequence_lens, initial_h, initial_c.
INITIAL_H, INITIAL_C = 5, 6
STATE_INPUTS = ("state_h", "state_c")
STATE_OUTPUTS = ("state_h_out", "state_c_out")
# The frames a step reads: the previous one (for the velocities) and the current one.
STEP_FRAMES = 2

# Served, a camera runs two streams (see the module's docstring); the cost report prices 64 cameras.
STREAMS_PER_CAMERA = 2
CAMERAS = 64

State = tuple[NDArray[np.float32], NDArray[np.float32]]  # an LSTM's (h, c), each [1, batch, hidden]


def step_graph(model_path: Path) -> tuple[bytes, int]:
    """The shipped model as one step of a stream; the serialized graph and the LSTM's hidden size.

    Inputs: the model's own, of two frames (the previous and the current), and the LSTM's state
    ``state_h``, ``state_c`` ``[1, batch, hidden]``. Outputs: the model's own after the current frame, and the
    state after it (``state_h_out``, ``state_c_out``).
    """
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
    # Two frames a call, stated, and the exporter's shapes of what lies between dropped: the LSTM's input is a
    # frame shorter than the frames, and onnxruntime warned on every call about the shapes that said otherwise.
    for graph_input in graph.input:
        if graph_input.name in (KEYPOINTS_INPUT, MOTION_INPUT):
            graph_input.type.tensor_type.shape.dim[1].dim_value = STEP_FRAMES
    del graph.value_info[:]
    # Layout 0: the LSTM's input is [time, batch, features]; it reads the last frame, the current one.
    graph.initializer.extend(onnx.numpy_helper.from_array(np.array([value], dtype=np.int64), name)
                             for name, value in (("step_from", -1), ("step_to", np.iinfo(np.int64).max),
                                                 ("step_axis", 0)))
    graph.node.insert(list(graph.node).index(lstm), onnx.helper.make_node(
        "Slice", [lstm.input[0], "step_from", "step_to", "step_axis"], ["step_input"]))
    inputs = list(lstm.input) + [""] * (INITIAL_C + 1 - len(lstm.input))
    inputs[0] = "step_input"
    inputs[INITIAL_H], inputs[INITIAL_C] = STATE_INPUTS
    # The exporter's zero initial states stay in the graph, unused: onnxruntime prunes them.
    del lstm.input[:]
    lstm.input.extend(inputs)
    for name in STATE_INPUTS:
        graph.input.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [1, "batch", hidden]))
    for index, name in zip((1, 2), STATE_OUTPUTS, strict=True):
        graph.node.append(onnx.helper.make_node("Identity", [lstm.output[index]], [name]))
        graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [1, "batch", hidden]))
    onnx.checker.check_model(model)
    return model.SerializeToString(), int(hidden)


class StepNetwork:
    """The shipped network run as streams: a frame a call, its recurrent state carried between calls."""

    def __init__(self, model_path: Path) -> None:
        graph, self.hidden = step_graph(model_path)
        # One thread, as the server's scoring threads run the model.
        self._session = ort.InferenceSession(graph, single_thread_options(), providers=["CPUExecutionProvider"])

    def zero_state(self, batch: int) -> State:
        """The state of ``batch`` streams that have read nothing."""
        zeros = np.zeros((1, batch, self.hidden), dtype=np.float32)
        return zeros, zeros.copy()

    def step(self, hands: NDArray[np.float32], motion: NDArray[np.float32], state: State
             ) -> tuple[NDArray[np.float32], State]:
        """Probabilities after the current frame, and the state after it: ``hands`` ``[batch, 2, 21, 3]`` and
        ``motion`` ``[batch, 2, 3]`` hold the previous and the current frame (a stream's first frame twice)."""
        if hands.shape[1] != STEP_FRAMES or motion.shape[1] != STEP_FRAMES:
            raise ValueError(f"a step reads {STEP_FRAMES} frames, got {hands.shape[1]} and {motion.shape[1]}")
        probabilities, state_h, state_c = self._session.run(
            [PROBABILITIES_OUTPUT, *STATE_OUTPUTS],
            {KEYPOINTS_INPUT: hands, MOTION_INPUT: motion, STATE_INPUTS[0]: state[0], STATE_INPUTS[1]: state[1]})
        return probabilities, (state_h, state_c)

    def stream(self, hands: NDArray[np.float32], motion: NDArray[np.float32]) -> NDArray[np.float32]:
        """Windows ``[batch, time, 21, 3]`` and ``[batch, time, 3]`` read as streams from a zero state, a frame a
        call: the probabilities after every frame, ``[batch, time, classes]``."""
        state = self.zero_state(len(hands))
        answers = []
        for frame in range(hands.shape[1]):
            pair = [max(frame - 1, 0), frame]
            probabilities, state = self.step(np.ascontiguousarray(hands[:, pair]),
                                             np.ascontiguousarray(motion[:, pair]), state)
            answers.append(probabilities)
        return np.stack(answers, axis=1)


def step_error(model_path: Path, frames: int = 32) -> float:
    """Largest difference between the shipped model's probabilities for every prefix of 8 windows, each read as a
    window, and the same windows read as streams (:meth:`StepNetwork.stream`)."""
    rng = np.random.default_rng(1)
    # A hand wandering from frame to frame, and its path: every velocity differs from zero.
    hands = np.cumsum(rng.normal(0, 0.05, (8, frames, 21, 3)), axis=1).astype(np.float32)
    motion = np.cumsum(rng.normal(0, 0.2, (8, frames, 3)), axis=1).astype(np.float32)
    streamed = StepNetwork(model_path).stream(hands, motion)
    model = LetterModel(model_path)
    worst = 0.0
    for end in range(1, frames + 1):
        windows = np.stack([scores.probabilities for scores in model.predict_batch(hands[:, :end], motion[:, :end])])
        worst = max(worst, float(np.abs(streamed[:, end - 1] - windows).max()))
    return worst


def carried_state_costs(model_path: Path, batches: tuple[int, ...] = (1, 8, 64, STREAMS_PER_CAMERA * CAMERAS, 256),
                        seconds: float = 1.0) -> dict[str, Any]:
    """ms per stream-frame of one step (a frame of every stream in the call), by batch size, beside how far the
    streams are from the windows' answers (:func:`step_error`); with the batch of :data:`CAMERAS` cameras'
    streams among ``batches``, what a camera's frame costs then."""
    network = StepNetwork(model_path)
    rng = np.random.default_rng(0)
    costs: dict[str, Any] = {"max_abs_diff_vs_window": step_error(model_path)}
    for batch in batches:
        hands = rng.normal(0, 0.5, (batch, STEP_FRAMES, 21, 3)).astype(np.float32)
        motion = rng.normal(0, 1.0, (batch, STEP_FRAMES, 3)).astype(np.float32)
        # A step costs the same whatever the state holds: every call reads the state after one frame.
        _, state = network.step(hands, motion, network.zero_state(batch))
        costs[f"batch_{batch}_ms_per_frame"] = ms_per_item(partial(network.step, hands, motion, state), batch,
                                                             seconds)
    streams = STREAMS_PER_CAMERA * CAMERAS
    if streams in batches:
        costs[f"{CAMERAS}_cameras_ms_per_camera_frame"] = round(
            STREAMS_PER_CAMERA * costs[f"batch_{streams}_ms_per_frame"], 4)
    return costs


if __name__ == "__main__":  # python -m bench.streaming [MODEL]
    import json
    import sys

    from signify.config import Settings

    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Settings.from_env().model_path
    print(json.dumps({"model": str(path), "carried_state": carried_state_costs(path, seconds=2.0)}, indent=2))
