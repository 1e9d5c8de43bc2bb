"""The demo organisation: right shape, deterministic, and realistic enough to analyse.

The demo is generated into a real SQLite file through the storage API and read
back through the export (the analysts' contract), so these tests see what an
analyst would.
"""

from __future__ import annotations

import csv
import re
from collections import Counter

import pandas as pd
import pytest

from analysis.instrument import DEFAULT_LEADERSHIP_LEVELS
from analysis.reliability import cronbach_alpha
from survey_app import demo_text, storage
from survey_app.db import connect
from survey_app.demo import DEPARTMENTS, Q3_PLAN, Q4_PLAN, build_people, generate_demo

Q3, Q4 = Q3_PLAN.slug, Q4_PLAN.slug
CONSTRUCT_ITEMS = {
    "strategy": ("st_understand", "st_line_of_sight", "st_priorities_shift"),
    "customer": ("cx_numbers", "cx_promise", "cx_voice_absent"),
    "learning": ("lc_training", "lc_manager", "lc_overload"),
}
REVERSED = ("st_priorities_shift", "cx_voice_absent", "lc_overload")


class Demo:
    """A generated demo: the database, the result, and both pulses as exported."""

    def __init__(self, root, seed=0):
        self.db = connect(root / "demo.sqlite3")
        self.result = generate_demo(self.db, seed=seed, links_csv=root / "links.csv")
        self.responses = {}
        for slug in (Q3, Q4):
            csv_path, _ = storage.export_pulse(self.db, slug, root / slug)
            self.responses[slug] = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])

    def raw(self, slug):
        """Every stored response of a pulse, unpublished ones too, as the
        server operator's raw database holds them (no coarsening, no scrubbing)."""
        rows = {}
        for r in self.db.query(
            "SELECT r.id, r.department, r.role_level, a.item_id, a.value_number, a.value_text "
            "FROM responses r LEFT JOIN answers a ON a.response_id = r.id WHERE r.pulse_slug = ?",
            [slug],
        ):
            row = rows.setdefault(r["id"], {"department": r["department"],
                                            "role_level": r["role_level"]})
            if r["item_id"]:
                row[r["item_id"]] = r["value_text"] if r["value_number"] is None else r["value_number"]
        return pd.DataFrame.from_dict(rows, orient="index")

    def invitations(self, slug):
        return list(self.db.query("SELECT * FROM invitations WHERE pulse_slug = ?", [slug]))

    def link_rows(self):
        with self.result.invitation_links_csv.open(encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    made = Demo(tmp_path_factory.mktemp("demo"))
    yield made
    made.db.close()


def scored(frame):
    """Likert answers with reverse-keyed items turned round, plus construct means."""
    out = frame.copy()
    for item in REVERSED:
        out[item] = 6 - out[item]
    for construct, items in CONSTRUCT_ITEMS.items():
        out[construct] = out[list(items)].mean(axis=1)
    return out


# --- The organisation ----------------------------------------------------------


def test_about_300_invitations_in_six_departments_of_different_sizes(demo):
    invitations = demo.invitations(Q4)
    assert len(invitations) == 300
    sizes = Counter(row["department"] for row in invitations)
    assert sizes == {d.name: d.size for d in DEPARTMENTS}
    assert len(sizes) == 6
    assert len(set(sizes.values())) == 6, "departments should differ in size"
    assert max(sizes.values()) >= 5 * min(sizes.values())
    assert storage.roster_values(demo.db, Q4, "department") == sorted(sizes)


def test_teams_and_a_role_pyramid(demo):
    people = build_people(0)
    teams = {}
    for person in people:
        teams.setdefault(person.department.name, set()).add(person.team)
    assert all(2 <= len(names) <= 5 for names in teams.values()), teams
    levels = Counter(person.role_level for person in people)
    order = ("staff", "team_lead", "manager", "director", "executive")
    counts = [levels[level] for level in order]
    assert counts == sorted(counts, reverse=True) and counts[-1] >= 1, levels
    assert levels["staff"] > 0.75 * len(people)
    assert {person.tenure_band for person in people} == {"lt1", "1to2", "3to5", "6plus"}


def test_invitations_keep_only_the_breakdowns_in_groups_of_five(demo):
    invitations = demo.invitations(Q4)
    # Team and tenure band are on the roster but are not breakdowns.
    assert {(row["team"], row["tenure_band"]) for row in invitations} == {(None, None)}
    combinations = Counter((row["department"], row["role_level"]) for row in invitations)
    assert min(combinations.values()) >= 5, combinations
    # Small leadership levels are merged within their tier, not with staff.
    assert any(level == "Other leadership levels" for _, level in combinations)


def test_last_quarter_closed_this_quarter_open_with_an_open_link(demo):
    q3, q4 = storage.get_pulse(demo.db, Q3), storage.get_pulse(demo.db, Q4)
    assert (q3.status, q3.period) == ("closed", "2026-Q3")
    assert (q4.status, q4.period) == ("open", "2026-Q4")
    assert storage.count_responses(demo.db, Q3) == 170
    assert storage.count_responses(demo.db, Q4) == 200
    assert q4.open_token and demo.result.open_links == [(Q4, q4.open_token)]
    assert storage.get_pulse_by_open_token(demo.db, q4.open_token).slug == Q4
    assert [p.slug for p in storage.list_pulses(demo.db, "strategy-pulse")] == [Q3, Q4]
    with pytest.raises(storage.PulseNotOpen):
        storage.submit_response(demo.db, pulse_slug=Q3, answers={"enps": 5}, segments={})


def test_each_quarter_has_its_own_strategy_statement(demo):
    q3, q4 = storage.get_pulse(demo.db, Q3).strategy, storage.get_pulse(demo.db, Q4).strategy
    assert len(q4.goals) == 3 and len(q4.factors) == 3 and q4.brand_promise
    assert set(q3.goals).isdisjoint(q4.goals)
    assert q4.previous_goals == q3.goals
    assert q4.customer_figures["nps"].value == 32 and q4.customer_figures["csat"].unit == "%"
    assert q3.customer_figures["nps"].value != q4.customer_figures["nps"].value


def test_responses_keep_no_date(demo):
    assert "submitted_on" not in demo.db["responses"].columns_dict
    for slug in (Q3, Q4):
        assert "submitted_on" not in demo.responses[slug].columns


# --- The links ---------------------------------------------------------------------


def test_csv_holds_exactly_the_unused_invitations(demo):
    rows = demo.link_rows()
    assert list(rows[0]) == ["url", "email"]
    invitations = demo.invitations(Q4)
    unused = [row for row in invitations if not row["used"]]
    assert len(rows) == len(unused) == 100
    assert sum(row["used"] for row in invitations) == storage.count_responses(demo.db, Q4)
    hashes = set()
    for row in rows:
        match = re.fullmatch(r"/s/([A-Za-z0-9_-]{20,})", row["url"])
        assert match, row["url"]
        invitation = storage.find_invitation(demo.db, match.group(1))
        assert invitation is not None and invitation.pulse_slug == Q4
        assert invitation.used is False
        hashes.add(storage.hash_token(match.group(1)))
    assert hashes == {row["token_hash"] for row in unused}


def test_sample_tokens_are_unused_links_that_can_be_answered(demo):
    tokens = demo.result.sample_tokens
    assert len(tokens) >= 3
    assert {f"/s/{t}" for t in tokens} <= {row["url"] for row in demo.link_rows()}
    assert all(storage.find_invitation(demo.db, t).used is False for t in tokens)
    assert Q4 in demo.result.summary and str(demo.result.invitation_links_csv) in demo.result.summary


def test_refuses_to_generate_twice_into_one_database(demo, tmp_path):
    with pytest.raises(ValueError, match="already has the demo pulse 'demo-2026-q3'"):
        generate_demo(demo.db, seed=0, links_csv=tmp_path / "again.csv")
    assert storage.count_responses(demo.db, Q4) == 200
    assert not (tmp_path / "again.csv").exists()


# --- Determinism --------------------------------------------------------------------


def answers_only(frame):
    """Every answer row, in a canonical order (response ids are random by design)."""
    columns = [c for c in frame.columns if c != "response_id"]
    return frame[columns].sort_values(columns, na_position="first").reset_index(drop=True)


def test_same_seed_same_answers_other_seed_other_answers(demo, tmp_path):
    again = Demo(tmp_path / "again", seed=0)
    other = Demo(tmp_path / "other", seed=1)
    try:
        for slug in (Q3, Q4):
            pd.testing.assert_frame_equal(
                answers_only(demo.responses[slug]), answers_only(again.responses[slug])
            )
            assert not answers_only(demo.responses[slug]).equals(answers_only(other.responses[slug]))
        same_links = [{k: v for k, v in row.items() if k != "url"} for row in again.link_rows()]
        assert same_links == [{k: v for k, v in row.items() if k != "url"} for row in demo.link_rows()]
    finally:
        again.db.close()
        other.db.close()


# --- Plausible answers --------------------------------------------------------------


def test_likert_scales_are_reliable_and_reverse_items_consistent(demo):
    frame = demo.responses[Q4]
    for items in CONSTRUCT_ITEMS.values():
        values = frame[list(items)].stack().dropna()
        assert set(values.unique()) <= {1, 2, 3, 4, 5}
        alpha = cronbach_alpha(scored(frame)[list(items)], nan_policy="listwise").alpha
        assert 0.65 <= alpha <= 0.9, (items, alpha)
    # Raw reverse-keyed answers run against the construct's other items.
    for construct, items in CONSTRUCT_ITEMS.items():
        forward = frame[[i for i in items if i not in REVERSED]].mean(axis=1)
        reverse = frame[[i for i in items if i in REVERSED][0]]
        assert forward.corr(reverse) < -0.3, construct
    dont_know = frame[[i for items in CONSTRUCT_ITEMS.values() for i in items]].isna().sum()
    assert 0 < dont_know.sum() < 0.1 * frame.shape[0] * 9
    # ... but never so many that a respondent loses a construct score (half rule).
    for items in CONSTRUCT_ITEMS.values():
        assert (frame[list(items)].isna().sum(axis=1) <= 1).all()


def test_leaders_rate_themselves_higher_and_q4_improves_on_q3(demo):
    # On the raw database: exports merge small leadership groups further.
    q3, q4 = scored(demo.raw(Q3)), scored(demo.raw(Q4))
    constructs = list(CONSTRUCT_ITEMS)
    for frame in (q3, q4):
        leaders = frame["role_level"].isin(DEFAULT_LEADERSHIP_LEVELS + ("Other leadership levels",))
        assert (frame[leaders][constructs].mean() > frame[~leaders][constructs].mean()).all()
    assert q4[constructs].mean().mean() > q3[constructs].mean().mean()
    by_department = q4.groupby("department")[constructs].mean()
    assert by_department.loc["Customer Service", "customer"] > by_department.loc["Engineering", "customer"]
    assert "Finance" in by_department["learning"].nsmallest(2).index
    assert "Engineering" in q4.groupby("department")["cx_promise"].mean().nsmallest(2).index


def test_enps_has_a_realistic_mix(demo):
    enps = demo.responses[Q4]["enps"]
    assert enps.notna().all() and enps.between(0, 10).all()
    assert 0.2 <= (enps >= 9).mean() <= 0.4
    assert 0.2 <= (enps <= 6).mean() <= 0.4
    assert enps.nunique() >= 7


def contains(answer, statement):
    return isinstance(answer, str) and statement.lower() in answer.lower()


def test_goal_answers_range_from_exact_to_last_quarter_to_nothing(demo):
    answers = demo.responses[Q4]["k_goals"]
    n = len(answers)
    exact = answers.map(lambda a: any(contains(a, g) for g in demo_text.Q4_GOALS))
    previous_words = [
        v for g in demo_text.Q3_GOALS
        for v in (g, *demo_text.GOAL_VARIANTS[g]["paraphrase"], *demo_text.GOAL_VARIANTS[g]["abbreviated"])
    ]
    previous = answers.map(lambda a: any(contains(a, v) for v in previous_words))
    empty = answers.isna()
    no_idea = answers.map(lambda a: isinstance(a, str) and a in demo_text.NO_IDEA)
    vague = answers.map(lambda a: isinstance(a, str) and a in demo_text.VAGUE_GOALS)
    for name, mask, low, high in (
        ("exact", exact, 0.1, 0.7), ("previous", previous, 0.05, 0.4), ("empty", empty, 0.02, 0.2),
        ("no idea", no_idea, 0.01, 0.2), ("vague", vague, 0.01, 0.2),
    ):
        assert low * n <= mask.sum() <= high * n, (name, mask.sum())
    # Own words: most answers that name a current goal do not use its exact wording.
    texts = answers.dropna()
    assert texts.nunique() > 0.7 * len(texts)
    paraphrased = texts.map(lambda a: any(
        contains(a, v) for g in demo_text.Q4_GOALS for v in demo_text.GOAL_VARIANTS[g]["paraphrase"]))
    assert paraphrased.sum() > 0.2 * len(texts)
    # Misspelt: a line that is none of the known wordings.
    known = {v.lower() for v in demo_text.VAGUE_GOALS + demo_text.NO_IDEA}
    for goal, forms in demo_text.GOAL_VARIANTS.items():
        known |= {v.lower() for v in (goal, *forms["paraphrase"], *forms["abbreviated"])}
    lines = [
        re.sub(r"^(?:\d\. |- )", "", part.strip()).lower()
        for answer in texts for part in re.split(r"\n|; |, (?=\S)", answer)
    ]
    unknown = [line for line in lines if line and line not in known]
    assert len(unknown) > 0.05 * len(lines), unknown


def test_factor_and_brand_answers_are_mixed(demo):
    frame = demo.responses[Q4]
    for column, exact_texts, wrong in (
        ("k_factors", demo_text.FACTORS, demo_text.OLD_VALUES),
        ("k_brand", (demo_text.BRAND_PROMISE,), demo_text.OLD_TAGLINES),
    ):
        answers = frame[column]
        exact = answers.map(lambda a: any(contains(a, s) for s in exact_texts)).sum()
        mistaken = answers.map(lambda a: any(contains(a, s) for s in wrong)).sum()
        assert 0 < exact < len(answers) * 0.8, column
        assert mistaken > 0, column
        assert answers.isna().sum() > 0, column


def test_nps_estimates_spread_around_the_true_value(demo):
    estimates = demo.responses[Q4]["k_nps"]
    assert 0.1 < estimates.isna().mean() < 0.5
    given = estimates.dropna()
    assert abs(given.median() - 32) <= 8
    assert ((given - 32).abs() <= 5).mean() > 0.2
    assert ((given - 32).abs() > 30).sum() >= 5
    assert given.between(-100, 100).all()


def test_comments_are_varied_and_realistic(demo):
    for slug in (Q3, Q4):
        frame = demo.responses[slug]
        commented = frame["c_clarity"].notna() | frame["c_other"].notna()
        assert 0.55 <= commented.mean() <= 0.78, (slug, commented.mean())
        comments = pd.concat([frame["c_clarity"], frame["c_other"]]).dropna()
        assert comments.nunique() > 0.8 * len(comments)
        assert comments.isin(demo_text.FILLERS).sum() >= 3
        assert comments.str.len().max() <= 2000
    comments = pd.concat([demo.responses[Q4]["c_clarity"], demo.responses[Q4]["c_other"]]).dropna()
    # Topics of all three owners and of the workplace at large.
    for pattern in (r"goal|priorit|strategy", r"training|onboarding|update|manager",
                    r"customer|NPS|complaint|brand", r"pay|workload|laptop|overtime|short-staffed|parking|wifi|heating|shift"):
        assert comments.str.contains(pattern, case=False).sum() >= 5, pattern


def test_some_comments_hold_contact_details_for_the_scrubber(demo):
    exported = " ".join(demo.responses[Q4]["c_other"].dropna())
    assert "[email]" in exported and not re.search(r"[\w.]+@northwind\.example", exported)
    comments = " ".join(demo.raw(Q4)["c_other"].dropna())
    assert re.search(r"[\w.]+@northwind\.example", comments)
    assert re.search(r"\+44 20 7946 0958|07700 900123", comments)
    assert re.search(r"(?<![\w.])@[a-z_.]+", comments)
