"""Per-connection message rate limiting and abuse detection."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

ABUSE_WINDOW_S = 10.0


class RateLimiter:
    """A token bucket: ``rate`` messages a second on average, bursts up to one second's worth.

    Rejections are remembered for :data:`ABUSE_WINDOW_S`; a client that keeps
    sending at several times its allowance is abusive, not just eager.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._rate = rate
        self._capacity = max(rate, 1.0)
        self._tokens = self._capacity
        self._clock = clock
        self._last = clock()
        self._abuse_threshold = int(rate * ABUSE_WINDOW_S * 2)  # three times the allowance, sustained
        self._rejections: deque[float] = deque(maxlen=self._abuse_threshold + 1)

    def allow(self) -> bool:
        """Take one token; False (and a recorded rejection) when none is left."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self._rejections.append(now)
        return False

    @property
    def abusive(self) -> bool:
        """Whether rejections over the last window show sustained abuse."""
        horizon = self._clock() - ABUSE_WINDOW_S
        while self._rejections and self._rejections[0] < horizon:
            self._rejections.popleft()
        return len(self._rejections) > self._abuse_threshold
