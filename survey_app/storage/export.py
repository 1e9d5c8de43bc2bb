"""The analysts' export: ``responses.csv`` and ``pulse.json`` (``docs/export.md``).

Row-level data leaves the app only here, so this is where it is made safe to
hand over: only published responses (``storage.snapshots``), the breakdown
values coarsened over the exported rows themselves (``analysis.coarsen``: every
combination shared by at least ``min_group`` rows, and by ``min_comments``
where someone commented), no dates, and comments scrubbed of the roster's
names, emails and phone numbers. The analysis loader applies the same rules to
the database, so both give the same table.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import sqlite_utils

from analysis.coarsen import COMMENT_COLUMNS, SafeRows, safe_rows
from analysis.instrument import SEGMENTS
from survey_app.storage.base import UnknownPulse
from survey_app.storage.pulses import get_pulse, stored_source
from survey_app.storage.roster import scrub_names

#: The format number written into ``pulse.json``; bump it on any change an
#: analyst's loader would notice. 2: no ``submitted_on`` column, coarsened
#: breakdowns, scrubbed comments, published responses only.
EXPORT_FORMAT = 2

#: Columns every ``responses.csv`` starts with, before the item columns.
EXPORT_BASE_COLUMNS = ("response_id", "pulse", "period") + SEGMENTS

def _csv_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else repr(value)


def published_rows(db: sqlite_utils.Database, pulse) -> SafeRows:
    """The published responses of a pulse, one row each, safe to hand over.

    Read in one query, so a submission arriving meanwhile is either wholly in
    or not at all; rows in response-id order, which is random.
    """
    items = pulse.instrument.answer_items
    numeric = {i.id for i in items if i.type in ("likert", "enps", "estimate")}
    comments = [i.id for i in items if i.type == "comment"]
    records: dict[str, dict[str, Any]] = {}
    for row in db.query(
        """SELECT r.id, r.department, r.team, r.tenure_band, r.role_level,
                  a.item_id, a.value_number, a.value_text
           FROM responses r LEFT JOIN answers a ON a.response_id = r.id
           WHERE r.pulse_slug = ? AND r.snapshot IS NOT NULL ORDER BY r.id""",
        [pulse.slug],
    ):
        record = records.setdefault(row["id"], {s: row[s] for s in SEGMENTS})
        item_id = row["item_id"]
        if item_id is None:
            continue
        record[item_id] = row["value_number"] if item_id in numeric else row["value_text"]
    table = pd.DataFrame.from_dict(records, orient="index")
    table = table.reindex(columns=list(SEGMENTS) + [i.id for i in items])
    table.index.name = "response_id"
    return safe_rows(
        table, pulse.breakdowns, comments, scrub_names(db, pulse.slug), pulse.min_group,
        leadership_levels=pulse.leadership_levels,
    )


def export_pulse(
    db: sqlite_utils.Database, slug: str, out_dir: str | os.PathLike
) -> tuple[Path, Path]:
    """Write ``responses.csv``, ``comments.csv`` and ``pulse.json`` into ``out_dir``.

    ``comments.csv`` holds the comments of rows whose group is smaller than
    ``min_comments`` (docs/export.md); it is read beside ``responses.csv``.

    The format is the contract in ``docs/export.md``; what is made safe and
    how is in this module's docstring.

    Returns
    -------
    (responses_csv, pulse_json) : tuple of Path
    """
    pulse = get_pulse(db, slug)
    if pulse is None:
        raise UnknownPulse(slug)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = pulse.instrument.answer_items
    numeric = {i.id for i in items if i.type in ("likert", "enps", "estimate")}
    header = list(EXPORT_BASE_COLUMNS) + [i.id for i in items]
    safe = published_rows(db, pulse)
    table = safe.rows

    csv_path = out / "responses.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for response_id, row in table.iterrows():
            cells = [response_id, slug, pulse.period]
            cells += ["" if pd.isna(row[s]) else row[s] for s in SEGMENTS]
            for item in items:
                value = row[item.id]
                if pd.isna(value):
                    cells.append("")
                elif item.id in numeric:
                    cells.append(_csv_number(float(value)))
                else:
                    cells.append(value)
            writer.writerow(cells)

    comments_path = out / "comments.csv"
    with comments_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(COMMENT_COLUMNS) + list(SEGMENTS))
        for _, row in safe.comments.iterrows():
            writer.writerow([row["item"], row["text"]]
                            + ["" if pd.isna(row[s]) else row[s] for s in SEGMENTS])

    series = [
        {"survey": p["slug"], "period": p["period"]}
        for p in db.query(
            "SELECT slug, period FROM pulses WHERE instrument_id = ? ORDER BY period, slug",
            [pulse.instrument.id],
        )
    ]
    source = stored_source(db, pulse.instrument.id, pulse.instrument.version)
    meta = {
        "format": EXPORT_FORMAT,
        "survey": pulse.slug,
        "title": pulse.title,
        "period": pulse.period,
        "status": pulse.status,
        "instrument": {
            "id": pulse.instrument.id,
            "version": pulse.instrument.version,
            "source_toml": source,
        },
        "leadership_levels": list(pulse.leadership_levels),
        "breakdowns": list(pulse.breakdowns),
        "comments_csv": comments_path.name,
        "min_group": pulse.min_group,
        "strategy": pulse.strategy.to_dict(),
        "series": series,
    }
    json_path = out / "pulse.json"
    json_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, json_path
