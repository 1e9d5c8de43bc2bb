"""One pulse's alignment scores, assembled for a reader.

The modules beside this one each answer one question (how reliable is a
scale, what does this answer know, how does a group compare). A leader or an
analyst wants the answers together, computed once, with the privacy rules
applied before anything leaves: that is this module's job, and the command
line and (later) the app's reports both call :func:`build_score_report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from . import drivers, groups, indices, recall, reliability
from .coarsen import leaders_and_staff
from .instrument import SEGMENTS
from .loader import PulseData
from .privacy import PrivacyPolicy, comments_visible, protect
from .scrub import Scrubber

def index_columns_and_labels(instrument) -> dict[str, str]:
    """The index columns of :func:`respondent_scores` with the names readers see.

    Derived from the instrument (any construct ids, not only the default
    instrument's), each index named as :func:`analysis.indices.index_labels`
    names it, with the owning executive, e.g. "Strategy alignment (CEO)".

    Examples
    --------
    >>> from analysis.instrument import load_instrument
    >>> index_columns_and_labels(load_instrument("instruments/strategy-pulse.toml"))
    {'index_strategy': 'Strategy alignment (CEO)', 'index_customer': 'Customer-experience awareness (CMO)', 'index_learning': 'Learning and communication (CLO)', 'overall': 'Overall alignment'}
    """
    names = indices.index_labels(instrument)
    labels = {
        f"index_{c.id}": f"{names[f'index_{c.id}']} ({c.owner.upper()})" for c in instrument.constructs
    }
    labels["overall"] = names["overall"]
    return labels


@dataclass
class ScoreReport:
    """Everything ``python -m analysis scores`` shows, already privacy-checked."""

    survey: str
    title: str
    period: str
    n_responses: int
    visible: bool
    reason: str
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    reliability: pd.DataFrame = field(default_factory=pd.DataFrame)
    enps: dict = field(default_factory=dict)
    know_feel: pd.DataFrame = field(default_factory=pd.DataFrame)
    perception_gap: pd.DataFrame = field(default_factory=pd.DataFrame)
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    change: pd.DataFrame = field(default_factory=pd.DataFrame)
    drivers: dict[str, pd.DataFrame] = field(default_factory=dict)
    misconceptions: pd.DataFrame = field(default_factory=pd.DataFrame)
    estimate_misconceptions: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables by name, in reading order."""
        out = {
            "summary": self.summary,
            "reliability": self.reliability,
            "know_feel_gap": self.know_feel,
            "perception_gap": self.perception_gap,
            "groups": self.groups,
            "change_since_previous": self.change,
            "misconceptions": self.misconceptions,
            "estimate_misconceptions": self.estimate_misconceptions,
        }
        for outcome, table in self.drivers.items():
            out[f"drivers_{outcome}"] = table
        # A named index (item, index) is a column for the reader.
        return {
            name: table.reset_index() if table.index.name is not None else table
            for name, table in out.items()
        }

    def to_dict(self) -> dict:
        def records(frame: pd.DataFrame) -> list[dict]:
            if frame is None or frame.empty:
                return []
            clean = frame.astype(object)
            clean = clean.where(frame.notna(), None)
            return [
                {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
                for row in clean.to_dict(orient="records")
            ]

        return {
            "survey": self.survey,
            "title": self.title,
            "period": self.period,
            "n_responses": self.n_responses,
            "visible": self.visible,
            "reason": self.reason,
            "enps": self.enps,
            "notes": list(self.notes),
            **{name: records(table) for name, table in self.tables().items()},
        }


def respondent_scores(data: PulseData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-respondent indices, knowledge score and eNPS, beside the segments.

    The one table every group statistic is computed from; returned with the
    per-check knowledge scores it was built from.
    """
    knowledge = recall.score_knowledge(data.responses, data.instrument, data.strategy)
    table = indices.alignment_indices(data.responses, data.instrument, knowledge)
    # On the same 0-100 scale as the indices, so group tables read alike; a
    # blank check counts as 0, as in the indices' know scores. A check that
    # cannot be graded this pulse (its column is empty throughout) is left out.
    gradable = knowledge.loc[:, knowledge.notna().any()]
    table["knowledge"] = gradable.fillna(0.0).mean(axis=1) * 100 if gradable.shape[1] else np.nan
    enps_item = data.instrument.enps_item
    if enps_item is not None:
        table["enps_answer"] = data.responses[enps_item.id]
    for segment in SEGMENTS:
        table[segment] = data.responses[segment] if segment in data.responses else np.nan
    return table, knowledge


def build_score_report(
    data: PulseData,
    *,
    by: Sequence[str] = (),
    previous: PulseData | None = None,
    policy: PrivacyPolicy | None = None,
    n_boot: int = 300,
    random_state: int = 0,
    progress: Callable[[str], None] | None = None,
) -> ScoreReport:
    """Compute every score of one pulse and apply the privacy rules.

    Parameters
    ----------
    by : segment columns to compare groups by (``department``, ``team``,
        ``tenure_band``, ``role_level``); two give their combinations.
    previous : the previous pulse of the series, for change since then.
    progress : called with the name of each step, for a progress bar.
    """
    policy = policy or PrivacyPolicy()
    step = progress or (lambda name: None)
    by = list(by)
    unknown = [b for b in by if b not in SEGMENTS]
    if unknown:
        raise ValueError(f"unknown segment {', '.join(unknown)} (expected one of {', '.join(SEGMENTS)})")
    responses = data.responses
    n = len(responses)
    company = protect({"company": np.ones(n, dtype=bool)}, policy)["company"]
    report = ScoreReport(
        survey=data.survey,
        title=data.title,
        period=data.period,
        n_responses=n,
        visible=company.visible,
        reason=company.reason,
    )
    if not company.visible:
        return report

    step("knowledge checks")
    scores, knowledge = respondent_scores(data)
    labels = index_columns_and_labels(data.instrument)
    index_columns = [c for c in labels if c in scores]

    step("company summary")
    report.summary = _summary(scores, labels)

    step("reliability")
    report.reliability = _reliability(data, report.notes)

    step("eNPS")
    if "enps_answer" in scores:
        result = indices.enps(scores["enps_answer"])
        report.enps = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in vars(result).items()}

    step("know-vs-feel gap")
    report.know_feel = indices.know_feel_gap(responses, data.instrument, knowledge)

    step("perception gap")
    report.perception_gap = _perception_gap(scores, index_columns, data, policy)

    if by:
        step("group comparisons")
        report.groups = groups.compare_groups(scores, value=index_columns + ["knowledge"], by=by, policy=policy)

    if previous is not None and not previous.responses.empty:
        step("change since previous pulse")
        before, _ = respondent_scores(previous)
        report.change = groups.change_since_previous(
            scores, before, value=index_columns, by=by or None, policy=policy
        )

    step("key drivers")
    report.drivers = _drivers(scores, data, n_boot=n_boot, random_state=random_state, notes=report.notes)

    step("misconceptions")
    report.misconceptions = _misconceptions(data, policy)
    report.estimate_misconceptions = _estimate_misconceptions(data, policy)
    return report


def _summary(scores: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    rows = []
    labels = {**{c: l for c, l in labels.items() if c in scores}, "knowledge": "Knowledge score (0-100)"}
    for column, label in labels.items():
        values = scores[column].dropna()
        n = len(values)
        mean = values.mean() if n else np.nan
        half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        rows.append(
            {
                "measure": column,
                "label": label,
                "n": n,
                "mean": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
            }
        )
    return pd.DataFrame(rows)


def _reliability(data: PulseData, notes: list[str]) -> pd.DataFrame:
    try:
        results = reliability.construct_alpha(data.responses, data.instrument, nan_policy="pairwise")
    except ValueError as exc:  # e.g. two items nobody answered together
        notes.append(f"reliability: {exc}")
        return pd.DataFrame()
    return pd.DataFrame(
        [
            {
                "construct": construct,
                "owner": data.instrument.owner_of(construct),
                "alpha": result.alpha,
                "ci_low": result.ci_low,
                "ci_high": result.ci_high,
                "n_items": result.n_items,
                "n_respondents": result.n_respondents,
            }
            for construct, result in results.items()
        ]
    )


def _perception_gap(scores, columns, data: PulseData, policy: PrivacyPolicy) -> pd.DataFrame:
    role = scores["role_level"]
    leaders, staff = (m.to_numpy() for m in leaders_and_staff(role, data.leadership_levels))
    shown = protect({"leaders": leaders, "staff": staff}, policy)
    if not (shown["leaders"].visible and shown["staff"].visible):
        reason = shown["leaders"].reason or shown["staff"].reason
        return pd.DataFrame([{"index": c, "visible": False, "reason": reason} for c in columns])
    gap = indices.perception_gap(scores[columns], role, data.leadership_levels)
    return gap


def _drivers(scores, data: PulseData, *, n_boot, random_state, notes) -> dict[str, pd.DataFrame]:
    predictors = drivers.likert_predictors(data.responses, data.instrument)
    outcomes = {"knowledge": scores["knowledge"]}
    if "enps_answer" in scores:
        outcomes["enps"] = scores["enps_answer"]
    out = {}
    for name, outcome in outcomes.items():
        try:
            table = drivers.key_drivers(predictors, outcome, n_boot=n_boot, random_state=random_state)
        except ValueError as exc:
            notes.append(f"key drivers of {name}: {exc}")
            continue
        out[name] = table
        notes.append(
            f"key drivers of {name}: the {predictors.shape[1]} self-rated items together explain "
            f"R² = {table.attrs['r_squared']:.2f} of it (n = {table.attrs['n']}, "
            f"{table.attrs['n_boot']} bootstrap resamples)"
        )
    return out


def _misconceptions(data: PulseData, policy: PrivacyPolicy) -> pd.DataFrame:
    """Common wrong beliefs, only where enough people wrote something.

    Beliefs are people's own words, so they get the comment rules: shown only
    when at least ``min_comments`` answered, each belief held by at least
    ``min_group`` people, and scrubbed of contact details first.
    """
    frames = []
    scrubber = Scrubber()
    for item in data.instrument.knowledge_items():
        if item.type != "recall":
            continue
        answers = data.responses[item.id].dropna().astype(str)
        answers = answers[answers.str.strip() != ""]
        if not comments_visible(len(answers), policy).visible:
            continue
        cleaned, _ = scrubber.scrub_many(list(answers))
        table = recall.misconceptions(
            cleaned, data.strategy, part=item.graded_against, min_count=policy.min_group
        )
        if not table.empty:
            table.insert(0, "item", item.id)
            frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _estimate_misconceptions(data: PulseData, policy: PrivacyPolicy) -> pd.DataFrame:
    """Common wrong guesses of the customer figures ("thinks NPS is 42 to 62").

    Bands of guesses, not anyone's words; each band needs ``min_group`` people.
    """
    frames = []
    for item in data.instrument.knowledge_items():
        figure = data.strategy.customer_figures.get(item.figure) if item.type == "estimate" else None
        if figure is None:
            continue
        table = recall.estimate_misconceptions(
            data.responses[item.id],
            figure.value,
            tolerance=item.tolerance,
            scale_range=recall.estimate_scale(item, figure),
            label=figure.label,
            min_count=policy.min_group,
        )
        if not table.empty:
            table.insert(0, "item", item.id)
            frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
