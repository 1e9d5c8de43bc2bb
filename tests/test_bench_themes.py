"""The theme benchmark's per-corpus run still works (issue 9).

``bench/themes_benchmark.py`` runs each method in a child process started
from ``bench/``; a module there named like a package (``bench/analysis.py``
did, until it was renamed ``analysis_scale.py``) shadowed ``analysis`` and
every child failed. The workplace development set is in the repository, so
this needs no download.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "themes_benchmark.py"


def _child(corpus: str, method: str) -> dict:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--child", corpus, method],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("method", ["ours", "words", "baseline"])
def test_each_method_runs_in_its_child_and_reports_its_figures(method):
    row = _child("workplace-dev", method)
    assert row["corpus"] == "workplace-dev" and row["method"] == method
    assert row["n"] == 194 and row["k_true"] == 10
    assert 0.0 <= row["nmi"] <= 1.0 and -1.0 <= row["ari"] <= 1.0
    assert row["peak_mb"] > 0 and row["seconds"] > 0


def test_the_clusterer_beats_the_baseline_on_the_workplace_set():
    ours, base = _child("workplace-dev", "ours"), _child("workplace-dev", "baseline")
    assert ours["nmi"] > base["nmi"] and ours["ari"] > base["ari"]
    assert 10 / 1.5 <= ours["k"] <= 10 * 1.5
