"""The leaders' reports as data: one JSON-ready dict per published snapshot.

The app's report pages (``survey_app/reports/``) render this dict and compute
nothing: every score, difference, share and sentence is made here, from the
functions of :mod:`analysis.report`, :mod:`analysis.groups`,
:mod:`analysis.indices`, :mod:`analysis.drivers` and :mod:`analysis.comments`,
so no formula is written twice and an export gives the same report as the
database.

Privacy is decided **once for the union of every page and download**: every
group any role's report shows (the company, each department, leaders and staff,
each restricted to the respondents who answered the measure) goes into one call
of :func:`analysis.privacy.protect`. A role sees a subset of those groups, and a
subset of groups that passed the rules together passes them too (a leak among
fewer groups is a leak among more), so each role's union is covered. The rules
for picking strengths, focus areas and groups needing attention are in
``docs/reports.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import groups as group_stats
from .comments import analyse_comments
from .coarsen import leaders_and_staff
from .indices import index_labels
from .loader import PulseData
from .privacy import PrivacyPolicy, comments_visible, protect
from .report import build_score_report, respondent_scores
from .scoring import keyed_likert, rescale

__all__ = [
    "EXECUTIVES",
    "REPORT_VERSION",
    "apply_theme_moves",
    "build_leader_report",
    "favourable_bands",
    "match_theme",
    "measure_change",
    "merged_bins",
    "pick_focus_and_strengths",
]

#: Bump when the dict's shape changes, so cached reports are rebuilt.
REPORT_VERSION = 1
EXECUTIVES = ("ceo", "clo", "cmo")
#: How many strengths, focus areas and groups needing attention a page leads with.
HEADLINE_COUNT = 3
#: A theme move applies to the refitted theme whose top terms overlap its
#: stored terms most, if that overlap (Jaccard) is at least this.
THEME_MATCH_MIN = 1 / 3
#: Bins of the estimates-against-the-truth chart before small bins are merged.
ESTIMATE_BINS = 10


def _num(value) -> float | None:
    """A float for JSON, ``None`` for NaN/NA/None."""
    if value is None or value is pd.NA:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _records(frame: pd.DataFrame) -> list[dict]:
    if frame is None or frame.empty:
        return []
    frame = frame.reset_index() if frame.index.name is not None else frame
    out = []
    for row in frame.astype(object).to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, (list, tuple)):
                clean[key] = [v.item() if isinstance(v, np.generic) else v for v in value]
            elif value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                clean[key] = None
            elif isinstance(value, np.generic):
                clean[key] = value.item()
            else:
                clean[key] = value
        out.append(clean)
    return out


# --- measures ------------------------------------------------------------------------


def _measure_table(data: PulseData) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Per respondent, every measure on 0-100, and what each measure is.

    Indices and the knowledge score come from :func:`respondent_scores`; a
    knowledge check is that table's knowledge score for one check (blank
    counts as 0, as there); a Likert item is its keyed answer rescaled by
    :func:`analysis.scoring.rescale`, the mapping the construct scores use.
    """
    scores, knowledge = respondent_scores(data)
    instrument = data.instrument
    names = index_labels(instrument)
    meta: dict[str, dict] = {}
    table = pd.DataFrame(index=scores.index)
    for construct in instrument.constructs:
        key = f"index_{construct.id}"
        table[key] = scores[key]
        meta[key] = {"kind": "index", "label": names[key], "owner": construct.owner,
                     "construct": construct.id}
    table["overall"] = scores["overall"]
    meta["overall"] = {"kind": "index", "label": names["overall"], "owner": "ceo", "construct": None}
    table["knowledge"] = scores["knowledge"]
    meta["knowledge"] = {"kind": "knowledge", "label": "Knowledge of the strategy", "owner": "ceo",
                         "construct": None}
    gradable = knowledge.loc[:, knowledge.notna().any()]
    for item in instrument.knowledge_items():
        if item.id not in gradable:
            continue
        key = f"check_{item.id}"
        table[key] = gradable[item.id].fillna(0.0) * 100
        meta[key] = {"kind": "check", "label": _check_label(item, data.strategy), "owner": instrument.owner_of(item.construct),
                     "construct": item.construct, "item": item.id}
    keyed = keyed_likert(data.responses, instrument)
    for item in instrument.likert_items():
        key = f"item_{item.id}"
        table[key] = rescale(keyed[item.id], item.scale.points)
        meta[key] = {"kind": "item", "label": item.text, "owner": instrument.owner_of(item.construct),
                     "construct": item.construct, "item": item.id, "reverse": bool(item.reverse)}
    if "enps_answer" in scores:
        table["enps_answer"] = scores["enps_answer"]
    for segment in ("department", "role_level"):
        table[segment] = scores[segment]
    return table, meta


#: How a knowledge check is named on the pages, by what it is graded against.
_CHECK_LABELS = {
    "goals": "Naming this quarter's goals",
    "factors": "Naming the factors for excellence",
    "brand_promise": "Stating the brand promise",
    "previous_goals": "Telling this quarter's goals from last quarter's",
}


def _check_label(item, strategy) -> str:
    if item.type == "estimate":
        figure = strategy.customer_figures.get(item.figure)
        return f"Estimating the {figure.label if figure else item.figure}"
    return _CHECK_LABELS.get(item.graded_against or "", f"Knowledge check {item.id}")


def _measure_columns(meta: Mapping[str, dict]) -> list[str]:
    return list(meta)


def _union_groups(table: pd.DataFrame, column: str | None, leadership_levels) -> dict:
    """Every group any report page or download shows one statistic for.

    ``column`` names the measure (the groups are restricted to those who
    answered it, as :func:`analysis.groups.compare_groups` does); ``None``
    gives the groups' respondent counts, shown beside every chart. Different
    measures are different statistics, so each is decided on its own, but
    once for all the pages and downloads that show it.
    """
    departments = sorted(table["department"].dropna().astype(str).unique())
    leaders, staff = (m.to_numpy() for m in leaders_and_staff(table["role_level"], leadership_levels))
    dept = table["department"].astype(object).to_numpy()
    answered = np.ones(len(table), dtype=bool) if column is None else table[column].notna().to_numpy()
    masks = {("company", None): answered}
    for name in departments:
        masks[("department", name)] = answered & (dept == name)
    masks[("leaders", None)] = answered & leaders
    masks[("staff", None)] = answered & staff
    return masks


def favourable_bands(values: pd.Series, points: int) -> tuple[float, float, float]:
    """Shares (0-100) of keyed answers above, at and below the scale's middle.

    On a 5-point scale: 4-5 favourable, 3 neutral, 1-2 unfavourable; on an
    even scale there is no neutral point.

    Examples
    --------
    >>> favourable_bands(pd.Series([5, 4, 3, 2, None]), 5)
    (50.0, 25.0, 25.0)
    """
    answered = values.dropna()
    if answered.empty:
        raise ValueError("no answers to split into favourable, neutral and unfavourable")
    middle = (points + 1) / 2
    n = len(answered)
    return (
        float((answered > middle).sum() / n * 100),
        float((answered == middle).sum() / n * 100),
        float((answered < middle).sum() / n * 100),
    )


def merged_bins(values: Sequence[float], low: float, high: float, *, bins: int, min_count: int) -> list[dict]:
    """Equal-width bins of ``values`` over ``[low, high]``, neighbours merged
    until every bin holds ``min_count`` values or none.

    Empty bins are kept (they say nobody guessed there); a bin with 1 to
    ``min_count - 1`` guesses is merged into its right neighbour (the last
    into its left one), so no bar of the chart counts fewer than
    ``min_count`` people.

    Examples
    --------
    >>> [(b["low"], b["high"], b["count"]) for b in merged_bins([1, 2, 6, 7, 8, 9, 9], 0, 10, bins=2, min_count=5)]
    [(0.0, 10.0, 7)]
    >>> [b["count"] for b in merged_bins([1, 1, 1, 1, 1, 9, 9, 9, 9, 9], 0, 10, bins=2, min_count=5)]
    [5, 5]
    """
    if not high > low:
        raise ValueError(f"the range of the bins is empty: {low}..{high}")
    values = np.clip(np.asarray([v for v in values if v is not None and not math.isnan(v)], float), low, high)
    edges = np.linspace(low, high, bins + 1)
    counts = np.histogram(values, bins=edges)[0].tolist()
    out = [{"low": float(edges[i]), "high": float(edges[i + 1]), "count": int(c)} for i, c in enumerate(counts)]
    i = 0
    while i < len(out):
        if 0 < out[i]["count"] < min_count and len(out) > 1:
            j = i + 1 if i + 1 < len(out) else i - 1
            a, b = sorted((i, j))
            out[a:b + 1] = [{"low": out[a]["low"], "high": out[b]["high"],
                             "count": out[a]["count"] + out[b]["count"]}]
            i = max(a - 1, 0)
            continue
        i += 1
    if len(out) == 1 and 0 < out[0]["count"] < min_count:
        return []
    return out


# --- strengths, focus areas, attention ------------------------------------------------


def pick_focus_and_strengths(measures: Mapping[str, dict], own: Sequence[str],
                             others: Sequence[str] = (), count: int = HEADLINE_COUNT
                             ) -> tuple[list[str], list[str]]:
    """The rule of ``docs/reports.md``: focus areas first, then strengths.

    Each measure has a ``score`` (0-100) and an ``impact`` (its relative
    driver weight, 1 = an average driver; 1 for measures the driver analysis
    does not cover). Priority is ``(100 - score) * impact``; the ``count``
    highest of the role's ``own`` measures are the focus areas. Of the rest,
    the ``count`` highest scores are the strengths (ties: higher impact
    first). When the role's own measures cannot fill both lists, ``others``
    (the measures the other executives own) fill them, by the same rule.
    Hidden measures are skipped.

    Examples
    --------
    >>> m = {"a": {"score": 40, "impact": 2.0}, "b": {"score": 30, "impact": 0.5},
    ...      "c": {"score": 80, "impact": 1.0}, "d": {"score": None, "impact": 1.0}}
    >>> pick_focus_and_strengths(m, ["a", "b", "c", "d"], count=1)
    (['a'], ['c'])
    """
    def ranked(keys, key):
        return sorted((k for k in keys if measures.get(k, {}).get("score") is not None), key=key)

    def priority(k):
        return (-(100 - measures[k]["score"]) * measures[k]["impact"], k)

    def strength(k):
        return (-measures[k]["score"], -measures[k]["impact"], k)

    focus = ranked(own, priority)[:count]
    strengths = [k for k in ranked(own, strength) if k not in focus][:count]
    if len(focus) < count:
        focus += [k for k in ranked(others, priority) if k not in strengths][:count - len(focus)]
    if len(strengths) < count:
        strengths += [k for k in ranked(others, strength) if k not in focus][:count - len(strengths)]
    return focus, strengths


def _sentence(department: str, key: str, meta: dict, score: float, diff: float) -> str:
    """One plain sentence for a group needing attention, saying what it means."""
    side = "below" if diff < 0 else "above"
    tail = f"{score:.0f} of 100, {abs(diff):.0f} {side} the company."
    if key == "knowledge":
        return f"{department} knows the strategy least well: {score:.0f} of 100 on knowledge, " \
               f"{abs(diff):.0f} {side} the company."
    if meta["kind"] == "check":
        return f"{department} struggles with {meta['label'][0].lower()}{meta['label'][1:]}: {tail}"
    if meta["kind"] == "index":
        return f"{department} scores low on {meta['label'][0].lower()}{meta['label'][1:]}: {tail}"
    return f"{department} rates \u201c{meta['label'].rstrip('.')}\u201d low: {tail}"


def _headline_sentence(kind: str, meta: dict, m: dict) -> str:
    label = meta["label"].rstrip(".")
    score = f"{m['score']:.0f} of 100"
    change = "" if m.get("change") is None else f" ({m['change']:+.0f} since the previous pulse)"
    if kind == "strength":
        return f"Strength: {_quoted(meta)} scores {score}{change}."
    drive = " and drives knowledge and eNPS more than most items" if m["impact"] > 1 else ""
    return f"Focus: {_quoted(meta)} scores {score}{change}{drive}."


def _quoted(meta: dict) -> str:
    """An item's statement in quotes; a check's or index's name as it is."""
    if meta["kind"] != "item":
        return meta["label"]
    quoted = f"\u201c{meta['label'].rstrip('.')}\u201d"
    return f"{quoted} (scored so that disagreeing is better)" if meta.get("reverse") else quoted


# --- the builder ------------------------------------------------------------------------


def _comment_texts(data: PulseData, columns: Sequence[str]) -> tuple[pd.Series, pd.Series]:
    """Every comment with content, and beside it its writer's department
    (None for the comments kept apart from their rows: their group is small)."""
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
    return pd.Series(texts, dtype=object), pd.Series(departments, dtype=object)


def _commenters(frame: pd.DataFrame, columns: Sequence[str]) -> int:
    present = [c for c in columns if c in frame]
    if not present:
        return 0
    has = frame[present].apply(lambda col: col.astype(str).str.strip().ne("") & col.notna())
    return int(has.any(axis=1).sum())


def _theme_rows(result, rng) -> list[dict]:
    themes = []
    for row in _records(result.themes):
        representatives = list(row.get("representatives") or [])
        rng.shuffle(representatives)  # shown in random order, never by date
        themes.append({
            "theme_id": int(row["theme_id"]), "label": row["label"],
            "top_terms": list(row.get("top_terms") or []), "size": int(row["size"]),
            "mean_sentiment": row["mean_sentiment"], "negative_share": row["negative_share"],
            "owner": row["owner"], "routed_owner": row["owner"], "representatives": representatives,
        })
    return themes


def _department_themes(result, departments: pd.Series, name: str, company: list[dict], rng) -> list[dict]:
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
        themes.append(dict(theme, size=int(len(rows)), mean_sentiment=_num(rows["sentiment"].mean()),
                           negative_share=float((rows["sentiment_label"] == "negative").mean()),
                           representatives=texts[:3]))
    return themes


def build_leader_report(
    data: PulseData,
    *,
    previous: PulseData | None = None,
    history: Sequence[PulseData] = (),
    policy: PrivacyPolicy | None = None,
    n_boot: int = 200,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Everything the leaders' pages and downloads show for one pulse.

    Parameters
    ----------
    data : the pulse, as the loader reads it (published, coarsened, scrubbed).
    previous : the previous pulse of the series, for "change since".
    history : the earlier pulses of the series, oldest first, for the trend.
    progress : called with the name of each step (those of
        :func:`analysis.report.build_score_report` and
        :func:`analysis.comments.analyse_comments` among them), for a
        progress bar or a benchmark.

    Returns a dict of plain JSON values; ``visible`` is False (with a
    ``reason``) when the company itself is below the minimum group size.
    """
    policy = policy or PrivacyPolicy()
    step = progress or (lambda name: None)
    n = len(data.responses)
    company = protect({"company": np.ones(n, dtype=bool)}, policy)["company"]
    report: dict = {
        "version": REPORT_VERSION, "survey": data.survey, "title": data.title,
        "period": data.period, "visible": company.visible,
        "reason": company.reason, "n": n if company.visible else None,
        "min_group": policy.min_group, "min_comments": policy.min_comments,
    }
    if not company.visible:
        return report
    score_report = build_score_report(data, by=["department"], previous=previous, policy=policy,
                                      n_boot=n_boot, random_state=random_state, progress=step)
    step("report: measures and their privacy")
    table, meta = _measure_table(data)
    columns = _measure_columns(meta)
    decided = {None: protect(_union_groups(table, None, data.leadership_levels), policy)}
    for column in [*columns, *(["enps_answer"] if "enps_answer" in table else [])]:
        decided[column] = protect(_union_groups(table, column, data.leadership_levels), policy)

    def visible(column, kind, name=None) -> bool:
        """Shown only if both the group and its statistic pass the rules."""
        # A measure nobody answered has no column, so nothing to show.
        vis, base = decided.get(column, {}).get((kind, name)), decided[None].get((kind, name))
        return bool(vis and vis.visible and base and base.visible)

    # Driver impact of each Likert item: its mean share of R² over the
    # outcomes, relative to an average driver (1 / number of items).
    impact: dict[str, float] = {}
    for outcome, frame in score_report.drivers.items():
        for row in frame.itertuples():
            impact.setdefault(f"item_{row.item}", []).append(row.share * len(frame))
    impact = {k: float(np.mean(v)) for k, v in impact.items()}

    step("report: change since previous pulse")
    before_table = None
    if previous is not None and len(previous.responses):
        before_table, _ = _measure_table(previous)
    # Change since the previous pulse, in one call for the company and one
    # for the departments (each measure one family of tests, as in the
    # score report).
    company_change: dict = {}
    dept_change: dict = {}
    compared = [k for k in columns if before_table is not None and k in before_table]
    if compared:
        frame = group_stats.change_since_previous(table, before_table, value=compared, policy=policy)
        company_change = {row["measure"]: row for _, row in frame.iterrows()}
        frame = group_stats.change_since_previous(table, before_table, value=compared, by="department",
                                                  policy=policy)
        dept_change = {(row["measure"], row["department"]): row for _, row in frame.iterrows()}
    step("report: measures, departments, headlines")
    # Keyed once: keying is row by row, so a department's rows of this table
    # are its keyed answers.
    keyed_all = keyed_likert(data.responses, data.instrument)
    measures: dict[str, dict] = {}
    for key in columns:
        values = table[key]
        m = {"key": key, **meta[key], "impact": impact.get(key, 1.0), "score": None, "n": None,
             "previous": None, "change": None}
        if visible(key, "company"):
            m["score"] = float(values.mean())
            m["n"] = int(values.notna().sum())
        row = company_change.get(key)
        if m["score"] is not None and row is not None and bool(row["visible"]):
            m["previous"] = _num(row["previous_mean"])
            m["change"] = _num(row["change"])
        if meta[key]["kind"] == "item" and m["score"] is not None and m["n"] >= policy.min_comments:
            item = data.instrument.item(meta[key]["item"])
            fav, neu, unf = favourable_bands(keyed_all[item.id], item.scale.points)
            m["bands"] = {"favourable": fav, "neutral": neu, "unfavourable": unf}
        measures[key] = m
    report["measures"] = measures

    # Departments: each measure's score and difference from the company.
    departments = sorted(table["department"].dropna().astype(str).unique())
    dept = table["department"].astype(object)
    dept_report = {}
    for name in departments:
        inside = dept == name
        cells = {}
        for key in columns:
            if not (visible(key, "department", name) and measures[key]["score"] is not None):
                cells[key] = {"visible": False}
                continue
            values = table.loc[inside, key].dropna()
            score = float(values.mean())
            cell = {"visible": True, "score": score, "diff": score - measures[key]["score"],
                    "n": int(len(values)), "change": None}
            if meta[key]["kind"] == "item" and len(values) >= policy.min_comments:
                item = data.instrument.item(meta[key]["item"])
                keyed = keyed_all.loc[inside.to_numpy(), item.id]
                fav, neu, unf = favourable_bands(keyed, item.scale.points)
                cell["bands"] = {"favourable": fav, "neutral": neu, "unfavourable": unf}
            row = dept_change.get((key, name))
            if row is not None and bool(row["visible"]):
                cell["change"] = _num(row["change"])
            cells[key] = cell
        shown = [c for c in cells.values() if c["visible"]]
        base = decided[None][("department", name)]
        dept_report[name] = {"name": name, "n": int(inside.sum()) if base.visible and shown else None,
                             "measures": cells}
    report["departments"] = dept_report
    report["heatmap_columns"] = [f"index_{c.id}" for c in data.instrument.constructs] + ["knowledge"]

    # Headlines per executive.
    headlines = {}
    for role in EXECUTIVES:
        own = [k for k in columns if meta[k]["kind"] in ("item", "check")
               and (role == "ceo" or meta[k]["owner"] == role)]
        others = [k for k in columns if meta[k]["kind"] in ("item", "check") and k not in own]
        focus, strengths = pick_focus_and_strengths(measures, own, others)
        key_measures = (["overall", "knowledge"] if role == "ceo" else []) + [
            k for k in columns if meta[k]["kind"] in ("index", "check") and meta[k]["owner"] == role]
        attention = []
        for key in dict.fromkeys(key_measures):
            for name in departments:
                cell = dept_report[name]["measures"][key]
                if cell["visible"] and cell["diff"] < 0:
                    attention.append((cell["diff"], name, key))
        attention.sort()
        picked, seen = [], set()
        for diff, name, key in attention:
            if name in seen:
                continue
            seen.add(name)
            cell = dept_report[name]["measures"][key]
            picked.append({"department": name, "measure": key,
                           "sentence": _sentence(name, key, meta[key], cell["score"], diff)})
            if len(picked) == HEADLINE_COUNT:
                break
        key_index = next(f"index_{c.id}" for c in data.instrument.constructs if c.owner == role) \
            if any(c.owner == role for c in data.instrument.constructs) else "overall"
        headlines[role] = {
            "key_index": key_index,
            "focus": [{"measure": k, "sentence": _headline_sentence("focus", meta[k], measures[k])}
                      for k in focus],
            "strengths": [{"measure": k, "sentence": _headline_sentence("strength", meta[k], measures[k])}
                          for k in strengths],
            "attention": picked,
        }
    report["headlines"] = headlines

    step("report: tables, estimates, trend")
    # Company-level tables of the score report (one group: the company).
    report["enps"] = score_report.enps if visible("enps_answer", "company") else {}
    report["know_feel"] = _records(score_report.know_feel)
    report["drivers"] = {k: _records(v) for k, v in score_report.drivers.items()}
    gap_ok = all(visible(c, side) for c in columns if meta[c]["kind"] == "index"
                 for side in ("leaders", "staff"))
    report["perception_gap"] = _records(score_report.perception_gap) if gap_ok else []
    report["perception_gap_reason"] = "" if gap_ok else (
        "Leaders or staff are too few to compare without singling people out.")
    report["misconceptions"] = _records(score_report.misconceptions)
    report["estimate_misconceptions"] = _records(score_report.estimate_misconceptions)
    report["notes"] = list(score_report.notes)
    report["score_tables"] = _score_tables(score_report, visible, gap_ok)

    # Where training did not land: departments that agree they were trained
    # (training item above the company) but know less than the company.
    training = [k for k in columns if meta[k]["kind"] == "item" and meta[k]["owner"] == "clo"
                and not meta[k].get("reverse")]
    landed = []
    if training:
        train_key = training[0]
        for name in departments:
            t = dept_report[name]["measures"][train_key]
            k = dept_report[name]["measures"]["knowledge"]
            if t["visible"] and k["visible"] and t["diff"] >= 0 and k["diff"] < 0:
                landed.append({"department": name, "training": t["score"], "training_diff": t["diff"],
                               "knowledge": k["score"], "knowledge_diff": k["diff"],
                               "sentence": (f"{name} rates its training {t['score']:.0f} of 100 "
                                            f"({t['diff']:+.0f} on the company) but scores "
                                            f"{k['score']:.0f} on knowledge ({k['diff']:+.0f}).")})
    report["training_gap"] = {"item": training[0] if training else None, "departments": landed}

    # Estimates of the customer figures against the real value.
    estimates = []
    from .recall import estimate_scale

    for item in data.instrument.knowledge_items():
        figure = data.strategy.customer_figures.get(item.figure) if item.type == "estimate" else None
        if figure is None or not visible(f"check_{item.id}", "company"):
            continue
        scale = estimate_scale(item, figure) or (figure.min, figure.max)
        guesses = data.responses[item.id].dropna().tolist()
        if len(guesses) < policy.min_group or scale[0] is None or scale[1] is None:
            continue
        estimates.append({"item": item.id, "label": figure.label, "actual": figure.value,
                          "unit": figure.unit, "n": len(guesses),
                          "bins": merged_bins(guesses, float(scale[0]), float(scale[1]),
                                              bins=ESTIMATE_BINS, min_count=policy.min_group)})
    report["estimates"] = estimates

    # Trend across the series (company level only).
    trend = []
    for pulse in [*history, data]:
        if len(pulse.responses) < policy.min_group:
            trend.append({"survey": pulse.survey, "period": pulse.period, "n": None, "scores": {}})
            continue
        past = table if pulse is data else _measure_table(pulse)[0]
        trend.append({"survey": pulse.survey, "period": pulse.period, "n": int(len(pulse.responses)),
                      "scores": {k: float(past[k].mean()) for k in report["heatmap_columns"] + ["overall"]
                                 if k in past and past[k].notna().sum() >= policy.min_group}})
    report["trend"] = trend

    # Comments: the company's themes, fitted once; a department's comments
    # are shown in those themes when both it and the rest of the company
    # have enough commenters (so neither can be read off the other).
    comment_items = [i.id for i in data.instrument.answer_items if i.type == "comment"]
    texts, writers = _comment_texts(data, comment_items)
    apart = int((writers.isna()).sum())
    in_rows = _commenters(data.responses, comment_items)
    commenters = in_rows + int(math.ceil(apart / max(len(comment_items), 1)))
    shown = comments_visible(commenters, policy)
    rng = np.random.default_rng(random_state)
    result = analyse_comments(texts, instrument=data.instrument, strategy=data.strategy,
                              random_state=random_state, policy=policy,
                              progress=step) if shown.visible else None
    company_themes = _theme_rows(result, rng) if result is not None else []
    step("report: department comments")
    report["comments"] = {"visible": bool(company_themes) or shown.visible, "reason": shown.reason,
                          "themes": company_themes}
    dept_comments = {}
    for name in departments:
        rows = data.responses[data.responses["department"].astype(object) == name]
        mine = _commenters(rows, comment_items)
        rest = in_rows - mine
        ok = (result is not None and comments_visible(mine, policy).visible
              and (rest == 0 or rest >= policy.min_comments))
        dept_comments[name] = {"visible": ok, "themes": _department_themes(
            result, writers, name, company_themes, rng) if ok else []}
    report["department_comments"] = dept_comments
    return report


def _score_tables(score_report, visible, gap_ok: bool) -> dict[str, list[dict]]:
    """The tables of ``python -m analysis scores`` for the analyst's page,
    each group row kept only where the one decision for all pages lets the
    group's statistic through (a row hidden there shows no figure and no n)."""
    tables = {}
    for name, frame in score_report.tables().items():
        rows = _records(frame)
        if name in ("groups", "change_since_previous"):
            for row in rows:
                if row.get("visible") and not visible(row["measure"], "department", row.get("department")):
                    row.update({k: None for k in row if k not in ("measure", "department", "reason")})
                    row.update(visible=False, reason="withheld so that no page's figures can be combined "
                                                     "to single out a small group")
        if name == "perception_gap" and not gap_ok:
            rows = []
        tables[name] = rows
    return tables


# --- after the build: moves, action plans ----------------------------------------------


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


def measure_change(then: Mapping, now: Mapping, measure: str, department: str | None = None) -> float | None:
    """The change of a measure from one report to the next, or None when
    either side withholds it. ``measure`` may be ``theme:<terms>`` (the
    theme's negative share, matched by terms).

    Examples
    --------
    >>> then = {"measures": {"knowledge": {"score": 50.0}}}
    >>> now = {"measures": {"knowledge": {"score": 58.5}}}
    >>> measure_change(then, now, "knowledge")
    8.5"""
    if measure.startswith("theme:"):
        terms = measure[len("theme:"):].split(",")
        source = (lambda r: r.get("comments", {}).get("themes", [])) if department is None else \
            (lambda r: r.get("department_comments", {}).get(department, {}).get("themes", []))
        a, b = match_theme(source(then), terms), match_theme(source(now), terms)
        if a is None or b is None or a["negative_share"] is None or b["negative_share"] is None:
            return None
        return (b["negative_share"] - a["negative_share"]) * 100

    def score(report):
        if department is None:
            return report.get("measures", {}).get(measure, {}).get("score")
        cell = report.get("departments", {}).get(department, {}).get("measures", {}).get(measure, {})
        return cell.get("score") if cell.get("visible") else None

    a, b = score(then), score(now)
    return None if a is None or b is None else b - a
