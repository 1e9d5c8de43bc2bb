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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.privacy import PrivacyPolicy, Visibility, comments_visible
from analysis.routing import route_themes
from analysis.scrub import Scrubber
from analysis.sentiment import has_emoji_or_emoticon, score_many
from analysis.sentiment import labels as sentiment_labels
from analysis.text import is_no_content
from analysis.themes import NO_CONTENT_LABEL, ThemeClusterer

__all__ = ["COMMENT_COLUMNS", "THEME_COLUMNS", "CommentAnalysis", "analyse_comments"]

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
        Seed; the same input and seed give the same tables in any process.
    overrides : mapping of theme id to owner, optional
        A leader's corrections of routing; always win.
    policy : PrivacyPolicy, optional
        If given and fewer than ``policy.min_comments`` answers have content,
        nothing is shown: both tables come back empty and ``visibility``
        says why. Without a policy no suppression is applied (the caller,
        e.g. the report, is then responsible for it).

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
    index = texts.index if isinstance(texts, pd.Series) else None
    raw = list(texts.tolist() if isinstance(texts, pd.Series) else texts)
    n = len(raw)
    if index is None:
        index = pd.RangeIndex(n)

    # 1. Scrub first.
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
    sentiment = _sentiment(scrubbed, no_content)
    # 3. Themes, on scrubbed text only.
    model = ThemeClusterer(n_themes=n_themes, random_state=random_state).fit(scrubbed)
    # 4. Theme table, then routing.
    themes = _theme_table(
        model, scrubbed, sentiment, n_content,
        instrument=instrument, strategy=strategy, overrides=overrides,
    )
    # 5. Comment table.
    comments = _comment_table(scrubbed, model.labels_, themes, sentiment, index)
    return CommentAnalysis(comments, themes, scrubbed_counts, visibility)


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


def _theme_table(model, scrubbed, sentiment, n_content, *, instrument, strategy, overrides) -> pd.DataFrame:
    """One row per theme of the fitted ``model``: size, tone, representatives,
    then the owner :func:`~analysis.routing.route_themes` gives it."""
    if not model.themes_:
        return _empty_themes()
    theme_ids = model.labels_
    negative = sentiment_labels(sentiment) == "negative"
    scored = ~np.isnan(sentiment)
    rows = []
    for theme in model.themes_:
        member_scored = (theme_ids == theme.id) & scored
        n_scored = int(member_scored.sum())
        rows.append(
            {
                "theme_id": int(theme.id),
                "label": theme.label,
                "top_terms": list(theme.top_terms),
                "term_weights": list(theme.term_weights),
                "size": int(theme.size),
                "share": theme.size / n_content if n_content else math.nan,
                "mean_sentiment": float(np.mean(sentiment[member_scored])) if n_scored else math.nan,
                "negative_share": float(negative[member_scored].sum() / n_scored) if n_scored else math.nan,
                "representatives": [scrubbed[i] for i in theme.representatives],
            }
        )
    themes = route_themes(pd.DataFrame(rows), instrument=instrument, strategy=strategy, overrides=overrides)
    themes = themes.loc[:, list(THEME_COLUMNS)].reset_index(drop=True)
    themes["theme_id"] = themes["theme_id"].astype("int64")
    themes["size"] = themes["size"].astype("int64")
    return themes


def _comment_table(scrubbed, theme_ids, themes, sentiment, index) -> pd.DataFrame:
    """One row per input text, with its theme's label and owner."""
    label_of = dict(zip(themes["theme_id"], themes["label"]))
    owner_of = dict(zip(themes["theme_id"], themes["owner"]))
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
