"""Vectorise and reduce: comments -> unit vectors in which cosine means "same topic".

Two steps that a streaming path can replace one at a time (``docs/themes.md``,
"Method"):

1. **Vectorise** (:class:`CommentSpace`): sublinear TF-IDF of each comment's
   stems, with document-frequency limits (a stem must occur in 2 comments and
   in at most half of them, once the sample is large enough for the limits to
   mean anything), L2-normalised; optionally joined by a block of workplace
   *concepts* (:mod:`analysis.themes.lexicon`) weighted by how much of the
   corpus's wording the lexicon covers.
2. **Reduce**: truncated SVD (LSA) of that matrix, rows normalised to unit
   length, so k-means in this space is spherical k-means (cosine).
3. **Embed** (optional, on by default): each comment's static word-embedding
   vector (:mod:`analysis.themes.embedding`), less the fitted sample's mean,
   joined to the LSA vector with :func:`embedding_share` of the squared
   length (:data:`EMBEDDING_SHARE` for short comments, none for texts past
   :data:`EMBEDDING_MAX_LENGTH`), rows again unit length. The first
   :attr:`CommentSpace.word_width` columns are the words' view, the rest
   the embedding's (:func:`analysis.themes.clustering.choose_k` uses both).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from analysis.text import content_tokens, drop_places, is_missing, is_no_content, stem, surface_words
from analysis.themes.embedding import embed_texts, embed_words, embedding_width
from analysis.themes.lexicon import concept_index, concepts_of, lexicon_share, lexicon_weight

__all__ = [
    "CommentSpace",
    "Corpus",
    "EMBEDDING_MAX_LENGTH",
    "EMBEDDING_SHARE",
    "MIN_DF_SAMPLE",
    "MAX_DF_SAMPLE",
    "deduplicate",
    "embedding_share",
]

#: From this many fitted comments on, a stem must occur in at least 2 of them
#: (a word used once cannot bring two comments together, it only adds noise).
MIN_DF_SAMPLE = 50
#: From this many fitted comments on, a stem in more than half of them is
#: dropped (it is the corpus's subject, not a theme's).
MAX_DF_SAMPLE = 20
_MAX_DF = 0.5
#: Share of a joined vector's squared length that the embedding block holds
#: on short comments: the words and the embedding weigh alike
#: (``docs/themes.md``, step 4b).
EMBEDDING_SHARE = 0.5
#: Above this median number of content words per comment the embedding is
#: left out: a long text's words carry its topic, and the mean of hundreds of
#: token vectors drifts towards every text's mean (``docs/themes.md``, step
#: 4b). 45 sits in the gap between the corpora it helped (medians 4-35) and
#: those it hurt (58-174).
EMBEDDING_MAX_LENGTH = 45


def embedding_share(tokens) -> float:
    """The embedding's share of a joined vector for comments of these lengths.

    ``EMBEDDING_SHARE`` when the median comment has at most
    ``EMBEDDING_MAX_LENGTH`` content words, else 0 (words alone). A cut, not
    a ramp: the embedding is also a view of its own for the number of themes
    (:func:`analysis.themes.clustering.choose_k`), at full strength whatever
    its share. Measured on 50 public labelled corpora: at medians of 4-35
    content words the embedding raised NMI on 33 of 38, at 58-174 it
    lowered it on 8 of 12 (``docs/themes.md``, "Sixth pass").
    """
    if not tokens:
        return 0.0
    median = float(np.median([len(t) for t in tokens]))
    return EMBEDDING_SHARE if median <= EMBEDDING_MAX_LENGTH else 0.0


def _identity(tokens):
    # Top-level (picklable) analyzer for pre-tokenised documents.
    return tokens


class Corpus:
    """The distinct comments of a fit, tokenised once.

    Attributes
    ----------
    distinct : list of str
        Distinct texts with content, in order of first appearance.
    inverse : ndarray of int64
        For each input text, its index in ``distinct`` (-1: no content).
    tokens : list of list of str
        Stems of each distinct text (:func:`analysis.text.content_tokens`).
    concept_docs : list of list of str
        Concepts signalled by each distinct text (empty without a lexicon).
    surface : list of list of str
        Surface words of each distinct text (for the lexicon's coverage).
    counts : ndarray of float64
        Multiplicity of each distinct text.
    """

    def __init__(self, distinct, inverse, tokens, concept_docs, surface, counts):
        self.distinct = distinct
        self.inverse = inverse
        self.tokens = tokens
        self.concept_docs = concept_docs
        self.surface = surface
        self.counts = counts


def features(text: str, concept_key) -> tuple[list[str], list[str], list[str]]:
    """Stems, concepts and surface words of one comment, built alike in fit and transform.

    Why: where a comment is ("in the kitchen") is not what it is about, so
    place phrases are dropped before reading concepts; the word block keeps
    them ("three days in the office" is about the office).
    """
    words = surface_words(drop_places(text))
    if concept_key is None:
        return content_tokens(text), [], words
    index = concept_index(concept_key)
    return content_tokens(text), [c for w in words for c in concepts_of(w, index)], words


def deduplicate(texts: list, concept_key) -> Corpus:
    """Deduplicate, flag no content, tokenise each distinct text once.

    A missing value is keyed as "" (no content), not as "nan": else a NaN
    would make a later typed "nan" no content too.
    """
    inverse = np.full(len(texts), -1, dtype=np.int64)
    first_of: dict[str, int] = {}
    distinct, tokens, concept_docs, surface, counts = [], [], [], [], []
    for i, text in enumerate(texts):
        key = text if isinstance(text, str) else ("" if is_missing(text) else str(text))
        j = first_of.get(key)
        if j is None:
            if is_no_content(key):
                first_of[key] = -1
                continue
            j = len(distinct)
            first_of[key] = j
            distinct.append(key)
            words, signals, surf = features(key, concept_key)
            tokens.append(words)
            concept_docs.append(signals)
            surface.append(surf)
            counts.append(0)
        elif j < 0:
            continue
        inverse[i] = j
        counts[j] += 1
    return Corpus(distinct, inverse, tokens, concept_docs, surface, np.asarray(counts, dtype=np.float64))


class CommentSpace:
    """Fitted vectorisers and SVD; :meth:`embed` maps token lists to unit vectors.

    Parameters
    ----------
    n_components : int
        Upper bound on the LSA dimensions (also bounded by the data).
    concept_key : tuple or None
        The lexicon (:func:`analysis.themes.lexicon.concepts_key`).
    concept_weight : float
        Weight of the concept block when the lexicon covers the corpus fully.
    embeddings : str or None
        Static word embeddings joined to the LSA vectors
        (:data:`analysis.themes.embedding.EMBEDDINGS`), or None for words only.
    """

    def __init__(self, n_components, concept_key, concept_weight, embeddings=None):
        self.n_components = n_components
        self.concept_key = concept_key
        self.concept_weight = concept_weight
        self.embeddings = embeddings

    def fit(self, tokens, concept_docs, surface, random_state, texts=None):
        """Fit on the sample's distinct comments; ``self`` for chaining.

        ``texts`` (the comments themselves) are needed with embeddings.
        """
        n = len(tokens)
        self.words_ = TfidfVectorizer(
            analyzer=_identity,
            sublinear_tf=True,
            min_df=2 if n >= MIN_DF_SAMPLE else 1,
            max_df=_MAX_DF if n >= MAX_DF_SAMPLE else 1.0,
            dtype=np.float32,
        )
        try:
            self.words_.fit(tokens)
        except ValueError:
            # The limits left no stem (a pulse of near-identical comments):
            # without them every stem counts.
            self.words_ = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
            self.words_.fit(tokens)
        self.lexicon_share_ = 0.0
        self.concept_weight_ = 0.0
        self.concepts_ = None
        if self.concept_key is not None and any(concept_docs):
            index = concept_index(self.concept_key)
            self.lexicon_share_ = lexicon_share(surface, index)
            self.concept_weight_ = lexicon_weight(self.lexicon_share_, self.concept_weight)
            if self.concept_weight_ > 0:
                self.concepts_ = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
                self.concepts_.fit(concept_docs)
        X = self._blocks(tokens, concept_docs)
        n_comp = min(self.n_components, X.shape[1] - 1, n - 1)
        self.svd_ = TruncatedSVD(n_comp, random_state=random_state).fit(X) if n_comp >= 1 else None
        self.embedding_mean_ = None
        self.embedding_share_ = embedding_share(tokens) if self.embeddings is not None else 0.0
        if self.embedding_share_ > 0:
            self.embedding_mean_ = self._embedding(self._texts(texts, n)).mean(axis=0)
        return self

    @staticmethod
    def _texts(texts, n):
        if texts is None or len(texts) != n:
            raise ValueError("CommentSpace with embeddings needs the texts beside their tokens")
        return list(texts)

    def _embedding(self, texts):
        """Embedding of each comment's topic words as written.

        Why the words and not the raw text: numbers, punctuation, stop words
        and scrubbed placeholders ("[name]") are no topic, and the word
        block ignores them too, so two comments the words see as one point
        ("Pay is too low 1", "Pay is too low 2") stay one point.
        """
        return embed_texts([" ".join(surface_words(t)) for t in texts])

    def rare_word_view(self, texts) -> np.ndarray:
        """The embedding's view with the words most comments use weighing least.

        Each comment's vector is the IDF-weighted mean of the unit vectors of
        its topic words that the word block keeps (its fitted vocabulary,
        IDF as fitted), less the mean of these vectors over ``texts`` (the
        fitted sample), unit length; zero for a comment with no such word.
        Why: in the plain mean every word counts alike, so words that many
        comments share whatever their topic - a newsgroup post's "in article
        ... writes", a greeting, an opener - can carry a stable split of the
        embedding's view by themselves. :func:`analysis.themes.clustering.
        choose_k` asks a split found stable there to stay stable here
        (``docs/themes.md``, step 5, a2).
        """
        vocabulary, idf = self.words_.vocabulary_, self.words_.idf_
        words = [surface_words(t) for t in texts]
        vectors = embed_words([w for ws in words for w in ws])
        out = np.zeros((len(texts), embedding_width()), dtype=np.float32)
        for row, ws in enumerate(words):
            for w in ws:
                column = vocabulary.get(stem(w.lower()))
                if column is not None:
                    out[row] += vectors[w] * np.float32(idf[column])
        out = normalize(out)
        live = np.abs(out).sum(axis=1) > 0
        return normalize(out - out.mean(axis=0)) * live[:, None]

    @property
    def word_width(self) -> int:
        """Dimensions of the words' view (the LSA vectors): the first columns."""
        if self.svd_ is not None:
            return self.svd_.n_components
        return self._blocks([[]], [[]]).shape[1]

    @property
    def width(self) -> int:
        """Dimensions of the embedded vectors."""
        if self.embedding_mean_ is None:
            return self.word_width
        return self.word_width + len(self.embedding_mean_)

    def _blocks(self, tokens, concept_docs):
        words = normalize(self.words_.transform(tokens))
        if self.concepts_ is None:
            return words
        concepts = normalize(self.concepts_.transform(concept_docs))
        return sp.hstack([words, concepts * np.float32(self.concept_weight_)]).tocsr()

    def embed(self, tokens, concept_docs, texts=None, chunk=20000) -> np.ndarray:
        """Unit-length vectors (all-zero rows for comments sharing no vocabulary).

        With embeddings, a comment that shares no word with the fitted
        vocabulary keeps its zero row: it is a one-off ("Other"), whatever
        its embedding says.
        """
        if self.embedding_mean_ is not None:
            texts = self._texts(texts, len(tokens))
        parts = []
        for start in range(0, len(tokens), chunk):
            X = self._blocks(tokens[start : start + chunk], concept_docs[start : start + chunk])
            Z = self.svd_.transform(X) if self.svd_ is not None else X.toarray()
            Z = normalize(np.asarray(Z, dtype=np.float32))
            if self.embedding_mean_ is not None:
                W = self._embedding(texts[start : start + chunk])
                # No topic word to embed: no embedding (not minus the mean).
                live = ((np.abs(Z).sum(axis=1) > 0) & (np.abs(W).sum(axis=1) > 0))[:, None]
                W = normalize(W - self.embedding_mean_)
                Z = normalize(np.hstack([
                    Z * np.float32(np.sqrt(1.0 - self.embedding_share_)),
                    W * np.float32(np.sqrt(self.embedding_share_)) * live,
                ]))
            parts.append(Z.astype(np.float32))
        if not parts:
            return np.zeros((0, self.width), dtype=np.float32)
        return np.vstack(parts)
