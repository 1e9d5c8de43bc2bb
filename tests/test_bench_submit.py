"""A tiny run of bench/submit.py (gunicorn and wrk for real), so it cannot rot.

No timing is asserted (docs/benchmarks.md): only that every scenario runs
against both servers, nothing is refused, and every acknowledged answer is
in the database. wrk is Debian's package: without it the test is skipped,
except under CI=true, where a missing wrk is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "submit.py"
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_submit", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    return bench


@pytest.fixture
def wrk():
    if shutil.which("wrk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("wrk is not installed (apt-get install wrk); CI must have it")
        pytest.skip("wrk is not installed (apt-get install wrk)")
    if not GUNICORN.exists():
        pytest.skip("gunicorn is in the dev extra")


def test_the_submit_benchmark_runs_every_scenario_and_finds_every_answer(wrk, tmp_path, capsys):
    bench = _bench()
    code = bench.main(["--duration", "1", "--warm-up", "1", "--connections", "4",
                       "--invitations", "1500", "--folder", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    for scenario in ("bare", "form", "flow (invitations)", "flow (open link)"):
        assert f" {scenario} " in out, out
    stored = [line for line in out.splitlines() if "stored:" in line]
    assert len(stored) == 2 and all(line.endswith(": ok") for line in stored), out
    assert "TRINITY_OPEN_LINK_RATE=10000/60" in out


def test_postgresql_without_a_url_is_skipped_with_a_message(tmp_path, capsys):
    bench = _bench()
    chosen = bench.engines(["sqlite", "postgresql"], tmp_path, None)
    assert [e.name for e in chosen] == ["sqlite"]
    assert "postgresql: skipped" in capsys.readouterr().out


def test_a_url_is_handed_to_the_app_as_trinity_database_url(tmp_path):
    bench = _bench()
    (engine,) = bench.engines(["postgresql"], tmp_path, "postgresql://bench@localhost/trinity")
    assert engine.env == {"TRINITY_DATABASE_URL": "postgresql://bench@localhost/trinity"}


def test_an_unknown_engine_is_refused(tmp_path):
    bench = _bench()
    with pytest.raises(SystemExit, match="unknown engine 'oracle'"):
        bench.engines(["oracle"], tmp_path, None)
