"""Lines that native libraries write to file descriptor 2, turned into JSON log records.

MediaPipe (glog and absl), libjpeg and libpng write straight to fd 2,
beneath Python: ``W0000 00:00:... inference_feedback_manager.cc:114] ...``
for every session's graph, ``Corrupt JPEG data: premature end of data
segment``, ``libpng error: IDAT: CRC error``. A log pipeline that reads one
JSON object a line chokes on them, and a client sending corrupt images could
have the server write one line per frame.

:class:`NativeStderr` puts a pipe in place of fd 2, keeps a duplicate of the
real stderr for Python's own log handler, and has a daemon thread turn every
line into a record of the ``native`` logger (a line that already is a JSON
object passes as it is). :class:`LineGate` is the pure part: splitting,
truncating, and the rate limit: at most :data:`MAX_LINES_PER_S` lines a
second, then a single line with the count of the rest when the second ends.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from .jsonlog import log

logger = logging.getLogger("native")

# MediaPipe writes a few lines per session; libpng and libjpeg one per bad
# frame. Twenty a second shows every one of them in normal operation.
MAX_LINES_PER_S = 20
MAX_LINE_CHARS = 1000  # a record's message; the rest of a longer line is cut
# A line without its newline is held at most this long, then cut and forwarded.
MAX_PENDING_BYTES = 16 * 1024
# How often a count of suppressed lines is looked at when nothing arrives.
IDLE_CHECK_S = 1.0
# At exit, how long the lines still in the pipe (a last traceback) may take to reach the log.
EXIT_DRAIN_S = 2.0


@dataclass(frozen=True)
class NativeLine:
    """One line to log: a JSON object to pass on as it is, or plain text to wrap."""

    text: str
    is_json: bool = False
    suppressed: int = 0  # for the summary of lines dropped by the rate limit


class LineGate:
    """Bytes from the pipe in, the lines to log out: at most ``limit`` a second, then one count of the rest."""

    def __init__(self, limit: int = MAX_LINES_PER_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._window_start = clock()
        self._in_window = 0
        self._suppressed = 0
        self._pending = bytearray()
        self._skipping = False  # inside the rest of a line already cut and forwarded

    def feed(self, data: bytes) -> list[NativeLine]:
        """Lines completed by ``data`` (and an overlong unfinished one), after the rate limit."""
        out: list[NativeLine] = []
        self._pending += data
        while True:
            end = self._pending.find(b"\n")
            if end < 0:
                break
            line = bytes(self._pending[:end])
            del self._pending[: end + 1]
            if self._skipping:
                self._skipping = False
            else:
                self._admit(line, out)
        if len(self._pending) > MAX_PENDING_BYTES:
            if not self._skipping:
                self._admit(bytes(self._pending), out)
            self._pending.clear()
            self._skipping = True
        return out

    def idle(self) -> list[NativeLine]:
        """The count of the lines suppressed in the last second, once that second is over."""
        out: list[NativeLine] = []
        self._roll(out)
        return out

    def close(self) -> list[NativeLine]:
        """At the end of the stream: the unfinished last line, and the count of the suppressed ones."""
        out = self.feed(b"\n") if self._pending else []
        self._roll(out, force=True)
        return out

    def _admit(self, raw: bytes, out: list[NativeLine]) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if not text.strip():
            return
        self._roll(out)
        if self._in_window < self._limit:
            self._in_window += 1
            out.append(_line(text))
        else:
            self._suppressed += 1

    def _roll(self, out: list[NativeLine], *, force: bool = False) -> None:
        now = self._clock()
        if now - self._window_start < 1.0 and not force:
            return
        if self._suppressed:
            message = f"native lines suppressed: {self._suppressed} (more than {self._limit} a second)"
            out.append(NativeLine(message, suppressed=self._suppressed))
        self._window_start, self._in_window, self._suppressed = now, 0, 0


def _line(text: str) -> NativeLine:
    if text.startswith("{") and len(text) <= MAX_PENDING_BYTES:
        try:
            if isinstance(json.loads(text), dict):
                return NativeLine(text, is_json=True)
        except ValueError:
            pass
    return NativeLine(text[:MAX_LINE_CHARS] + ("..." if len(text) > MAX_LINE_CHARS else ""))


class NativeStderr:
    """File descriptor 2 rerouted through a pipe into the JSON log.

    Create it before anything native starts writing; give :attr:`stream` (the
    real stderr) to the log handler, then call :meth:`forward`. Python's own
    ``sys.stderr`` writes to fd 2 too, so a stray traceback is wrapped as well.
    """

    def __init__(self) -> None:
        sys.stderr.flush()
        original = os.dup(2)
        self._read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._original_fd = original
        # Line-buffered, so that each record leaves at once, as on a terminal.
        self.stream: TextIO = open(  # noqa: SIM115 (it lives as long as the process)
            original, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False
        )
        self._thread: threading.Thread | None = None
        self._gate = LineGate()

    def forward(self, handler: logging.Handler) -> None:
        """Start the thread that logs every line written to fd 2 (through ``handler`` for JSON objects)."""
        self._thread = threading.Thread(target=self._pump, args=(handler,), name="native-stderr", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def close(self) -> None:
        """Put the real stderr back on fd 2 and let the lines still in the pipe reach the log."""
        sys.stderr.flush()
        os.dup2(self._original_fd, 2)  # the pipe's last writer goes: the thread reads to its end
        if self._thread is not None:
            self._thread.join(EXIT_DRAIN_S)

    def _pump(self, handler: logging.Handler) -> None:
        while True:
            readable, _, _ = select.select([self._read_fd], [], [], IDLE_CHECK_S)
            if not readable:
                lines = self._gate.idle()
            else:
                data = os.read(self._read_fd, 65536)
                if not data:  # fd 2 closed or restored at exit
                    self._write(self._gate.close(), handler)
                    return
                lines = self._gate.feed(data)
            # Never stop reading: with the pipe full, every thread that writes to fd 2 would block.
            with contextlib.suppress(Exception):
                self._write(lines, handler)

    def _write(self, lines: list[NativeLine], handler: logging.Handler) -> None:
        for line in lines:
            if line.is_json:
                handler.acquire()  # the handler's own lock: lines never interleave
                try:
                    self.stream.write(line.text + "\n")
                finally:
                    handler.release()
            elif line.suppressed:
                log(logger, logging.WARNING, line.text, suppressed=line.suppressed)
            else:
                log(logger, logging.WARNING, line.text)
