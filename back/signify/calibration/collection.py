"""Which frames a calibration keeps: letters prompted one at a time, a settling pause, then a take.

Pure policy, fed one observation per answered frame by the recognizer: the
shared model's embedding and log-probabilities for the window ending at
that frame, or nothing when no hand was found. After a prompt the first
:data:`SETTLE_FRAMES` frames with a hand are let go (the window still
holds the previous letter and the user is still forming the new one);
the next ``frames`` frames with a hand are the take. J and Z are
movements, so their takes are longer, to hold a few whole strokes.
Frames without a hand count for nothing and lose nothing.

From every take a few evenly spaced frames become the letter's examples
(:data:`~signify.calibration.profile.MAX_EXAMPLES_PER_LETTER`): a take's
neighbouring windows differ by one frame and add little. The recognizer
feeds only full windows: after the hand left (and the buffer emptied) a
take goes on once the window is full again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..recognition.smoothing import MOTION_LETTERS
from .profile import MAX_EXAMPLES_PER_LETTER, Profile

SETTLE_FRAMES = 10  # about a third of a second at 30 fps
# The examples come from windows that hold nothing from before the prompt: from the frame whose
# window (KEYPOINT_BUFFER_SIZE frames, 32 by default) began at the prompt. Windows that still held
# the previous letter cost a point or two when they were used (docs/calibration.md).
DEFAULT_WINDOW = 32
HELD_FRAMES = 45  # 1.5 s of a held letter
MOTION_FRAMES = 75  # 2.5 s of J or Z: two or three strokes
DONATED_WINDOWS_PER_LETTER = 3


@dataclass(frozen=True)
class Observation:
    """What the shared model made of one frame with a hand."""

    embedding: NDArray[np.float32]
    log_probabilities: NDArray[np.float32]
    # The window as the model read it, kept only when the user donates (signify.donations).
    keypoints: NDArray[np.float32] | None = None
    placements: NDArray[np.float32] | None = None


@dataclass(frozen=True)
class Prompt:
    """The letter the user is asked to show now."""

    letter: str
    index: int
    letters: tuple[str, ...]
    frames: int


@dataclass(frozen=True)
class Progress:
    """How far the take of the prompted letter is."""

    letter: str
    collected: int
    frames: int


@dataclass
class Take:
    """The frames kept for one letter; the examples come from ``observations[usable_from:]``."""

    letter: str
    observations: list[Observation] = field(default_factory=list)
    usable_from: int = 0

    def examples(self, count: int = MAX_EXAMPLES_PER_LETTER) -> list[Observation]:
        """``count`` frames spread evenly over the usable part of the take (all of it, if that is too short)."""
        usable = self.observations[self.usable_from :]
        return _spread(usable if len(usable) >= count else self.observations, count)


@dataclass(frozen=True)
class CalibrationResult:
    """What a calibration run collected."""

    takes: tuple[Take, ...]
    skipped: tuple[str, ...]

    @property
    def letters(self) -> list[str]:
        """The letters with a finished take, in prompting order."""
        return [take.letter for take in self.takes]


class CalibrationRun:
    """Prompts ``letters`` in order and collects one take of each."""

    def __init__(
        self, letters: Sequence[str], *, settle: int = SETTLE_FRAMES, held: int = HELD_FRAMES,
        motion: int = MOTION_FRAMES, window: int = DEFAULT_WINDOW, donate: bool = False,
        contributor: str | None = None,
    ) -> None:
        """``window``: the frames a window holds (the server's buffer), which decides the examples' frames."""
        if not letters or len(set(letters)) != len(letters):
            raise ValueError("a calibration needs distinct letters")
        self.letters = tuple(letters)
        self.donate = donate
        self.contributor = contributor
        self._settle, self._held, self._motion, self._window = settle, held, motion, window
        self._index = 0
        self._seen = 0  # frames with a hand since the prompt
        self._take = self._new_take(self.letters[0])
        self._takes: list[Take] = []
        self._skipped: list[str] = []

    @property
    def finished(self) -> bool:
        """Whether every letter was taken or skipped."""
        return self._index >= len(self.letters)

    @property
    def prompt(self) -> Prompt | None:
        """The letter asked for now, or None once finished."""
        if self.finished:
            return None
        letter = self.letters[self._index]
        return Prompt(letter, self._index, self.letters, self._frames(letter))

    @property
    def progress(self) -> Progress | None:
        """The prompted letter's progress, or None once finished."""
        prompt = self.prompt
        if prompt is None:
            return None
        return Progress(prompt.letter, len(self._take.observations), prompt.frames)

    def observe(self, observation: Observation | None) -> bool:
        """Take one answered frame (None: no hand); True when it finished the prompted letter."""
        if self.finished or observation is None:
            return False
        self._seen += 1
        if self._seen <= self._settle:
            return False
        if not (self.donate and len(self._take.observations) in self._donated_at(self._take.letter)):
            # A window's keypoints are 8 KB: keep only those of the frames that will be donated.
            observation = Observation(observation.embedding, observation.log_probabilities)
        self._take.observations.append(observation)
        if len(self._take.observations) < self._frames(self._take.letter):
            return False
        self._takes.append(self._take)
        self._advance()
        return True

    def skip(self) -> None:
        """Give up on the prompted letter."""
        if not self.finished:
            self._skipped.append(self.letters[self._index])
            self._advance()

    def result(self) -> CalibrationResult:
        """The finished takes; a letter cut short by a stop counts as skipped."""
        skipped = self._skipped + list(self.letters[self._index :])
        return CalibrationResult(tuple(self._takes), tuple(skipped))

    def _advance(self) -> None:
        self._index += 1
        self._seen = 0
        if not self.finished:
            self._take = self._new_take(self.letters[self._index])

    def _new_take(self, letter: str) -> Take:
        return Take(letter, usable_from=self._usable_from)

    @property
    def _usable_from(self) -> int:
        """The first frame of a take whose window began at the prompt (the take starts after the settling)."""
        return max(0, self._window - self._settle)

    def _frames(self, letter: str) -> int:
        return self._motion if letter in MOTION_LETTERS else self._held

    def _donated_at(self, letter: str) -> set[int]:
        # Spread over the take's second half, and never before its windows hold nothing from before the prompt.
        frames = self._frames(letter)
        first = min(frames - 1, max(frames // 2, self._usable_from))
        return set(np.linspace(first, frames - 1, DONATED_WINDOWS_PER_LETTER).round().astype(int).tolist())


def _spread(items: list[Observation], count: int) -> list[Observation]:
    if len(items) <= count:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, count).round().astype(int)]


def donated_windows(take: Take) -> list[Observation]:
    """The windows of a take that a donating user gives (:data:`DONATED_WINDOWS_PER_LETTER`, from its second half)."""
    return [o for o in take.observations if o.keypoints is not None and o.placements is not None]


def profile_from_takes(takes: Sequence[Take], model_name: str, model_version: str,
                       labels: Sequence[str], per_letter: int = MAX_EXAMPLES_PER_LETTER) -> Profile | None:
    """The profile of ``per_letter`` examples from each take (None without any), as a calibration hands it out."""
    examples = [(labels.index(take.letter), o) for take in takes for o in take.examples(per_letter)]
    if not examples:
        return None
    return Profile(
        model_name,
        model_version,
        np.array([label for label, _ in examples], dtype=np.int64),
        np.stack([o.embedding for _, o in examples]).astype(np.float32),
        np.stack([o.log_probabilities for _, o in examples]).astype(np.float32),
    )
