"""Which MediaPipe Hands model camera images are tracked with, by how many image sessions share the machine.

Pure policy, no I/O and no clock of its own. The full landmark model
(complexity 1) reads real hands better: on held-out photos the letter model
is right 94.1% of the time on its landmarks against 89.1% on the lite
model's, and it is the model the demo page's own tracker runs, so a camera
that falls back to sending images gets the letters the on-device path gives.
It costs about 11 ms of CPU a frame against 7: two cores serve 5 cameras on
it where they serve 8 on the lite one. So every image session tracks with the
full model while at most ``full_up_to`` of them are open, and all of them
switch to the lite model as soon as more are: the capacity stays the lite
model's. They go back once the count has stayed low for ``settle_s``, so a
camera that reconnects does not make the others switch twice, and a camera
that comes and goes makes at most two switches each ``settle_s``. A switch costs each session a
new graph, built where graphs are built, and one frame's wait for it.
"""

from __future__ import annotations

LITE, FULL = 0, 1  # MediaPipe's model_complexity values
SETTLE_S = 10.0


class ComplexityPolicy:
    """The model complexity image sessions should track with now."""

    def __init__(self, full_up_to: int, settle_s: float | None = None) -> None:
        """The full model while at most ``full_up_to`` image sessions are open (0: never); ``settle_s`` (by
        default :data:`SETTLE_S`) is how long the count must stay that low before the full model is back."""
        self._full_up_to = full_up_to
        self._settle_s = SETTLE_S if settle_s is None else settle_s
        self._full = full_up_to > 0
        self._low_since: float | None = float("-inf")  # since when the count has been at most full_up_to

    def update(self, image_sessions: int, now: float) -> None:
        """Note the open image sessions' count at ``now`` (any monotonic clock, in seconds)."""
        if image_sessions > self._full_up_to:
            self._full = False
            self._low_since = None
        elif self._low_since is None:
            self._low_since = now

    def complexity(self, now: float) -> int:
        """:data:`FULL` or :data:`LITE`, for every image session's next frame."""
        due = self.full_again_at()
        if due is not None and now >= due:
            self._full = True
        return FULL if self._full else LITE

    def full_again_at(self) -> float | None:
        """When the full model is due back if the count stays as it is; None when it is in use or not due."""
        if self._full or self._full_up_to == 0 or self._low_since is None:
            return None
        return self._low_since + self._settle_s
