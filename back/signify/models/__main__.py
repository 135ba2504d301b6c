"""``python -m signify.models stamp MODEL.onnx...``: write each file's sha256 into its card.

``python -m signify.models check MODEL.onnx...``: run every load check on each release and say which refused.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..recognition.model import ModelError
from .loading import load_release
from .store import stamp_card

USAGE = "usage: python -m signify.models stamp|check MODEL.onnx..."


def main(argv: list[str]) -> int:
    """Run the command; the exit code is 0 when every file passed."""
    if len(argv) < 2 or argv[0] not in ("stamp", "check"):
        print(USAGE, file=sys.stderr)
        return 2
    failed = 0
    for name in argv[1:]:
        path = Path(name)
        try:
            if argv[0] == "stamp":
                print(f"{path}: sha256 {stamp_card(path)}")
            else:
                model = load_release(path, 32)
                print(f"{path}: {model.card.name} {model.version} passes every check")
        except ModelError as error:
            print(f"{path}: refused by check {error.check}: {error}", file=sys.stderr)
            failed += 1
        except (OSError, ValueError) as error:
            print(f"{path}: {error}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
