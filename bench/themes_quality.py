"""Theme quality on labelled comments: ThemeClusterer vs a TF-IDF + LSA + KMeans baseline.

Prints NMI and ARI (mean and range over seeds 0-4) on the development set
(``bench/data/themes_dev.tsv``, used for tuning) and on the held-out set
(``bench/data/themes_heldout.tsv``, written separately in a different voice,
with a different mix of themes; never tuned on). The baseline is the
scikit-learn text-clustering recipe *told the true number of themes*:
TfidfVectorizer(stop_words="english", sublinear_tf=True) -> TruncatedSVD(100)
-> Normalizer -> KMeans(k_true, n_init=10). ThemeClusterer chooses the number
of themes itself. Then the demo pulse (``bench/data/themes_demo.tsv``, the
174 comments of ``flask demo``, unlabelled): number, sizes and labels of its
themes. "words only" is ThemeClusterer with ``concepts=None`` (the
ablation of the built-in workplace concept lexicon).

The public labelled corpora, with the baseline exactly as issue 9 defines
it, are in ``bench/themes_benchmark.py``; this script keeps the workplace sets
over several seeds and the demo pulse.

Run: .venv/bin/python bench/themes_quality.py
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.preprocessing import Normalizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.themes import ThemeClusterer  # noqa: E402

DATA = ROOT / "bench" / "data"
SEEDS = range(5)


def load(name: str) -> tuple[list[str], list[str]]:
    with open(DATA / f"themes_{name}.tsv", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader)
        if header != ["theme", "text"]:
            raise SystemExit(f"{f.name}: expected header 'theme<TAB>text', got {header}")
        rows = list(reader)
    return [r[1] for r in rows], [r[0] for r in rows]


def baseline(texts, k, seed):
    X = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    n_comp = min(100, X.shape[1] - 1, X.shape[0] - 1)
    Z = Normalizer().fit_transform(TruncatedSVD(n_comp, random_state=seed).fit_transform(X))
    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(Z), k


def ours(texts, k, seed, **params):
    model = ThemeClusterer(random_state=seed, **params).fit(texts)
    return model.labels_, model.n_themes_


METHODS = {
    "baseline (true k)": baseline,
    "ThemeClusterer (auto k)": ours,
    "  words only (auto k)": lambda t, k, s: ours(t, k, s, concepts=None),
}


def main() -> None:
    print(f"{'set':8} {'method':26} {'k':>7} {'NMI':>14} {'ARI':>14} {'sec':>5}")
    for name in ("dev", "heldout"):
        texts, truth = load(name)
        k_true = len(set(truth))
        for method, run in METHODS.items():
            nmi, ari, ks = [], [], []
            start = time.perf_counter()
            for seed in SEEDS:
                labels, k = run(texts, k_true, seed)
                nmi.append(normalized_mutual_info_score(truth, labels))
                ari.append(adjusted_rand_score(truth, labels))
                ks.append(k)
            secs = (time.perf_counter() - start) / len(SEEDS)
            print(
                f"{name:8} {method:26} {min(ks):>3}-{max(ks):<3} "
                f"{np.mean(nmi):.3f} [{min(nmi):.2f},{max(nmi):.2f}] "
                f"{np.mean(ari):.3f} [{min(ari):.2f},{max(ari):.2f}] {secs:5.1f}"
            )
        print(f"{name:8} n={len(texts)} comments, {k_true} true themes")
    # The demo pulse (unlabelled, written from templates): how many themes a
    # leader is shown, and how big they are.
    with open(DATA / "themes_demo.tsv", encoding="utf-8", newline="") as f:
        demo = [r[0] for r in list(csv.reader(f, delimiter="\t"))[1:]]
    for seed in SEEDS:
        model = ThemeClusterer(random_state=seed).fit(demo)
        sizes = [t.size for t in model.themes_]
        print(f"demo     seed {seed}: {model.n_themes_} themes, sizes {sizes} (last = Other if any)")
    print("demo     labels (seed 0 is the report's):")
    for theme in ThemeClusterer(random_state=0).fit(demo).themes_:
        print(f"         {theme.id:>3} {theme.size:>4}  {theme.label}")


if __name__ == "__main__":
    main()
