"""Benchmark: the whole analysis of a pulse at 10,000, 100,000 and 1,000,000 responses.

Run from the repository root (issue 11; figures in docs/benchmarks.md,
"Analysis at scale"):

    .venv/bin/python bench/analysis_scale.py --sizes 10000,100000,1000000

Three parts, each size in a fresh subprocess so that one size's peak memory
(max RSS) cannot hide in another's:

* **pulse** (``--sizes``): a synthetic pulse and its previous pulse (80 %
  the size) as ``bench/scores_100k.py`` makes them (latent alignment driving
  the Likert answers, knowledge answers from pools, four segments), whose
  comment questions get realistic comments from ``bench/comments_100k.py``
  (40 % of people answer each, 15 % of those say nothing). Both pulses are
  published as the loader publishes them (:func:`analysis.coarsen.safe_rows`:
  coarsened, scrubbed), then :func:`analysis.leader_report.build_leader_report`
  computes everything the leaders' pages show: scores, reliability, groups,
  change since the previous pulse, drivers, misconceptions, the per-role
  measures and departments, sentiment, themes and routing. Each step is
  timed; generating the data is not counted.
* **comments** (``--comments``): that many comments, generated one at a time,
  through the streaming path (:func:`analysis.comments.analyse_comments_stream`:
  scrub, sentiment, themes fitted on a reservoir sample and assigned in
  batches, routing), never holding them all.
* **agreement** (``--agreement``): on that many comments, the streaming path's
  themes against the in-memory :class:`analysis.themes.ThemeClusterer`'s
  (normalised mutual information of the two labellings), for seeds 0-4
  (``--agreement-seeds``), beside the in-memory method's agreement with
  itself under another seed.

Printed: seconds per step, the total, time per 1,000 responses (or per
comment), the ratio of each size's time per unit to the previous size's, and
peak memory. ``--timeout`` bounds each subprocess (default 1,800 s).

``--profile N`` instead runs the pulse part at N responses in this process
under pyinstrument (a dev dependency) and prints where the time goes:

    .venv/bin/python bench/analysis_scale.py --profile 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from comments_100k import FIRST, LAST, iter_comments  # noqa: E402
from scores_100k import STRATEGY, synthetic_responses  # noqa: E402

#: Share of respondents who write a comment.
COMMENT_RATE = 0.4


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def roster(seed: int = 1) -> list[str]:
    """2,000 names to scrub, as bench/comments_100k.py builds them."""
    import random

    rng = random.Random(seed)
    names = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(4000)})
    return names + [f"Person{i} Surname{i}" for i in range(2000 - len(names))]


def synthetic_pulse(instrument, n: int, seed: int, period: str):
    """Responses shaped like bench/scores_100k.py's, with realistic comments."""
    table = synthetic_responses(instrument, n, seed=seed, period=period)
    rng = np.random.default_rng(seed + 100)
    for k, item in enumerate(instrument.comment_items()):
        writes = rng.random(n) < COMMENT_RATE
        comments = np.full(n, np.nan, dtype=object)
        comments[writes] = list(iter_comments(int(writes.sum()), 1000 * seed + k))
        table[item.id] = comments
    return table


def publish(table, instrument, names):
    """The responses as the loader hands them over (docs/privacy.md):
    coarsened to the minimum group and scrubbed, comments of small groups
    moved out of their rows."""
    from analysis.coarsen import safe_rows

    safe = safe_rows(
        table.drop(columns=["pulse", "period", "submitted_on"]),
        ("department", "role_level"),
        [i.id for i in instrument.comment_items()],
        names,
    )
    rows = safe.rows
    rows.insert(0, "pulse", table["pulse"].iloc[0])
    rows.insert(1, "period", table["period"].iloc[0])
    return rows, safe.comments


def run_pulse(n: int) -> dict:
    """One size, in this process: returns the figures as a dict."""
    from analysis.comments import STREAMING_THRESHOLD  # noqa: F401 (used by _n_comments' caller)
    from analysis.instrument import load_instrument
    from analysis.leader_report import build_leader_report
    from analysis.loader import PulseData

    instrument = load_instrument(ROOT / "instruments" / "strategy-pulse.toml")
    names = roster()
    t0 = time.perf_counter()
    current = synthetic_pulse(instrument, n, seed=1, period="2026-Q4")
    previous = synthetic_pulse(instrument, int(n * 0.8), seed=2, period="2026-Q3")
    generated = time.perf_counter() - t0
    rss_generated = peak_rss_mb()

    timings: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def step(name):
        now = time.perf_counter()
        if last[1] is not None:
            timings[last[1]] = timings.get(last[1], 0.0) + now - last[0]
        last[0], last[1] = now, name

    start = time.perf_counter()
    step("publish (coarsen, scrub)")
    pulses = []
    for table, slug, period in ((current, "bench-q4", "2026-Q4"), (previous, "bench-q3", "2026-Q3")):
        rows, apart = publish(table, instrument, names)
        pulses.append(PulseData(
            survey=slug, title="Benchmark pulse", period=period, status="closed",
            instrument=instrument, strategy=STRATEGY,
            leadership_levels=("manager", "director", "executive"), responses=rows, comments=apart,
        ))
    del current, previous
    data, before = pulses
    report = build_leader_report(data, previous=before, history=[before], progress=step)
    step(None)
    total = time.perf_counter() - start
    themes = report["comments"]["themes"]
    return {
        "n": n, "previous_n": len(before.responses), "generated_s": generated,
        "steps": timings, "total_s": total, "peak_mb": peak_rss_mb(), "rss_generated_mb": rss_generated,
        "comments": int(sum(t["size"] for t in themes)), "themes": len(themes),
        "streamed": _n_comments(data) >= STREAMING_THRESHOLD,
        "departments": len(report["departments"]),
        "drivers": sorted(report["drivers"]),
    }


def _n_comments(data) -> int:
    """Comments the leader report's themes are fitted on (rows and those kept apart)."""
    # As leader_report._comment_texts keeps them: answered, not blank.
    cells = [data.responses[i.id].dropna().astype(str) for i in data.instrument.comment_items()]
    return sum(int(c.str.strip().ne("").sum()) for c in cells) + len(data.comments)


def run_comments(n: int, batch_size: int) -> dict:
    """``n`` generated comments through the streaming path, never all held."""
    from analysis.comments import analyse_comments_stream
    from analysis.instrument import load_instrument

    instrument = load_instrument(ROOT / "instruments" / "strategy-pulse.toml")
    names = roster()
    counted = {"rows": 0, "content": 0}

    def sink(batch):
        # What a caller would write out; here only counted.
        counted["rows"] += len(batch)
        counted["content"] += int((~batch["no_content"]).sum())

    rss_before = peak_rss_mb()
    t0 = time.perf_counter()
    result = analyse_comments_stream(
        lambda: iter_comments(n, 0), instrument=instrument, roster_names=names,
        random_state=0, batch_size=batch_size, sink=sink,
    )
    seconds = time.perf_counter() - t0
    return {
        "n": n, "total_s": seconds, "peak_mb": peak_rss_mb(), "rss_before_mb": rss_before,
        "rows": counted["rows"], "content": counted["content"], "themes": len(result.themes),
        "other_share": float(result.themes.loc[result.themes["theme_id"] == -2, "share"].sum()),
        "labels": [f"{r.size} {r.label}" for r in result.themes.itertuples()],
    }


def run_agreement(n: int, seeds: int = 5) -> dict:
    """NMI between the streaming and the in-memory themes on ``n`` comments,
    for seeds 0 .. seeds-1 (the same seed on both sides), and, for scale,
    the in-memory method's agreement with itself under another seed."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from analysis.comments import analyse_comments, analyse_comments_stream

    texts = list(iter_comments(n, 0))
    runs, memory_labels = [], []
    for seed in range(seeds):
        t0 = time.perf_counter()
        memory = analyse_comments(texts, random_state=seed)
        t1 = time.perf_counter()
        labels = []
        stream = analyse_comments_stream(
            lambda: iter(texts), random_state=seed, sink=lambda b: labels.append(b["theme_id"].to_numpy()))
        t2 = time.perf_counter()
        a = memory.comments["theme_id"].to_numpy()
        b = np.concatenate(labels)
        content = a != -1
        memory_labels.append(a)
        runs.append({
            "seed": seed, "memory_s": t1 - t0, "stream_s": t2 - t1,
            "nmi": float(normalized_mutual_info_score(a[content], b[content])),
            "ari": float(adjusted_rand_score(a[content], b[content])),
            "memory_themes": int((memory.themes["theme_id"] >= 0).sum()),
            "stream_themes": int((stream.themes["theme_id"] >= 0).sum()),
            "same_no_content": bool(((a == -1) == (b == -1)).all()),
        })
    content = memory_labels[0] != -1
    itself = [float(normalized_mutual_info_score(memory_labels[0][content], other[content]))
              for other in memory_labels[1:]]
    return {"n": n, "runs": runs, "memory_vs_itself": itself}


# --- the parent: one subprocess per size, then the tables --------------------------


def _child(kind: str, n: int, args) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--n", str(n),
               "--batch-size", str(args.batch_size), "--agreement-seeds", str(args.agreement_seeds)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"n": n, "error": f"stopped after {args.timeout:.0f} s (--timeout)"}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"n": n, "error": f"exit {done.returncode}: {tail}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise SystemExit(f"error: sizes must be whole numbers separated by commas, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise SystemExit(f"error: sizes must be at least 1, got {text!r}")
    return sizes


def print_pulses(results: list[dict]) -> None:
    print("== pulse: the whole analysis (build_leader_report on published rows) ==")
    ok = [r for r in results if "error" not in r]
    for r in results:
        if "error" in r:
            print(f"  {r['n']:>9,} responses: FAILED ({r['error']})")
    if not ok:
        return
    steps = list(dict.fromkeys(s for r in ok for s in r["steps"]))
    print(f"  {'step (seconds)':<44}" + "".join(f"{r['n']:>14,}" for r in ok))
    for s in steps:
        print(f"  {s:<44.44}" + "".join(f"{r['steps'].get(s, 0.0):>14.2f}" for r in ok))
    print("  " + "-" * (44 + 14 * len(ok)))
    prev = None
    for r in ok:
        per_k = r["total_s"] / r["n"] * 1000
        ratio = f", x{per_k / prev:.2f} the previous size's" if prev else ""
        print(f"  {r['n']:>9,} responses (+{r['previous_n']:,} previous): total {r['total_s']:.1f} s, "
              f"{per_k:.3f} s per 1,000 responses{ratio}; peak RSS {r['peak_mb']:,.0f} MB "
              f"({r['rss_generated_mb']:,.0f} MB after generating); {r['comments']:,} comments in "
              f"{r['themes']} themes ({'streamed' if r['streamed'] else 'in memory'}); "
              f"generating {r['generated_s']:.1f} s not counted")
        prev = per_k


def print_comments(results: list[dict]) -> None:
    print("== comments: the streaming path (analyse_comments_stream) ==")
    prev = None
    for r in results:
        if "error" in r:
            print(f"  {r['n']:>9,} comments: FAILED ({r['error']})")
            continue
        per = r["total_s"] / r["n"] * 1e6
        ratio = f", x{per / prev:.2f} the previous size's" if prev else ""
        print(f"  {r['n']:>9,} comments: {r['total_s']:.1f} s, {per:.1f} us per comment{ratio}; "
              f"peak RSS {r['peak_mb']:,.0f} MB ({r['rss_before_mb']:,.0f} MB before); "
              f"{r['rows']:,} rows out, {r['content']:,} with content; {r['themes']} themes "
              f"(Other {r['other_share']:.1%})")
        prev = per


def print_agreement(r: dict) -> None:
    print("== agreement: streaming against in-memory themes (comments with content) ==")
    if "error" in r:
        print(f"  {r['n']:,} comments: FAILED ({r['error']})")
        return
    for run in r["runs"]:
        print(f"  seed {run['seed']}: NMI {run['nmi']:.3f}, ARI {run['ari']:.3f}; themes "
              f"{run['memory_themes']} in memory, {run['stream_themes']} streamed; no-content flags "
              f"identical: {run['same_no_content']}; in memory {run['memory_s']:.1f} s, "
              f"streamed {run['stream_s']:.1f} s")
    nmi = [run["nmi"] for run in r["runs"]]
    same = all(run["same_no_content"] for run in r["runs"])
    print(f"  {r['n']:,} comments: NMI mean {np.mean(nmi):.3f} (min {min(nmi):.3f}, max {max(nmi):.3f}) "
          f"over seeds 0-{len(nmi) - 1}; no-content flags identical: {same}")
    if r["memory_vs_itself"]:
        itself = r["memory_vs_itself"]
        print(f"  for scale, the in-memory method against itself (seed 0 against seeds 1-{len(itself)}): "
              f"NMI mean {np.mean(itself):.3f} (min {min(itself):.3f})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="pulse sizes (responses); '' for none")
    parser.add_argument("--comments", default="100000,1000000", help="comment counts for the streaming path")
    parser.add_argument("--agreement", type=int, default=20000, help="comments for the NMI check (0: none)")
    parser.add_argument("--agreement-seeds", type=int, default=5, help="seeds of the NMI check")
    parser.add_argument("--batch-size", type=int, default=10000, help="comments per batch of the streaming path")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds allowed per subprocess")
    parser.add_argument("--profile", type=int, metavar="N", help="profile the pulse part at N responses")
    parser.add_argument("--child", choices=("pulse", "comments", "agreement"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run = {"pulse": run_pulse, "comments": lambda n: run_comments(n, args.batch_size),
               "agreement": lambda n: run_agreement(n, args.agreement_seeds)}[args.child]
        print(json.dumps(run(args.n)))
        return 0
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
        result = run_pulse(args.profile)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
        print_pulses([result])
        return 0
    import os
    import platform

    print(f"machine: {os.cpu_count()} cores, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB; "
          f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    failed = False
    if args.sizes:
        results = [_child("pulse", n, args) for n in _sizes(args.sizes)]
        print_pulses(results)
        failed |= any("error" in r for r in results)
    if args.comments:
        results = [_child("comments", n, args) for n in _sizes(args.comments)]
        print_comments(results)
        failed |= any("error" in r for r in results)
    if args.agreement:
        result = _child("agreement", args.agreement, args)
        print_agreement(result)
        failed |= "error" in result
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
