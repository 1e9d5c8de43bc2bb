"""The analysts' command line: ``python -m analysis <command>``.

Built on argparse (the standard library) rather than click so that the
analysis keeps no dependency of the web app's stack. Every failure an analyst
can cause - an unknown survey, a missing column, an unreadable file, empty
data - ends as one line on stderr and exit code 2, the convention argparse
itself uses for usage errors, so scripts can tell "you asked wrongly" from a
crash.

One module per command (:mod:`.scores`, :mod:`.themes`), each adding its
own sub-command with ``add_parser``; :mod:`.common` holds what they share.
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from ..loader import LoadError
from . import scores, themes
from .common import EXIT_USAGE, CommandError, Parser

__all__ = ["EXIT_USAGE", "CommandError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m analysis",
        description="Trinity Pulse analysis: alignment scores and comment themes, "
        "from a database or a CSV export.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    scores.add_parser(commands)
    themes.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except (CommandError, LoadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
