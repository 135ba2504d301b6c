"""The letter network: per-frame features, velocities, an LSTM, and a classifier on its last step."""

from __future__ import annotations

import torch
from signify.normalization import NUM_LANDMARKS
from torch import nn

FEATURES = NUM_LANDMARKS * 3


class LetterLSTM(nn.Module):
    """``[batch, time, 21, 3]`` normalized hands -> ``[batch, 26]`` scores for the last frame.

    The LSTM is causal, so the answer at step ``t`` depends on frames up to
    ``t`` only: training reads it at each window's true last frame, and
    serving, which never pads, reads the final step. Frame-to-frame
    velocities are computed inside the network so that the exported ONNX
    graph takes plain keypoints, and J and Z show up as motion.
    """

    def __init__(self, hidden: int = 128, classes: int = 26, dropout: float = 0.2) -> None:
        super().__init__()
        self.embed = nn.Sequential(nn.Linear(2 * FEATURES, hidden), nn.GELU(), nn.Dropout(dropout))
        self.lstm = nn.LSTM(hidden, hidden, batch_first=True)
        self.head = nn.Sequential(nn.LayerNorm(hidden), nn.Dropout(dropout), nn.Linear(hidden, classes))

    def sequence_scores(self, hands: torch.Tensor) -> torch.Tensor:
        """Scores after every frame: ``[batch, time, classes]``."""
        frames = hands.flatten(2)
        velocity = torch.cat([torch.zeros_like(frames[:, :1]), frames[:, 1:] - frames[:, :-1]], dim=1)
        hidden, _ = self.lstm(self.embed(torch.cat([frames, velocity], dim=-1)))
        scores: torch.Tensor = self.head(hidden)
        return scores

    def forward(self, hands: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Scores at each window's last real frame (the final frame when ``lengths`` is None)."""
        scores = self.sequence_scores(hands)
        if lengths is None:
            return scores[:, -1]
        return scores[torch.arange(scores.shape[0]), lengths - 1]


class ProbabilityModel(nn.Module):
    """What is exported: the network with its softmax, reading the final frame."""

    def __init__(self, network: LetterLSTM) -> None:
        super().__init__()
        self.network = network

    def forward(self, keypoints: torch.Tensor) -> torch.Tensor:
        """``[batch, time, 21, 3]`` -> probabilities ``[batch, 26]``."""
        return torch.softmax(self.network(keypoints), dim=-1)
