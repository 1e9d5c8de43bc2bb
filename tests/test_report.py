"""The score report on an instrument of its own: nothing is tied to the default
instrument's construct ids, and the privacy rules apply before anything shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.instrument import parse_instrument_text
from analysis.loader import PulseData
from analysis.privacy import PrivacyPolicy
from analysis.report import build_score_report, index_columns_and_labels
from analysis.strategy import Strategy

CUSTOM = """
format = 1
[instrument]
id = "custom"
version = 1
title = "Custom pulse"

[[constructs]]
id = "vision"
name = "Vision"
owner = "ceo"

[[constructs]]
id = "clients"
name = "Clients"
owner = "cmo"

[scales.agree4]
points = 4
anchors = ["No", "Rather no", "Rather yes", "Yes"]

[[items]]
id = "v1"
type = "likert"
construct = "vision"
scale = "agree4"
text = "I know where we are going."

[[items]]
id = "v2"
type = "likert"
construct = "vision"
scale = "agree4"
reverse = true
text = "Our direction is unclear to me."

[[items]]
id = "c1"
type = "likert"
construct = "clients"
scale = "agree4"
text = "I know what clients think of us."

[[items]]
id = "c2"
type = "likert"
construct = "clients"
scale = "agree4"
text = "I hear from clients every week."

[[items]]
id = "kv"
type = "recall"
construct = "vision"
graded_against = "goals"
self_rating = "v1"
text = "Name our goals."

[[items]]
id = "enps"
type = "enps"
text = "Recommend us?"
"""

STRATEGY = Strategy.from_dict({"goals": ["Open the Lisbon office", "Double online sales"]})


def pulse(n: int, seed: int = 0) -> PulseData:
    instrument = parse_instrument_text(CUSTOM, "custom.toml")
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n)
    likert = lambda reverse: np.clip(np.rint(2.5 + (-1 if reverse else 1) * latent + rng.normal(0, 0.6, n)), 1, 4)
    responses = pd.DataFrame(
        {
            "pulse": "custom-q1",
            "period": "2027-Q1",
            "submitted_on": "2027-02-01",
            "department": np.where(np.arange(n) % 3 == 0, "Sales", "Ops"),
            "team": np.nan,
            "tenure_band": np.nan,
            "role_level": np.where(np.arange(n) % 5 == 0, "manager", "staff"),
            "v1": likert(False),
            "v2": likert(True),
            "c1": likert(False),
            "c2": likert(False),
            "kv": np.where(latent > 0, "lisbon office, online sales x2", "no idea"),
            "enps": np.clip(np.rint(6 + 2 * latent), 0, 10),
        },
        index=pd.Index([f"r{i:03d}" for i in range(n)], name="response_id"),
    )
    return PulseData(
        survey="custom-q1", title="Custom pulse", period="2027-Q1", status="closed",
        instrument=instrument, strategy=STRATEGY, leadership_levels=("manager",),
        responses=responses,
    )


def test_indices_follow_the_instruments_own_constructs():
    data = pulse(60)
    labels = index_columns_and_labels(data.instrument)
    assert labels == {
        "index_vision": "Strategy alignment (CEO)",
        "index_clients": "Customer-experience awareness (CMO)",
        "overall": "Overall alignment",
    }
    report = build_score_report(data, by=["department"], n_boot=50)
    assert report.visible
    summary = report.summary.set_index("measure")
    assert list(summary.index) == ["index_vision", "index_clients", "overall", "knowledge"]
    assert summary["n"].min() > 50
    assert ((summary["mean"] > 0) & (summary["mean"] < 100)).all()
    # People who named the goals know more: the knowledge score tracks them.
    assert 30 < summary.loc["knowledge", "mean"] < 70
    assert set(report.groups["measure"]) >= {"index_vision", "index_clients", "overall", "knowledge"}
    assert set(report.groups["department"]) == {"Ops", "Sales"}
    assert set(report.reliability["construct"]) == {"vision", "clients"}
    assert report.reliability.set_index("construct").loc["vision", "alpha"] > 0.5
    assert -100 <= report.enps["score"] <= 100


def test_a_pulse_below_the_minimum_shows_nothing():
    report = build_score_report(pulse(4), by=["department"])
    assert not report.visible
    assert "fewer than 5" in report.reason
    assert report.summary.empty and report.groups.empty and not report.enps


def test_leaders_too_few_to_compare_hide_the_perception_gap():
    data = pulse(24)  # 5 managers, 19 staff: visible; with a policy of 6, hidden
    shown = build_score_report(data, n_boot=50).perception_gap
    assert "leaders_mean" in shown.columns and shown["n_leaders"].eq(5).all()
    hidden = build_score_report(data, policy=PrivacyPolicy(min_group=6, min_comments=10), n_boot=50)
    assert not hidden.perception_gap["visible"].any()
    assert "leaders_mean" not in hidden.perception_gap.columns


@pytest.mark.parametrize("segment", ["salary", "email"])
def test_unknown_breakdown_is_refused(segment):
    with pytest.raises(ValueError, match=f"unknown segment {segment}"):
        build_score_report(pulse(20), by=[segment])


# --- misconceptions are people's words: the comment rules apply ------------------

def _with_recall_answers(n: int, answered: int, answer: str) -> PulseData:
    """``pulse(n)`` whose recall item ``kv`` holds ``answer`` for ``answered``
    respondents and is blank for the others."""
    data = pulse(n)
    data.responses["kv"] = [answer] * answered + [np.nan] * (n - answered)
    return data


def test_misconceptions_need_as_many_writers_as_comments_do():
    """9 people share a wrong belief: enough for a statistic (min_group 5) but
    not for their words to be shown (min_comments 10); 10 are."""
    wrong = "close the Madrid warehouse"
    hidden = build_score_report(_with_recall_answers(20, 9, wrong), n_boot=20)
    assert hidden.visible
    assert hidden.misconceptions.empty
    shown = build_score_report(_with_recall_answers(20, 10, wrong), n_boot=20)
    assert list(shown.misconceptions["belief"]) == ["close the madrid warehouse"]
    assert shown.misconceptions["count"].tolist() == [10]


def test_misconceptions_are_scrubbed_before_they_are_shown():
    report = build_score_report(
        _with_recall_answers(20, 12, "ask Jane.Doe@ACME.COM, see https://intranet.acme.com/goals"),
        n_boot=20,
    )
    table = report.misconceptions
    assert not table.empty  # the wrong beliefs are shown, as placeholders
    shown = " ".join(table["belief"]) + " " + " ".join(w for v in table["variants"] for w in v)
    assert "email" in shown
    for detail in ("jane", "doe", "acme", "intranet"):
        assert detail not in shown, table
