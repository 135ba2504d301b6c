"""Where the tests' few real hand photos are: tests/data, laid out like ../shared/data (see tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

PHOTO_DATA = Path(__file__).resolve().parent / "data"  # bench.webcam_motion's --data for the copied photos
