"""Three-way sentiment accuracy on the VADER paper's ground truth, and speed.

Compares, in one run and on the same texts:

* ``vaderSentiment`` 3.3.2 as shipped,
* nltk's port of VADER (``nltk.sentiment.vader``) with the same lexicon file,
* ours (:class:`analysis.sentiment.SentimentScorer`: vaderSentiment with the
  short-word punctuation fix and the workplace lexicon).

Speed is CPU time (``time.process_time``) so that other jobs on the machine do
not distort it; wall time is printed too for the 100,000-comment batch.

Ground truth: the four sets of Hutto & Gilbert (ICWSM 2014) -- tweets, movie
review snippets, Amazon review snippets, NYT editorial snippets -- each text
with the mean of about 20 human ratings on -4..+4. It ships (MIT licence) in
the vaderSentiment source distribution as
``additional_resources/hutto_ICWSM_2014.tar.gz``; this script fetches it with
``pip download`` into ``bench/out/`` (gitignored) the first time.

Each text is labelled from its mean rating with the same thresholds as the
compound score: >= 0.05 positive, <= -0.05 negative, else neutral.

Usage::

    .venv/bin/python bench/sentiment_groundtruth.py [--speed-n 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.sentiment import (  # noqa: E402
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    SentimentScorer,
)

OUT = ROOT / "bench" / "out"
SDIST = OUT / "vaderSentiment-3.3.2.tar.gz"
DATA = OUT / "hutto_ICWSM_2014"
SETS = {
    "tweets": "tweets_GroundTruth.txt",
    "movie reviews": "movieReviewSnippets_GroundTruth.txt",
    "amazon reviews": "amazonReviewSnippets_GroundTruth.txt",
    "nyt editorials": "nytEditorialSnippets_GroundTruth.txt",
}


def fetch() -> Path:
    """Download and unpack the ground truth once; return its folder."""
    if all((DATA / name).exists() for name in SETS.values()):
        return DATA
    OUT.mkdir(parents=True, exist_ok=True)
    if not SDIST.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "vadersentiment==3.3.2", "-d", str(OUT)],
            check=True,
        )
    inner = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
    with tarfile.open(SDIST) as outer:
        member = outer.extractfile(inner)
        if member is None:
            raise SystemExit(f"{SDIST}: {inner} not found in the source distribution")
        with tarfile.open(fileobj=member) as data:
            data.extractall(OUT, filter="data")
    return DATA


def read_set(path: Path) -> tuple[list[str], np.ndarray]:
    texts, ratings = [], []
    with path.open(encoding="utf-8", newline="") as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t", 2)
            if len(fields) != 3:
                raise SystemExit(f"{path}, line {number}: expected id<TAB>rating<TAB>text")
            ratings.append(float(fields[1]))
            texts.append(fields[2])
    return texts, np.asarray(ratings)


def three_way(values: np.ndarray) -> np.ndarray:
    """1, 0, -1 by the same thresholds as the compound score's labels."""
    return np.where(values >= POSITIVE_THRESHOLD, 1, np.where(values <= NEGATIVE_THRESHOLD, -1, 0))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed-n", type=int, default=100_000,
                        help="number of comments for the score_many timing (default 100000)")
    args = parser.parse_args(argv)

    folder = fetch()

    import nltk
    import vaderSentiment.vaderSentiment as vs
    from nltk.sentiment.vader import SentimentIntensityAnalyzer as NltkVader

    nltk.data.path.append(os.path.dirname(vs.__file__))
    scorers = {
        "vaderSentiment 3.3.2": vs.SentimentIntensityAnalyzer().polarity_scores,
        "nltk VADER": NltkVader(lexicon_file="vader_lexicon.txt").polarity_scores,
        "ours": SentimentScorer().polarity,
    }

    names = list(scorers)
    print("Three-way accuracy against mean human rating (>= 0.05 pos, <= -0.05 neg)")
    print(f"{'set':<16}{'n':>7}  " + "".join(f"{n:>22}" for n in names))
    all_texts: list[str] = []
    elapsed = dict.fromkeys(names, 0.0)
    for set_name, file_name in SETS.items():
        texts, ratings = read_set(folder / file_name)
        all_texts.extend(texts)
        gold = three_way(ratings)
        row = []
        for name, fn in scorers.items():
            start = time.process_time()
            compound = np.array([fn(t)["compound"] for t in texts])
            elapsed[name] += time.process_time() - start
            row.append(f"{(three_way(compound) == gold).mean():>22.4f}")
        print(f"{set_name:<16}{len(texts):>7}  " + "".join(row))
    print(f"{'texts/CPU-second':<23}  " + "".join(
        f"{len(all_texts) / elapsed[n]:>22,.0f}" for n in names))

    # score_many on a pulse-sized batch: pairs of ground-truth sentences, so
    # texts are comment-length and almost all distinct (no dedup advantage).
    rng = random.Random(0)
    batch = [f"{rng.choice(all_texts)} {rng.choice(all_texts)}" for _ in range(args.speed_n)]
    scorer = SentimentScorer()
    start, cpu_start = time.perf_counter(), time.process_time()
    scores = scorer.score_many(batch)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    distinct = len(set(batch))
    print(f"\nscore_many: {len(batch):,} comments ({distinct:,} distinct, "
          f"mean {np.mean([len(t) for t in batch]):.0f} chars): {wall:.2f} s wall, "
          f"{cpu:.2f} s CPU ({len(batch) / cpu:,.0f}/CPU-s); NaN: {int(np.isnan(scores).sum())}")


if __name__ == "__main__":
    main()
