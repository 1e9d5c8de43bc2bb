"""Benchmark: score 100,000 synthetic responses (all indices and group comparisons).

Prints wall time per step and peak memory. Run:

    .venv/bin/python bench/scores_100k.py [--n 100000] [--by department,tenure_band]

The responses are synthetic but shaped like real ones: a latent alignment per
person that drives correlated Likert answers (reverse-keyed items answered the
other way), knowledge answers drawn from a pool of accurate, paraphrased,
out-of-date and empty answers (so recall caching meets realistic repetition
and variety), eNPS, and the four segments. A previous pulse of 80% the size
is scored for the change-since-previous comparison.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.instrument import load_instrument  # noqa: E402
from analysis.loader import PulseData  # noqa: E402
from analysis.report import build_score_report  # noqa: E402
from analysis.strategy import Strategy  # noqa: E402

STRATEGY = Strategy.from_dict(
    {
        "goals": [
            "Cut average delivery time to 48 hours",
            "Grow recurring revenue from business customers by 15%",
            "Launch self-service tracking in the customer portal",
        ],
        "factors": ["Customer obsession", "Operational reliability", "Speak up early"],
        "brand_promise": "Delivered on time, every time, with a human on the line",
        "customer_figures": {"nps": {"label": "NPS", "value": 32, "min": -100, "max": 100}},
        "previous_goals": ["Reduce failed deliveries by a third", "Open the Leeds depot"],
    }
)

GOAL_ANSWERS = [
    "Cut delivery time to 48 hours, grow B2B revenue 15%, launch self-service tracking",
    "deliveries in two days\nmore recurring revenue from business customers",
    "48h delivery, b2b rev +15%",
    "self servce tracking in the portal",
    "Reduce failed deliveries by a third",
    "open the leeds depot, fewer failed deliveries",
    "grow the business",
    "no idea",
    "customer growth revenue delivery portal tracking strategy excellence innovation",
    "faster deliverys and the new tracking portal",
]
FACTOR_ANSWERS = ["customer obsession, reliability, speak up", "customers first", "be reliable", "", "dont know"]
BRAND_ANSWERS = ["on time every time with a human on the line", "delivered on time", "we care", ""]
DEPARTMENTS = ["Operations", "Customer Service", "Sales", "Engineering", "Marketing", "Finance"]
DEPT_WEIGHTS = np.array([95, 70, 55, 40, 25, 15], dtype=float)
TENURE = ["lt1", "1to2", "3to5", "6plus"]
ROLES = ["staff", "team_lead", "manager", "director", "executive"]
ROLE_WEIGHTS = np.array([70, 15, 10, 4, 1], dtype=float)


def synthetic_responses(instrument, n: int, seed: int, period: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dept = rng.choice(len(DEPARTMENTS), size=n, p=DEPT_WEIGHTS / DEPT_WEIGHTS.sum())
    latent = rng.normal(0.2 * (dept == 1) - 0.2 * (dept == 3), 1.0, size=n)
    table = {
        "pulse": f"bench-{period}",
        "period": period,
        "submitted_on": "2026-11-20",
        "department": np.array(DEPARTMENTS, dtype=object)[dept],
        "team": np.array([f"{DEPARTMENTS[d][:3]}-{t}" for d, t in zip(dept, rng.integers(0, 4, size=n))], dtype=object),
        "tenure_band": np.array(TENURE, dtype=object)[rng.integers(0, 4, size=n)],
        "role_level": np.array(ROLES, dtype=object)[rng.choice(5, size=n, p=ROLE_WEIGHTS / ROLE_WEIGHTS.sum())],
    }
    for item in instrument.answer_items:
        if item.type == "likert":
            raw = np.clip(np.rint(3.3 + 0.9 * latent + rng.normal(0, 0.8, size=n)), 1, 5)
            if item.reverse:
                raw = 6 - raw
            raw[rng.random(n) < 0.04] = np.nan
            table[item.id] = raw
        elif item.type == "enps":
            table[item.id] = np.clip(np.rint(6.5 + 1.8 * latent + rng.normal(0, 1.5, size=n)), 0, 10)
        elif item.type == "estimate":
            values = np.rint(32 + rng.normal(0, 25, size=n))
            values[rng.random(n) < 0.3] = np.nan
            table[item.id] = values
        elif item.type == "recall":
            pool = {"goals": GOAL_ANSWERS, "factors": FACTOR_ANSWERS}.get(item.graded_against, BRAND_ANSWERS)
            table[item.id] = np.array(pool, dtype=object)[rng.integers(0, len(pool), size=n)]
        else:
            comments = np.full(n, np.nan, dtype=object)
            comments[rng.random(n) < 0.4] = "More clarity on priorities please"
            table[item.id] = comments
    index = pd.Index([f"{seed:02d}{i:08x}" for i in range(n)], name="response_id")
    return pd.DataFrame(table, index=index)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--by", default="department")
    args = parser.parse_args()
    instrument = load_instrument(ROOT / "instruments" / "strategy-pulse.toml")

    started = time.perf_counter()
    current = synthetic_responses(instrument, args.n, seed=1, period="2026-Q4")
    previous = synthetic_responses(instrument, int(args.n * 0.8), seed=2, period="2026-Q3")
    generated = time.perf_counter()

    def pulse(responses, survey, period):
        return PulseData(
            survey=survey, title="Benchmark pulse", period=period, status="closed",
            instrument=instrument, strategy=STRATEGY,
            leadership_levels=("manager", "director", "executive"), responses=responses,
        )

    timings: dict[str, float] = {}
    last = [time.perf_counter(), None]

    def progress(name):
        now = time.perf_counter()
        if last[1] is not None:
            timings[last[1]] = now - last[0]
        last[0], last[1] = now, name

    t0 = time.perf_counter()
    report = build_score_report(
        pulse(current, "bench-2026-q4", "2026-Q4"),
        by=[b for b in args.by.split(",") if b],
        previous=pulse(previous, "bench-2026-q3", "2026-Q3"),
        progress=progress,
    )
    progress("end")
    total = time.perf_counter() - t0
    print(f"responses: {args.n:,} (+ previous pulse {len(previous):,}); generated in {generated - started:.1f} s")
    for name, seconds in timings.items():
        print(f"  {name:<28} {seconds:8.2f} s")
    print(f"scoring wall time: {total:.1f} s")
    print(f"peak memory (max RSS): {peak_rss_mb():.0f} MB")
    print(f"groups rows: {len(report.groups)}, drivers: {', '.join(report.drivers)}")
    print(report.summary.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
