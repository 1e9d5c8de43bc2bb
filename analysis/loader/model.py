"""What a pulse is once read (:class:`PulseData`), and the one error the
loader raises (:class:`LoadError`), whichever storage it was read from."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..coarsen import COMMENT_COLUMNS
from ..instrument import Instrument, InstrumentError, parse_instrument_text
from ..strategy import Strategy

__all__ = ["META_COLUMNS", "NUMERIC_TYPES", "TEXT_TYPES", "LoadError", "PulseData", "instrument_from_text"]


#: Columns of ``responses.csv`` before the item columns (docs/export.md).
#: Format 1 also had ``submitted_on``; it is read past and dropped, since no
#: analysis may depend on when someone answered.
META_COLUMNS = ("response_id", "pulse", "period")
NUMERIC_TYPES = ("likert", "enps", "estimate")
TEXT_TYPES = ("recall", "comment")


class LoadError(Exception):
    """The data cannot be read as a pulse; the message says where and why."""


@dataclass(frozen=True)
class PulseData:
    """One pulse, ready for analysis.

    ``responses`` is indexed by the random response id and holds the columns
    ``pulse``, ``period``, the segment columns and one column
    per answer item: floats for Likert (raw 1..points, not reversed), eNPS and
    estimates; strings (or missing) for recall and comment items.
    """

    survey: str
    title: str
    period: str
    status: str
    instrument: Instrument
    strategy: Strategy
    leadership_levels: tuple[str, ...]
    responses: pd.DataFrame
    #: Slugs of the pulses of the same instrument, oldest period first.
    series: tuple[str, ...] = ()
    source: str = ""
    #: Comments kept apart from their rows because the row's group is smaller
    #: than ``min_comments`` (columns ``item``, ``text`` and the segments;
    #: ``analysis.coarsen.safe_rows``). Empty for format-1 exports.
    comments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(COMMENT_COLUMNS)))

    @property
    def previous_survey(self) -> str | None:
        """The pulse before this one in its series, if any."""
        if self.survey not in self.series:
            return None
        position = self.series.index(self.survey)
        return self.series[position - 1] if position > 0 else None


def instrument_from_text(text: str, source: str) -> Instrument:
    """The instrument stored (database) or shipped (``pulse.json``) with a pulse, its errors as a :class:`LoadError`."""
    try:
        return parse_instrument_text(text, source=source)
    except InstrumentError as exc:
        raise LoadError(str(exc)) from exc
