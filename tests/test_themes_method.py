"""The theme method's parts: number of themes, lexicon weight, vector space, package shape.

Issue 9: the clusterer returned one theme on real text and its lexicon
drowned the words. These tests pin the rules that replaced that behaviour
(``docs/themes.md``), on real components and small data made here.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import random
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

import analysis.themes
from analysis.themes import WORKPLACE_CONCEPTS, ThemeClusterer
from analysis.themes.clustering import (
    EMBEDDING_STABLE_ARI,
    RARE_WORDS_STABLE_ARI,
    STABLE_ARI,
    choose_k,
    consensus_k,
    stability,
)
from analysis.themes.lexicon import (
    CONCEPTS_PATH,
    FULL_WEIGHT_SHARE,
    NO_WEIGHT_SHARE,
    concept_index,
    concepts_key,
    lexicon_share,
    lexicon_weight,
)
from analysis.themes.space import CommentSpace, deduplicate

ROOT = Path(__file__).resolve().parents[1]


def _blobs(k, per, dim=12, spread=0.15, seed=0):
    """k well separated groups of unit vectors (orthogonal centres plus noise)."""
    rng = np.random.RandomState(seed)
    rows = []
    for c in range(k):
        centre = np.zeros(dim)
        centre[c] = 1.0
        rows.append(centre + spread * rng.randn(per, dim))
    Z = np.vstack(rows)
    return (Z / np.linalg.norm(Z, axis=1, keepdims=True)).astype(np.float32)


# ----------------------------------------------------------- number of themes
def test_clear_groups_are_found_by_stability():
    Z = _blobs(4, 60)
    k, scores, criterion, centres, share = choose_k(Z, np.ones(len(Z)), 12, np.random.RandomState(0))
    assert (k, criterion, centres, share) == (4, "stability", None, 0.05)
    assert scores[4] > 0.95 >= STABLE_ARI
    assert set(scores) == set(range(2, 13))


def _joined(words, embedded):
    """Rows joined as CommentSpace joins the words' view and the embedding's."""
    Z = np.hstack([words * np.sqrt(0.5), embedded * np.sqrt(0.5)])
    return (Z / np.linalg.norm(Z, axis=1, keepdims=True)).astype(np.float32)


def _noise(n, dim=12, seed=1):
    Z = np.random.RandomState(seed).randn(n, dim)
    return Z / np.linalg.norm(Z, axis=1, keepdims=True)


def test_groups_only_the_embedding_sees_are_found_by_its_stability():
    # The words' view has no structure (short texts sharing no words); the
    # embedding's has three clear groups.
    embedded = _blobs(3, 70, dim=16, seed=2)
    Z = _joined(_noise(len(embedded)), embedded)
    k, scores, criterion, centres, share = choose_k(
        Z, np.ones(len(Z)), 12, np.random.RandomState(0), word_width=12
    )
    assert (k, criterion, centres) == (3, "embedding stability", None)
    assert max(scores.values()) < STABLE_ARI  # the words' view alone is never stable
    # Without the split into views the same rows are one view, judged by
    # the words' threshold.
    k_one, _, criterion_one, _, _ = choose_k(Z, np.ones(len(Z)), 12, np.random.RandomState(0))
    assert criterion_one == "stability" and k_one == 3


def test_an_embedding_split_must_survive_when_common_words_weigh_least():
    # The embedding's view has three clear groups. If the same comments,
    # their common words down-weighted, still show them, they are topics; if
    # nothing is left of them there (a split carried by words most comments
    # use: "in article ... writes"), the consensus count decides instead.
    embedded = _blobs(3, 70, dim=16, seed=2)
    Z = _joined(_noise(len(embedded)), embedded)
    weights = np.ones(len(Z))
    kept = _blobs(3, 70, dim=16, spread=0.3, seed=6)
    assert stability(kept, weights, 3, np.random.RandomState(0)) >= RARE_WORDS_STABLE_ARI
    k, _, criterion, _, _ = choose_k(Z, weights, 12, np.random.RandomState(0), word_width=12,
                                     rare_view=lambda: kept)
    assert (k, criterion) == (3, "embedding stability")
    gone = _noise(len(Z), dim=16, seed=7)
    _, _, criterion, _, _ = choose_k(Z, weights, 12, np.random.RandomState(0), word_width=12,
                                     rare_view=lambda: gone)
    assert criterion == "consensus"


def test_the_rare_word_view_drops_the_words_every_comment_uses():
    # Every comment opens with the same furniture; the topic words differ.
    # The opener's words are in every comment, so outside the fitted
    # vocabulary (document frequency over one half): the rare-word view is
    # exactly that of the comments without it, where the plain embedding's
    # mean is pulled towards it.
    opener = "in article the poster writes"
    topics = ["hockey game", "goalie save", "hockey season", "goalie trade",
              "orbit launch", "shuttle orbit", "launch window", "shuttle crew"]
    bare = [f"{t} {i}" for i in range(12) for t in topics]
    texts = [f"{opener} {t}" for t in bare]
    space = CommentSpace(30, None, 0.0, embeddings="wordllama")
    tokens = [deduplicate([t], None).tokens[0] for t in texts]
    space.fit(tokens, [[] for _ in texts], [[] for _ in texts], 0, texts=texts)
    assert not {"articl", "poster", "write"} & set(space.words_.vocabulary_)
    rare = space.rare_word_view(texts)
    assert np.allclose(np.linalg.norm(rare, axis=1), 1.0, atol=1e-5)
    assert np.allclose(rare, space.rare_word_view(bare), atol=1e-6)
    assert not np.allclose(space._embedding(texts), space._embedding(bare), atol=1e-3)
    # A comment with no word of the vocabulary has no vector there.
    assert not space.rare_word_view(["entirely unrelated words"] + bare)[0].any()


def test_a_stable_words_view_decides_before_the_embedding():
    Z = _joined(_blobs(4, 60, seed=3), _blobs(3, 80, dim=16, seed=4))
    k, _, criterion, _, _ = choose_k(Z, np.ones(len(Z)), 12, np.random.RandomState(0), word_width=12)
    assert (k, criterion) == (4, "stability")


def test_the_embedding_view_needs_a_higher_stability_than_the_words():
    # Looser groups: stable enough for the words' threshold, not for the
    # embedding's (whose smoother geometry makes coarse splits reproducible).
    embedded = _blobs(3, 70, dim=16, spread=0.5, seed=5)
    agreement = stability(embedded, np.ones(len(embedded)), 3, np.random.RandomState(0))
    assert STABLE_ARI <= agreement < EMBEDDING_STABLE_ARI
    Z = _joined(_noise(len(embedded)), embedded)
    _, _, criterion, _, _ = choose_k(Z, np.ones(len(Z)), 12, np.random.RandomState(0), word_width=12)
    assert criterion == "consensus"


@pytest.mark.parametrize("k_true", [3, 12])
def test_the_consensus_count_finds_clear_groups(k_true):
    # The majority vote of k-means partitions of log-uniform k (2..20)
    # keeps a real group together whether there are 3 groups or 12.
    Z = _blobs(k_true, 25, dim=16, spread=0.12)
    k, centres, share = consensus_k(Z, np.ones(len(Z)), 20, np.random.RandomState(0), 0.05)
    assert k_true / 1.5 <= k <= 1.5 * k_true
    assert centres.shape == (k, Z.shape[1])
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 1.0, rtol=1e-5)


def _with_small_group(spread, size=9, seed=0):
    """Four groups of 60 and one of ``size`` (3.6 % of 249) in its own direction."""
    rng = np.random.RandomState(seed)
    Z = _blobs(4, 60, dim=16, spread=0.15)
    centre = np.zeros(16)
    centre[10] = 1.0
    small = centre + spread * rng.randn(size, 16)
    small /= np.linalg.norm(small, axis=1, keepdims=True)
    return np.vstack([Z, small.astype(np.float32)])


def test_a_small_tight_topic_counts_below_the_minimum_share():
    # Nearly every partition isolates a tight group of 3.6 %: it is a theme,
    # and the minimum share the themes are then pruned at follows it down.
    Z = _with_small_group(spread=0.05)
    k, centres, share = consensus_k(Z, np.ones(len(Z)), 20, np.random.RandomState(0), 0.05)
    assert k == 5 and share == pytest.approx(0.025)
    assert max(centres @ np.eye(16)[10]) > 0.95
    # Under half the minimum share it does not count, however tight.
    Z = _with_small_group(spread=0.05, size=5)
    k, _, share = consensus_k(Z, np.ones(len(Z)), 20, np.random.RandomState(0), 0.05)
    assert (k, share) == (4, 0.05)


def test_a_small_loose_group_does_not_count(monkeypatch):
    # The same 3.6 % looser: the majority keeps it together, but the
    # partitions are not near-unanimous about it, so it is no theme ...
    Z = _with_small_group(spread=0.2)
    k, _, share = consensus_k(Z, np.ones(len(Z)), 20, np.random.RandomState(0), 0.05)
    assert (k, share) == (4, 0.05)
    # ... which is the cohesion rule's doing: without it the group counts.
    monkeypatch.setattr(analysis.themes.clustering, "UNANIMOUS", 0.0)
    k, _, share = consensus_k(Z, np.ones(len(Z)), 20, np.random.RandomState(0), 0.05)
    assert (k, share) == (5, 0.025)


def test_no_structure_gives_several_themes_not_one():
    # Points spread evenly over the sphere: no partition is reproduced, so
    # the consensus rule decides, and never gives 1 (or 2) themes for
    # hundreds of comments ...
    rng = np.random.RandomState(1)
    Z = rng.randn(200, 10)
    Z = (Z / np.linalg.norm(Z, axis=1, keepdims=True)).astype(np.float32)
    k, scores, criterion, _, _ = choose_k(Z, np.ones(len(Z)), 10, np.random.RandomState(0), 200)
    assert max(s for kk, s in scores.items() if kk >= 3) < STABLE_ARI
    assert criterion == "consensus"
    assert 3 <= k <= 10
    # ... capped by what the pulse can hold.
    assert choose_k(Z, np.ones(len(Z)), 2, np.random.RandomState(0), 200)[0] == 2


def test_a_stable_split_in_two_counts_only_in_a_small_pulse():
    # The first split of a corpus is stable almost everywhere (0.88-0.99 on
    # newsgroup and newswire texts with 8-10 topics): on a large pulse it
    # does not decide the number of themes; on a small one it does.
    Z = _blobs(2, 20, spread=0.05)
    w = np.ones(len(Z))
    assert stability(Z, w, 2, np.random.RandomState(0)) > 0.95
    assert choose_k(Z, w, 6, np.random.RandomState(0), n_content=40)[0] == 2
    assert choose_k(Z, w, 6, np.random.RandomState(0), n_content=400)[0] != 2


COMMON = (
    "people time year way work world life day part place case point group number fact question "
    "week month system program problem service report issue idea reason result change interest "
    "level order area"
).split()
TOPIC_WORDS = {
    "space": "orbit launch rocket satellite moon mission shuttle planet telescope lunar".split(),
    "hockey": "goal puck season playoff team coach league score skate rink".split(),
    "medicine": "patient doctor disease treatment symptom drug clinic diet infection dose".split(),
    "graphics": "image pixel render format colour polygon texture bitmap display shading".split(),
}


def test_long_texts_sharing_most_words_are_not_lumped_into_one_theme():
    # Issue 9: on long newsgroup posts the former method returned ONE theme
    # (NMI 0.000): four fifths of every text is vocabulary all topics share,
    # so every pair of centres had cosine above 0.4 and was lumped. This
    # corpus reproduces that (the former method gives 1 theme here); the
    # topics are a stable partition, which the stability rule finds.
    rng = random.Random(0)
    texts, truth = [], []
    for name, words in TOPIC_WORDS.items():
        for _ in range(40):
            doc = [rng.choice(COMMON) if rng.random() < 0.8 else rng.choice(words) for _ in range(120)]
            texts.append(" ".join(doc))
            truth.append(name)
    model = ThemeClusterer(random_state=0).fit(texts)
    assert model.n_themes_ == 4
    assert model.stability_scores_[4] >= STABLE_ARI
    assert normalized_mutual_info_score(truth, model.labels_) > 0.95


SYLLABLES = "ba ke lo mi nu pa re si to vu za de fi go hu".split()


def _synthetic(k, per, topic_words=5, common_words=7, seed=0):
    """Comments on k topics, each with its own invented words, plus shared words."""
    rng = random.Random(seed)
    vocab = [
        [SYLLABLES[t % 15] + SYLLABLES[(t // 15 + j) % 15] + SYLLABLES[j % 15] + "x" for j in range(15)]
        for t in range(k)
    ]
    texts, truth = [], []
    for i in range(k * per):
        t = i % k
        words = rng.sample(vocab[t], topic_words) + rng.sample(COMMON, common_words)
        rng.shuffle(words)
        texts.append(" ".join(words))
        truth.append(t)
    return texts, truth


@pytest.mark.parametrize("k_true, per", [(3, 100), (12, 30)])
def test_clear_topics_get_about_their_number_of_themes(k_true, per):
    texts, truth = _synthetic(k_true, per)
    model = ThemeClusterer(random_state=0).fit(texts)
    assert k_true / 1.5 <= model.n_themes_ <= 1.5 * k_true
    assert normalized_mutual_info_score(truth, model.labels_) > 0.8


def test_weak_topics_in_short_comments_get_several_themes():
    # Two topic words in nine: no partition is stable, the consensus rule
    # decides; hundreds of comments on five topics are never one theme.
    texts, truth = _synthetic(5, 80, topic_words=2, common_words=7, seed=1)
    model = ThemeClusterer(random_state=0).fit(texts)
    assert 3 <= model.n_themes_ <= 8
    assert model.k_criterion_ in ("stability", "embedding stability", "consensus")


@pytest.mark.parametrize("unanimous, own_theme", [(None, True), (1.01, False)])
def test_a_small_tight_topic_is_its_own_theme(monkeypatch, unanimous, own_theme):
    # Five topics of 60 comments and twelve comments (3.8 %, under the 5 %
    # minimum share) on one tight topic. With the consensus deciding (no
    # stable partition allowed), the small topic is a theme of its own, all
    # twelve in it and nothing else, and the minimum theme size follows it
    # down; without the cohesion rule it is lumped into another theme.
    texts, _ = _synthetic(5, 60, topic_words=3, common_words=8, seed=2)
    rng = random.Random(5)
    for _ in range(12):
        words = "gold bullion ounce mine".split() + rng.sample(COMMON, 3)
        rng.shuffle(words)
        texts.append(" ".join(words))
    monkeypatch.setattr(analysis.themes.clustering, "STABLE_ARI", 1.01)
    if unanimous is not None:
        monkeypatch.setattr(analysis.themes.clustering, "UNANIMOUS", unanimous)
    model = ThemeClusterer(random_state=0).fit(texts)
    assert model.k_criterion_ == "consensus"
    small = set(model.labels_[-12:].tolist())
    if own_theme:
        assert model.n_themes_ == 6 and len(small) == 1
        (theme,) = small
        assert theme >= 0 and (model.labels_ == theme).sum() == 12
        assert "gold" in next(t for t in model.themes_ if t.id == theme).label
    else:
        assert model.n_themes_ == 5
        assert all((model.labels_ == t).sum() > 12 for t in small if t >= 0)


@pytest.mark.parametrize("embeddings", [None, "wordllama"])
def test_hundreds_of_varied_comments_never_make_one_theme(embeddings):
    # No lexicon, on the 194 workplace development comments (10 topics): weak
    # structure, no stable partition; the old silhouette-and-lumping rule
    # could return one theme on such text. Measured: words alone 10 themes,
    # NMI 0.284; with the embeddings 3 themes, 0.279 (with the lexicon, the
    # default, 10 themes and 0.823: test_bench_themes.py).
    texts, truth = _workplace("dev")
    model = ThemeClusterer(concepts=None, embeddings=embeddings, random_state=0).fit(texts)
    assert model.n_themes_ >= 3
    assert normalized_mutual_info_score(truth, model.labels_) > 0.25


# ------------------------------------------------------------------ lexicon
def test_lexicon_is_read_from_its_data_file():
    assert CONCEPTS_PATH.name == "theme_concepts.toml" and CONCEPTS_PATH.parent.name == "data"
    assert len(WORKPLACE_CONCEPTS) == 17
    assert "salary" in WORKPLACE_CONCEPTS["pay"]
    assert "short-staffed" in WORKPLACE_CONCEPTS["workload"]


def test_lexicon_weight_ramps_with_coverage():
    assert lexicon_weight(NO_WEIGHT_SHARE, 1.0) == 0.0
    assert lexicon_weight(FULL_WEIGHT_SHARE, 2.0) == 2.0
    assert lexicon_weight(0.9, 1.0) == 1.0
    index = concept_index(concepts_key(WORKPLACE_CONCEPTS))
    assert lexicon_share([["salary", "low"], ["training", "rare"]], index) == 0.5
    assert lexicon_share([], index) == 0.0


SPACE = [
    "The probe entered orbit around the outer planet",
    "Telescope images show the comet tail clearly",
    "Astronomers measured the distant galaxy redshift",
    "The rocket launch window opens next week",
    "Lunar rover sampled rocks from the crater",
    "Orbit insertion burn lasted six minutes",
]
BAKING = [
    "Knead the dough until smooth and elastic",
    "Sourdough starter needs feeding every morning",
    "Bake the loaf until the crust sounds hollow",
    "Rye flour makes a dense dark bread",
    "Proof the dough overnight in the fridge",
    "Brush the crust with egg before baking",
]


def test_a_lexicon_that_does_not_describe_the_text_gets_no_weight():
    # Words such as "window", "rocks", "week" or "morning" are not workplace
    # words, yet a few lexicon hits ("launch", "images"...) used to pull
    # comments into the lexicon's topics. Below 10 % coverage the result is
    # exactly the words-only one.
    texts = (SPACE + BAKING) * 3
    with_lexicon = ThemeClusterer(random_state=0).fit(texts)
    words_only = ThemeClusterer(concepts=None, random_state=0).fit(texts)
    assert with_lexicon.lexicon_share_ < NO_WEIGHT_SHARE
    assert with_lexicon.concept_weight_ == 0.0
    np.testing.assert_array_equal(with_lexicon.labels_, words_only.labels_)


def test_on_workplace_comments_the_lexicon_helps():
    texts, truth = _workplace("dev")
    with_lexicon = ThemeClusterer(random_state=0).fit(texts)
    words_only = ThemeClusterer(concepts=None, random_state=0).fit(texts)
    assert with_lexicon.concept_weight_ == 1.0
    assert normalized_mutual_info_score(truth, with_lexicon.labels_) > 0.75
    assert normalized_mutual_info_score(truth, with_lexicon.labels_) > (
        normalized_mutual_info_score(truth, words_only.labels_) + 0.3
    )


# ------------------------------------------------------------- vector space
def test_document_frequency_limits_apply_once_the_sample_is_large():
    rng = random.Random(0)
    topics = [["salary", "pay", "bonus"], ["laptop", "software", "crash"], ["training", "course"]]
    texts = [
        f"team {' '.join(rng.sample(t, 2))} comment{i}" for i in range(60) for t in [topics[i % 3]]
    ]
    corpus = deduplicate(texts, None)
    space = CommentSpace(30, None, 1.0).fit(corpus.tokens, corpus.concept_docs, corpus.surface, 0)
    vocabulary = set(space.words_.vocabulary_)
    assert "team" not in vocabulary  # in every comment: more than half
    assert not any(w.startswith("comment") for w in vocabulary)  # each in one comment only
    assert {"salari", "laptop", "train"} <= vocabulary
    small = deduplicate(texts[:12], None)
    space = CommentSpace(30, None, 1.0).fit(small.tokens, small.concept_docs, small.surface, 0)
    assert "comment0" in space.words_.vocabulary_  # too few comments for limits


# ----------------------------------------------------------- package shape
MODULES = sorted(m.name for m in pkgutil.iter_modules(analysis.themes.__path__, "analysis.themes."))


def test_the_package_has_its_parts_and_each_is_under_500_lines():
    assert {"analysis.themes." + n for n in ("estimator", "labelling", "lexicon", "space",
                                            "clustering")} <= set(MODULES)
    for name in MODULES:
        path = ROOT / "analysis" / "themes" / (name.rsplit(".", 1)[1] + ".py")
        assert len(path.read_text(encoding="utf-8").splitlines()) < 500, path


@pytest.mark.parametrize("name", ["analysis.themes", *MODULES])
def test_docstring_examples_of_the_package_run(name):
    # tests/test_docstring_examples.py walks analysis/ one level deep; the
    # package's modules (ThemeClusterer's example among them) run here.
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def _workplace(name):
    import csv

    with open(ROOT / "bench" / "data" / f"themes_{name}.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    return [r[1] for r in rows], [r[0] for r in rows]
