"""Plain JSON values out of pandas and numpy: what the report dict is made of.

The report is stored as JSON and rendered by templates, so no NaN, NA or
numpy scalar may reach it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["json_number", "json_records"]


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
