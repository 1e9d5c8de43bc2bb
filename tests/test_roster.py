"""The roster and its invitations: reading the CSV, merging, links, the emails' lifetime."""

from __future__ import annotations

from collections import Counter

import pytest
from tests.conftest import dump_lines

from survey_app import storage

HEADER = "email,department,team,tenure_band,role_level\n"


def roster_text(rows):
    return HEADER + "".join(",".join(row) + "\n" for row in rows)


def people(department, n, role="staff", start=0):
    return [(f"p{department.lower()}{start + i}@acme.test", department, "", "", role)
            for i in range(n)]


@pytest.fixture
def draft(store, instrument, strategy):
    storage.create_pulse(store, slug="q1", title="Q1 pulse", period="2027-Q1",
                         instrument=instrument, strategy=strategy, open_link=True)
    return "q1"


# --- reading the file -------------------------------------------------------------


@pytest.mark.parametrize(
    "line, problem",
    [
        ("not-an-email,Sales,,,staff", "line 3, field email: 'not-an-email' is not an email address"),
        ("x@acme.test,,,,staff", "line 3, field department: empty"),
        ("x@acme.test,Sales,,forever,staff", "line 3, field tenure_band: unknown value 'forever'"),
        ("x@acme.test,Sales,,,boss", "line 3, field role_level: unknown value 'boss' (expected one of staff"),
        ("A@acme.test,Sales,,,staff", "line 3, field email: duplicate person a@acme.test (already on line 2)"),
        ("x@acme.test,Sales,,staff", "line 3: 4 field(s), expected 5"),
        ("x@acme.test,Sa\x00les,,,staff", "line 3, field department: holds a NUL character (0x00)"),
    ],
)
def test_a_bad_line_is_named_with_its_field(line, problem):
    text = HEADER + "a@acme.test,Sales,,,staff\n" + line + "\n"
    with pytest.raises(storage.RosterError) as caught:
        storage.parse_roster(text, source="people.csv")
    assert any(problem in p for p in caught.value.problems), caught.value.problems
    assert all(p.startswith("people.csv") for p in caught.value.problems)


def test_every_problem_is_listed_not_just_the_first():
    text = HEADER + "bad,Sales,,,staff\nx@acme.test,,,,staff\ny@acme.test,Ops,,,ceo\n"
    with pytest.raises(storage.RosterError) as caught:
        storage.parse_roster(text, source="r.csv")
    lines = [p.split(",")[1].strip() for p in caught.value.problems]
    assert lines == ["line 2", "line 3", "line 4"]


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "the file is empty"),
        ("email,department,salary\n", "unknown column 'salary'"),
        ("email,team\n", "missing column 'department'"),
        (HEADER, "lists nobody"),
    ],
)
def test_bad_headers_and_empty_files(text, problem):
    with pytest.raises(storage.RosterError, match=problem):
        storage.parse_roster(text, source="r.csv")


def test_a_roster_reads_with_a_bom_and_blank_lines_and_any_email_case():
    entries = storage.parse_roster("\ufeff" + HEADER + "Ana.Lima@ACME.test,Sales,North,lt1,staff\n\n")
    assert [(e.line, e.email, e.segments) for e in entries] == [
        (2, "ana.lima@acme.test",
         {"department": "Sales", "team": "North", "tenure_band": "lt1", "role_level": "staff"})]


# --- importing ---------------------------------------------------------------------


def test_import_merges_small_combinations_and_keeps_emails_apart(store, draft):
    rows = people("Sales", 9) + people("Sales", 1, "executive", 9) + people("Legal", 2) + people("HR", 3)
    entries = storage.parse_roster(roster_text(rows))
    preview = storage.preview_roster(store, draft, entries)
    assert preview.total == 15
    # (Sales, executive) is one person and the leadership tier of Sales holds
    # nobody else, so Sales pools its role levels; Legal (2) and HR (3) are
    # too small as departments and make five together.
    assert dict(preview.groups) == {"Sales / Other role levels": 10,
                                    "Other departments / staff": 5}
    assert preview.merges == [
        ("HR / staff", "Other departments / staff", 3),
        ("Legal / staff", "Other departments / staff", 2),
        ("Sales / executive", "Sales / Other role levels", 1),
        ("Sales / staff", "Sales / Other role levels", 9),
    ]
    assert store["invitations"].count == 0  # a preview stores nothing
    assert storage.import_roster(store, draft, entries) == 15
    stored = Counter((r["department"], r["role_level"]) for r in store["invitations"].rows)
    assert min(stored.values()) >= 5, stored
    assert dict(preview.groups) == {storage.combination_label(c): n for c, n in stored.items()}
    # The emails live only in their own table, beside the current token hash.
    assert store["invitation_contacts"].count == 15
    assert "email" not in store["invitations"].columns_dict
    with pytest.raises(storage.StorageError, match="already has its roster"):
        storage.import_roster(store, draft, entries)


def test_late_joiners_coarsen_existing_groups_never_split_them(store, draft):
    storage.import_roster(store, draft, storage.parse_roster(roster_text(
        people("Sales", 5) + people("Ops", 6))))
    storage.set_pulse_status(store, draft, "open")
    links = {link.email: link.token for link in storage.issue_links(store, draft)}
    storage.submit_response(store, pulse_slug=draft, answers={"enps": 7}, segments={},
                            token=links["psales0@acme.test"])
    late = storage.parse_roster(roster_text([("new@acme.test", "Legal", "", "", "staff")]))
    assert storage.add_people(store, draft, late) == 1
    stored = Counter((r["department"], r["role_level"]) for r in store["invitations"].rows)
    assert min(stored.values()) >= 5, stored
    # The Legal newcomer could not stand alone: the smallest department
    # (Sales, 5) joined the catch-all, and its response moved with it.
    assert stored[("Other departments", "staff")] == 6
    (response,) = store["responses"].rows
    assert response["department"] == "Other departments"
    with pytest.raises(storage.StorageError, match=r"already invited.*line 2 \(new@acme.test\)"):
        storage.add_people(store, draft, late)


def test_issued_links_replace_the_old_ones_and_return_once(store, draft):
    storage.import_roster(store, draft, storage.parse_roster(roster_text(people("Sales", 5))))
    storage.set_pulse_status(store, draft, "open")
    first = storage.issue_links(store, draft)
    assert len(first) == 5 and len({link.token for link in first}) == 5
    again = storage.issue_links(store, draft, emails=["PSALES0@acme.test"])
    assert [link.email for link in again] == ["psales0@acme.test"]
    assert storage.find_invitation(store, first[0].token) is None  # the old link stopped
    assert storage.find_invitation(store, again[0].token) is not None
    dump = "\n".join(dump_lines(store))
    assert not any(link.token in dump for link in first + again)
    with pytest.raises(storage.StorageError, match="not on the roster of 'q1': who@acme.test"):
        storage.issue_links(store, draft, emails=["who@acme.test"])


def test_closing_erases_the_emails_and_keeps_the_counts(store, draft):
    storage.import_roster(store, draft, storage.parse_roster(roster_text(
        [("jane.doe@acme.test", "Sales", "", "", "staff")] + people("Sales", 4))))
    storage.set_pulse_status(store, draft, "open")
    storage.set_pulse_status(store, draft, "closed")
    assert store["invitation_contacts"].count == 0
    assert store["invitations"].count == 5
    # Names read from the emails stay, for scrubbing comments; nothing else.
    assert storage.roster.scrub_names(store, draft) == ["Jane Doe"]
    with pytest.raises(storage.StorageError, match="closed"):
        storage.issue_links(store, draft)


def test_participation_never_shows_a_count_under_five(store, draft):
    rows = people("Sales", 8) + people("Ops", 6) + people("Legal", 5)
    storage.import_roster(store, draft, storage.parse_roster(roster_text(rows)))
    storage.set_pulse_status(store, draft, "open")
    links = {link.email: link.token for link in storage.issue_links(store, draft)}
    for email in [e for e, *_ in rows if e.startswith("psales")][:6] + ["pops0@acme.test"]:
        storage.submit_response(store, pulse_slug=draft, answers={"enps": 5}, segments={},
                                token=links[email])
    shown = {row.label: (row.invited, row.responded) for row in storage.participation(store, draft)}
    assert shown["Everyone invited"] == (19, 7)
    assert shown["department: Sales"] == (8, 6)
    assert shown["department: Ops"] == (6, None)  # one answered: "fewer than 5"
    assert all(r is None or r >= 5 for _, r in shown.values())
    assert all(i >= 5 for i, _ in shown.values() if i)


# --- the pulse's life ----------------------------------------------------------------


def test_the_strategy_is_editable_as_a_draft_and_frozen_once_open(store, draft, strategy):
    changed = type(strategy)(goals=("One new goal",), factors=strategy.factors,
                             brand_promise="New promise",
                             customer_figures=strategy.customer_figures)
    storage.update_strategy(store, draft, changed)
    assert storage.get_pulse(store, draft).strategy.goals == ("One new goal",)
    storage.set_pulse_status(store, draft, "open")
    with pytest.raises(storage.StrategyFrozen, match="frozen"):
        storage.update_strategy(store, draft, strategy)
    assert storage.get_pulse(store, draft).strategy.brand_promise == "New promise"


def test_a_strategy_missing_a_figure_the_instrument_asks_for_is_refused(store, draft, strategy):
    without = type(strategy)(goals=strategy.goals, factors=strategy.factors)
    with pytest.raises(storage.StorageError, match="customer figure 'nps'"):
        storage.update_strategy(store, draft, without)


def test_a_draft_opens_only_once_every_knowledge_check_has_its_answer(store, instrument, strategy):
    """A statement with the figure but no goals, factors or brand promise is
    a valid draft; opening it would grade "name our goals" against nothing."""
    only_figures = type(strategy)(customer_figures=strategy.customer_figures)
    storage.create_pulse(store, slug="bare", title="Bare", period="2027-Q1",
                         instrument=instrument, strategy=only_figures)
    with pytest.raises(storage.StorageError, match="cannot open yet") as refused:
        storage.set_pulse_status(store, "bare", "open")
    for part in ("this quarter's goals", "the factors for excellence", "the brand promise"):
        assert part in str(refused.value)
    assert "customer figure" not in str(refused.value)
    assert storage.get_pulse(store, "bare").status == "draft"
    storage.update_strategy(store, "bare", strategy)
    storage.set_pulse_status(store, "bare", "open")
    assert storage.get_pulse(store, "bare").status == "open"
    # Created open, the same rule applies at once.
    with pytest.raises(storage.StorageError, match="cannot open yet"):
        storage.create_pulse(store, slug="bare-open", title="Bare", period="2027-Q1",
                             instrument=instrument, strategy=only_figures, status="open")


def test_a_pulse_closes_itself_on_its_close_date(store, instrument, strategy):
    from datetime import date

    storage.create_pulse(store, slug="due", title="Due", period="2027-Q1", instrument=instrument,
                         strategy=strategy, status="open", close_on=date(2027, 3, 31))
    assert storage.close_due_pulses(store, today=date(2027, 3, 30)) == []
    assert storage.close_due_pulses(store, today=date(2027, 3, 31)) == ["due"]
    assert storage.get_pulse(store, "due").status == "closed"


def test_deleting_a_pulse_needs_its_name_and_removes_everything(store, draft):
    storage.import_roster(store, draft, storage.parse_roster(roster_text(people("Sales", 5))))
    storage.set_pulse_status(store, draft, "open")
    (link, *_) = storage.issue_links(store, draft)
    storage.submit_response(store, pulse_slug=draft, answers={"enps": 9}, segments={},
                            token=link.token)
    with pytest.raises(storage.StorageError, match="type its name exactly"):
        storage.delete_pulse(store, draft, confirm="Q1")
    assert storage.get_pulse(store, draft) is not None
    storage.delete_pulse(store, draft, confirm=draft)
    assert storage.get_pulse(store, draft) is None
    for table in ("responses", "answers", "invitations", "invitation_contacts", "snapshots",
                  "pulse_strategy", "pulse_customer_figures"):
        assert store[table].count == 0, table


def test_breakdowns_are_checked(store, instrument, strategy):
    with pytest.raises(storage.StorageError, match="unknown breakdown"):
        storage.create_pulse(store, slug="b", title="B", period="2027-Q1", instrument=instrument,
                             strategy=strategy, breakdowns=("department", "salary"))
    pulse = storage.create_pulse(store, slug="b", title="B", period="2027-Q1",
                                 instrument=instrument, strategy=strategy,
                                 breakdowns="department, tenure_band")
    assert pulse.breakdowns == ("department", "tenure_band")
