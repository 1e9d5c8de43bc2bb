"""Theme quality on public labelled corpora: ThemeClusterer vs the baseline told the true k.

For each corpus of :data:`themes_corpora.CORPORA` this prints, in a Markdown
table (also written to ``bench/out/themes_benchmark.md``):

* **ours**: ``ThemeClusterer(n_themes="auto", random_state=0)``, NMI and ARI
  against the true labels, chosen k (regular themes, "Other" not counted),
  wall time of ``fit`` and peak resident memory of the process that ran it
  (a fresh process per corpus, so the figure is that corpus's own; it
  includes the interpreter and libraries, ~150 MB);
* **words only**: the same with ``concepts=None``;
* **baseline**, told the true k: ``TfidfVectorizer(max_df=0.5, min_df=2,
  stop_words="english")`` -> ``TruncatedSVD(min(100, n_terms - 1),
  random_state=0)`` -> ``Normalizer()`` -> ``KMeans(k, n_init=1,
  random_state=seed)``, NMI and ARI averaged over seeds 0, 1, 2.

Texts with no content count as their own label -1 in every method (the
clusterer gives them -1 itself; "Other" is its own label -2).

Run (both tables, as in docs/benchmarks.md):  .venv/bin/python bench/themes_benchmark.py --all
Development corpora only:   .venv/bin/python bench/themes_benchmark.py
Held-out corpora only:      .venv/bin/python bench/themes_benchmark.py --held-out
One corpus:                 .venv/bin/python bench/themes_benchmark.py 20ng-short
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import themes_corpora  # noqa: E402

OUT = ROOT / "bench" / "out"
BASELINE_SEEDS = (0, 1, 2)


def _scores(truth, labels):
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return normalized_mutual_info_score(truth, labels), adjusted_rand_score(truth, labels)


def baseline(texts, truth, k):
    """The issue's baseline, told the true k: mean (NMI, ARI) over seeds 0-2."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import Normalizer

    from analysis.text import is_no_content

    X = TfidfVectorizer(max_df=0.5, min_df=2, stop_words="english").fit_transform(texts)
    Z = TruncatedSVD(min(100, X.shape[1] - 1), random_state=0).fit_transform(X)
    Z = Normalizer().fit_transform(Z)
    empty = np.array([is_no_content(t) for t in texts])
    results = []
    for seed in BASELINE_SEEDS:
        labels = KMeans(k, n_init=1, random_state=seed).fit_predict(Z)
        results.append(_scores(truth, np.where(empty, -1, labels)))
    return tuple(float(x) for x in np.mean(results, axis=0))


def run_one(name: str, method: str) -> dict:
    """Fit one method on one corpus in this process; figures as a dict."""
    from threadpoolctl import threadpool_limits

    from analysis.themes import ThemeClusterer

    texts, truth = themes_corpora.load(name)
    k_true = len(set(truth))
    start = time.perf_counter()
    with threadpool_limits(limits=1):
        if method == "baseline":
            nmi, ari = baseline(texts, truth, k_true)
            k = k_true
        else:
            params = {"concepts": None} if method == "words" else {}
            model = ThemeClusterer(n_themes="auto", random_state=0, **params).fit(texts)
            nmi, ari = _scores(truth, model.labels_)
            k = model.n_themes_
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"corpus": name, "method": method, "n": len(texts), "k_true": k_true, "k": k,
            "nmi": nmi, "ari": ari, "seconds": seconds, "peak_mb": peak}


def _in_child(name: str, method: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, method],
        capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _verdict(ours, base, words, k_true):
    checks = [
        ours["nmi"] > base["nmi"] and ours["ari"] > base["ari"],
        k_true / 1.5 <= ours["k"] <= 1.5 * k_true,
        ours["nmi"] >= words["nmi"] - 0.01,
    ]
    return " ".join("ok" if c else "FAIL" for c in checks)


def _table(names: list[str], out_name: str) -> None:
    """Run every method on ``names``, print the Markdown table, write it to ``bench/out``."""
    for name in names:  # download and read once, outside the timed children
        themes_corpora.load(name)
    header = ("| corpus | n | true k | ours k | ours NMI | ours ARI | baseline NMI | baseline ARI "
              "| words-only k | words-only NMI | words-only ARI | ours s | ours peak MB "
              "| beats baseline / k within x1.5 / lexicon >= words-0.01 |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    print(lines[0], flush=True)
    print(lines[1], flush=True)
    for name in names:
        ours, words, base = (_in_child(name, m) for m in ("ours", "words", "baseline"))
        line = (
            f"| {name} | {ours['n']} | {ours['k_true']} | {ours['k']} | {ours['nmi']:.3f} | "
            f"{ours['ari']:.3f} | {base['nmi']:.3f} | {base['ari']:.3f} | {words['k']} | "
            f"{words['nmi']:.3f} | {words['ari']:.3f} | {ours['seconds']:.1f} | "
            f"{ours['peak_mb']:.0f} | {_verdict(ours, base, words, ours['k_true'])} |"
        )
        lines.append(line)
        print(line, flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / out_name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="*", help="corpus names (default: the development set)")
    parser.add_argument("--held-out", action="store_true", help="run the held-out corpora")
    parser.add_argument("--all", action="store_true",
                        help="development table, then held-out table")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(*args.child)))
        return

    def split(held_out):
        return [c for c, (_, h) in themes_corpora.CORPORA.items() if h == held_out]

    if args.all:
        print("Development corpora\n", flush=True)
        _table(split(False), "themes_benchmark_dev.md")
        print("\nHeld-out corpora\n", flush=True)
        _table(split(True), "themes_benchmark_heldout.md")
        return
    suffix = "heldout" if args.held_out else "dev"
    _table(args.corpora or split(args.held_out), f"themes_benchmark_{suffix}.md")


if __name__ == "__main__":
    main()
