"""From noisy per-frame letters to a stable letter and a transcript."""

from __future__ import annotations

from collections import Counter, deque


class SlidingWindowSmoother:
    """Majority vote over the last ``size`` per-frame letters.

    The stable letter is the one that holds a strict majority of a full
    window; while the window is filling or disagrees there is none.
    ``None`` entries (no hand) take part in the vote, so a hand that
    leaves clears the stable letter within a window.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._size = size
        self._window: deque[str | None] = deque(maxlen=size)

    def push(self, letter: str | None) -> str | None:
        """Add one per-frame answer and return the stable letter, if any."""
        self._window.append(letter)
        if len(self._window) < self._size:
            return None
        winner, votes = Counter(self._window).most_common(1)[0]
        return winner if votes * 2 > self._size else None

    def clear(self) -> None:
        """Forget every vote."""
        self._window.clear()


class Transcript:
    """Commits stable letters into text, and a space between words.

    A letter is committed once it has been stable for ``commit_after``
    consecutive frames. It is committed once per run: to spell a double
    letter the hand must change or leave in between, which is how people
    fingerspell "LL". A hand absent for ``word_gap`` frames ends a word.
    """

    def __init__(self, commit_after: int, word_gap: int, max_length: int = 500) -> None:
        if commit_after < 1 or word_gap < 1:
            raise ValueError("commit_after and word_gap must be at least 1")
        self._commit_after = commit_after
        self._word_gap = word_gap
        self._max_length = max_length
        self._text: list[str] = []
        self._current: str | None = None
        self._run = 0
        self._committed = False
        self._absent = 0

    @property
    def text(self) -> str:
        """Everything committed since the last reset."""
        return "".join(self._text)

    def update(self, stable: str | None, hand: bool) -> str | None:
        """Feed one frame's stable letter; return the letter committed now, if any."""
        self._track_word_gap(hand)
        if stable != self._current:
            self._current, self._run, self._committed = stable, 0, False
        if stable is None or self._committed:
            return None
        self._run += 1
        if self._run < self._commit_after:
            return None
        self._committed = True
        self._append(stable)
        return stable

    def _track_word_gap(self, hand: bool) -> None:
        self._absent = 0 if hand else self._absent + 1
        if self._absent == self._word_gap and self._text and self._text[-1] != " ":
            self._append(" ")

    def _append(self, piece: str) -> None:
        self._text.append(piece)
        if len(self._text) > self._max_length:
            del self._text[: len(self._text) - self._max_length]

    def clear(self) -> None:
        """Forget the text and any letter in progress."""
        self._text.clear()
        self._current, self._run, self._committed, self._absent = None, 0, False, 0
