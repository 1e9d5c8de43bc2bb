"""Benchmark: score_knowledge on N synthetic responses with mostly distinct answers.

Run from the repository root: ``.venv/bin/python bench/recall_100k.py [N]``
(``TRACE=1`` adds traced peak memory). Unlike bench/scores_100k.py, most
answers here are distinct, so the per-answer cache helps little: this is the
grader's worst case.
"""
import random, sys, time, tracemalloc
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np, pandas as pd
from analysis.instrument import load_instrument
from analysis.strategy import Strategy
from analysis.recall import score_knowledge
import tomllib
n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
rng = random.Random(0)
cases = tomllib.load(open('tests/data/recall_cases.toml','rb'))
st = Strategy.from_dict(cases['strategy'] | {"customer_figures": {"nps": {"label": "NPS", "value": 32, "min": -100, "max": 100}}})
pool = {p: [c['answer'] for c in cases['cases'] if c['part'] == p] for p in ('goals','factors','brand_promise')}
words = "the a our goal customer delivery revenue portal team growth hub rotterdam quality faster tracking b2b app driver".split()
def answer(part):
    r = rng.random()
    if r < 0.15: return None
    if r < 0.6: return rng.choice(pool[part])
    # unique-ish variants: a known answer plus random words, or random words
    extra = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
    return (rng.choice(pool[part]) + " " + extra) if r < 0.85 else extra + f" {rng.randint(0, 999)}"
inst = load_instrument('instruments/strategy-pulse.toml')
df = pd.DataFrame({
    'k_goals': [answer('goals') for _ in range(n)],
    'k_factors': [answer('factors') for _ in range(n)],
    'k_brand': [answer('brand_promise') for _ in range(n)],
    'k_nps': [rng.choice([np.nan, rng.uniform(-100, 100)]) for _ in range(n)],
}, index=[f"r{i}" for i in range(n)])
uniq = {c: df[c].nunique() for c in ['k_goals','k_factors','k_brand']}
import os
if os.environ.get("TRACE"): tracemalloc.start()
t = time.perf_counter()
out = score_knowledge(df, inst, st)
dt = time.perf_counter() - t
import resource
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
traced = f" peak_traced_memory={tracemalloc.get_traced_memory()[1] / 1e6:.1f}MB" if tracemalloc.is_tracing() else ""
print(f"responses={n} distinct answers={uniq} time={dt:.2f}s peak_rss={rss:.0f}MB{traced}")
print(out.describe().loc[['count','mean']].round(3).to_string())
