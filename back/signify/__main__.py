"""Command line entry point: ``python -m signify`` (or ``python main.py`` in back/)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import NoReturn

from . import jsonlog, nativelog
from .app import Application
from .config import ConfigError, Settings
from .memory import limit_malloc_arenas


def main() -> int:
    """Read the settings, run the server until a signal, return the exit code."""
    limit_malloc_arenas()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"signify: configuration error: {exc}", file=sys.stderr)
        return 2
    # From here every line on stderr is JSON: native libraries' plain text included.
    native = nativelog.NativeStderr()
    native.forward(jsonlog.configure(settings.log_level, native.stream))
    asyncio.run(Application(settings).run_until_signalled())
    exit_now(native)


def exit_now(native: nativelog.NativeStderr) -> NoReturn:
    """Flush the log and end the process without joining the worker threads.

    After a drain that timed out a worker thread may still be decoding or
    running MediaPipe for a session already closed. The interpreter's normal
    exit joins every ThreadPoolExecutor thread (concurrent.futures registers
    that at exit), which would hold the process past DRAIN_TIMEOUT for as long
    as the frame takes; nothing left to do needs those threads.
    """
    native.close()  # lines native libraries wrote to fd 2 reach the log first
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
