"""The training loop: fresh augmented windows every epoch, fixed seeds, a progress bar."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from .network import LetterLSTM
from .sources import Poses, Sequences
from .windows import WindowSet, sample_windows


@dataclass(frozen=True)
class FitSettings:
    """How long and how hard to train."""

    epochs: int = 12
    windows_per_epoch: int = 16_000
    batch_size: int = 256
    learning_rate: float = 3e-3
    max_frames: int = 32
    hidden: int = 128
    embedding: int = 256
    # A third of the windows are real motion (J and Z need it); the rest are held poses of many hands,
    # which is what unseen signers most resemble.
    sequence_share: float = 1 / 3
    seed: int = 7


def fit(sequences: list[Sequences], poses: list[Poses], settings: FitSettings, label: str) -> LetterLSTM:
    """Train a network on the given sources and return it in eval mode."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    network = LetterLSTM(hidden=settings.hidden, embedding=settings.embedding)
    optimizer = torch.optim.AdamW(network.parameters(), lr=settings.learning_rate, weight_decay=1e-4)
    steps = settings.epochs * (settings.windows_per_epoch // settings.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.learning_rate, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    progress = tqdm(total=steps, desc=f"train {label}", unit="batch")
    for _ in range(settings.epochs):
        data = sample_windows(sequences, poses, settings.windows_per_epoch, settings.max_frames, rng,
                              sequence_share=settings.sequence_share)
        network.train()
        for hands, motion, lengths, labels in _batches(data, settings.batch_size, rng):
            optimizer.zero_grad()
            loss = loss_fn(network(hands, motion, lengths), labels)
            loss.backward()
            nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            progress.update()
            progress.set_postfix(loss=f"{loss.item():.3f}")
    progress.close()
    return network.eval()


def _batches(
    data: WindowSet, size: int, rng: np.random.Generator
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    # Windows of similar length share a batch, cut to its longest window:
    # most of an LSTM's cost is time steps, and padding is wasted work.
    order = rng.permutation(len(data.labels))
    chunks = [order[i : i + size * 8] for i in range(0, len(order), size * 8)]
    order = np.concatenate([chunk[np.argsort(data.lengths[chunk], kind="stable")] for chunk in chunks])
    batches = []
    for start in range(0, len(order) - size + 1, size):
        index = order[start : start + size]
        longest = int(data.lengths[index].max())
        batches.append((
            torch.from_numpy(data.hands[index, :longest]),
            torch.from_numpy(data.motion[index, :longest]),
            torch.from_numpy(data.lengths[index]),
            torch.from_numpy(data.labels[index]),
        ))
    return [batches[i] for i in rng.permutation(len(batches))]
