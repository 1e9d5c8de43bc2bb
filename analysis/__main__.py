"""``python -m analysis``: the analysts' command line (see analysis/cli.py)."""

import sys

from .cli import main

sys.exit(main())
