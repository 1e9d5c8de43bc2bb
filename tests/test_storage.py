"""The storage API on a real SQLite file: pulses, invitations, responses."""

from __future__ import annotations

import dataclasses
import math
import threading
from datetime import date

import pytest

from analysis.strategy import Strategy
from survey_app import db as dbmod
from survey_app import storage
from tests.conftest import dump_lines


@pytest.fixture
def pulse(store, instrument, strategy):
    """An open pulse with fifteen invitations; returns (slug, tokens).

    Five per combination of the default breakdowns (department, role level),
    so none is merged: tokens[0] Operations staff, tokens[5] Sales manager,
    tokens[10] Finance with no role level.
    """
    storage.create_pulse(store, slug="q4", title="Q4 pulse", period="2026-Q4",
                         instrument=instrument, strategy=strategy, open_link=True)
    tokens = storage.add_invitations(store, "q4", 5 * [
        {"department": "Operations", "team": "Night", "tenure_band": "lt1", "role_level": "staff"},
    ] + 5 * [
        {"department": "Sales", "team": "Enterprise", "tenure_band": "3to5",
         "role_level": "manager"},
    ] + 5 * [{"department": "Finance"}])
    storage.set_pulse_status(store, "q4", "open")
    return "q4", tokens


# --- pulses -----------------------------------------------------------------


def test_create_pulse_round_trips_instrument_and_strategy(store, instrument, strategy):
    created = storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4",
                                   instrument=instrument, strategy=strategy)
    again = storage.get_pulse(store, "q4")
    assert created == again
    assert again.instrument == instrument
    assert again.strategy == strategy
    assert again.strategy.previous_goals == strategy.previous_goals
    assert again.status == "draft"
    assert again.open_token is None
    assert again.leadership_levels == ("manager", "director", "executive")
    assert storage.get_pulse(store, "nope") is None


def test_open_link_token_finds_its_pulse(store, instrument, strategy):
    p = storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4",
                             instrument=instrument, strategy=strategy, open_link=True,
                             leadership_levels=("director", "executive"))
    assert p.open_token and len(p.open_token) >= 20
    assert storage.get_pulse_by_open_token(store, p.open_token).slug == "q4"
    assert storage.get_pulse_by_open_token(store, p.open_token + "x") is None
    assert storage.get_pulse_by_open_token(store, "") is None
    assert p.leadership_levels == ("director", "executive")


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"slug": "Bad Slug"}, "bad survey slug"),
        ({"period": "Q4 2026"}, "bad period"),
        ({"period": "2026-Q5"}, "bad period"),
        ({"status": "live"}, "unknown status 'live'"),
        ({"leadership_levels": ("boss",)}, "unknown role_level 'boss'"),
        ({"title": "  "}, "needs a title"),
    ],
)
def test_create_pulse_refuses_bad_input(store, instrument, strategy, overrides, message):
    args = dict(slug="q4", title="Q4", period="2026-Q4", instrument=instrument,
                strategy=strategy)
    args.update(overrides)
    with pytest.raises(storage.StorageError, match=message):
        storage.create_pulse(store, **args)
    assert storage.is_empty(store)


def test_create_pulse_refuses_a_strategy_without_the_estimated_figure(store, instrument):
    no_nps = Strategy.from_dict({"goals": ["Grow"], "customer_figures": {
        "csat": {"value": 80, "min": 0, "max": 100}}})
    with pytest.raises(storage.StorageError, match="k_nps.*'nps'.*it has: csat"):
        storage.create_pulse(store, slug="q4", title="Q4", period="2026-Q4",
                             instrument=instrument, strategy=no_nps)


def test_duplicate_slug_is_refused_and_first_pulse_kept(store, instrument, strategy):
    storage.create_pulse(store, slug="q4", title="First", period="2026-Q4",
                         instrument=instrument, strategy=strategy)
    with pytest.raises(storage.StorageError, match="already exists"):
        storage.create_pulse(store, slug="q4", title="Second", period="2026-Q4",
                             instrument=instrument, strategy=strategy)
    assert storage.get_pulse(store, "q4").title == "First"
    assert store["pulse_strategy"].count == len(strategy.goals) + len(strategy.factors) + 1 + len(
        strategy.previous_goals)


def test_list_pulses_in_series_order(store, instrument, strategy):
    for slug, period in [("c", "2026-Q4"), ("a", "2027-Q1"), ("b", "2026-Q3")]:
        storage.create_pulse(store, slug=slug, title=slug, period=period,
                             instrument=instrument, strategy=strategy)
    assert [p.period for p in storage.list_pulses(store)] == ["2026-Q3", "2026-Q4", "2027-Q1"]
    assert storage.list_pulses(store, instrument_id="other") == []


def test_set_pulse_status(store, pulse):
    storage.set_pulse_status(store, "q4", "closed")
    assert storage.get_pulse(store, "q4").status == "closed"
    with pytest.raises(storage.UnknownPulse, match="no survey with slug 'x'"):
        storage.set_pulse_status(store, "x", "open")
    with pytest.raises(storage.StorageError, match="unknown status"):
        storage.set_pulse_status(store, "q4", "paused")


# --- instruments ------------------------------------------------------------


def test_save_instrument_is_idempotent_and_refuses_changed_content(store, instrument):
    storage.save_instrument(store, instrument)
    storage.save_instrument(store, instrument)
    assert store["instruments"].count == 1
    changed_data = dict(instrument.data)
    changed_data["instrument"] = dict(changed_data["instrument"], title="Renamed")
    changed = dataclasses.replace(instrument, title="Renamed", data=changed_data,
                                  source="<edited>")
    with pytest.raises(storage.StorageError, match="already stored with different content"):
        storage.save_instrument(store, changed)


def test_instrument_without_its_file_is_stored_as_equivalent_toml(store, instrument):
    detached = dataclasses.replace(instrument, source="<uploaded>")
    storage.save_instrument(store, detached)
    text = store["instruments"].get(("strategy-pulse", instrument.version))["source_toml"]
    assert not text.startswith("#")  # rewritten, not the original file
    from analysis.instrument import parse_instrument_text

    assert parse_instrument_text(text) == instrument


# --- invitations ------------------------------------------------------------


def test_invitations_store_only_hashes(store, pulse):
    slug, tokens = pulse
    assert len(set(tokens)) == 15 and all(len(t) >= 32 for t in tokens)
    stored = [r["token_hash"] for r in store.query("SELECT token_hash FROM invitations")]
    assert sorted(stored) == sorted(storage.hash_token(t) for t in tokens)
    dump = "\n".join(dump_lines(store))
    assert not any(t in dump for t in tokens)


def test_find_invitation(store, pulse):
    slug, tokens = pulse
    inv = storage.find_invitation(store, tokens[5])
    # Team and tenure band are not breakdowns of the pulse: not stored.
    assert inv == storage.Invitation(
        pulse_slug="q4",
        segments={"department": "Sales", "team": None, "tenure_band": None,
                  "role_level": "manager"},
        used=False,
    )
    assert storage.find_invitation(store, "not-a-token") is None
    assert storage.find_invitation(store, "") is None


@pytest.mark.parametrize(
    "row, message",
    [
        ({"department": "Sales", "email": "a@b.example"}, "roster row 1: unknown column.*email"),
        ({"role_level": "ceo"}, "roster row 1: unknown role_level 'ceo'"),
        ({"team": 7}, "roster row 1: team must be text"),
    ],
)
def test_add_invitations_refuses_bad_roster_rows(store, pulse, row, message):
    before = store["invitations"].count
    with pytest.raises(storage.StorageError, match=message):
        storage.add_invitations(store, "q4", [row])
    assert store["invitations"].count == before


def test_add_invitations_to_unknown_pulse(store):
    with pytest.raises(storage.UnknownPulse):
        storage.add_invitations(store, "nope", [{}])


def test_roster_values(store, pulse):
    assert storage.roster_values(store, "q4", "department") == ["Finance", "Operations", "Sales"]
    assert storage.roster_values(store, "q4", "role_level") == ["manager", "staff"]
    with pytest.raises(storage.StorageError, match="unknown segment 'name'"):
        storage.roster_values(store, "q4", "name")


# --- responses --------------------------------------------------------------


def answers_of(store, response_id):
    return {
        r["item_id"]: (r["value_number"], r["value_text"])
        for r in store.query("SELECT * FROM answers WHERE response_id = ?", [response_id])
    }


def test_submit_with_invitation_once(store, pulse):
    slug, tokens = pulse
    rid = storage.submit_response(
        store, pulse_slug=slug, token=tokens[0],
        answers={"st_understand": 4, "st_priorities_shift": None, "k_goals": "Faster\ndelivery",
                 "k_nps": 31.5, "enps": 0, "c_other": "  "},
        segments={"department": "Made up"},
    )
    assert storage.count_responses(store, slug) == 1
    response = store["responses"].get(rid)
    # Roster segments win over what the caller says.
    assert response["department"] == "Operations"
    assert response["role_level"] == "staff"
    assert "submitted_on" not in response
    assert answers_of(store, rid) == {
        "st_understand": (4.0, None),
        "k_goals": (None, "Faster\ndelivery"),
        "k_nps": (31.5, None),
        "enps": (0.0, None),
    }
    assert storage.find_invitation(store, tokens[0]).used is True


def test_second_submit_with_same_token_is_refused(store, pulse):
    slug, tokens = pulse
    storage.submit_response(store, pulse_slug=slug, token=tokens[0], answers={"enps": 9},
                            segments={})
    with pytest.raises(storage.AlreadyAnswered):
        storage.submit_response(store, pulse_slug=slug, token=tokens[0], answers={"enps": 1},
                                segments={})
    assert storage.count_responses(store, slug) == 1
    assert store["answers"].count == 1


def test_segment_questions_fill_only_what_the_roster_lacks(store, pulse):
    slug, tokens = pulse  # tokens[10] is Finance with no role level
    rid = storage.submit_response(
        store, pulse_slug=slug, token=tokens[10],
        answers={"seg_role_level": "staff"},
        segments={"tenure_band": "6plus", "department": "Sales"},
    )
    row = store["responses"].get(rid)
    # The roster's department wins; tenure band is not a breakdown, so it is
    # dropped; the role level answered is kept where the stored groups allow
    # (Finance has no stored role level, so it is merged).
    assert (row["department"], row["tenure_band"], row["role_level"]) == (
        "Finance", None, "Other role levels")
    assert answers_of(store, rid) == {}  # segment answers are not item answers


def test_open_link_response_uses_given_segments(store, pulse):
    rid = storage.submit_response(store, pulse_slug="q4", answers={"cx_numbers": 2},
                                  segments={"department": "Sales", "role_level": "manager"})
    row = store["responses"].get(rid)
    assert (row["department"], row["team"], row["role_level"]) == ("Sales", None, "manager")
    # A department the roster does not have goes under the catch-all.
    rid = storage.submit_response(store, pulse_slug="q4", answers={"cx_numbers": 2},
                                  segments={"department": "Marketing", "role_level": "staff"})
    row = store["responses"].get(rid)
    assert (row["department"], row["role_level"]) == ("Other departments", "Other role levels")


@pytest.mark.parametrize("status", ["draft", "closed"])
def test_pulse_not_open_stores_nothing_and_keeps_the_invitation(store, pulse, status):
    slug, tokens = pulse
    storage.set_pulse_status(store, slug, status)
    with pytest.raises(storage.PulseNotOpen) as info:
        storage.submit_response(store, pulse_slug=slug, token=tokens[0], answers={"enps": 5},
                                segments={})
    assert info.value.status == status
    assert storage.count_responses(store, slug) == 0
    assert storage.find_invitation(store, tokens[0]).used is False


def test_unknown_pulse_and_foreign_token(store, pulse, instrument, strategy):
    with pytest.raises(storage.UnknownPulse):
        storage.submit_response(store, pulse_slug="nope", answers={}, segments={})
    storage.create_pulse(store, slug="other", title="O", period="2026-Q4",
                         instrument=instrument, strategy=strategy, status="open")
    with pytest.raises(storage.StorageError, match="no invitation with this token for survey"):
        storage.submit_response(store, pulse_slug="other", token=pulse[1][0], answers={},
                                segments={})
    assert storage.find_invitation(store, pulse[1][0]).used is False


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"st_nonsense": 3}, "unknown item id 'st_nonsense'"),
        ({"st_understand": 6}, "'st_understand': expected a whole number from 1 to 5, got 6"),
        ({"st_understand": 0}, "from 1 to 5"),
        ({"st_understand": 2.5}, "from 1 to 5"),
        ({"st_understand": True}, "expected a number"),
        ({"st_understand": "agree"}, "expected a number"),
        ({"enps": 11}, "'enps': expected a whole number from 0 to 10"),
        ({"k_nps": 150}, "'k_nps': 150 is outside the allowed range \\[-100, 100\\]"),
        ({"k_nps": math.inf}, "finite"),
        ({"k_goals": 42}, "'k_goals': expected text"),
        ({"c_other": "x" * 2001}, "'c_other': answer is 2001 characters"),
        ({"seg_role_level": "boss"}, "unknown role_level 'boss'"),
    ],
)
def test_invalid_answers_are_refused_and_nothing_is_stored(store, pulse, answers, message):
    slug, tokens = pulse
    with pytest.raises(storage.StorageError, match=message):
        storage.submit_response(store, pulse_slug=slug, token=tokens[0], answers=answers,
                                segments={})
    assert storage.count_responses(store, slug) == 0
    assert storage.find_invitation(store, tokens[0]).used is False


def test_unknown_segment_name_is_refused(store, pulse):
    with pytest.raises(storage.StorageError, match="unknown segment\\(s\\) email"):
        storage.submit_response(store, pulse_slug="q4", answers={},
                                segments={"email": "a@b.example"})


def test_failure_after_spending_the_token_rolls_everything_back(store, pulse):
    slug, tokens = pulse
    # A database-level failure in the middle of the transaction, after the
    # invitation has been marked used: nothing of it may remain.
    if getattr(store, "engine", "sqlite") == "postgresql":
        store.executescript(
            "CREATE FUNCTION disk_says_no() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disk says no'; END $$; "
            "CREATE TRIGGER refuse_answers BEFORE INSERT ON answers "
            "FOR EACH ROW EXECUTE FUNCTION disk_says_no()")
    else:
        store.execute(
            "CREATE TRIGGER refuse_answers BEFORE INSERT ON answers "
            "BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    with pytest.raises(Exception, match="disk says no"):
        storage.submit_response(store, pulse_slug=slug, token=tokens[0],
                                answers={"enps": 7}, segments={})
    assert not store.conn.in_transaction
    assert storage.count_responses(store, slug) == 0
    assert storage.find_invitation(store, tokens[0]).used is False
    store.execute("DROP TRIGGER refuse_answers" + (
        " ON answers" if getattr(store, "engine", "sqlite") == "postgresql" else ""))
    storage.submit_response(store, pulse_slug=slug, token=tokens[0], answers={"enps": 7},
                            segments={})
    assert storage.count_responses(store, slug) == 1


def run_together(n, target):
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        barrier.wait()
        try:
            results[i] = target(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_concurrent_submits_with_one_token_store_exactly_one(store, store_path, pulse):
    slug, tokens = pulse
    connections = [dbmod.connect(store_path) for _ in range(20)]
    try:
        results = run_together(20, lambda i: storage.submit_response(
            connections[i], pulse_slug=slug, token=tokens[0],
            answers={"enps": i % 11, "st_understand": 1 + i % 5}, segments={}))
    finally:
        for c in connections:
            c.close()
    stored = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, storage.AlreadyAnswered)]
    assert len(stored) == 1, results
    assert len(refused) == 19, results
    assert storage.count_responses(store, slug) == 1
    assert store["answers"].count == 2


def test_twenty_concurrent_submits_with_different_tokens_all_store(store, store_path, pulse):
    slug, _ = pulse
    tokens = storage.add_invitations(store, slug, [{"department": "Sales"}] * 20)
    connections = [dbmod.connect(store_path) for _ in range(20)]
    try:
        results = run_together(20, lambda i: storage.submit_response(
            connections[i], pulse_slug=slug, token=tokens[i], answers={"enps": 5},
            segments={}))
    finally:
        for c in connections:
            c.close()
    assert all(isinstance(r, str) for r in results), results
    assert storage.count_responses(store, slug) == 20


def test_is_empty(tmp_path, instrument, strategy):
    raw = dbmod.connect(tmp_path / "e.db")
    assert storage.is_empty(raw)  # not even migrated
    dbmod.migrate(raw)
    assert storage.is_empty(raw)
    storage.create_pulse(raw, slug="p", title="P", period="2026", instrument=instrument,
                         strategy=strategy)
    assert not storage.is_empty(raw)


WORKER = """
import sys, time
from pathlib import Path
from survey_app import db as dbmod, storage
path, token, go, ready = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
db = dbmod.connect(path)
ready.touch()
while not go.exists():
    time.sleep(0.005)
try:
    storage.submit_response(db, pulse_slug="q4", token=token, answers={"enps": 4}, segments={})
    print("stored")
except storage.AlreadyAnswered:
    print("already")
"""


@pytest.mark.slow  # ~3-5 s: five Python processes start up
def test_concurrent_submits_from_separate_processes_store_exactly_one(tmp_path, store, store_path,
                                                                     pulse):
    from tests.conftest import released_together

    slug, tokens = pulse
    # Released together once every process has imported and connected.
    outcomes = released_together(WORKER, [[str(store_path), tokens[1]]] * 5, tmp_path, timeout=60)
    assert sorted(outcomes) == ["already"] * 4 + ["stored"]
    assert storage.count_responses(store, slug) == 1
