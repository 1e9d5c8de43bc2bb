"""A tiny run of bench/analysis_scale.py, so the benchmark keeps working (issue 11).

The suite never asserts timings (docs/benchmarks.md); this checks that each
part runs in its own process and prints its figures, and that the streaming
path's output is consistent (every comment labelled once, the same
no-content flags as the in-memory method, agreement printed).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "analysis_scale.py"


def test_the_analysis_benchmark_prints_every_figure_at_tiny_sizes():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "400,800", "--comments", "700,1400",
         "--agreement", "900", "--agreement-seeds", "2", "--batch-size", "300", "--timeout", "300"],
        capture_output=True, text=True, timeout=600, cwd=BENCH.parents[1],
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert re.search(r"machine: \d+ cores, \d+ GB", out)
    # Pulse: every step of the leader report, per size, and how it grows.
    for step in ("publish (coarsen, scrub)", "key drivers", "group comparisons", "comments: themes",
                 "comments: sentiment", "comments: routing", "report: department comments"):
        assert step in out, step
    assert re.search(r"400 responses \(\+320 previous\): total [\d.]+ s, [\d.]+ s per 1,000 responses; "
                     r"peak RSS [\d,]+ MB", out), out
    assert re.search(r"800 responses \(\+640 previous\): total .* x[\d.]+ the previous size's", out), out
    # Streaming: every comment comes out once.
    for n in ("700", "1,400"):
        line = re.search(rf"\s{n} comments: [\d.]+ s, [\d.]+ us per comment.*", out)
        assert line, out
        assert f"{n} rows out" in line.group(0)
    assert re.search(r"1,400 comments: .* x[\d.]+ the previous size's", out)
    assert len(re.findall(r"seed \d: NMI [\d.]+, ARI [\d.-]+; themes \d+ in memory, \d+ streamed", out)) == 2
    agreement = re.search(r"900 comments: NMI mean ([\d.]+) \(min ([\d.]+), max ([\d.]+)\) over seeds 0-1; "
                          r"no-content flags identical: (\w+)", out)
    assert agreement, out
    assert agreement.group(4) == "True"
    assert 0.0 < float(agreement.group(2)) <= float(agreement.group(1)) <= float(agreement.group(3)) <= 1.0
    assert re.search(r"in-memory method against itself \(seed 0 against seeds 1-1\): NMI mean [\d.]+", out)


def test_the_benchmark_refuses_bad_sizes():
    done = subprocess.run([sys.executable, str(BENCH), "--sizes", "10k"], capture_output=True, text=True,
                          timeout=120, cwd=BENCH.parents[1])
    assert done.returncode != 0
    assert "sizes must be whole numbers separated by commas, got '10k'" in done.stderr
