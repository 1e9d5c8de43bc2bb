"""The :class:`ThemeClusterer` estimator: raw comment texts in, labelled themes out.

It chains the three decomposable steps, each in its own module, and owns
only the bookkeeping between them (deduplication, sampling, "no content",
renumbering): :mod:`analysis.themes.space` (vectorise, reduce),
:mod:`analysis.themes.clustering` (number of themes, spherical k-means,
"Other") and :mod:`analysis.themes.labelling` (c-TF-IDF labels,
representatives). The method and its measurements: ``docs/themes.md``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from analysis.text import is_no_content
from analysis.themes.clustering import (
    apply_other,
    choose_k,
    distinct_points,
    prune,
    spherical_kmeans,
)
from analysis.themes.embedding import EMBEDDINGS
from analysis.themes.labelling import (
    NO_WORDS_LABEL,
    OTHER_THEME_ID,
    Theme,
    describe,
    first_index,
)
from analysis.themes.lexicon import concepts_key
from analysis.themes.space import CommentSpace, deduplicate, features

__all__ = ["NO_CONTENT_LABEL", "ThemeClusterer"]

#: Label given to comments with nothing to analyse ("n/a", "-", empty).
NO_CONTENT_LABEL = -1
# Distinct comments on which the number of themes is searched.
_K_SEARCH_SAMPLES = 2000
_SEED_MAX = np.iinfo(np.int32).max


class ThemeClusterer(ClusterMixin, TransformerMixin, BaseEstimator):
    """Cluster raw comment texts into labelled themes.

    Parameters
    ----------
    n_themes : "auto" or int, default="auto"
        Number of themes (not counting "Other"). ``"auto"``: the most stable
        number of 3 or more if one is stable, else the number of groups that
        most of many k-means partitions keep together (``docs/themes.md``,
        "Number of themes").
    max_themes : int, default=20
        Upper end of the search range for ``"auto"``.
    min_theme_size : int, default=3
        Smallest group worth calling a theme. Also bounds the search range:
        at most ``n // min_theme_size`` themes for ``n`` comments, so 1-5
        comments make one theme.
    min_theme_share : float, default=0.05
        With ``"auto"``, a theme must also hold at least this share of the
        comments with content (``max(min_theme_size, ceil(share * n))``);
        smaller clusters are dissolved into their nearest theme or "Other",
        except that a group of at least half this share which nearly every
        pooled partition isolates counts too (``docs/themes.md``, step 5b),
        and the minimum then follows it down for that fit.
    merge_similarity : float, default=1.0
        With ``"auto"``, themes whose centres have at least this cosine are
        lumped into one. 1.0 lumps only identical centres (lumping at 0.4
        merged every topic into one on real corpora).
    max_other_share : float, default=0.10
        Largest share of comments with content that may go to "Other".
    concepts : "workplace", None or mapping, default="workplace"
        Concept lexicon (:data:`analysis.themes.WORKPLACE_CONCEPTS`) joined
        to the word features, weighted by how much of the corpus's wording it
        covers; a mapping of concept name to words replaces it; None uses
        words only.
    concept_weight : float, default=1.0
        Weight of the concept block, relative to the word block, on a corpus
        whose wording the lexicon covers fully (see ``lexicon_weight``).
    embeddings : "wordllama" or None, default="wordllama"
        Static word embeddings joined to the words' LSA vectors, so that
        comments on one topic in different words come together
        (:mod:`analysis.themes.embedding`; ``docs/themes.md``, step 4b), for
        comments whose median length is at most 45 content words; None uses
        the words alone.
    n_components : int, default=30
        LSA dimensions (capped by the data).
    max_fit_samples : int, default=5000
        Distinct comments used to fit the vocabulary, SVD and centres; the
        rest are assigned to the nearest centre.
    n_init : int, default=4
        k-means restarts for the final partition.
    random_state : int, RandomState or None, default=0
        Seed for sampling, SVD and k-means; an int gives identical results in
        any process.

    Attributes
    ----------
    labels_ : ndarray of shape (n_texts,), dtype int64
        Theme id of each text; ``NO_CONTENT_LABEL`` (-1) for texts with
        nothing to analyse, ``OTHER_THEME_ID`` (-2) for "Other".
    themes_ : list of Theme
        Regular themes by decreasing size, then "Other" if any.
    n_themes_ : int
        Number of regular themes found (not counting "Other").
    stability_scores_ : dict of int to float
        Split-half stability (ARI) of each candidate k (empty unless chosen
        automatically).
    k_criterion_ : str
        Which rule chose the number of themes: "stability", "embedding
        stability", "consensus", or "" (not chosen automatically).
    lexicon_share_ : float
        Share of the fitted comments' words that the lexicon knows.
    concept_weight_ : float
        Weight the concept block got (0 when the lexicon covers too little).
    embedding_share_ : float
        Share of the joined vectors' squared length the word embeddings got
        (0.5 for short comments, 0 for long texts or ``embeddings=None``).
    cluster_centers_ : ndarray of shape (n_themes_, n_dimensions)
        Unit-length theme centres in the fitted space (the LSA vectors,
        joined by the word embeddings for short comments), row i for theme
        id i.

    Examples
    --------
    >>> texts = [
    ...     "Pay is below market rate", "Salaries are too low", "My salary is poor",
    ...     "Bonus scheme is unfair and pay is low", "Wages have not kept up",
    ...     "Need more training courses", "No training on the new system",
    ...     "Training budget was cut", "Courses and workshops are rare",
    ...     "More coaching and mentoring please", "n/a",
    ... ]
    >>> model = ThemeClusterer(random_state=0).fit(texts)
    >>> model.n_themes_
    2
    >>> int(model.labels_[-1])
    -1
    >>> sorted(t.label.split(", ")[0] for t in model.themes_)
    ['pay', 'training']
    """

    def __init__(
        self,
        n_themes="auto",
        *,
        max_themes=20,
        min_theme_size=3,
        min_theme_share=0.05,
        merge_similarity=1.0,
        max_other_share=0.10,
        concepts="workplace",
        concept_weight=1.0,
        embeddings="wordllama",
        n_components=30,
        max_fit_samples=5000,
        n_init=4,
        random_state=0,
    ):
        self.n_themes = n_themes
        self.max_themes = max_themes
        self.min_theme_size = min_theme_size
        self.min_theme_share = min_theme_share
        self.merge_similarity = merge_similarity
        self.max_other_share = max_other_share
        self.concepts = concepts
        self.concept_weight = concept_weight
        self.embeddings = embeddings
        self.n_components = n_components
        self.max_fit_samples = max_fit_samples
        self.n_init = n_init
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    def _validate_params(self):
        def positive_int(name, minimum=1):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")

        if not (isinstance(self.n_themes, str) and self.n_themes == "auto"):
            positive_int("n_themes")
        for name in ("max_themes", "min_theme_size", "n_components", "n_init"):
            positive_int(name)
        positive_int("max_fit_samples", 10)
        if not 0.0 <= float(self.min_theme_share) < 1.0:
            raise ValueError(f"min_theme_share must be in [0, 1); got {self.min_theme_share!r}")
        if not 0.0 < float(self.merge_similarity) <= 1.0:
            raise ValueError(f"merge_similarity must be in (0, 1]; got {self.merge_similarity!r}")
        if not 0.0 <= float(self.max_other_share) <= 1.0:
            raise ValueError(f"max_other_share must be in [0, 1]; got {self.max_other_share!r}")
        if float(self.concept_weight) < 0:
            raise ValueError(f"concept_weight must be >= 0; got {self.concept_weight!r}")
        if self.embeddings is not None and self.embeddings not in EMBEDDINGS:
            raise ValueError(
                f"embeddings must be one of {', '.join(map(repr, EMBEDDINGS))} or None; "
                f"got {self.embeddings!r}"
            )
        self._concept_key = concepts_key(self.concepts)

    @staticmethod
    def _as_texts(texts) -> list:
        if isinstance(texts, (str, bytes)):
            raise ValueError(
                "ThemeClusterer expects a sequence of comment texts, got a single string"
            )
        try:
            return list(texts)
        except TypeError:
            raise ValueError(
                f"ThemeClusterer expects a sequence of comment texts, got {type(texts).__name__}"
            ) from None

    # -------------------------------------------------------------------- fit
    def fit(self, texts, y=None):
        """Find themes in ``texts`` (an iterable of str; NaN/None allowed).

        Raises
        ------
        ValueError
            If ``texts`` is empty, is a single string, or a parameter is out
            of range. Texts that are all "no content" are valid: every label
            is -1 and there are no themes.
        """
        # k-means on a few thousand 30-dimensional rows is far too small to
        # gain from OpenMP threads, and on a busy machine their spin-waiting
        # made the k search 40 times slower (35 s vs 0.9 s measured): run
        # single-threaded. Results do not depend on the thread count.
        with threadpool_limits(limits=1):
            return self._fit(texts)

    def _reset(self, n_texts):
        self.labels_ = np.full(n_texts, NO_CONTENT_LABEL, dtype=np.int64)
        self.n_themes_ = 0
        self.themes_ = []
        self.stability_scores_ = {}
        self.k_criterion_ = ""
        self.lexicon_share_ = 0.0
        self.concept_weight_ = 0.0
        self.embedding_share_ = 0.0
        self.cluster_centers_ = np.zeros((0, 0), dtype=np.float32)
        self._space = None

    def _fit(self, texts):
        self._validate_params()
        texts = self._as_texts(texts)
        if len(texts) == 0:
            raise ValueError("ThemeClusterer.fit needs at least one text; got an empty sequence")
        rng = check_random_state(self.random_state)
        corpus = deduplicate(texts, self._concept_key)
        self._reset(len(texts))
        if not corpus.distinct:
            return self
        n_content = int(corpus.counts.sum())
        n_distinct = len(corpus.distinct)
        if n_distinct > self.max_fit_samples:
            fit_rows = np.sort(rng.choice(n_distinct, size=self.max_fit_samples, replace=False))
        else:
            fit_rows = np.arange(n_distinct)
        if not any(corpus.tokens[i] for i in fit_rows):
            # Nothing with words (numbers, symbols): one theme holding them all.
            return self._single_theme(corpus)
        space = CommentSpace(self.n_components, self._concept_key, self.concept_weight, self.embeddings)
        space.fit(
            [corpus.tokens[i] for i in fit_rows],
            [corpus.concept_docs[i] for i in fit_rows],
            [corpus.surface[i] for i in fit_rows],
            rng.randint(_SEED_MAX),
            texts=[corpus.distinct[i] for i in fit_rows],
        )
        self._space = space
        self.lexicon_share_ = space.lexicon_share_
        self.concept_weight_ = space.concept_weight_
        self.embedding_share_ = space.embedding_share_
        Z_all = space.embed(corpus.tokens, corpus.concept_docs, corpus.distinct)
        Z_fit, w_fit = Z_all[fit_rows], corpus.counts[fit_rows]
        # The fitted sample's rare-word view, computed only if the number of
        # themes needs it (docs/themes.md, step 5, a2).
        rare_view = None if space.embedding_mean_ is None else (
            lambda: space.rare_word_view([corpus.distinct[i] for i in fit_rows]))

        auto = self.n_themes == "auto"
        k, start, share = self._choose_k(Z_fit, w_fit, n_content, rng, rare_view)
        # The consensus count may have kept a small topic that nearly every
        # partition isolates; the minimum theme size then follows it down.
        min_size = self._min_size(n_content, share) if auto else self.min_theme_size
        orphans = np.zeros(n_distinct, dtype=bool)
        if k <= 1:
            centre = np.average(Z_fit, axis=0, weights=w_fit)
            norm = np.linalg.norm(centre)
            centers = (centre / norm if norm > 0 else centre)[None, :].astype(np.float32)
        else:
            if start is None:
                _, first_centers = spherical_kmeans(
                    Z_fit, k, w_fit, rng.randint(_SEED_MAX), self.n_init
                )
            else:
                # The consensus groups' centres (clustering.consensus_k).
                first_centers = start
            centers = first_centers
            if auto:
                kept, centers = prune(
                    Z_fit, w_fit, first_centers, min_size / n_content, self.merge_similarity
                )
                # Comments whose own k-means cluster was dissolved as too
                # small are the one-offs that may go to "Other".
                orphans = ~kept[np.argmax(Z_all @ first_centers.T, axis=1)]
            k = len(centers)
        sims = Z_all @ centers.T
        assign = apply_other(
            sims, corpus.counts, n_content, k, min_size, orphans, self.max_other_share
        )
        return self._finish(corpus, assign, centers, Z_all, fit_rows, k)

    def _finish(self, corpus, assign, centers, Z_all, fit_rows, k):
        """Renumber themes by decreasing size and describe them."""
        counts = corpus.counts
        regular = [c for c in range(k) if counts[assign == c].sum() > 0]
        regular.sort(key=lambda c: (-counts[assign == c].sum(), c))
        remap = {old: new for new, old in enumerate(regular)}
        remap[OTHER_THEME_ID] = OTHER_THEME_ID
        distinct_labels = np.array([remap[a] for a in assign], dtype=np.int64)
        self.cluster_centers_ = np.asarray(centers[regular], dtype=np.float32)
        self.n_themes_ = len(regular)
        inverse = corpus.inverse
        self.labels_[inverse >= 0] = distinct_labels[inverse[inverse >= 0]]
        self.themes_ = describe(
            corpus, distinct_labels, self.cluster_centers_, Z_all, fit_rows, self._concept_key
        )
        return self

    def _single_theme(self, corpus):
        inverse = corpus.inverse
        self.labels_[inverse >= 0] = 0
        self.n_themes_ = 1
        first = first_index(inverse)
        reps = tuple(first[j] for j in sorted(first)[:3])
        self.themes_ = [Theme(0, NO_WORDS_LABEL, (), (), int(corpus.counts.sum()), reps)]
        return self

    def _min_size(self, n_content, share=None):
        """Smallest theme worth showing: grows with the pulse (see docs/themes.md)."""
        share = self.min_theme_share if share is None else share
        return max(self.min_theme_size, int(np.ceil(share * n_content)))

    def _choose_k(self, Z, weights, n_content, rng, rare_view=None):
        nonzero = np.flatnonzero(np.abs(Z).sum(axis=1) > 0)
        # Different texts can have the same words ("Pay is low 1", "Pay is
        # low 2"): k-means cannot find more clusters than distinct points.
        n_points = distinct_points(Z[nonzero])
        if self.n_themes != "auto":
            return int(min(self.n_themes, max(1, n_points))), None, None
        if len(nonzero) > _K_SEARCH_SAMPLES:
            sample = np.sort(rng.choice(nonzero, size=_K_SEARCH_SAMPLES, replace=False))
            n_points = distinct_points(Z[sample])
        else:
            sample = nonzero
        k_max = min(self.max_themes, n_content // self.min_theme_size, n_points, len(sample) - 1)
        if k_max < 2:
            return 1, None, None
        min_share = self._min_size(n_content) / n_content
        rare = None if rare_view is None else (lambda: rare_view()[sample])
        k, self.stability_scores_, self.k_criterion_, start, share = choose_k(
            Z[sample], weights[sample], k_max, rng, n_content, min_share, self._space.word_width, rare
        )
        return k, start, (None if share == min_share else share)

    # ------------------------------------------------------- using the model
    def fit_predict(self, texts, y=None):
        """Fit and return ``labels_``."""
        return self.fit(texts).labels_

    def transform(self, texts):
        """Cosine distance (1 - cosine similarity) of each text to each theme centre.

        Columns follow theme ids 0 .. n_themes_-1; a text with no content or
        no known word is at distance 1 from every centre.
        """
        check_is_fitted(self, "labels_")
        texts = self._as_texts(texts)
        if self.n_themes_ == 0 or self._space is None:
            return np.ones((len(texts), self.n_themes_), dtype=np.float32)
        parts = [([], []) if is_no_content(t) else features(t, self._concept_key)[:2] for t in texts]
        texts = ["" if is_no_content(t) else str(t) for t in texts]
        Z = self._space.embed([p[0] for p in parts], [p[1] for p in parts], texts)
        return (1.0 - Z @ self.cluster_centers_.T).astype(np.float32)

    def predict(self, texts):
        """Theme id of new texts: nearest centre, -1 for no content, "Other" if no known word."""
        check_is_fitted(self, "labels_")
        texts = self._as_texts(texts)
        out = np.full(len(texts), NO_CONTENT_LABEL, dtype=np.int64)
        if self.n_themes_ == 0:
            return out
        if self._space is None:
            out[[not is_no_content(t) for t in texts]] = 0
            return out
        distances = self.transform(texts)
        for i, text in enumerate(texts):
            if is_no_content(text):
                continue
            row = distances[i]
            out[i] = OTHER_THEME_ID if row.min() >= 1.0 - 1e-6 else int(np.argmin(row))
        return out
