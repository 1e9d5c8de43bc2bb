"""A tiny run of bench/reports.py, so the benchmark keeps working.

The suite never asserts timings (docs/benchmarks.md); this only checks that
every report page answers and the benchmark reports each one.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "reports.py"


def test_the_report_benchmark_times_every_page(demo_site):
    spec = importlib.util.spec_from_file_location("bench_reports", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    results = bench.run(1, demo_site)
    assert [page for page, *_ in results] == [f"{url} ({role})" for role, url in bench.PAGES]
    assert all(median > 0 for _, _, median, _ in results)


def test_the_benchmark_refuses_a_bad_repeat(capsys):
    spec = importlib.util.spec_from_file_location("bench_reports", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    with pytest.raises(SystemExit) as exited:
        bench.main(["--repeat", "0"])
    assert exited.value.code == 2
    assert "--repeat must be at least 1" in capsys.readouterr().err
