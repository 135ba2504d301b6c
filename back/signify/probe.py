"""Container health check: ``python -m signify.probe`` exits 0 when the server is ready."""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 4.0


def main() -> int:
    """GET /ready on the local health port; 0 when it answers 200."""
    port = os.environ.get("HEALTH_PORT", "8080")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=TIMEOUT_S) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"signify probe: not ready: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
