"""The comments' part of the report: the company's themes, fitted once, the
same themes as each department's comments fill them, and the leaders' moves
of a theme to another owner, which survive a refit."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..comments import analyse_comments
from ..loader import PulseData
from ..privacy import PrivacyPolicy, comments_visible
from .values import json_number, json_records

__all__ = ["THEME_MATCH_MIN", "apply_theme_moves", "comment_report", "match_theme"]

#: A theme move applies to the refitted theme whose top terms overlap its
#: stored terms most, if that overlap (Jaccard) is at least this.
THEME_MATCH_MIN = 1 / 3


def comment_texts(data: PulseData, columns: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """Every comment with content, and beside it its writer's department
    (None for the comments kept apart from their rows: their group is small),
    sorted by text.

    Why sorted: response ids are random (a row must not tell when its writer
    answered), so the rows arrive in an order that differs from one database
    to another. :func:`~analysis.comments.analyse_comments` fits its themes
    in text order anyway, but a department's examples are drawn from its
    rows in the order given here: in text order the same comments give the
    same report on any copy, on either engine; the order of texts says
    nothing about who wrote them."""
    texts, departments = [], []
    for column in columns:
        if column in data.responses:
            values = data.responses[column]
            keep = values.notna() & values.astype(str).str.strip().ne("")
            texts.extend(values[keep].astype(str))
            departments.extend(data.responses.loc[keep, "department"].astype(object))
    if "text" in data.comments:
        apart = data.comments["text"].dropna().astype(str)
        texts.extend(apart)
        departments.extend([None] * len(apart))
    order = sorted(range(len(texts)), key=texts.__getitem__)
    return (pd.Series([texts[i] for i in order], dtype=object),
            pd.Series([departments[i] for i in order], dtype=object))


def count_commenters(frame: pd.DataFrame, columns: Sequence[str]) -> int:
    present = [c for c in columns if c in frame]
    if not present:
        return 0
    has = frame[present].apply(lambda col: col.astype(str).str.strip().ne("") & col.notna())
    return int(has.any(axis=1).sum())


def theme_rows(result, rng) -> list[dict]:
    themes = []
    for row in json_records(result.themes):
        representatives = list(row.get("representatives") or [])
        rng.shuffle(representatives)  # shown in random order, never by date
        themes.append({
            "theme_id": int(row["theme_id"]), "label": row["label"],
            "top_terms": list(row.get("top_terms") or []), "size": int(row["size"]),
            "mean_sentiment": row["mean_sentiment"], "negative_share": row["negative_share"],
            "owner": row["owner"], "routed_owner": row["owner"], "representatives": representatives,
        })
    return themes


def department_themes(result, departments: pd.Series, name: str, company: list[dict], rng) -> list[dict]:
    """The company's themes as one department's comments fill them: the same
    fit (so the same theme names and owners), its own counts and examples."""
    mine = result.comments[(departments == name).to_numpy() & ~result.comments["no_content"].to_numpy()]
    themes = []
    for theme in company:
        rows = mine[mine["theme_id"] == theme["theme_id"]]
        if rows.empty:
            continue
        texts = rows["text"].tolist()
        rng.shuffle(texts)
        themes.append(dict(theme, size=int(len(rows)), mean_sentiment=json_number(rows["sentiment"].mean()),
                           negative_share=float((rows["sentiment_label"] == "negative").mean()),
                           representatives=texts[:3]))
    return themes


def comment_report(data: PulseData, departments: Sequence[str], policy: PrivacyPolicy,
                   random_state: int, step: Callable[[str], None],
                   n_themes: int | str = "auto",
                   embeddings: str | None = "wordllama") -> tuple[dict, dict]:
    """The report's ``comments`` and ``department_comments``.

    ``n_themes`` and ``embeddings`` are passed to the theme clusterer;
    ``comments["requested"]`` and ``comments["embeddings"]`` record them,
    so a stored report built otherwise is known as such.

    The company's themes are fitted once; a department's comments are shown
    in those themes when both it and the rest of the company have enough
    commenters (so neither can be read off the other).
    """
    comment_items = [i.id for i in data.instrument.answer_items if i.type == "comment"]
    texts, writers = comment_texts(data, comment_items)
    apart = int((writers.isna()).sum())
    in_rows = count_commenters(data.responses, comment_items)
    commenters = in_rows + int(math.ceil(apart / max(len(comment_items), 1)))
    shown = comments_visible(commenters, policy)
    rng = np.random.default_rng(random_state)
    result = analyse_comments(texts, instrument=data.instrument, strategy=data.strategy,
                              random_state=random_state, policy=policy, n_themes=n_themes,
                              progress=step, embeddings=embeddings) if shown.visible else None
    company_themes = theme_rows(result, rng) if result is not None else []
    step("report: department comments")
    section = {"visible": bool(company_themes) or shown.visible, "reason": shown.reason,
               "themes": company_themes, "requested": n_themes, "embeddings": embeddings}
    dept_comments = {}
    for name in departments:
        rows = data.responses[data.responses["department"].astype(object) == name]
        mine = count_commenters(rows, comment_items)
        rest = in_rows - mine
        ok = (result is not None and comments_visible(mine, policy).visible
              and (rest == 0 or rest >= policy.min_comments))
        dept_comments[name] = {"visible": ok, "themes": department_themes(
            result, writers, name, company_themes, rng) if ok else []}
    return section, dept_comments


def _jaccard(a: Sequence[str], b: Sequence[str]) -> float:
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 0.0


def match_theme(themes: Sequence[dict], terms: Sequence[str]) -> dict | None:
    """The theme whose top terms best match ``terms`` (Jaccard, at least
    :data:`THEME_MATCH_MIN`; ties go to the larger theme), or None.

    Examples
    --------
    >>> themes = [{"top_terms": ["pay", "salary"], "size": 9}, {"top_terms": ["training"], "size": 4}]
    >>> match_theme(themes, ["salary", "pay", "wages"])["size"]
    9
    >>> match_theme(themes, ["parking"]) is None
    True"""
    best, best_score = None, THEME_MATCH_MIN
    for theme in themes:
        score = _jaccard(theme.get("top_terms") or [], terms)
        if score > best_score or (best is not None and score == best_score and theme["size"] > best["size"]) \
                or (best is None and score >= THEME_MATCH_MIN):
            best, best_score = theme, score
    return best


def apply_theme_moves(themes: Sequence[dict], moves: Sequence[Mapping]) -> list[dict]:
    """Themes with leaders' moves applied, oldest move first (the latest wins).

    Each move has ``terms`` (the defining terms of the theme when it was
    moved) and ``owner``; it applies to :func:`match_theme`'s theme, so it
    survives a refit that renumbers or relabels the themes.

    Examples
    --------
    >>> themes = [{"top_terms": ["training", "courses"], "size": 5, "owner": "ceo"}]
    >>> apply_theme_moves(themes, [{"terms": ["training", "courses", "coaching"], "owner": "clo"}])[0]["owner"]
    'clo'
    """
    out = [dict(t, moved=False) for t in themes]
    for move in moves:
        theme = match_theme(out, move["terms"])
        if theme is not None:
            theme["owner"] = move["owner"]
            theme["moved"] = True
    return out
