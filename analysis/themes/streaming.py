"""Themes of more comments than fit in memory: fit on a reservoir sample, assign in batches.

:class:`~analysis.themes.ThemeClusterer` holds every distinct comment's
tokens and vector at once; on a year of a large company's comments (a
million and more) that is gigabytes. The themes themselves do not need them
all: the clusterer already fits its vocabulary, its space and its centres on
at most ``max_fit_samples`` distinct comments and assigns the rest to the
nearest centre. So this path makes the same split explicit, over a stream:

1. **Sample** (first pass): a uniform reservoir sample of the texts (Vitter's
   Algorithm R), so every comment had the same chance to shape the themes
   whatever the order of the input.
2. **Fit** the in-memory method on the sample, unchanged: the number of
   themes, the centres and the labels come from the same method as below the
   threshold (``docs/themes.md``, "Streaming: a million comments").
3. **Assign** (second pass, in batches of bounded size): nearest centre by
   the fitted model's :meth:`~analysis.themes.ThemeClusterer.transform`;
   "no content" as in the fit; "Other" for a comment whose best cosine is
   below the cut that sends the sample's own share of comments to "Other"
   (the one-offs that the in-memory method's rule puts there are the least
   typical ones). Counts per theme are added up as batches pass; nothing is
   kept of a batch once it is labelled.

The centres are not refined while streaming (no ``partial_fit``): a
comment's theme then never depends on where in the stream it came, and two
runs with the same seed agree exactly. On 20,000 workplace comments the
streaming labels agree with the in-memory ones at NMI 0.83 on average over
seeds 0-4 (0.75 to 0.90), about as well as the in-memory method agrees with
itself under another seed (0.86) (``docs/benchmarks.md``, "Analysis at scale").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np
from sklearn.utils import check_random_state

from analysis.text import is_missing, is_no_content
from analysis.themes import NO_CONTENT_LABEL, OTHER_THEME_ID, ThemeClusterer

__all__ = ["DEFAULT_BATCH_SIZE", "DEFAULT_RESERVOIR_SIZE", "StreamingThemeClusterer", "batches", "reservoir_sample"]

#: Texts the themes are fitted on. The clusterer fits on at most 5,000
#: distinct ones; the rest of the sample sets the "Other" cut and the labels'
#: word counts.
DEFAULT_RESERVOIR_SIZE = 10_000
#: Texts labelled at once in the second pass: the memory of a batch is bounded.
DEFAULT_BATCH_SIZE = 10_000


def reservoir_sample(texts: Iterable[object], size: int, random_state=0) -> tuple[list, np.ndarray, int]:
    """A uniform sample of ``size`` texts from a stream of unknown length (Algorithm R).

    Returns the sample in stream order, the positions it was drawn from and
    the number of texts seen. Deterministic for an int ``random_state``.

    Examples
    --------
    >>> sample, positions, seen = reservoir_sample((f"t{i}" for i in range(1000)), 3, random_state=0)
    >>> len(sample), seen, sample == [f"t{i}" for i in positions]
    (3, 1000, True)
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"reservoir size must be a whole number >= 1; got {size!r}")
    rng = check_random_state(random_state)
    sample: list = []
    positions: list[int] = []
    seen = 0
    for seen, text in enumerate(texts, start=1):
        if len(sample) < size:
            sample.append(text)
            positions.append(seen - 1)
            continue
        j = int(rng.randint(0, seen))
        if j < size:
            sample[j] = text
            positions[j] = seen - 1
    order = np.argsort(positions, kind="stable")
    return [sample[i] for i in order], np.asarray(positions, dtype=np.int64)[order], seen


class StreamingThemeClusterer:
    """The themes of a stream of comments, in bounded memory.

    Parameters
    ----------
    n_themes : "auto" or int, default="auto"
        As for :class:`~analysis.themes.ThemeClusterer`.
    reservoir_size : int, default=10,000
        Texts sampled to fit the themes on.
    batch_size : int, default=10,000
        Texts labelled at once by :meth:`label_batches`.
    random_state : int, default=0
        Seed of the sample and of the clusterer: the same stream and seed
        give the same themes and labels in any process.
    **clusterer_params
        Any other parameter of :class:`~analysis.themes.ThemeClusterer`.

    Attributes
    ----------
    model_ : ThemeClusterer
        The in-memory method fitted on the sample.
    sample_ : list of str
        The sampled texts (representatives are quoted from them).
    n_seen_ : int
        Texts in the stream the sample was drawn from.
    other_cut_ : float
        Best cosine below which a comment goes to "Other" (-inf: never).
    sizes_ : dict of int to int
        Comments per theme id over every batch labelled so far.

    Examples
    --------
    >>> texts = ["Pay is below market", "Salaries are too low", "My salary is poor",
    ...          "Need more training courses", "No training on the new system",
    ...          "Training budget was cut", "n/a"] * 20
    >>> stream = StreamingThemeClusterer(reservoir_size=50, batch_size=40).fit(lambda: iter(texts))
    >>> labels = np.concatenate(list(stream.label_batches(iter(texts))))
    >>> len(labels), int(labels[-1]), stream.sizes_[-1]
    (140, -1, 20)
    """

    def __init__(self, n_themes="auto", *, reservoir_size=DEFAULT_RESERVOIR_SIZE,
                 batch_size=DEFAULT_BATCH_SIZE, random_state=0, **clusterer_params):
        self.n_themes = n_themes
        self.reservoir_size = reservoir_size
        self.batch_size = batch_size
        self.random_state = random_state
        self.clusterer_params = clusterer_params

    def fit(self, open_texts: Callable[[], Iterable[object]]) -> StreamingThemeClusterer:
        """First pass: sample ``open_texts()`` and fit the themes on the sample.

        ``open_texts`` is called once here; :meth:`label_batches` then takes
        a second pass over the same texts (a file read again, a query run
        again), so the stream is never held.
        """
        if not callable(open_texts):
            raise ValueError("StreamingThemeClusterer.fit needs a function that opens the texts "
                             "(it reads them twice: to sample, then to label)")
        sample, _, seen = reservoir_sample(open_texts(), self.reservoir_size, self.random_state)
        return self.fit_sample(sample, seen)

    def fit_sample(self, sample: list, n_seen: int | None = None) -> StreamingThemeClusterer:
        """Fit the themes on a sample already drawn (e.g. by :func:`reservoir_sample`)."""
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, (int, np.integer)) \
                or self.batch_size < 1:
            raise ValueError(f"batch_size must be a whole number >= 1; got {self.batch_size!r}")
        if not sample:
            raise ValueError("StreamingThemeClusterer.fit needs at least one text; the stream was empty")
        self.sample_ = list(sample)
        self.n_seen_ = len(sample) if n_seen is None else int(n_seen)
        self.model_ = ThemeClusterer(n_themes=self.n_themes, random_state=self.random_state,
                                     **self.clusterer_params).fit(self.sample_)
        self.other_cut_ = self._other_cut()
        self.sizes_ = {}
        return self

    def _other_cut(self) -> float:
        """The cosine that sends the sample's share of "Other" there in the stream too."""
        labels = self.model_.labels_
        content = labels != NO_CONTENT_LABEL
        other = int((labels == OTHER_THEME_ID).sum())
        if other == 0 or self.model_.n_themes_ == 0:
            return -np.inf
        best = self._best_similarity([t for t, c in zip(self.sample_, content) if c])
        return float(np.quantile(best, other / int(content.sum())))

    def _best_similarity(self, texts: list) -> np.ndarray:
        return 1.0 - self.model_.transform(texts).min(axis=1)

    @property
    def n_themes_(self) -> int:
        """Regular themes (not counting "Other")."""
        return self.model_.n_themes_

    @property
    def themes_(self):
        """The sample's themes (:class:`~analysis.themes.Theme`): ids, labels, top terms."""
        return self.model_.themes_

    def representatives(self, theme_id: int) -> list[str]:
        """Up to three sampled texts typical of a theme (the fit's representatives)."""
        for theme in self.model_.themes_:
            if theme.id == theme_id:
                return [self.sample_[i] for i in theme.representatives]
        return []

    def predict(self, texts) -> np.ndarray:
        """Theme id of each text: -1 no content, -2 "Other", else the nearest theme.

        Each distinct text of the batch is embedded once.
        """
        texts = list(texts)
        out = np.full(len(texts), NO_CONTENT_LABEL, dtype=np.int64)
        keys = [t if isinstance(t, str) else ("" if is_missing(t) else str(t)) for t in texts]
        first: dict[str, int] = {}
        inverse = np.empty(len(keys), dtype=np.int64)
        for i, key in enumerate(keys):
            inverse[i] = first.setdefault(key, len(first))
        distinct = list(first)
        content = np.array([not is_no_content(t) for t in distinct], dtype=bool)
        labels = np.full(len(distinct), NO_CONTENT_LABEL, dtype=np.int64)
        rows = np.flatnonzero(content)
        if len(rows) and self.model_.n_themes_:
            chosen = [distinct[i] for i in rows]
            if self.model_.cluster_centers_.shape[0] == 0:
                labels[rows] = self.model_.predict(chosen)  # one theme without words
            else:
                distances = self.model_.transform(chosen)
                best = 1.0 - distances.min(axis=1)
                assigned = np.argmin(distances, axis=1).astype(np.int64)
                assigned[(best <= 1e-6) | (best < self.other_cut_)] = OTHER_THEME_ID
                labels[rows] = assigned
        out[:] = labels[inverse]
        return out

    def label_batches(self, texts: Iterable[object], on_batch=None) -> Iterator[np.ndarray]:
        """Second pass: label ``texts`` ``batch_size`` at a time, counting per theme.

        Yields one label array per batch. With ``on_batch``, it is called as
        ``on_batch(batch_texts, labels)`` first, for a caller that needs the
        texts beside their labels.
        """
        for batch in batches(texts, self.batch_size):
            labels = self.predict(batch)
            ids, counts = np.unique(labels, return_counts=True)
            for t, c in zip(ids.tolist(), counts.tolist()):
                self.sizes_[t] = self.sizes_.get(t, 0) + c
            if on_batch is not None:
                on_batch(batch, labels)
            yield labels


def batches(texts: Iterable[object], size: int) -> Iterator[list]:
    """Lists of ``size`` consecutive texts (the last may be shorter), read lazily.

    Examples
    --------
    >>> [len(b) for b in batches(iter(range(7)), 3)]
    [3, 3, 1]
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1; got {size!r}")
    batch: list = []
    for text in texts:
        batch.append(text)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
