"""Start the Signify server: ``python main.py`` (settings from the environment)."""

import os
import sys

# Before numpy loads: its OpenBLAS would run each small product on a thread per core, fighting the
# server's own worker threads (under load a calibrated frame took 0.4 ms instead of 0.02, and a
# profile's fit up to 5 s instead of 0.05). The server's parallelism is its sessions.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from signify.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
