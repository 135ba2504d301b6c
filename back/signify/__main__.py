"""Command line entry point: ``python -m signify`` (or ``python main.py`` in back/)."""

from __future__ import annotations

import asyncio
import sys

from . import jsonlog
from .app import Application
from .config import ConfigError, Settings


def main() -> int:
    """Read the settings, run the server until a signal, return the exit code."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"signify: configuration error: {exc}", file=sys.stderr)
        return 2
    jsonlog.configure(settings.log_level)
    asyncio.run(Application(settings).run_until_signalled())
    return 0


if __name__ == "__main__":
    sys.exit(main())
