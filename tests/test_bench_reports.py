"""Tiny runs of bench/reports.py, so the benchmark keeps working.

The suite never asserts timings (docs/benchmarks.md); these only check that
every report page and download answers, that the benchmark reports each
one, and that its pulse at scale is built as the submission path would
build it (every stored response published, every answer's link spent).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "reports.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_reports", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    return bench


def test_the_report_benchmark_times_every_page_and_download(demo_site):
    bench = _bench()
    results = bench.run(1, demo_site)
    assert [r.page for r in results] == [f"{url} ({role})" for role, url in bench.PAGES + bench.DOWNLOADS]
    assert len(bench.DOWNLOADS) == 15  # 4 reports x (pdf, json, csv) + 3 export files
    assert all(r.p50_ms > 0 and r.p95_ms >= r.p50_ms for r in results)


def test_a_pulse_at_scale_is_seeded_published_and_refreshed(tmp_path):
    from survey_app import storage
    from survey_app.db import get_db

    bench = _bench()
    site = bench.scale_site(tmp_path, {"DATABASE": str(tmp_path / "scale.sqlite3")}, 40)
    with site.app.app_context():
        db = get_db()
        assert storage.count_responses(db, site.slug) == 40
        assert storage.unpublished_count(db, site.slug) < 40  # a snapshot was published
        invited = next(r for r in storage.participation(db, site.slug) if r.label == "Everyone invited")
        assert invited.responded == 40
        before = storage.latest_snapshot(db, site.slug)
    results = bench.run(1, site, pages=bench.PAGES[:1] + bench.DOWNLOADS[:1])
    assert [r.page for r in results] == ["/reports/ceo (ceo)", "/reports/ceo/report.pdf (ceo)"]
    assert bench.refresh(site, 10) > 0
    with site.app.app_context():
        db = get_db()
        assert storage.count_responses(db, site.slug) == 50
        assert storage.latest_snapshot(db, site.slug) > before


def test_the_benchmark_refuses_bad_arguments(capsys):
    bench = _bench()
    with pytest.raises(SystemExit) as exited:
        bench.main(["--repeat", "0"])
    assert exited.value.code == 2
    assert "--repeat must be at least 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        bench.main(["--sizes", "lots"])
    assert exited.value.code == 2
    assert "--sizes: 'lots' is neither 'demo' nor a number" in capsys.readouterr().err


def test_postgresql_without_a_url_is_skipped_with_a_message(tmp_path, capsys):
    bench = _bench()
    assert bench.engines(["sqlite", "postgresql"], tmp_path, None)[0].name == "sqlite"
    assert "postgresql: skipped" in capsys.readouterr().out
