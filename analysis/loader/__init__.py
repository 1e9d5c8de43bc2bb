"""Read a pulse from the database or from an export into one shape.

The analysis runs the same on the live database as on a CSV export an analyst
was sent, because everything downstream works on what this module hands over:
a :class:`PulseData` with the instrument, the strategy statement and a
responses table (one row per anonymous response, one column per item). This is
the only module of ``analysis`` that reads storage; it opens the database
read-only, against the schema documented in ``docs/schema.md``, and reads
exports against the contract in ``docs/export.md``. The database is a SQLite
file or a ``postgresql://`` URL (best with a read-only role, docs/deploy.md);
the same queries read both, into the same tables.

Every error is a :class:`LoadError` whose message is one line naming the file,
the line or column and what was expected, so the command line can print it
as it is.

The package: :mod:`.model` (what a pulse is once read, and the one error),
:mod:`.database` (a SQLite file or a PostgreSQL URL, read-only) and
:mod:`.export` (``responses.csv``, ``comments.csv`` and ``pulse.json``).
"""

from .database import list_surveys, load_from_db, load_previous_from_db
from .export import GUARDED_FORMAT, load_from_export, load_pulse_definition
from .model import META_COLUMNS, NUMERIC_TYPES, TEXT_TYPES, LoadError, PulseData

__all__ = [
    "GUARDED_FORMAT",
    "LoadError",
    "META_COLUMNS",
    "NUMERIC_TYPES",
    "PulseData",
    "TEXT_TYPES",
    "list_surveys",
    "load_from_db",
    "load_from_export",
    "load_previous_from_db",
    "load_pulse_definition",
]
