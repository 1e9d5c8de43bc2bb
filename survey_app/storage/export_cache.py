"""The analysts' export files, kept per pulse so a download reads one row.

Building the export (``storage.export``) coarsens every published row and
scrubs every comment: seconds at 10,000 responses, tens of seconds at 100,000.
A kept file is served only under the key it was built under, and the key
holds everything the export reads except the published rows themselves:
the pulse's row, strategy, scrub names, series and instrument source, the
export format, the snapshots (published rows change only with a new one) and
the pulse's cache epoch (``storage.base.renew_export_epoch``), renewed by the
writes that change published rows without a new snapshot (closing merges
them over the respondents, adding people may merge groups) and by every
status change, so that a close followed by a reopen cannot bring an old key
back. The key is read
before the rows, and a built export is kept only if the key is unchanged once
the write lock is held, so a build racing a change is served once, never kept.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import sqlite_utils

from survey_app.storage.base import UnknownPulse, write_transaction
from survey_app.storage.export import EXPORT_FORMAT, export_pulse
from survey_app.storage.roster import scrub_names

#: The files of one export, in the order ``export_pulse`` writes them.
EXPORT_PARTS = ("responses.csv", "comments.csv", "pulse.json")

#: How many exports this process has built (a kept one is not rebuilt; the
#: tests read it to tell a kept file from a fresh one).
builds = 0


def _rows(db: sqlite_utils.Database, sql: str, params: list) -> list[dict]:
    return [dict(r) for r in db.query(sql, params)]


def export_key(db: sqlite_utils.Database, slug: str) -> str | None:
    """The digest an export of ``slug`` is kept under, ``None`` for no such pulse."""
    pulse = _rows(db, "SELECT * FROM pulses WHERE slug = ?", [slug])
    if not pulse:
        return None
    row = pulse[0]
    parts = {
        "format": EXPORT_FORMAT,
        "pulse": row,
        "strategy": _rows(db, "SELECT part, position, text FROM pulse_strategy "
                              "WHERE pulse_slug = ? ORDER BY part, position", [slug]),
        "scrub_names": scrub_names(db, slug),
        "series": _rows(db, "SELECT slug, period FROM pulses WHERE instrument_id = ? "
                            "ORDER BY period, slug", [row["instrument_id"]]),
        "instrument": _rows(db, "SELECT * FROM instruments WHERE id = ? AND version = ?",
                            [row["instrument_id"], row["instrument_version"]]),
        "snapshots": _rows(db, "SELECT seq, responses, final FROM snapshots "
                               "WHERE pulse_slug = ? ORDER BY seq", [slug]),
        "epoch": _rows(db, "SELECT epoch FROM export_cache_epochs WHERE pulse_slug = ?", [slug]),
    }
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_file(db: sqlite_utils.Database, slug: str, part: str) -> bytes:
    """One file of the pulse's export, byte for byte what ``export_pulse``
    writes now: the kept one when its key still holds, else built and kept."""
    global builds
    if part not in EXPORT_PARTS:
        raise ValueError(f"the export has {', '.join(EXPORT_PARTS)}, not {part!r}")
    key = export_key(db, slug)
    if key is None:
        raise UnknownPulse(slug)
    kept = list(db.query("SELECT data FROM export_cache WHERE pulse_slug = ? AND key = ? AND part = ?",
                         [slug, key, part]))
    if kept:
        return kept[0]["data"].encode("utf-8")
    with tempfile.TemporaryDirectory() as folder:
        export_pulse(db, slug, folder)
        built = {name: (Path(folder) / name).read_bytes() for name in EXPORT_PARTS}
    builds += 1
    with write_transaction(db):
        if export_key(db, slug) == key:
            db.execute("DELETE FROM export_cache WHERE pulse_slug = ?", [slug])
            for name, body in built.items():
                db.execute("INSERT INTO export_cache (pulse_slug, key, part, data) VALUES (?, ?, ?, ?)",
                           [slug, key, name, body.decode("utf-8")])
    return built[part]
