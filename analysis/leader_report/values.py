"""Plain JSON values out of pandas and numpy: what the report dict is made of.

The report is stored as JSON and rendered by templates, so no NaN, NA or
numpy scalar may reach it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["json_number", "json_records", "points", "signed"]


def points(value: float) -> int:
    """The whole number of points a page shows for ``value``, rounded as
    ``"%.0f"`` rounds it: what "below the company" must be judged by, so
    that a page never says "0 below"."""
    return int(round(value))


def signed(value: float) -> str:
    """A difference or change as a page shows it: "+3", "-12", and "0" for
    one that rounds to nothing ("%+.0f" wrote -0.3 as "-0").

    >>> signed(2.6), signed(-12.4), signed(-0.3), signed(0.4)
    ('+3', '-12', '0', '0')
    """
    shown = points(value)
    return f"{shown:+d}" if shown else "0"


def json_number(value) -> float | None:
    """A float for JSON, ``None`` for NaN/NA/None."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def json_records(frame: pd.DataFrame) -> list[dict]:
    if frame is None or frame.empty:
        return []
    frame = frame.reset_index() if frame.index.name is not None else frame
    out = []
    for row in frame.astype(object).to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, (list, tuple)):
                clean[key] = [v.item() if isinstance(v, np.generic) else v for v in value]
            elif value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                clean[key] = None
            elif isinstance(value, np.generic):
                clean[key] = value.item()
            else:
                clean[key] = value
        out.append(clean)
    return out
