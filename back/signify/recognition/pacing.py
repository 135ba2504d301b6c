"""How many of the model's frames each frame of a stream stands for: streams slower than 30 a second.

The model was trained on windows of 30 frames a second, and the transcript
counts its holds, gaps and movements in frames (signify.recognition.smoothing).
Not every client gives 30: an on-device tracker on a slow laptop gives 10-20
results a second. Taken one for one, such a stream's window spans two or
three seconds instead of one, a J's hook in it is as fast as a flick, and
every hold lasts two or three times as long. So a frame that says when it
was captured (a keypoints message's ``captured``, in milliseconds) is placed
on the client's clock and stands for the model's frames (ticks, 1/30 s
each) that passed since the one before: one at 30 a second, two or three
from a slower tracker, the missed ones filled in by the caller
(:class:`~signify.recognition.recognizer.Recognizer`). A frame without a
capture time stands for one, as every frame did before: a client that
replays a recording as fast as it is answered is not slowed into it.

The capture time is the client's word, so the arrival clock bounds what it
may claim: ticks beyond the first of each frame are granted from a budget
that fills at 30 a second (:data:`MAX_FILL` plus one at most), so a stream
costs at most the model frames of a 30-a-second one, plus one a message.
"""

from __future__ import annotations

import math

MODEL_FPS = 30.0  # the frame rate of every window the model was trained on
# At most this many missed frames are filled in before a frame: trackers down to about 4 results a second. A
# longer gap (a stalled tracker, a hidden tab) is the stream pausing, not slow: the frame after it stands for itself.
MAX_FILL = 8
_ROUNDING = 1e-6  # of a tick: 1/15 s is two ticks, whatever the floating point makes of it


class FramePacer:
    """Places a stream's frames on its clock: pure bookkeeping, the times passed in.

    :meth:`ticks` is called once per frame, in the order the frames are
    recognized, with its capture time in milliseconds (None when the client
    sends none) and its arrival time in seconds on the server's clock.
    """

    def __init__(self, fps: float = MODEL_FPS, max_fill: int = MAX_FILL) -> None:
        if not fps > 0 or max_fill < 0:
            raise ValueError("fps must be positive and max_fill at least 0")
        self._period_ms = 1000.0 / fps
        self._fps = fps
        self._max_fill = max_fill
        self._captured: float | None = None  # the last frame's capture time, ms
        self._arrived: float | None = None  # the last frame's arrival, s
        self._owed = 0.0  # ticks passed on the client's clock and not yet granted (negative: granted ahead)
        self._budget = float(max_fill + 1)  # ticks the arrival clock allows now

    def ticks(self, captured: float | None, arrived: float, fill: bool = True) -> int:
        """How many ticks the frame stands for: 1 for itself, plus the missed ones before it (at most
        ``max_fill``); ``fill`` False: 1, the frame only placed on the clock for the next one."""
        if self._arrived is not None:
            self._budget = min(self._max_fill + 1.0, self._budget + max(0.0, arrived - self._arrived) * self._fps)
        self._arrived = arrived
        last, self._captured = self._captured, captured
        gap = math.nan if captured is None or last is None else captured - last
        # No gap to measure (the first frame, no capture time, or the client's clock went back), or one too long
        # to fill: a pause (a stalled tracker, a hidden tab), not a slow stream.
        if not fill or not 0.0 <= gap <= (self._max_fill + 1.5) * self._period_ms:
            self._owed = 0.0
            granted = 1
        else:
            self._owed += gap / self._period_ms
            granted = max(1, min(math.floor(self._owed + 0.5 + _ROUNDING), math.floor(self._budget + _ROUNDING)))
            # Granted ahead by half a frame at most: a faster stream is taken frame for frame and owes nothing.
            self._owed = min(self._max_fill + 1.0, max(-0.5, self._owed - granted))
        self._budget = max(0.0, self._budget - granted)
        return granted

    def reset(self) -> None:
        """Forget the client's clock: the next frame has no gap before it (after a reset of the stream). The
        budget stays: what the arrivals allow is the connection's, not the stream's, or resets would refill it."""
        self._captured = None
        self._owed = 0.0
