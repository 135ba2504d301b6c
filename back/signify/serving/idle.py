"""When a silent connection has waited too long for its next message: pure bookkeeping, the clock passed in.

A session is closed once it has waited :attr:`IdleWatch.timeout` seconds
for a message. A timeout of its own around every receive costs a timer
created and cancelled for every message: about 6 us, and a heap of
cancelled timers in the event loop, 30 times a second for every keypoint
client (a tenth of the event loop's time at 150 clients, in a profile).
Instead the reader marks when it starts waiting and when a message
arrives, and one timer per session asks :meth:`IdleWatch.expired` now and
then (:meth:`IdleWatch.next_check`): a message costs a clock read and two
attribute writes.

Only the wait for a message counts, as a timeout around the receive would
have it: a session busy with a message (answering a slow client) is not
idle.
"""

from __future__ import annotations


class IdleWatch:
    """Whether the reader has waited ``timeout`` seconds for a message, and when to ask again."""

    def __init__(self, timeout: float) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.timeout = timeout
        self._since = 0.0
        self._waiting = False

    def waiting(self, now: float) -> None:
        """The reader starts waiting for the next message."""
        self._since = now
        self._waiting = True

    def heard(self) -> None:
        """A message arrived: the reader is busy with it, not waiting."""
        self._waiting = False

    def expired(self, now: float) -> bool:
        """Whether the reader has been waiting for ``timeout`` seconds or more."""
        return self._waiting and now - self._since >= self.timeout

    def next_check(self, now: float) -> float:
        """When the wait could expire at the earliest: ``timeout`` after it began, or after ``now`` while the
        reader is busy (its next wait begins later still)."""
        return self._since + self.timeout if self._waiting else now + self.timeout
