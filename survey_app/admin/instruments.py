"""Instrument files for a new pulse: the ones offered, and reading one with its warnings.

The loader refuses a malformed file (``InstrumentError``: file, item,
problem) and warns about one that is merely doubtful (an ``[instrument]
minutes`` below the estimated time). The admin page and ``create-pulse`` show
both, so the warning reaches the person creating the pulse instead of a log.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from analysis.instrument import Instrument, InstrumentError, load_instrument, parse_instrument_text

#: The folder of instrument files offered when creating a pulse.
INSTRUMENTS_DIR = Path(__file__).resolve().parents[2] / "instruments"


def read_instrument(path: Path | None = None, *, text: str | None = None,
                    source: str = "<instrument>") -> tuple[Instrument, list[str]]:
    """Load a file (``path``) or its text; return it with the loader's warnings.

    Raises :class:`InstrumentError` as the loader does.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        if path is not None:
            instrument = load_instrument(path)
        else:
            instrument = parse_instrument_text(text or "", source=source)
    return instrument, [str(w.message) for w in caught]


def valid_instrument_files(folder: Path) -> list[tuple[str, Instrument]]:
    """(file name, instrument) for each file of ``folder`` that loads.

    Files that do not (a strategy file kept beside them, a draft with a
    mistake) are left out: a pulse can only be created from a valid one.
    """
    found = []
    for path in sorted(folder.glob("*.toml")):
        try:
            instrument, _ = read_instrument(path)
        except (InstrumentError, UnicodeDecodeError):
            continue
        found.append((path.name, instrument))
    return found
