"""Wall time and peak memory of the whole comments pipeline on 100,000 comments.

Generates 100,000 realistic comments from the labelled corpora in
``bench/data/themes_*.tsv`` with variation (typos, dropped words, openers and
closers, pairs of comments joined, e-mail addresses, phone numbers and
colleagues' names to scrub, ~15 % no-content answers), then runs
``analysis.comments.analyse_comments`` (scrub, sentiment, themes, routing) with
a 2,000-name roster and prints its wall time (generating is timed apart), and peak
memory (``ru_maxrss`` of this process, which includes the interpreter and
libraries, ~150 MB before any work).

Target: under 60 s and under 1.5 GB on a 2-core machine.

Run: .venv/bin/python bench/comments_100k.py [--n 100000] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


DATA = ROOT / "bench" / "data"
FIRST = ["Jane", "Mark", "Priya", "Tom", "Aisha", "Lukas", "Chen", "Maria", "Olu", "Sofia",
         "Daniel", "Grace", "Ivan", "Nina", "Omar", "Zoe", "Ben", "Hana", "Raj", "Ella"]
LAST = ["Smith", "Okafor", "Patel", "Nguyen", "Garcia", "Kowalski", "Brown", "Haddad",
        "Novak", "Jensen", "Murphy", "Rossi", "Tanaka", "Silva", "Mensah", "Khan",
        "Schmidt", "Cohen", "Walsh", "Dubois"]
OPENERS = ["", "", "", "Honestly, ", "To be honest ", "Overall ", "As always, ", "Again: ",
           "I think ", "In my team ", "My main point: "]
CLOSERS = ["", "", "", " Thanks.", " Please fix this.", " It's been like this for ages.",
           " Just my view.", "!!", " :(", " 👍", " Otherwise it's a good place to work."]
NO_CONTENT = ["n/a", "N/A", "no comment", "Nothing to add", "-", "", "none", "...", "idk",
              "No comments at this time, thanks"]


def load_corpus() -> list[str]:
    texts = []
    for name in ("dev", "heldout"):
        with open(DATA / f"themes_{name}.tsv", encoding="utf-8", newline="") as f:
            texts.extend(row[1] for row in list(csv.reader(f, delimiter="\t"))[1:])
    return texts


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def vary(text: str, corpus: list[str], rng: random.Random) -> str:
    words = text.split()
    if len(words) > 5 and rng.random() < 0.3:
        del words[rng.randrange(len(words))]
    words = [typo(w, rng) if rng.random() < 0.03 else w for w in words]
    text = " ".join(words)
    if rng.random() < 0.1:
        text = text + " Also, " + rng.choice(corpus)[0].lower() + rng.choice(corpus)[1:]
    r = rng.random()
    if r < 0.03:
        text += f" Ask {rng.choice(FIRST)} {rng.choice(LAST)} about it."
    elif r < 0.05:
        text += f" Contact me at {rng.choice(FIRST).lower()}.{rng.randrange(999)}@example.com"
    elif r < 0.06:
        text += f" Call +44 20 7946 {rng.randrange(1000, 9999)}."
    if rng.random() < 0.05:
        text = text.lower()
    return rng.choice(OPENERS) + text + rng.choice(CLOSERS)


def iter_comments(n: int, seed: int):
    """The comments of :func:`generate`, one at a time: a million of them
    need not be held at once (bench/analysis_scale.py streams them)."""
    rng = random.Random(seed)
    corpus = load_corpus()
    for _ in range(n):
        if rng.random() < 0.15:
            yield rng.choice(NO_CONTENT)
        else:
            yield vary(rng.choice(corpus), corpus, rng)


def generate(n: int, seed: int) -> list[str]:
    return list(iter_comments(n, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from analysis.comments import analyse_comments
    from analysis.instrument import load_instrument

    t0 = time.perf_counter()
    texts = generate(args.n, args.seed)
    rng = random.Random(args.seed + 1)
    roster = sorted({f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(4000)})
    roster += [f"Person{i} Surname{i}" for i in range(2000 - len(roster))]
    instrument = load_instrument(ROOT / "instruments" / "strategy-pulse.toml")
    t1 = time.perf_counter()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = analyse_comments(texts, instrument=instrument, roster_names=roster, random_state=0)
    t2 = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    comments, themes = result.comments, result.themes
    print(f"comments:           {len(texts):,} ({len(set(texts)):,} distinct)")
    print(f"roster names:       {len(roster):,}")
    print(f"generate:           {t1 - t0:.1f} s (not counted)")
    print(f"analyse_comments:   {t2 - t1:.1f} s wall")
    print(f"peak RSS:           {peak:,.0f} MB (before analyse_comments: {rss_before:,.0f} MB)")
    print(f"no-content:         {int(comments['no_content'].sum()):,}")
    print(f"scrubbed:           {result.scrubbed_counts}")
    print(f"themes:             {len(themes)}")
    for row in themes.itertuples():
        print(f"  {row.theme_id:>3} {row.size:>6} {row.share:6.1%} {row.owner:>5} "
              f"{row.mean_sentiment:+.2f}  {row.label}")


if __name__ == "__main__":
    main()
