"""The comments pipeline: scrub, score, cluster, route.

One call turns a column of free-text answers into the two tables a report
shows: every comment with its theme, owner and sentiment, and every theme
with its size, tone and the executive who owns it. The steps live in their
own modules (:mod:`analysis.scrub`, :mod:`analysis.sentiment`,
:mod:`analysis.themes`, :mod:`analysis.routing`); this module only fixes
their order, and the order matters: **scrubbing comes first**, so that no
e-mail address, phone number or colleague's name can reach a theme label, a
top term, a representative comment or the comments table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.privacy import PrivacyPolicy, Visibility, comments_visible
from analysis.routing import route_themes
from analysis.scrub import KINDS, Scrubber
from analysis.sentiment import has_emoji_or_emoticon, score_many
from analysis.sentiment import labels as sentiment_labels
from analysis.text import is_no_content
from analysis.themes import NO_CONTENT_LABEL, OTHER_THEME_ID, ThemeClusterer
from analysis.themes.streaming import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_RESERVOIR_SIZE,
    StreamingThemeClusterer,
    batches,
    reservoir_sample,
)

__all__ = [
    "COMMENT_COLUMNS",
    "STREAMING_THRESHOLD",
    "THEME_COLUMNS",
    "CommentAnalysis",
    "analyse_comments",
    "analyse_comments_stream",
]

#: From this many comments on, the themes are fitted on a sample of
#: ``DEFAULT_RESERVOIR_SIZE`` and the rest assigned in batches
#: (:mod:`analysis.themes.streaming`): the in-memory fit's tokens and vectors
#: of every distinct comment would grow with the pulse, the sample's do not
#: (``docs/themes.md``, "Streaming: a million comments").
STREAMING_THRESHOLD = 200_000

#: Columns of :attr:`CommentAnalysis.comments`, one row per input text.
COMMENT_COLUMNS = (
    "text",
    "theme_id",
    "theme_label",
    "owner",
    "sentiment",
    "sentiment_label",
    "no_content",
)
#: Columns of :attr:`CommentAnalysis.themes`, one row per theme.
THEME_COLUMNS = (
    "theme_id",
    "label",
    "top_terms",
    "size",
    "share",
    "mean_sentiment",
    "negative_share",
    "owner",
    "owner_confidence",
    "owner_source",
    "representatives",
)


@dataclass(frozen=True)
class CommentAnalysis:
    """What :func:`analyse_comments` returns.

    Attributes
    ----------
    comments : DataFrame
        One row per input text (same index as an input Series, else
        0..n-1), columns :data:`COMMENT_COLUMNS`. ``text`` is the scrubbed
        text; ``theme_id`` is -1 for no-content answers and -2 for "Other";
        ``sentiment`` is VADER's compound: NaN for no-content answers,
        except emoji- or emoticon-only ones, which are scored (theme -1).
    themes : DataFrame
        One row per theme by decreasing size ("Other" last), columns
        :data:`THEME_COLUMNS`. ``share`` is the theme's share of comments
        with content; ``negative_share`` the share of its comments labelled
        negative; ``representatives`` up to three scrubbed comments.
    scrubbed_counts : dict of str to int
        How many items of each kind (email, phone, url, handle, name) were
        removed over all comments.
    visibility : Visibility or None
        When a privacy policy was given: whether the comments may be shown.
        If not, both tables are empty and this says why.
    """

    comments: pd.DataFrame
    themes: pd.DataFrame
    scrubbed_counts: dict[str, int] = field(default_factory=dict)
    visibility: Visibility | None = None
    #: True when the themes were fitted on a sample and assigned in batches.
    streamed: bool = False


def _empty_comments(index=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "text": pd.Series([], dtype=object),
            "theme_id": pd.Series([], dtype="int64"),
            "theme_label": pd.Series([], dtype=object),
            "owner": pd.Series([], dtype=object),
            "sentiment": pd.Series([], dtype="float64"),
            "sentiment_label": pd.Series([], dtype=object),
            "no_content": pd.Series([], dtype=bool),
        }
    )
    if index is not None:
        frame.index = index[:0]
    return frame


def _empty_themes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "theme_id": pd.Series([], dtype="int64"),
            "label": pd.Series([], dtype=object),
            "top_terms": pd.Series([], dtype=object),
            "size": pd.Series([], dtype="int64"),
            "share": pd.Series([], dtype="float64"),
            "mean_sentiment": pd.Series([], dtype="float64"),
            "negative_share": pd.Series([], dtype="float64"),
            "owner": pd.Series([], dtype=object),
            "owner_confidence": pd.Series([], dtype="float64"),
            "owner_source": pd.Series([], dtype=object),
            "representatives": pd.Series([], dtype=object),
        }
    )


def analyse_comments(
    texts: Iterable[object],
    *,
    instrument=None,
    strategy=None,
    roster_names: Iterable[str] = (),
    n_themes="auto",
    random_state=0,
    overrides: Mapping[int, str] | None = None,
    policy: PrivacyPolicy | None = None,
    progress: Callable[[str], None] | None = None,
    streaming_threshold: int = STREAMING_THRESHOLD,
    embeddings="wordllama",
) -> CommentAnalysis:
    """Scrub, score, cluster and route a pulse's comments.

    Parameters
    ----------
    texts : iterable of str, or Series
        The answers to a comment item; NaN/None/"" allowed (they count as
        no-content answers). A Series keeps its index (e.g. response ids).
    instrument : Instrument, optional
        Its construct seed terms help routing.
    strategy : Strategy, optional
        Its goals, factors, brand promise and figures help routing.
    roster_names : iterable of str
        Names of people in the organisation, removed from every comment.
    n_themes : "auto" or int
        Passed to :class:`~analysis.themes.ThemeClusterer`.
    random_state : int
        Seed; the same input and seed give the same tables in any process,
        and the same texts in another order the same themes (below the
        streaming threshold; a stream's sample depends on its order).
    embeddings : "wordllama" or None
        The themes' word embeddings (:class:`~analysis.themes.ThemeClusterer`);
        None clusters on the words alone.
    overrides : mapping of theme id to owner, optional
        A leader's corrections of routing; always win.
    policy : PrivacyPolicy, optional
        If given and fewer than ``policy.min_comments`` answers have content,
        nothing is shown: both tables come back empty and ``visibility``
        says why. Without a policy no suppression is applied (the caller,
        e.g. the report, is then responsible for it).
    progress : callable, optional
        Called with the name of each step (scrub, sentiment, themes,
        routing), for a progress bar or a benchmark.
    streaming_threshold : int
        From this many texts on, the themes are those of
        :class:`~analysis.themes.streaming.StreamingThemeClusterer` (fitted
        on a sample, assigned in batches); below it, of the in-memory
        :class:`~analysis.themes.ThemeClusterer`.

    Returns
    -------
    CommentAnalysis

    Examples
    --------
    >>> result = analyse_comments(
    ...     ["Pay is too low", "Salaries are below market", "Our wages lag inflation",
    ...      "Ask jane.doe@example.com about training", "More training courses please",
    ...      "No training for new tools", "n/a"])
    >>> "jane.doe" in " ".join(result.comments["text"])
    False
    >>> int(result.comments["no_content"].sum())
    1
    """
    step = progress or (lambda name: None)
    index = texts.index if isinstance(texts, pd.Series) else None
    raw = list(texts.tolist() if isinstance(texts, pd.Series) else texts)
    n = len(raw)
    if index is None:
        index = pd.RangeIndex(n)

    # 1. Scrub first.
    step("comments: scrub")
    scrubbed, totals = Scrubber(tuple(roster_names)).scrub_many(raw)
    scrubbed_counts = dict(sorted(totals.items())) if n else {}
    if n == 0:
        return CommentAnalysis(_empty_comments(index), _empty_themes(), scrubbed_counts)

    no_content = _flags(scrubbed, range(n), is_no_content)
    n_content = int((~no_content).sum())
    visibility = None
    if policy is not None:
        visibility = comments_visible(n_content, policy)
        if not visibility.visible:
            return CommentAnalysis(
                _empty_comments(index), _empty_themes(), scrubbed_counts, visibility
            )

    # 2. Sentiment of what was said.
    step("comments: sentiment")
    sentiment = _sentiment(scrubbed, no_content)
    # 3. Themes, on scrubbed text only.
    step("comments: themes")
    streamed = n >= streaming_threshold
    if streamed:
        stream = StreamingThemeClusterer(n_themes=n_themes, random_state=random_state,
                                         embeddings=embeddings).fit(lambda: iter(scrubbed))
        labels = np.concatenate(list(stream.label_batches(iter(scrubbed))))
        described = _described(stream.themes_, lambda t: stream.representatives(t.id), stream.sizes_)
    else:
        # Fitted in text order, so that the same comments give the same themes
        # whatever order they come in (k-means depends on the order of its
        # input): a pulse's rows come out of each database, each export and
        # each copy in another order (response ids are random).
        order = sorted(range(n), key=scrubbed.__getitem__)
        in_order = [scrubbed[i] for i in order]
        model = ThemeClusterer(n_themes=n_themes, random_state=random_state,
                               embeddings=embeddings).fit(in_order)
        labels = np.empty(n, dtype=model.labels_.dtype)
        labels[order] = model.labels_
        described = _described(model.themes_, lambda t: [in_order[i] for i in t.representatives], None)
    # 4. Theme table, then routing.
    step("comments: routing")
    stats = _theme_stats(labels, sentiment)
    themes = _theme_table(described, stats, n_content, instrument=instrument, strategy=strategy,
                          overrides=overrides)
    # 5. Comment table.
    comments = _comment_table(scrubbed, labels, themes, sentiment, index)
    return CommentAnalysis(comments, themes, scrubbed_counts, visibility, streamed)


def analyse_comments_stream(
    open_texts: Callable[[], Iterable[object]],
    *,
    instrument=None,
    strategy=None,
    roster_names: Iterable[str] = (),
    n_themes="auto",
    random_state=0,
    overrides: Mapping[int, str] | None = None,
    policy: PrivacyPolicy | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    reservoir_size: int = DEFAULT_RESERVOIR_SIZE,
    sink: Callable[[pd.DataFrame], None] | None = None,
    embeddings="wordllama",
) -> CommentAnalysis:
    """:func:`analyse_comments` over a stream too large to hold: two passes, bounded memory.

    ``open_texts()`` must give the same texts each time it is called (a
    file opened again, a query run again); it is called twice. The first
    pass draws a uniform sample of ``reservoir_size`` texts, which is
    scrubbed and fitted as :func:`analyse_comments` fits (the number of
    themes, their labels and owners come from that fit); the second scrubs,
    scores and assigns ``batch_size`` texts at a time and adds up each
    theme's size and tone. Scrubbing still comes first: no text reaches the
    fit, a label, a representative or ``sink`` unscrubbed.

    Parameters
    ----------
    sink : callable, optional
        Called with each batch's rows, a DataFrame with
        :data:`COMMENT_COLUMNS` indexed by position in the stream, so the
        caller can write them out; nothing of a batch is kept here. When a
        ``policy`` is given, no row is passed on before ``policy.min_comments``
        answers with content have been seen (rows are held until then, and
        dropped if the stream ends first: nothing is shown).

    Returns
    -------
    CommentAnalysis
        ``themes`` as from :func:`analyse_comments` (ids as fitted on the
        sample, rows by decreasing size, "Other" last); ``comments`` is
        empty (the rows went to ``sink``); ``streamed`` is True.

    Examples
    --------
    >>> texts = ["Pay is too low", "Salaries are below market", "Our wages lag inflation",
    ...          "More training courses please", "No training for new tools", "n/a"] * 5
    >>> rows = []
    >>> result = analyse_comments_stream(lambda: iter(texts), batch_size=7, sink=rows.append)
    >>> sum(len(r) for r in rows), int(result.themes["size"].sum())
    (30, 25)
    """
    if not callable(open_texts):
        raise ValueError("analyse_comments_stream needs a function that opens the texts "
                         "(they are read twice: to sample, then to label)")
    scrubber = Scrubber(tuple(roster_names))
    sample, _, n_seen = reservoir_sample(open_texts(), reservoir_size, random_state)
    if n_seen == 0:
        return CommentAnalysis(_empty_comments(), _empty_themes(), {}, streamed=True)
    stream = StreamingThemeClusterer(n_themes=n_themes, random_state=random_state, batch_size=batch_size,
                                     embeddings=embeddings)
    stream.fit_sample(scrubber.scrub_many(sample)[0], n_seen)
    del sample
    described = _described(stream.themes_, lambda t: stream.representatives(t.id), None)
    routed = _theme_table(described, {}, 0, instrument=instrument, strategy=strategy, overrides=overrides)
    label_of = dict(zip(routed["theme_id"], routed["label"]))
    owner_of = dict(zip(routed["theme_id"], routed["owner"]))

    totals = dict.fromkeys(KINDS, 0)
    stats = {}
    held: list[pd.DataFrame] = []
    n_content = position = 0
    for batch in batches(open_texts(), batch_size):
        scrubbed, counts = scrubber.scrub_many(batch)
        for kind, count in counts.items():
            totals[kind] = totals.get(kind, 0) + count
        labels = stream.predict(scrubbed)
        no_content = labels == NO_CONTENT_LABEL
        sentiment = _sentiment(scrubbed, no_content)
        n_content += int((~no_content).sum())
        _add_stats(stats, _theme_stats(labels, sentiment))
        if sink is not None:
            rows = _rows(scrubbed, labels, sentiment, label_of, owner_of,
                         pd.RangeIndex(position, position + len(batch)))
            if policy is None or n_content >= policy.min_comments:
                for frame in held:
                    sink(frame)
                held = []
                sink(rows)
            else:
                held.append(rows)
        position += len(batch)
    scrubbed_counts = dict(sorted(totals.items()))
    visibility = comments_visible(n_content, policy) if policy is not None else None
    if visibility is not None and not visibility.visible:
        return CommentAnalysis(_empty_comments(), _empty_themes(), scrubbed_counts, visibility, True)
    sizes = {t: s["n"] for t, s in stats.items()}
    described = _described(stream.themes_, lambda t: stream.representatives(t.id), sizes)
    themes = _theme_table(described, stats, n_content, instrument=instrument, strategy=strategy,
                          overrides=overrides)
    return CommentAnalysis(_empty_comments(), themes, scrubbed_counts, visibility, True)


def _flags(texts: list[str], rows: Iterable[int], predicate) -> np.ndarray:
    """``predicate(texts[i])`` for the given rows (False elsewhere), computed
    once per distinct text: comments repeat ("n/a", "-", ":)")."""
    out = np.zeros(len(texts), dtype=bool)
    seen: dict[str, bool] = {}
    for i in rows:
        text = texts[i]
        flag = seen.get(text)
        if flag is None:
            flag = seen[text] = bool(predicate(text))
        out[i] = flag
    return out


def _sentiment(scrubbed: list[str], no_content: np.ndarray) -> np.ndarray:
    """VADER's compound per comment. Answers with nothing to theme have no
    sentiment either ("n/a", "-", empty): NaN, except emoji or emoticons alone
    ("\U0001F44E\U0001F44E", ":)"): no words to theme, but a clear mood."""
    sentiment = np.full(len(scrubbed), np.nan)
    felt = _flags(scrubbed, np.flatnonzero(no_content), has_emoji_or_emoticon)
    content_rows = np.flatnonzero(~no_content | felt)
    if len(content_rows):
        sentiment[content_rows] = score_many([scrubbed[i] for i in content_rows])
    return sentiment


def _described(themes, quote, sizes) -> list[dict]:
    """What the clusterer says of each theme, with its size (``sizes`` by
    theme id when counted elsewhere, e.g. over a stream) and its
    representatives' texts (``quote(theme)``)."""
    out = []
    for theme in themes:
        size = int(theme.size) if sizes is None else int(sizes.get(theme.id, 0))
        if sizes is not None and size == 0:
            continue  # no comment of the stream fell in it
        out.append({
            "theme_id": int(theme.id), "label": theme.label, "top_terms": list(theme.top_terms),
            "term_weights": list(theme.term_weights), "size": size,
            "representatives": list(quote(theme)),
        })
    return out


def _theme_stats(labels: np.ndarray, sentiment: np.ndarray) -> dict[int, dict]:
    """Per theme id: comments, scored comments, their summed sentiment and
    how many are negative; these add up over batches. The sum is
    ``math.fsum``'s, correctly rounded, so the same comments in another
    order give the same mean to the last digit."""
    negative = sentiment_labels(sentiment) == "negative"
    scored = ~np.isnan(sentiment)
    out = {}
    for t in np.unique(labels).tolist():
        member = labels == t
        member_scored = member & scored
        out[t] = {"n": int(member.sum()), "scored": int(member_scored.sum()),
                  "sum": math.fsum(sentiment[member_scored].tolist()),
                  "negative": int(negative[member_scored].sum())}
    return out


def _add_stats(total: dict, part: dict) -> None:
    for t, s in part.items():
        if t in total:
            total[t] = {k: total[t][k] + v for k, v in s.items()}
        else:
            total[t] = dict(s)


def _theme_table(described, stats, n_content, *, instrument, strategy, overrides) -> pd.DataFrame:
    """One row per theme: size, tone, representatives, then the owner
    :func:`~analysis.routing.route_themes` gives it. Rows by decreasing
    size, "Other" last."""
    if not described:
        return _empty_themes()
    rows = []
    for theme in described:
        s = stats.get(theme["theme_id"], {"scored": 0})
        n_scored = s["scored"]
        rows.append(theme | {
            "share": theme["size"] / n_content if n_content else math.nan,
            "mean_sentiment": s["sum"] / n_scored if n_scored else math.nan,
            "negative_share": float(s["negative"] / n_scored) if n_scored else math.nan,
        })
    rows.sort(key=lambda r: (r["theme_id"] == OTHER_THEME_ID, -r["size"], r["theme_id"]))
    themes = route_themes(pd.DataFrame(rows), instrument=instrument, strategy=strategy, overrides=overrides)
    themes = themes.loc[:, list(THEME_COLUMNS)].reset_index(drop=True)
    themes["theme_id"] = themes["theme_id"].astype("int64")
    themes["size"] = themes["size"].astype("int64")
    return themes


def _comment_table(scrubbed, theme_ids, themes, sentiment, index) -> pd.DataFrame:
    """One row per input text, with its theme's label and owner."""
    label_of = dict(zip(themes["theme_id"], themes["label"]))
    owner_of = dict(zip(themes["theme_id"], themes["owner"]))
    return _rows(scrubbed, theme_ids, sentiment, label_of, owner_of, index)


def _rows(scrubbed, theme_ids, sentiment, label_of, owner_of, index) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "text": scrubbed,
            "theme_id": theme_ids.astype("int64"),
            "theme_label": [label_of.get(int(t)) for t in theme_ids],
            "owner": [owner_of.get(int(t)) for t in theme_ids],
            "sentiment": sentiment,
            "sentiment_label": sentiment_labels(sentiment),
            # The clusterer's notion of "no content" is the same function; the
            # flag follows the theme id so the two can never disagree.
            "no_content": theme_ids == NO_CONTENT_LABEL,
        },
        index=index,
    )
