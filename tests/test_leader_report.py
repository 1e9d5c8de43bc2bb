"""analysis.leader_report on the demo: the documented rules, checked from outside.

docs/reports.md states how the focus areas, strengths and groups needing
attention are chosen; these tests recompute each choice from the report's own
published figures by that wording and compare, so a change of the code that
the document does not follow (or the reverse) fails here.
"""

from __future__ import annotations

import pytest

from analysis.leader_report import REPORT_VERSION, merged_bins


@pytest.fixture(scope="module")
def report(demo_site):
    from survey_app.reports import data

    with demo_site.app.app_context():
        return data.report_for("demo-2026-q4")


def _own(report, role):
    return [k for k, m in report["measures"].items() if m["kind"] in ("item", "check")
            and (role == "ceo" or m["owner"] == role)]


@pytest.mark.parametrize("role", ["ceo", "clo", "cmo"])
def test_focus_areas_are_low_scores_weighted_by_impact(report, role):
    measures = report["measures"]
    own = [k for k in _own(report, role) if measures[k]["score"] is not None]
    by_priority = sorted(own, key=lambda k: -(100 - measures[k]["score"]) * measures[k]["impact"])
    focus = [h["measure"] for h in report["headlines"][role]["focus"]]
    assert focus == by_priority[:3]
    strengths = [h["measure"] for h in report["headlines"][role]["strengths"]]
    rest = sorted((k for k in own if k not in focus), key=lambda k: -measures[k]["score"])
    # Own measures first; the others' fill the list when the role owns too few.
    assert strengths[:len(rest[:3])] == rest[:3]
    assert len(strengths) == 3 and not set(strengths) & set(focus)


def test_groups_needing_attention_are_the_largest_shown_gaps_below(report):
    picked = report["headlines"]["ceo"]["attention"]
    assert picked, "the demo has departments below the company"
    diffs = [report["departments"][p["department"]]["measures"][p["measure"]]["diff"] for p in picked]
    # Below as the page shows it: at least one whole point.
    assert all(round(d) <= -1 for d in diffs) and diffs == sorted(diffs)
    assert len({p["department"] for p in picked}) == len(picked)
    for p, d in zip(picked, diffs):
        assert f"{abs(d):.0f} below the company" in p["sentence"] and p["department"] in p["sentence"]


def test_a_gap_that_rounds_to_nothing_is_not_below(report):
    """A department 0.3 points under the company is shown as "0": it is not
    a group needing attention, and no sentence says "0 below" or "-0"."""
    import copy

    from analysis.instrument import load_instrument
    from analysis.leader_report.headlines import executive_headlines
    from tests.conftest import DEFAULT_INSTRUMENT

    measures = report["measures"]
    name = sorted(report["departments"])[0]
    # That department alone, every figure of it shown.
    departments = {name: copy.deepcopy(report["departments"][name])}
    for key, cell in departments[name]["measures"].items():
        cell.update(visible=True, score=measures[key]["score"] or 50.0, diff=0.3)
    departments[name]["measures"]["overall"]["diff"] = -0.3
    columns = [k for k in measures if k in departments[name]["measures"]]
    headlines = executive_headlines(load_instrument(DEFAULT_INSTRUMENT), columns, measures,
                                    measures, departments)
    for role, head in headlines.items():
        assert name not in {p["department"] for p in head["attention"]}, role
        for sentence in (p["sentence"] for kind in ("focus", "strengths", "attention")
                         for p in head[kind]):
            assert " 0 below" not in sentence and "-0 " not in sentence and "(-0" not in sentence
    # The same department 0.6 under rounds to 1 below, and is listed.
    departments[name]["measures"]["overall"]["diff"] = -0.6
    headlines = executive_headlines(load_instrument(DEFAULT_INSTRUMENT), columns, measures,
                                    measures, departments)
    assert name in {p["department"] for p in headlines["ceo"]["attention"]}


def test_the_report_is_plain_json_and_versioned(report):
    import json

    assert report["version"] == REPORT_VERSION
    json.dumps(report, allow_nan=False)


def test_merged_bins_refuse_an_empty_range():
    with pytest.raises(ValueError, match="range of the bins is empty"):
        merged_bins([1, 2], 5, 5, bins=3, min_count=5)


def test_no_bin_counts_between_one_and_four():
    bins = merged_bins([1, 2, 3, 14, 15, 15, 16, 17, 28, 29], 0, 30, bins=6, min_count=5)
    assert all(b["count"] == 0 or b["count"] >= 5 for b in bins)
    assert sum(b["count"] for b in bins) == 10


@pytest.mark.parametrize("seed", range(6))
def test_sparse_and_small_pulses_build_a_report(tmp_path, instrument, strategy, seed):
    """Real pulses are ragged: few answers, whole questions nobody answered,
    no comments. The report must still build (a missing measure is hidden),
    never fail on the first page view."""
    import random

    from analysis.leader_report import build_leader_report
    from analysis.loader import load_from_db
    from survey_app import storage
    from survey_app.db import connect, migrate

    rng = random.Random(seed)
    db = connect(tmp_path / "sparse.db")
    migrate(db)
    storage.create_pulse(db, slug="p", title="P", period="2026-Q4", instrument=instrument,
                         strategy=strategy, status="open")
    size = rng.choice([5, 10, 25])
    tokens = storage.add_invitations(db, "p", [{"department": rng.choice(["A", "B"])}
                                               for _ in range(size * 2)])
    asked = rng.sample([i for i in instrument.answer_items if i.type != "comment"], 4)
    for token in tokens[:size]:
        answers = {}
        for item in asked:
            if rng.random() < 0.6:
                answers[item.id] = (rng.randint(1, item.scale.points) if item.type == "likert"
                                    else rng.randint(0, 10) if item.type in ("enps", "estimate")
                                    else "grow revenue")
        storage.submit_response(db, pulse_slug="p", token=token, answers=answers, segments={})
    storage.set_pulse_status(db, "p", "closed")
    db.close()
    report = build_leader_report(load_from_db(tmp_path / "sparse.db", "p"))
    assert report["survey"] == "p" and report["version"] == REPORT_VERSION


def test_the_themes_do_not_depend_on_the_order_rows_are_stored_in(demo_site):
    """Response ids are random, so each copy of a pulse hands its rows over in
    another order: the report's themes must be the same in any order."""
    from analysis.leader_report.themes import comment_report
    from analysis.loader import load_from_db
    from analysis.privacy import PrivacyPolicy

    data = load_from_db(demo_site.database, "demo-2026-q4")
    shuffled = data.responses.sample(frac=1.0, random_state=7).reset_index(drop=True)
    assert not shuffled.equals(data.responses)
    departments = sorted(data.responses["department"].dropna().unique())
    policy = PrivacyPolicy()

    def themes(responses):
        from dataclasses import replace

        section, _ = comment_report(replace(data, responses=responses), departments, policy, 0,
                                    lambda name: None)
        return [(t["label"], t["size"], t["owner"]) for t in section["themes"]]

    first = themes(data.responses)
    assert first and themes(shuffled) == first

