"""``python -m analysis``: the analysts' command line (see analysis/cli/)."""

import sys

from .cli import main

sys.exit(main())
