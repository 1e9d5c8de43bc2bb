"""The analysts' export: ``responses.csv`` and ``pulse.json`` (``docs/export.md``)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import sqlite_utils

from analysis.instrument import SEGMENTS
from survey_app.storage.base import UnknownPulse
from survey_app.storage.pulses import get_pulse, stored_source

#: The format number written into ``pulse.json``; bump it on any change an
#: analyst's loader would notice.
EXPORT_FORMAT = 1

#: Columns every ``responses.csv`` starts with, before the item columns.
EXPORT_BASE_COLUMNS = ("response_id", "pulse", "period", "submitted_on") + SEGMENTS


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _csv_number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else repr(value)


def export_pulse(
    db: sqlite_utils.Database, slug: str, out_dir: str | os.PathLike
) -> tuple[Path, Path]:
    """Write ``responses.csv`` and ``pulse.json`` for one pulse into ``out_dir``.

    The format is the contract in ``docs/export.md``. Rows come in response-id
    order, which is random, so the file order says nothing about who answered
    when. Everything is read in one query, so a submission arriving during the
    export is either wholly in the file or not at all.

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
    item_ids = [i.id for i in items]
    header = list(EXPORT_BASE_COLUMNS) + item_ids

    csv_path = out / "responses.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        current: dict[str, Any] | None = None

        def flush(record: dict[str, Any] | None) -> None:
            if record is not None:
                writer.writerow([record.get(column, "") for column in header])

        for row in db.query(
            """SELECT r.id, r.submitted_on, r.department, r.team, r.tenure_band,
                      r.role_level, a.item_id, a.value_number, a.value_text
               FROM responses r LEFT JOIN answers a ON a.response_id = r.id
               WHERE r.pulse_slug = ? ORDER BY r.id""",
            [slug],
        ):
            if current is None or current["response_id"] != row["id"]:
                flush(current)
                current = {
                    "response_id": row["id"],
                    "pulse": slug,
                    "period": pulse.period,
                    "submitted_on": row["submitted_on"],
                    **{s: row[s] or "" for s in SEGMENTS},
                }
            item_id = row["item_id"]
            if item_id is None or item_id not in header:
                continue
            if item_id in numeric:
                current[item_id] = _csv_number(row["value_number"])
            else:
                current[item_id] = row["value_text"] or ""
        flush(current)

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
        "strategy": pulse.strategy.to_dict(),
        "series": series,
    }
    json_path = out / "pulse.json"
    json_path.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return csv_path, json_path

