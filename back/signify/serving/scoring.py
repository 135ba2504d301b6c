"""One model call for the windows of many sessions: keypoint sessions' frames scored together.

A keypoint frame costs the server little besides the model (no image, no
MediaPipe), so with hundreds of such sessions the model calls dominate.
Windows waiting from all sessions go through one ``[B, T, 21, 3]`` call
(one per window length ``T``), and so does the numpy that turns tracked
hands into what the model reads (:mod:`signify.recognition.features`). No window waits for company: while a
scoring thread is free, a window is scored at once; only while every
scoring thread is busy do windows gather, and the next free thread takes
all of them (:class:`BatchPolicy`). Light load is answered as fast as
before, and heavy load in as few calls as it allows.

Each window names the model that scores it: while a new release takes
over (signify.models), sessions on the old and the new model share the
scorer, and only windows of the same model go into one call.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..recognition.features import ScoredWindow, Window, score_each
from ..recognition.model import LetterModel


class BatchPolicy:
    """When the windows waiting are scored: pure bookkeeping, no clock and no I/O."""

    def __init__(self, max_batch: int, max_in_flight: int) -> None:
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be at least 1")
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self.waiting = 0
        self.in_flight = 0

    def submitted(self, windows: int = 1) -> bool:
        """Windows arrived (one session's, together); True when a call should start now."""
        self.waiting += windows
        return self.in_flight < self.max_in_flight

    def start(self) -> int:
        """A call starts: how many of the waiting windows it takes (the oldest first)."""
        taken = min(self.waiting, self.max_batch)
        self.waiting -= taken
        self.in_flight += 1
        return taken

    def finished(self) -> bool:
        """A call ended; True when another should start for the windows that gathered meanwhile."""
        self.in_flight -= 1
        return self.waiting > 0


@dataclass
class _Waiting:
    model: LetterModel
    points: NDArray[np.float32]
    signs: NDArray[np.float32]
    answer: asyncio.Future[ScoredWindow]


class WindowScorer:
    """Scores windows from any session of one event loop, batching them while the model is busy."""

    def __init__(self, executor: Executor, max_batch: int = 64, max_in_flight: int = 2) -> None:
        self._executor = executor
        self._policy = BatchPolicy(max_batch, max_in_flight)
        self._queue: list[_Waiting] = []
        self.calls = 0
        self.windows = 0

    async def score(self, model: LetterModel, windows: Sequence[Window]) -> list[ScoredWindow]:
        """``model``'s scores for one session's windows of tracked hands, in order
        (:func:`~signify.recognition.features.score_each`), computed with whatever other windows of that
        model are waiting."""
        loop = asyncio.get_running_loop()
        answers: list[asyncio.Future[ScoredWindow]] = []
        for points, signs in windows:
            answers.append(loop.create_future())
            self._queue.append(_Waiting(model, points, signs, answers[-1]))
        if self._policy.submitted(len(windows)):
            self._start()
        if len(answers) == 1:  # nearly every frame: no gathering future to build on the loop
            return [await answers[0]]
        return list(await asyncio.gather(*answers))

    def _start(self) -> None:
        taken = self._policy.start()
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        task = asyncio.get_running_loop().run_in_executor(self._executor, self._score_all, batch)
        task.add_done_callback(lambda done: self._settle(batch, done))

    def _score_all(self, batch: list[_Waiting]) -> list[ScoredWindow]:
        """In a worker thread: one call per model and window length; the answers in ``batch``'s order."""
        by_model: defaultdict[int, list[int]] = defaultdict(list)
        for index, waiting in enumerate(batch):
            by_model[id(waiting.model)].append(index)
        scores: list[ScoredWindow | None] = [None] * len(batch)
        for indices in by_model.values():
            windows = [(batch[i].points, batch[i].signs) for i in indices]
            for index, scored in zip(indices, score_each(batch[indices[0]].model, windows), strict=True):
                scores[index] = scored
            self.calls += len({len(points) for points, _ in windows})
        self.windows += len(batch)
        return [s for s in scores if s is not None]

    def _settle(self, batch: list[_Waiting], done: asyncio.Future[list[ScoredWindow]]) -> None:
        error = done.exception()
        for index, waiting in enumerate(batch):
            if waiting.answer.done():  # its session gave up waiting (closed)
                continue
            if error is not None:
                waiting.answer.set_exception(error)
            else:
                waiting.answer.set_result(done.result()[index])
        if self._policy.finished():
            self._start()
