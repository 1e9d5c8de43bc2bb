"""Group free-text comments into a handful of named themes.

A leader cannot read 4,000 comments; they can read twelve themes, each with
its size, a short label and three comments that typify it. This module does
that one job, clustering and describing, as a scikit-learn estimator over raw
texts. Scrubbing, sentiment and routing happen elsewhere
(:mod:`analysis.comments` chains them).

Why the method looks the way it does (details and figures in
``docs/themes.md``):

* Survey comments are short (10-20 words), so two comments about the same
  thing often share no word at all ("salaries are below market" / "the bonus
  is unfair"). A pulse of a few hundred comments is far too small for LSA to
  learn that *salary* and *bonus* belong together, so each comment is
  described twice: by its own stemmed words (TF-IDF) and by the workplace
  *concepts* its words belong to (a small built-in lexicon of engagement-survey
  topics, :data:`WORKPLACE_CONCEPTS`). On our labelled corpora the concept
  block is what lifts NMI from about 0.3 to about 0.7.
* LSA (truncated SVD) on the joined blocks, rows normalised to unit length, so
  k-means on it is spherical k-means: comments are compared by direction
  (topic), not length.
* The number of themes is chosen by the mean silhouette (cosine) over
  k = 2 .. min(max_themes, n // min_theme_size), taking the *smallest* k whose
  silhouette is within ``silhouette_tolerance`` of the best: silhouette on short
  texts plateaus once the real topics are separated and then creeps up by
  splitting them, and a leader is better served by fewer, broader themes.
* The silhouette finds the finest partition the data supports; on a
  templated or repetitive pulse that is one cluster per phrasing. So, as in
  ISODATA (Ball & Hall 1965), clusters holding less than
  ``min_theme_share`` (5 %) of the comments are dissolved and centres closer
  than ``merge_similarity`` (cosine 0.4) are lumped: the minimum theme size
  grows with the pulse, and a leader gets a handful of themes.
* Members of dissolved clusters and comments that share no
  vocabulary with the rest go to an explicit "Other" theme
  (:data:`OTHER_THEME_ID`), capped at ``max_other_share`` (10 %) of the
  comments with content; beyond the cap the remaining ones are assigned to
  their nearest theme.
* Labels are the most distinctive words of each theme by class-based TF-IDF
  (c-TF-IDF, Grootendorst 2022, BERTopic), shown as the commonest surface
  form of each stem ("salary", not "salari"), inside the two-word phrase the
  theme uses them in when there is one ("town halls", not "halls, town").
* Where a comment is ("in the kitchen") is not what it is about: place
  phrases do not signal concepts (:func:`analysis.text.drop_places`).
* Large pulses (100,000 comments) are deduplicated, and the vocabulary, the
  SVD and the centres are fitted on a random sample of at most
  ``max_fit_samples`` distinct comments; every comment is then assigned to its
  nearest centre. Everything random flows from ``random_state``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from analysis.text import (
    NEGATIONS,
    content_tokens,
    content_words,
    drop_places,
    is_missing,
    is_no_content,
    stem,
    surface_words,
    word_pairs,
)

__all__ = [
    "NO_CONTENT_LABEL",
    "OTHER_THEME_ID",
    "OTHER_THEME_LABEL",
    "WORKPLACE_CONCEPTS",
    "Theme",
    "ThemeClusterer",
]

#: Label given to comments with nothing to analyse ("n/a", "-", empty).
NO_CONTENT_LABEL = -1
#: Id of the explicit theme holding one-off comments (at most 10 % of them).
OTHER_THEME_ID = -2
OTHER_THEME_LABEL = "Other (one-off comments)"

#: Topics that recur in employee-survey comments, with the words that signal
#: them. Written from the usual engagement-survey categories (workload, pay,
#: learning, career, strategy, leadership, communication, managers, customers,
#: brand, IT, recognition, onboarding, flexible work, facilities,
#: collaboration, wellbeing), not from any one corpus. A word may belong to
#: several concepts. Pass ``concepts=None`` to switch this off, or a mapping
#: of your own to extend or replace it.
WORKPLACE_CONCEPTS: Mapping[str, tuple[str, ...]] = {
    name: tuple(words.split())
    for name, words in {
        "workload": "workload workloads overworked overwork understaffed understaffing "
        "short-staffed staffing headcount overtime hours busy burnout burnt burned "
        "exhausted exhausting exhaustion tired stress stressed stressful pressure pace "
        "capacity stretched overwhelmed overwhelming drowning volume deadline deadlines "
        "weekends evenings backfill backfilled hire hiring resourcing resourced cope "
        "coping sustainable unsustainable balance firefighting swamped overloaded "
        "overload rushed",
        "pay": "pay paid underpaid salary salaries wage wages compensation bonus bonuses "
        "raise raises payrise inflation benefits pension commission allowance allowances "
        "perks perk money remuneration reward rewards earn earnings insurance paycheck "
        "payslip rates rate bands",
        "learning": "training trained trainer train course courses learning learn workshop "
        "workshops skills skill upskill upskilling reskilling coaching coach mentoring "
        "mentor mentors certification certifications e-learning elearning conference "
        "conferences teach taught lessons seminar seminars webinar",
        "career": "career careers promotion promotions promoted promote progression "
        "progress advancement ladder path succession vacancies vacancy rotation "
        "secondment secondments prospects grow growth level levels develop development",
        "strategy": "strategy strategies strategic goal goals objective objectives priority "
        "priorities prioritise prioritize direction vision roadmap plan plans planning "
        "focus target targets mission okr okrs initiatives initiative bets heading future",
        "leadership": "leadership leaders leader executive executives exec execs ceo cfo coo "
        "board senior directors director management top transparency transparent honest "
        "honesty openness secrecy trust town hall all-hands announcement announcements",
        "communication": "communication communications communicate communicated inform "
        "informed information update updates news newsletter announcement explain "
        "explained told tell hear heard rumour rumours intranet briefing briefings",
        "manager": "manager managers supervisor supervisors boss bosses line lead leads "
        "one-to-one one-on-one check-in check-ins huddle huddles appraisal",
        "customers": "customer customers client clients complaint complaints complain "
        "complaining service satisfaction nps csat churn retention account accounts "
        "refund refunds returns delivery deliveries waiting hold queue callback users "
        "consumer consumers",
        "brand": "brand brands branding rebrand logo marketing campaign campaigns "
        "advertising advert adverts ads reputation image slogan awareness promise "
        "identity messaging",
        "it": "laptop laptops computer computers pc software system systems vpn wifi wi-fi "
        "network crm erp tool tools app apps platform bug bugs crash crashes crashing "
        "freeze freezes freezing helpdesk ticket tickets printer printers password "
        "passwords login access licence licences license monitor monitors equipment tech "
        "technology server servers drive sso outlook excel spreadsheet spreadsheets "
        "hardware",
        "recognition": "recognition recognised recognized recognise recognize appreciation "
        "appreciated appreciate unappreciated undervalued valued thanked "
        "praise praised credit celebrate celebrated celebrating award awards acknowledge "
        "acknowledged acknowledgement noticed unnoticed",
        "onboarding": "onboarding onboard induction inductions starter starters joiner "
        "joiners newcomer newcomers welcome buddy orientation first",
        "flexible": "remote remotely home wfh hybrid flexible flexibility commute commuting "
        "mandate location video",
        "facilities": "office offices building buildings canteen parking car park desk "
        "desks kitchen toilets toilet air conditioning heating temperature cold hot lift "
        "lifts coffee break room lighting noise noisy quiet chairs chair facilities site "
        "premises",
        "collaboration": "silo silos siloed collaboration collaborate collaborating "
        "cross-team cross-functional departments department teams together handover "
        "handovers duplicate duplicated cooperation coordination disconnected alignment",
        "wellbeing": "wellbeing well-being mental health culture respect toxic bullying "
        "bully harassment inclusion inclusive diversity morale sick illness",
    }.items()
}

# A label word is shown in a two-word phrase when the phrase occurs in at least
# this many of the theme's comments and in this share of those using the word.
_PHRASE_MIN_COUNT = 2
_PHRASE_MIN_SHARE = 0.5
# Longest label, in words.
_LABEL_MAX_WORDS = 4
# Words never worth showing in a label even when distinctive.
_LABEL_SKIP = NEGATIONS | {"amp", "nbsp"}
# Distinct comments on which the number of themes is searched.
_K_SEARCH_SAMPLES = 2000
# c-TF-IDF multiplier for words in the concept lexicon when choosing labels.
_TOPIC_WORD_BOOST = 1.5
# A label word must be at least this much more frequent in its theme than in
# all comments (share of the theme's words / share of all words).
_LABEL_MIN_LIFT = 1.5
# Words whose sentiment valence (VADER, -4..4) is at least this strong say how
# people feel, not what about, and are kept out of labels unless they name a
# workplace topic ("stress", "burnout", "recognition").
_EVALUATIVE_VALENCE = 1.0


@lru_cache(maxsize=1)
def _sentiment_lexicon() -> dict[str, float]:
    from analysis.sentiment import SentimentScorer

    return SentimentScorer().lexicon


def _valence(word: str) -> float:
    return _sentiment_lexicon().get(word, 0.0)


def _label_items(label_stems, class_counts, phrase_df, phrase_forms):
    """Show each label word inside its phrase when it is mostly used in one.

    Why: "town halls" or "break room" says what a theme is about; "halls,
    town" or "room, break" makes the reader reassemble it. A label word
    becomes a two-word phrase when that phrase occurs in at least two of the
    theme's comments and in at least half of the comments using the word
    (it is *the* way the theme uses the word, not a chance neighbour); its
    commonest spelling is shown. The other word of the phrase is then not
    repeated. A label has at most three items and four words.
    """
    items: list[str] = []
    used: set[str] = set()
    n_words = 0
    for s, word in label_stems.items():
        if s in used:
            continue
        best = None
        for key, f in phrase_df.items():
            if s not in key or f < max(_PHRASE_MIN_COUNT, _PHRASE_MIN_SHARE * class_counts.get(s, 0)):
                continue
            other = key[1] if key[0] == s else key[0]
            if other in _LABEL_SKIP or other in used:
                continue
            rank = (f, class_counts.get(other, 0), key)
            if best is None or rank > best[0]:
                best = (rank, key)
        if best is not None:
            key = best[1]
            forms = phrase_forms[key]
            item = min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            used.update(key)
        else:
            item = word
            used.add(s)
        size = len(item.split())
        if items and n_words + size > _LABEL_MAX_WORDS:
            break
        items.append(item)
        n_words += size
        if len(items) == 3:
            break
    return items


@dataclass(frozen=True)
class Theme:
    """One theme as a leader sees it.

    Attributes
    ----------
    id : int
        0, 1, ... by decreasing size; :data:`OTHER_THEME_ID` for "Other".
    label : str
        Two or three distinctive words, e.g. ``"salary, pay, bonus"``.
    top_terms : tuple of str
        Up to ten distinctive words, most distinctive first (surface forms).
    term_weights : tuple of float
        c-TF-IDF weight of each of ``top_terms`` (same order), for routing.
    size : int
        Number of comments in the theme (duplicates counted).
    representatives : tuple of int
        Indices (into the fitted texts) of up to three distinct comments
        closest to the theme's centre.
    """

    id: int
    label: str
    top_terms: tuple[str, ...]
    term_weights: tuple[float, ...]
    size: int
    representatives: tuple[int, ...]


def _first_index(inverse) -> dict[int, int]:
    """Index of the first text of each distinct comment (themes quote texts by index)."""
    first: dict[int, int] = {}
    for i, j in enumerate(inverse.tolist()):
        if j >= 0 and j not in first:
            first[j] = i
    return first


def _identity(tokens):
    # Top-level (picklable) analyzer for pre-tokenised documents.
    return tokens


@lru_cache(maxsize=8)
def _concept_index(concepts_key: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[str, ...]]:
    """Map each lexicon word, as written (casefolded), to the concepts it signals.

    Words are matched as written, not by stem: Snowball maps "honestly" to
    "honest" and "second" to "secondment"'s stem, so a stem index would file
    every "Honestly, ..." under leadership and every "second time" under
    career. The lexicon lists the inflections that matter; :func:`_concepts_of`
    adds regular plurals.
    """
    index: dict[str, set[str]] = defaultdict(set)
    for concept, words in concepts_key:
        for word in words:
            word = str(word).casefold()
            if len(word) >= 2:
                index[word].add(concept)
    return {w: tuple(sorted(c)) for w, c in index.items()}


def _concepts_of(word: str, index: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """Concepts of one surface word: exact, regular plural, or hyphen parts."""
    hit = index.get(word)
    if hit is not None:
        return hit
    if len(word) > 3 and word.endswith("s"):
        if word.endswith("ies") and (hit := index.get(word[:-3] + "y")) is not None:
            return hit
        if word.endswith("es") and (hit := index.get(word[:-2])) is not None:
            return hit
        if (hit := index.get(word[:-1])) is not None:
            return hit
    if "-" in word:
        found: list[str] = []
        for part in word.split("-"):
            for concept in _concepts_of(part, index) if len(part) >= 2 else ():
                if concept not in found:
                    found.append(concept)
        return tuple(found)
    return ()


def _concepts_key(concepts) -> tuple | None:
    if concepts is None:
        return None
    if isinstance(concepts, str):
        if concepts != "workplace":
            raise ValueError(
                f"concepts must be 'workplace', None or a mapping of concept -> words; "
                f"got {concepts!r}"
            )
        concepts = WORKPLACE_CONCEPTS
    if not isinstance(concepts, Mapping):
        raise ValueError(
            f"concepts must be 'workplace', None or a mapping of concept -> words; "
            f"got {type(concepts).__name__}"
        )
    key = []
    for name in sorted(concepts):
        words = concepts[name]
        if isinstance(words, str):
            words = words.split()
        key.append((str(name), tuple(sorted(str(w) for w in words))))
    return tuple(key)


class ThemeClusterer(ClusterMixin, TransformerMixin, BaseEstimator):
    """Cluster raw comment texts into labelled themes.

    Parameters
    ----------
    n_themes : "auto" or int, default="auto"
        Number of themes (not counting "Other"). ``"auto"`` chooses it by the
        silhouette rule described in ``docs/themes.md``.
    max_themes : int, default=20
        Upper end of the search range for ``"auto"``; more themes than this
        is no longer a summary.
    min_theme_size : int, default=3
        Smallest group worth calling a theme. Also bounds the search range:
        at most ``n // min_theme_size`` themes for ``n`` comments, so 1-5
        comments make one theme.
    min_theme_share : float, default=0.05
        With ``"auto"``, a theme must also hold at least this share of the
        comments with content (``max(min_theme_size, ceil(share * n))``, so
        the minimum grows with the pulse); smaller clusters are dissolved
        into their nearest theme or "Other".
    merge_similarity : float, default=0.4
        With ``"auto"``, themes whose centres have at least this cosine are
        lumped into one (near-duplicates).
    max_other_share : float, default=0.10
        Largest share of comments with content that may go to "Other".
    concepts : "workplace", None or mapping, default="workplace"
        Concept lexicon added to the word features (see
        :data:`WORKPLACE_CONCEPTS`); a mapping of concept name to words
        replaces it; None uses words only.
    concept_weight : float, default=1.0
        Weight of the concept block relative to the word block (each block
        is L2-normalised per comment before weighting).
    n_components : int, default=30
        LSA dimensions (capped by the data).
    silhouette_tolerance : float, default=0.02
        ``"auto"`` takes the smallest k whose silhouette is at least the best
        silhouette minus this.
    max_fit_samples : int, default=5000
        Distinct comments used to fit the vocabulary, SVD and centres; the
        rest are assigned to the nearest centre.
    n_init : int, default=4
        k-means restarts per candidate k.
    random_state : int, RandomState or None, default=0
        Seed for sampling, SVD and k-means; an int gives identical results in
        any process.

    Attributes
    ----------
    labels_ : ndarray of shape (n_texts,), dtype int64
        Theme id of each text; :data:`NO_CONTENT_LABEL` (-1) for texts with
        nothing to analyse, :data:`OTHER_THEME_ID` (-2) for "Other".
    themes_ : list of Theme
        Regular themes by decreasing size, then "Other" if any.
    n_themes_ : int
        Number of regular themes found (not counting "Other").
    silhouette_scores_ : dict of int to float
        Silhouette of each candidate k (empty unless chosen automatically).
    cluster_centers_ : ndarray of shape (n_themes_, n_components_)
        Unit-length theme centres in the LSA space, row i for theme id i.

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
        merge_similarity=0.4,
        max_other_share=0.10,
        concepts="workplace",
        concept_weight=1.0,
        n_components=30,
        silhouette_tolerance=0.02,
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
        self.n_components = n_components
        self.silhouette_tolerance = silhouette_tolerance
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
        positive_int("max_themes")
        positive_int("min_theme_size")
        positive_int("n_components")
        positive_int("max_fit_samples", 10)
        positive_int("n_init")
        if not 0.0 <= float(self.min_theme_share) < 1.0:
            raise ValueError(f"min_theme_share must be in [0, 1); got {self.min_theme_share!r}")
        if not 0.0 < float(self.merge_similarity) <= 1.0:
            raise ValueError(f"merge_similarity must be in (0, 1]; got {self.merge_similarity!r}")
        if not 0.0 <= float(self.max_other_share) <= 1.0:
            raise ValueError(f"max_other_share must be in [0, 1]; got {self.max_other_share!r}")
        if float(self.concept_weight) < 0:
            raise ValueError(f"concept_weight must be >= 0; got {self.concept_weight!r}")
        if float(self.silhouette_tolerance) < 0:
            raise ValueError(
                f"silhouette_tolerance must be >= 0; got {self.silhouette_tolerance!r}"
            )
        self._concept_key = _concepts_key(self.concepts)

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

    # -------------------------------------------------------------- features
    def _tokens(self, texts: list) -> tuple[list, np.ndarray, list[list[str]], np.ndarray]:
        """Deduplicate, flag no-content, tokenise each distinct text once.

        Returns the distinct texts, the map text -> distinct index (-1 if no
        content), the stem lists and concept lists of distinct texts, and
        their multiplicities.
        """
        n = len(texts)
        inverse = np.full(n, -1, dtype=np.int64)
        # distinct index of each text seen, -1 for no content
        first_of: dict[str, int] = {}
        distinct: list = []
        tokens: list[list[str]] = []
        concepts: list[list[str]] = []
        counts: list[int] = []
        for i, text in enumerate(texts):
            # A missing value is keyed as "" (no content), not as "nan": else a
            # NaN would make a later typed "nan" no content too.
            key = text if isinstance(text, str) else ("" if is_missing(text) else str(text))
            j = first_of.get(key)
            if j is None:
                if is_no_content(key):
                    first_of[key] = -1
                    continue
                j = len(distinct)
                first_of[key] = j
                distinct.append(key)
                words, signals = self._features(key)
                tokens.append(words)
                concepts.append(signals)
                counts.append(0)
            elif j < 0:
                continue
            inverse[i] = j
            counts[j] += 1
        return distinct, inverse, tokens, concepts, np.asarray(counts, dtype=np.float64)

    def _features(self, text) -> tuple[list[str], list[str]]:
        """Stems and concepts of one comment, built alike in fit and transform.

        Why: where a comment is ("in the kitchen") is not what it is about, so
        place phrases are dropped before reading concepts; the word block keeps
        them ("three days in the office" is about the office). ``transform``
        once dropped them from the words too, so ``predict`` could disagree
        with ``labels_`` on the very comments it was fitted on.
        """
        return content_tokens(text), self._concept_doc(drop_places(text))

    def _concept_doc(self, text: str) -> list[str]:
        """Concepts signalled by the words of one text (empty without a lexicon)."""
        if self._concept_key is None:
            return []
        index = _concept_index(self._concept_key)
        return [c for w in surface_words(text) for c in _concepts_of(w, index)]

    def _fit_space(self, tokens, concept_docs, fit_rows, random_state):
        """Fit vectorizers and SVD on the sample; return the unit vectors of all."""
        fit_docs = [tokens[i] for i in fit_rows]
        fit_concepts = [concept_docs[i] for i in fit_rows]
        self._word_vectorizer = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, dtype=np.float32
        )
        self._word_vectorizer.fit(fit_docs)
        blocks_fit = self._blocks(fit_docs, fit_concepts, fit=True)
        n_features = blocks_fit.shape[1]
        n_comp = min(self.n_components, n_features - 1, len(fit_rows) - 1)
        if n_comp >= 1:
            self._svd = TruncatedSVD(n_comp, random_state=random_state)
            self._svd.fit(blocks_fit)
        else:
            self._svd = None
        return self._embed(tokens, concept_docs)

    def _blocks(self, docs, concept_docs, fit=False):
        words = normalize(self._word_vectorizer.transform(docs))
        if self._concept_key is None or self.concept_weight == 0:
            return words
        if fit:
            self._concept_vectorizer = TfidfVectorizer(
                analyzer=_identity, sublinear_tf=True, dtype=np.float32
            )
            if not any(concept_docs):
                self._concept_vectorizer = None
            else:
                self._concept_vectorizer.fit(concept_docs)
        if getattr(self, "_concept_vectorizer", None) is None:
            return words
        concepts = normalize(self._concept_vectorizer.transform(concept_docs))
        return sp.hstack([words, concepts * np.float32(self.concept_weight)]).tocsr()

    def _embed(self, docs, concept_docs, chunk=20000):
        """Unit-length LSA vectors (all-zero rows for comments sharing no vocabulary)."""
        parts = []
        for start in range(0, len(docs), chunk):
            X = self._blocks(docs[start : start + chunk], concept_docs[start : start + chunk])
            Z = self._svd.transform(X) if self._svd is not None else X.toarray()
            parts.append(normalize(np.asarray(Z, dtype=np.float32)))
        if not parts:
            width = self._svd.n_components if self._svd is not None else 0
            return np.zeros((0, width), dtype=np.float32)
        return np.vstack(parts)

    # ------------------------------------------------------------- choosing k
    def _kmeans(self, Z, k, weights, seed):
        model = KMeans(n_clusters=k, n_init=self.n_init, random_state=seed)
        model.fit(Z, sample_weight=weights)
        return model

    def _choose_k(self, Z, weights, n_content, rng):
        nonzero = np.flatnonzero(np.abs(Z).sum(axis=1) > 0)
        self.silhouette_scores_ = {}
        # Different texts can have the same words ("Pay is low 1", "Pay is
        # low 2"): k-means cannot find more clusters than distinct points.
        n_points = len(np.unique(np.round(Z[nonzero], 5), axis=0)) if len(nonzero) else 0
        if self.n_themes != "auto":
            return int(min(self.n_themes, max(1, n_points)))
        k_max = min(self.max_themes, n_content // self.min_theme_size, n_points, len(nonzero) - 1)
        if k_max < 2:
            return 1
        # Silhouette is O(n^2) and the search fits max_themes models: search
        # on a sample of the distinct comments (all of them in small pulses).
        sample_size = min(len(nonzero), _K_SEARCH_SAMPLES)
        sample = np.sort(rng.choice(nonzero, size=sample_size, replace=False))
        seed = rng.randint(np.iinfo(np.int32).max)
        Z_s, w_s = Z[sample], weights[sample]
        n_sample_points = len(np.unique(np.round(Z_s, 5), axis=0))
        for k in range(2, min(k_max, n_sample_points, sample_size - 1) + 1):
            labels = self._kmeans(Z_s, k, w_s, seed).labels_
            if len(np.unique(labels)) < 2:
                continue
            self.silhouette_scores_[k] = float(silhouette_score(Z_s, labels, metric="cosine"))
        if not self.silhouette_scores_:
            return 1
        best = max(self.silhouette_scores_.values())
        return min(
            k for k, s in self.silhouette_scores_.items() if s >= best - self.silhouette_tolerance
        )

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

    def _fit(self, texts):
        self._validate_params()
        texts = self._as_texts(texts)
        if len(texts) == 0:
            raise ValueError(
                "ThemeClusterer.fit needs at least one text; got an empty sequence"
            )
        rng = check_random_state(self.random_state)
        distinct, inverse, tokens, concept_docs, counts = self._tokens(texts)
        n_content = int(counts.sum())
        labels = np.full(len(texts), NO_CONTENT_LABEL, dtype=np.int64)
        self.n_themes_ = 0
        self.themes_ = []
        self.silhouette_scores_ = {}
        self.cluster_centers_ = np.zeros((0, 0), dtype=np.float32)
        self._svd = None
        self._word_vectorizer = None
        self._concept_vectorizer = None
        if not distinct:
            self.labels_ = labels
            return self

        # Fit the space on a sample of distinct comments.
        n_distinct = len(distinct)
        if n_distinct > self.max_fit_samples:
            fit_rows = np.sort(rng.choice(n_distinct, size=self.max_fit_samples, replace=False))
        else:
            fit_rows = np.arange(n_distinct)
        if not any(tokens[i] for i in fit_rows):
            # Nothing with words (numbers, symbols): one theme holding them all.
            self._assign_single(texts, inverse, counts, distinct, labels)
            return self
        svd_seed = rng.randint(np.iinfo(np.int32).max)
        Z_all = self._fit_space(tokens, concept_docs, fit_rows, svd_seed)
        Z_fit, w_fit = Z_all[fit_rows], counts[fit_rows]

        auto = self.n_themes == "auto"
        min_size = self._min_size(n_content) if auto else self.min_theme_size
        k = self._choose_k(Z_fit, w_fit, n_content, rng)
        orphans = np.zeros(len(distinct), dtype=bool)
        if k <= 1:
            centre = np.average(Z_fit, axis=0, weights=w_fit)
            norm = np.linalg.norm(centre)
            centers = (centre / norm if norm > 0 else centre)[None, :]
        else:
            km = self._kmeans(Z_fit, k, w_fit, rng.randint(np.iinfo(np.int32).max))
            centers = normalize(km.cluster_centers_)
            self.n_clusters_searched_ = k
            if auto:
                kept, centers = self._prune_and_merge(Z_fit, w_fit, centers, min_size / n_content)
                # Comments whose own k-means cluster was dissolved as too
                # small are the one-offs that may go to "Other".
                first = np.argmax(Z_all @ normalize(km.cluster_centers_).T.astype(np.float32), axis=1)
                orphans = ~kept[first]
            k = len(centers)
        sims = Z_all @ centers.T.astype(np.float32)
        assign = self._apply_other(sims, counts, n_content, k, min_size, orphans)

        # Renumber by decreasing size; build the themes.
        regular = [c for c in range(k) if counts[assign == c].sum() > 0]
        regular.sort(key=lambda c: (-counts[assign == c].sum(), c))
        remap = {old: new for new, old in enumerate(regular)}
        remap[OTHER_THEME_ID] = OTHER_THEME_ID
        distinct_labels = np.array([remap[a] for a in assign], dtype=np.int64)
        self.cluster_centers_ = np.asarray(centers[regular], dtype=np.float32)
        self.n_themes_ = len(regular)
        labels[inverse >= 0] = distinct_labels[inverse[inverse >= 0]]
        self.labels_ = labels
        self.themes_ = self._describe(
            distinct, tokens, counts, distinct_labels, Z_all, inverse, fit_rows
        )
        return self

    def _assign_single(self, texts, inverse, counts, distinct, labels):
        labels[inverse >= 0] = 0
        self.labels_ = labels
        self.n_themes_ = 1
        first_index = _first_index(inverse)
        reps = tuple(first_index[j] for j in sorted(first_index)[:3])
        self.themes_ = [
            Theme(0, "(no words)", (), (), int(counts.sum()), reps)
        ]

    def _min_size(self, n_content):
        """Smallest theme worth showing: grows with the pulse (see docs/themes.md)."""
        return max(self.min_theme_size, int(np.ceil(self.min_theme_share * n_content)))

    def _prune_and_merge(self, Z, w, centers, min_share):
        """Drop themes that are too small and lump near-duplicates (ISODATA).

        Why: the silhouette search finds the finest partition the data
        supports, which on templated or repetitive pulses means one cluster
        per phrasing. As in ISODATA (Ball & Hall 1965), a cluster holding
        less than ``min_share`` of the comments is dissolved (its members go
        to the nearest remaining centre), and two centres whose cosine is at
        least ``merge_similarity`` are lumped; after each step the centres
        are recomputed as the (weighted, normalised) mean of their members.
        The smallest cluster goes first and the closest pair next, so the
        result does not depend on the order of the k-means labels.

        Returns
        -------
        kept : ndarray of bool, shape (k,)
            False for original clusters that were dissolved (not merged).
        centers : ndarray
            The remaining centres, unit length.
        """
        live = np.flatnonzero(np.abs(Z).sum(axis=1) > 0)
        Z, w = Z[live], w[live]
        total = w.sum()
        k0 = len(centers)
        # owner[i]: index into the current centres of original cluster i, -1 if dissolved.
        owner = np.arange(k0)
        C = np.asarray(centers, dtype=np.float64)
        while len(C) > 1:
            assign = np.argmax(Z @ C.T, axis=1)
            sizes = np.bincount(assign, weights=w, minlength=len(C))
            C = self._means(Z, w, assign, C)
            smallest = int(np.argmin(sizes))
            if sizes[smallest] < min_share * total:
                owner = np.where(owner == smallest, -1, owner - (owner > smallest))
                C = np.delete(C, smallest, axis=0)
                continue
            S = C @ C.T
            np.fill_diagonal(S, -np.inf)
            i, j = np.unravel_index(int(np.argmax(S)), S.shape)
            if S[i, j] < self.merge_similarity:
                break
            i, j = min(i, j), max(i, j)
            assign = np.where(assign == j, i, assign)
            assign = assign - (assign > j)
            owner = np.where(owner == j, i, owner)
            owner = np.where(owner > j, owner - 1, owner)
            C = self._means(Z, w, assign, np.delete(C, j, axis=0))
        # A few Lloyd steps so the centres sit in the middle of what they hold.
        for _ in range(10):
            assign = np.argmax(Z @ C.T, axis=1)
            new = self._means(Z, w, assign, C)
            if np.allclose(new, C, atol=1e-7):
                break
            C = new
        return owner >= 0, C.astype(np.float32)

    @staticmethod
    def _means(Z, w, assign, C):
        """Unit-length weighted mean of each cluster's members (old centre if empty)."""
        out = C.copy()
        for c in range(len(C)):
            members = assign == c
            if members.any():
                centre = (Z[members] * w[members, None]).sum(axis=0)
                norm = np.linalg.norm(centre)
                if norm > 0:
                    out[c] = centre / norm
        return out

    def _apply_other(self, sims, counts, n_content, k, min_size, orphans):
        """Assign each distinct comment to a theme or to "Other".

        Candidates for "Other" are comments whose own cluster was dissolved
        as too small (``orphans``), members of themes still smaller than
        ``min_size``, and comments sharing no vocabulary with the fitted space
        (zero vector). The least typical candidates (lowest cosine to the
        nearest theme) go to "Other" until it would exceed
        ``max_other_share`` of the comments with content; remaining members
        of tiny themes join their nearest surviving theme.
        """
        first = np.argmax(sims, axis=1)
        if k <= 1:
            return first
        best_sim = sims[np.arange(len(first)), first]
        cap = np.floor(self.max_other_share * n_content)
        dropped = np.zeros(k, dtype=bool)
        # Moving one-offs to "Other" can leave a theme below the minimum in
        # turn; then it is dropped as well and the assignment redone.
        for _ in range(k):
            assign = first.copy()
            sizes = np.bincount(assign, weights=counts, minlength=k)
            tiny = dropped | (sizes < min_size)
            if tiny.all():
                tiny = dropped.copy() if not dropped.all() else np.zeros(k, dtype=bool)
            candidates = np.flatnonzero(tiny[assign] | orphans | (best_sim <= 1e-6))
            if len(candidates) == 0:
                return assign
            order = candidates[np.lexsort((candidates, best_sim[candidates]))]
            to_other = order[np.cumsum(counts[order]) <= cap]
            leftover = np.setdiff1d(candidates, to_other)
            leftover = leftover[tiny[assign[leftover]]]
            if len(leftover):
                masked = sims[leftover].copy()
                masked[:, tiny] = -np.inf
                assign[leftover] = np.argmax(masked, axis=1)
            assign[to_other] = OTHER_THEME_ID
            kept = assign >= 0
            sizes = np.bincount(assign[kept], weights=counts[kept], minlength=k)
            shrunk = (sizes > 0) & (sizes < min_size) & ~tiny
            if not shrunk.any() or (tiny | shrunk).all():
                return assign
            dropped = tiny | shrunk
        return assign

    # ------------------------------------------------------------ describing
    def _describe(self, distinct, tokens, counts, distinct_labels, Z_all, inverse, fit_rows):
        first_index = _first_index(inverse)
        theme_ids = list(range(self.n_themes_))
        if (distinct_labels == OTHER_THEME_ID).any():
            theme_ids.append(OTHER_THEME_ID)

        # c-TF-IDF on stems, counted over the distinct comments (weighted by
        # multiplicity). Restrict to the fitted sample for large pulses: the
        # labels only need the commonest words.
        rows = fit_rows if len(fit_rows) < len(distinct) else np.arange(len(distinct))
        class_counts: dict[int, Counter] = {t: Counter() for t in theme_ids}
        surface: dict[int, dict[str, Counter]] = {t: defaultdict(Counter) for t in theme_ids}
        # Two-word phrases ("town halls"), for labels.
        phrase_df: dict[int, Counter] = {t: Counter() for t in theme_ids}
        phrase_forms: dict[int, dict[tuple, Counter]] = {t: defaultdict(Counter) for t in theme_ids}
        for j in rows:
            t = int(distinct_labels[j])
            weight = counts[j]
            # Document frequency: a word repeated in one comment is one vote.
            for s in set(tokens[j]):
                class_counts[t][s] += weight
            for word, s in content_words(distinct[j]):
                surface[t][s][word] += weight
            seen_pairs = set()
            for a, b in word_pairs(drop_places(distinct[j])):
                key = (stem(a), stem(b))
                if key[0] != key[1]:
                    phrase_forms[t][key][f"{a} {b}"] += weight
                    if key not in seen_pairs:
                        seen_pairs.add(key)
                        phrase_df[t][key] += weight
        total = Counter()
        for t in theme_ids:
            total.update(class_counts[t])
        avg_words = sum(total.values()) / max(1, len(theme_ids))
        all_words = sum(total.values()) or 1.0

        topic_words = _concept_index(self._concept_key) if self._concept_key else {}
        themes = []
        for t in theme_ids:
            members = np.flatnonzero(distinct_labels == t)
            size = int(counts[members].sum())
            cc = class_counts[t]
            n_words = sum(cc.values()) or 1.0
            scored = []
            for s, f in cc.items():
                if s in _LABEL_SKIP or len(s) < 2:
                    continue
                weight = (f / n_words) * np.log(1.0 + avg_words / total[s])
                if topic_words:
                    # Prefer words that name a workplace topic over incidental
                    # ones, by the share of the stem's uses in this theme that
                    # are lexicon words ("secondment", not "second time").
                    forms = surface[t].get(s)
                    if forms:
                        topical = sum(n for w, n in forms.items() if _concepts_of(w, topic_words))
                        weight *= 1.0 + (_TOPIC_WORD_BOOST - 1.0) * topical / sum(forms.values())
                scored.append((-weight, s))
            scored.sort()
            terms, weights, fallback = [], [], []
            label_stems: dict[str, str] = {}  # stem -> shown word, in label order
            n_regular = self.n_themes_
            for neg_w, s in scored:
                forms = surface[t].get(s)
                word = min(forms.items(), key=lambda kv: (-kv[1], kv[0]))[0] if forms else s
                if word in terms or word in label_stems.values() or word in fallback:
                    continue
                if len(terms) < 10:
                    terms.append(word)
                    weights.append(round(float(-neg_w), 6))
                if len(label_stems) < 3:
                    # A label names the topic: skip words spread evenly over
                    # the themes (openers, closers, "team") and evaluative
                    # words that name no topic ("great", "thanks"): the
                    # theme's mood is reported by its sentiment instead.
                    lift = (f_t := cc[s] / n_words) / (total[s] / all_words)
                    topical = bool(topic_words) and bool(_concepts_of(word, topic_words))
                    evaluative = not topical and abs(_valence(word)) >= _EVALUATIVE_VALENCE
                    spread = n_regular > 1 and lift < _LABEL_MIN_LIFT
                    if evaluative or spread or f_t <= 0:
                        fallback.append((word, s))
                    else:
                        label_stems[s] = word
                if len(terms) == 10 and len(label_stems) == 3:
                    break
            # Too few distinctive words: fill up to two from the rest, in order.
            for word, s in fallback[: max(0, 2 - len(label_stems))]:
                label_stems[s] = word
            label_words = _label_items(label_stems, cc, phrase_df[t], phrase_forms[t])
            if t == OTHER_THEME_ID:
                label = OTHER_THEME_LABEL
                reps = self._representatives(members, None, Z_all, first_index)
            else:
                label = ", ".join(label_words) if label_words else "(no words)"
                reps = self._representatives(members, self.cluster_centers_[t], Z_all, first_index)
            themes.append(Theme(t, label, tuple(terms), tuple(weights), size, reps))
        return themes

    @staticmethod
    def _representatives(members, centre, Z_all, first_index):
        if len(members) == 0:
            return ()
        if centre is None:
            order = members[: 3]
        else:
            sims = Z_all[members] @ centre
            order = members[np.lexsort((members, -sims))][:3]
        return tuple(int(first_index[int(j)]) for j in order)

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
        if self.n_themes_ == 0 or self._word_vectorizer is None:
            return np.ones((len(texts), self.n_themes_), dtype=np.float32)
        features = [([], []) if is_no_content(t) else self._features(t) for t in texts]
        tokens = [words for words, _ in features]
        concept_docs = [signals for _, signals in features]
        Z = self._embed(tokens, concept_docs)
        return (1.0 - Z @ self.cluster_centers_.T).astype(np.float32)

    def predict(self, texts):
        """Theme id of new texts: nearest centre, -1 for no content, "Other" if no known word."""
        check_is_fitted(self, "labels_")
        texts = self._as_texts(texts)
        out = np.full(len(texts), NO_CONTENT_LABEL, dtype=np.int64)
        if self.n_themes_ == 0:
            return out
        if self._word_vectorizer is None:
            out[[not is_no_content(t) for t in texts]] = 0
            return out
        distances = self.transform(texts)
        for i, text in enumerate(texts):
            if is_no_content(text):
                continue
            row = distances[i]
            out[i] = OTHER_THEME_ID if row.min() >= 1.0 - 1e-6 else int(np.argmin(row))
        return out
