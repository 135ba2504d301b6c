"""The letter network: per-frame hand features, velocities, an LSTM, and a classifier on its last step."""

from __future__ import annotations

import torch
from signify.recognition.normalization import NUM_LANDMARKS
from signify.recognition.trajectory import MOTION_SIZE
from torch import nn

COORDINATES = NUM_LANDMARKS * 3
JOINT_PAIRS = NUM_LANDMARKS * (NUM_LANDMARKS - 1) // 2  # 210 distances between joints
FRAME_FEATURES = 2 * COORDINATES + JOINT_PAIRS + 2 * MOTION_SIZE


class LetterLSTM(nn.Module):
    """``[batch, time, 21, 3]`` normalized hands and their ``[batch, time, 3]`` motion -> ``[batch, 26]`` scores.

    Per frame the network reads the 63 coordinates, their frame-to-frame
    velocities, the 210 distances between every two joints, and the wrist's
    path (:func:`signify.recognition.trajectory.window_motion`) with its velocity: J
    and Z are motion, and most of a Z is the hand travelling. The distances
    do not change when a hand is turned or mirrored, which is what lets letters learned from a few signers carry over to
    people held at other angles and with other handedness labels: on
    held-out photos they were worth about 3.5 points of top-1 accuracy.
    Every feature is computed inside the graph, so the exported ONNX model
    still takes plain normalized keypoints.

    The LSTM is causal, so the answer at step ``t`` depends on frames up to
    ``t`` only: training reads it at each window's true last frame, and
    serving, which never pads, reads the final step.
    """

    first_joint: torch.Tensor
    second_joint: torch.Tensor
    pair_differences: torch.Tensor

    def __init__(self, hidden: int = 128, embedding: int = 256, classes: int = 26, dropout: float = 0.2) -> None:
        super().__init__()
        first, second = torch.triu_indices(NUM_LANDMARKS, NUM_LANDMARKS, offset=1)
        self.register_buffer("first_joint", first, persistent=False)
        self.register_buffer("second_joint", second, persistent=False)
        # The same differences as one matrix product: column p is +1 at first[p] and -1 at second[p].
        pairs = torch.zeros(NUM_LANDMARKS, JOINT_PAIRS)
        pairs[first, torch.arange(JOINT_PAIRS)] = 1.0
        pairs[second, torch.arange(JOINT_PAIRS)] = -1.0
        self.register_buffer("pair_differences", pairs, persistent=False)
        self.embed = nn.Sequential(
            nn.Linear(FRAME_FEATURES, embedding), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(embedding, hidden), nn.GELU(), nn.Dropout(dropout),
        )
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.head = nn.Sequential(nn.LayerNorm(hidden), nn.Dropout(dropout), nn.Linear(hidden, classes))

    def frame_features(self, hands: torch.Tensor, motion: torch.Tensor, *, exported: bool = False) -> torch.Tensor:
        """``[batch, time, 21, 3]`` and ``[batch, time, 3]`` -> ``[batch, time, FRAME_FEATURES]``.

        ``exported``: the joint differences as a matrix product rather than two gathers, kept one row per
        coordinate, and the three squared rows added rather than reduced over a last axis of three.
        The numbers are the same up to rounding (each column adds one joint and subtracts another,
        exactly), and onnxruntime computes them several times faster (the gathers were a quarter of the
        model's time, the reduction over three another tenth); training keeps the gathers, whose
        gradients the shipped weights were trained with.
        """
        frames = hands.flatten(2)
        if exported:
            # [batch, time, 3, 21] @ [21, 210]: per coordinate, every pair's difference.
            offsets = hands.transpose(-1, -2) @ self.pair_differences
            squares = offsets * offsets
            squared = squares[:, :, 0] + squares[:, :, 1] + squares[:, :, 2]
        else:
            offsets = hands[:, :, self.first_joint] - hands[:, :, self.second_joint]
            squared = (offsets * offsets).sum(dim=-1)
        # The epsilon keeps the gradient finite where two joints coincide (zero-padded frames).
        distances = torch.sqrt(squared + 1e-9)
        return torch.cat([frames, _velocity(frames), distances, motion, _velocity(motion)], dim=-1)

    def sequence_embeddings(self, hands: torch.Tensor, motion: torch.Tensor, *, exported: bool = False) -> torch.Tensor:
        """What the classifier reads after every frame, ``[batch, time, hidden]``: the normalized LSTM state.

        Exported as the model's ``embedding`` output, on which a user's
        calibration (:mod:`signify.calibration.adaptation`) fits its head.
        """
        hidden, _ = self.lstm(self.embed(self.frame_features(hands, motion, exported=exported)))
        normalized: torch.Tensor = self.head[0](hidden)
        return normalized

    def classify(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Scores from embeddings: the head's layers after its normalization."""
        scores: torch.Tensor = self.head[2](self.head[1](embeddings))
        return scores

    def sequence_scores(self, hands: torch.Tensor, motion: torch.Tensor) -> torch.Tensor:
        """Scores after every frame: ``[batch, time, classes]``."""
        return self.classify(self.sequence_embeddings(hands, motion))

    def forward(self, hands: torch.Tensor, motion: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Scores at each window's last real frame (the final frame when ``lengths`` is None)."""
        scores = self.sequence_scores(hands, motion)
        if lengths is None:
            return scores[:, -1]
        return scores[torch.arange(scores.shape[0]), lengths - 1]


class ProbabilityModel(nn.Module):
    """What is exported: the network with its softmax, and the embedding its classifier read, at the final frame."""

    def __init__(self, network: LetterLSTM) -> None:
        super().__init__()
        self.network = network

    def forward(self, keypoints: torch.Tensor, motion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hands ``[batch, time, 21, 3]``, motion ``[batch, time, 3]`` -> probabilities ``[batch, 26]``, embedding."""
        embedding = self.network.sequence_embeddings(keypoints, motion, exported=True)[:, -1]
        return torch.softmax(self.network.classify(embedding), dim=-1), embedding


def _velocity(frames: torch.Tensor) -> torch.Tensor:
    """Frame-to-frame differences of ``[batch, time, features]``, zero at the first frame."""
    return torch.cat([torch.zeros_like(frames[:, :1]), frames[:, 1:] - frames[:, :-1]], dim=1)
