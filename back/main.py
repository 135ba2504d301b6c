"""Start the Signify server: ``python main.py`` (settings from the environment)."""

import sys

from signify.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
