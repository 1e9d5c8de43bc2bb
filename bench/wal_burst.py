"""Measure what a burst of submissions leaves in the write-ahead log.

Three runs of the same burst (``--n`` submissions through personal
invitations, a few short comments among them), on a fresh file each:

- ``no policy``: SQLite's defaults only (checkpoint at 1000 pages); the
  per-submission checkpoint of ``survey_app.storage.wal`` is switched off
  in this script to show what it removes;
- ``policy, reader connected``: the app as shipped, a second connection
  reading the response count between submissions;
- ``policy, reader mid-read``: the same, the reader holding one read
  transaction open through the whole burst (the worst case), then ending it
  before one more submission.

For each: the WAL's size after the burst, how many spent invitations' token
hashes can be found in its bytes (each one sits beside its response), and
the slowest submission. Run:

    .venv/bin/python bench/wal_burst.py [--n 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.instrument import load_instrument  # noqa: E402
from analysis.strategy import Strategy  # noqa: E402
from survey_app import db as dbmod  # noqa: E402
from survey_app import storage  # noqa: E402
from survey_app.storage import responses as responses_module  # noqa: E402

STRATEGY = {
    "goals": ["Cut average delivery time to 48 hours"], "factors": ["Customer obsession"],
    "brand_promise": "Delivered on time",
    "customer_figures": {
        "nps": {"label": "Net Promoter Score", "value": 32, "min": -100, "max": 100},
        "csat": {"label": "Customer satisfaction", "value": 84, "unit": "%", "min": 0, "max": 100},
    },
}


def _wal(path: Path) -> bytes:
    wal = Path(f"{path}-wal")
    return wal.read_bytes() if wal.exists() else b""


def burst(n: int, *, policy: bool, hold_read: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="wal-burst-"))
    path = folder / "trinity.sqlite3"
    db = dbmod.connect(path)
    dbmod.migrate(db)
    storage.create_pulse(db, slug="p", title="P", period="2026-Q4",
                         instrument=load_instrument(ROOT / "instruments" / "strategy-pulse.toml"),
                         strategy=Strategy.from_dict(STRATEGY), status="draft", open_link=False)
    roster = [{"department": f"Dept {i % 6}", "role_level": "staff"} for i in range(n + 1)]
    tokens = storage.add_invitations(db, "p", roster)
    storage.set_pulse_status(db, "p", "open")
    saved = responses_module.checkpoint_now
    if not policy:
        responses_module.checkpoint_now = lambda db: None
    reader = dbmod.connect(path)
    slowest = 0.0
    try:
        if hold_read:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM responses").fetchone()
        for i, token in enumerate(tokens[:n]):
            answers = {"enps": i % 11}
            if i % 3 == 0:
                answers["c_other"] = f"More people on the night shift, please ({i})"
            started = time.perf_counter()
            storage.submit_response(db, pulse_slug="p", answers=answers, segments={}, token=token)
            slowest = max(slowest, time.perf_counter() - started)
            if not hold_read:
                reader.execute("SELECT count(*) FROM responses").fetchone()
        wal = _wal(path)
        found = sum(storage.hash_token(t).encode() in wal for t in tokens[:n])
        figures = {"wal_bytes": len(wal), "spent_hashes_in_wal": found, "slowest_ms": slowest * 1000}
        if hold_read:
            reader.execute("COMMIT")
            storage.submit_response(db, pulse_slug="p", answers={"enps": 5}, segments={},
                                    token=tokens[n])
            after = _wal(path)
            figures["wal_bytes_after_read_ends"] = len(after)
            figures["spent_hashes_after_read_ends"] = sum(
                storage.hash_token(t).encode() in after for t in tokens[:n])
    finally:
        responses_module.checkpoint_now = saved
        reader.close()
        db.close()
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="submissions in the burst")
    args = parser.parse_args(argv)
    for label, policy, hold in (("no policy (SQLite defaults)", False, False),
                                ("policy, reader connected", True, False),
                                ("policy, reader mid-read", True, True)):
        figures = burst(args.n, policy=policy, hold_read=hold)
        text = ", ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}"
                         for k, v in figures.items())
        print(f"{args.n} submissions, {label}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
