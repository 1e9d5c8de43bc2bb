"""The commands that run a pulse (survey_app/admin/commands.py), on a real file.

Run through the app's CLI runner as ``flask --app survey_app ...`` would run
them; what they stored is read back from the database, the outbox and the
files they wrote.
"""

from __future__ import annotations

import csv
import re
import stat
from datetime import date, timedelta

import pytest

from analysis.instrument import load_instrument
from analysis.strategy import load_strategy
from survey_app import mail, storage
from survey_app.admin.commands import COMMANDS
from tests.conftest import (
    DEFAULT_INSTRUMENT,
    ROOT,
    invitation_count,
    outbox_links,
    roster_text,
)

EXAMPLE_STRATEGY = ROOT / "instruments" / "strategy-example.toml"
BIG_GROUPS = [("Operations", 6), ("Sales", 5)]


def run(runner, *args):
    return runner.invoke(args=[str(a) for a in args])


def create(runner, slug="q1", *extra):
    result = run(runner, "create-pulse", slug, "--instrument", DEFAULT_INSTRUMENT,
                 "--strategy", EXAMPLE_STRATEGY, "--period", "2027-Q1",
                 "--title", f"Pulse {slug}", *extra)
    return result


@pytest.fixture
def draft(runner):
    result = create(runner)
    assert result.exit_code == 0, result.output
    return "q1"


@pytest.fixture
def imported(runner, draft, write_roster):
    result = run(runner, "import-roster", draft, write_roster(roster_text(BIG_GROUPS)))
    assert result.exit_code == 0, result.output
    return draft


def invited(db, slug):
    return invitation_count(db, slug)


def test_create_pulse_with_every_option(runner, db):
    later = date.today() + timedelta(days=60)
    result = create(runner, "q1", "--breakdowns", "department,tenure_band",
                    "--close-on", later.isoformat(), "--open-link")
    assert result.exit_code == 0, result.output
    version = load_instrument(DEFAULT_INSTRUMENT).version
    assert f"Created draft pulse 'q1' (2027-Q1) of strategy-pulse v{version}" in result.output
    pulse = storage.get_pulse(db, "q1")
    assert tuple(pulse.breakdowns) == ("department", "tenure_band")
    assert pulse.close_on == later
    assert pulse.open_token and pulse.status == "draft"
    assert pulse.strategy == load_strategy(EXAMPLE_STRATEGY)


def test_create_pulse_defaults_to_department_and_role_level(runner, db, draft):
    assert tuple(storage.get_pulse(db, draft).breakdowns) == ("department", "role_level")
    assert storage.get_pulse(db, draft).open_token is None


def test_a_bad_instrument_names_file_item_and_problem_with_exit_2(runner, db, tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text(DEFAULT_INSTRUMENT.read_text().replace('scale = "agree5"', 'scale = "x"', 1))
    result = run(runner, "create-pulse", "q1", "--instrument", bad, "--period", "2027-Q1",
                 "--title", "t", "--strategy", EXAMPLE_STRATEGY)
    assert result.exit_code == 2
    assert f"{bad}: item 'st_understand': bad scale" in result.output
    assert storage.list_pulses(db) == []


def test_a_missing_instrument_file_is_named(runner, tmp_path):
    result = run(runner, "create-pulse", "q1", "--instrument", tmp_path / "none.toml",
                 "--period", "2027-Q1", "--title", "t")
    assert result.exit_code == 2 and "none.toml: cannot read the file" in result.output


@pytest.mark.parametrize(
    "old, new, field, expected",
    [
        ("format = 1", "format = 3", "format", "expected 1"),
        ('    "Speak up early",\n', "", "factors", "expected exactly 3"),
        ('brand_promise = "Delivered on time, every time, with a human on the line"',
         "brand_promise = 7", "brand_promise", "expected a non-empty string"),
        ("value = 32", "value = -300", "customer_figures.nps.value", "outside the scale"),
        ("min = -100", "min = 200", "customer_figures.nps.max", "expected min < max"),
    ],
)
def test_a_bad_strategy_file_names_line_and_field_with_exit_2(runner, db, tmp_path, old, new,
                                                              field, expected):
    bad = tmp_path / "q1.toml"
    text = EXAMPLE_STRATEGY.read_text()
    assert old in text
    bad.write_text(text.replace(old, new, 1))
    result = run(runner, "create-pulse", "q1", "--instrument", DEFAULT_INSTRUMENT,
                 "--strategy", bad, "--period", "2027-Q1", "--title", "t")
    assert result.exit_code == 2
    assert re.search(rf"{re.escape(str(bad))}, line \d+: {re.escape(field)}: .*{expected}",
                     result.output), result.output
    assert storage.list_pulses(db) == []


def test_a_draft_without_a_statement_is_created_and_refused_opening(runner, db, tmp_path):
    created = run(runner, "create-pulse", "q1", "--instrument", DEFAULT_INSTRUMENT,
                  "--period", "2027-Q1", "--title", "t")
    assert created.exit_code == 0, created.output
    refused = run(runner, "pulse-status", "q1", "open")
    assert refused.exit_code == 2, refused.output
    assert "cannot open yet" in refused.output and "the customer figure 'nps'" in refused.output
    assert "Traceback" not in refused.output
    assert storage.get_pulse(db, "q1").status == "draft"


def test_a_strategy_without_the_figure_the_instrument_asks_for_is_refused(runner, db, tmp_path):
    text = EXAMPLE_STRATEGY.read_text()
    bad = tmp_path / "no-nps.toml"
    bad.write_text(text[:text.index("[customer_figures.nps]")])
    result = run(runner, "create-pulse", "q1", "--instrument", DEFAULT_INSTRUMENT,
                 "--strategy", bad, "--period", "2027-Q1", "--title", "t")
    assert result.exit_code == 2
    assert "'k_nps' asks for the customer figure 'nps'" in result.output
    assert storage.list_pulses(db) == []


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--breakdowns", "department,shoe_size"], "--breakdowns"),
        (["--breakdowns", ","], "--breakdowns"),
        (["--close-on", "15.02.2027"], "Invalid value for '--close-on'"),
    ],
)
def test_bad_options_are_refused(runner, db, extra, message):
    result = create(runner, "q1", *extra)
    assert result.exit_code == 2
    assert message in result.output
    assert storage.list_pulses(db) == []


def test_import_roster_prints_the_preview_then_imports(runner, db, draft, write_roster):
    text = roster_text([("Operations", 6), ("Sales", 5), ("Legal", 2)])
    result = run(runner, "import-roster", draft, write_roster(text))
    assert result.exit_code == 0, result.output
    assert "People per reporting group:" in result.output
    assert "Small groups merged" in result.output and "Legal" in result.output
    assert "Imported 13 people into 'q1'." in result.output
    assert invited(db, draft) == 13


def test_a_roster_with_one_bad_line_imports_nothing_with_exit_2(runner, db, draft,
                                                                write_roster):
    lines = roster_text(BIG_GROUPS).splitlines()
    lines[5] = lines[5].replace(",Operations,", ",,")
    assert ",," in lines[5]
    path = write_roster("\n".join(lines) + "\n", "people.csv")
    result = run(runner, "import-roster", draft, path)
    assert result.exit_code == 2
    assert re.search(r"line 6.{0,40}department", result.output), result.output
    assert f"nothing imported: 1 problem(s) in {path}" in result.output
    assert invited(db, draft) == 0


def test_every_bad_line_is_printed(runner, db, draft, write_roster):
    lines = roster_text(BIG_GROUPS).splitlines()
    lines[2] = lines[2].replace("@", "")
    lines[5] = lines[5].replace(",staff", ",chief")
    lines.append(lines[9])  # the same person twice
    result = run(runner, "import-roster", draft, write_roster("\n".join(lines) + "\n"))
    assert result.exit_code == 2
    for line in (3, 6, 13):
        assert re.search(rf"line {line}\b", result.output), (line, result.output)
    assert "3 problem(s)" in result.output
    assert invited(db, draft) == 0


def test_an_unknown_pulse_is_named_with_exit_2(runner, write_roster):
    result = run(runner, "import-roster", "nope", write_roster(roster_text(BIG_GROUPS)))
    assert result.exit_code == 2 and "no survey 'nope'" in result.output


def test_a_roster_that_is_not_utf8_is_refused(runner, draft, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(roster_text(BIG_GROUPS).replace("Sales", "Caf\xe9").encode("latin-1"))
    result = run(runner, "import-roster", draft, path)
    assert result.exit_code == 2 and "not UTF-8 text" in result.output


def test_invite_send_writes_the_outbox_with_working_links(app, runner, imported, client):
    run(runner, "pulse-status", imported, "open")
    result = run(runner, "invite", imported, "--send", "--base-url", "https://pulse.example.com")
    assert result.exit_code == 0, result.output
    assert "Wrote 11 invitation mail(s) into" in result.output
    files = list(mail.outbox_folder(app.instance_path, imported).glob("*.eml"))
    assert len(files) == 11
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    links = outbox_links(app, imported)
    assert all(link.startswith("https://pulse.example.com/s/") for link in links.values())
    path = links["person1@example.com"].removeprefix("https://pulse.example.com")
    assert client.get(path).status_code == 200


def test_invite_out_writes_a_private_guarded_file(runner, draft, write_roster, tmp_path, client):
    lines = roster_text(BIG_GROUPS).splitlines()
    lines[1] = "+ann@example.com" + lines[1][lines[1].index(","):]
    lines[2] = "-bob@example.com" + lines[2][lines[2].index(","):]
    result = run(runner, "import-roster", draft, write_roster("\n".join(lines) + "\n"))
    assert result.exit_code == 0, result.output
    run(runner, "pulse-status", draft, "open")
    out = tmp_path / "links.csv"
    result = run(runner, "invite", draft, "--out", out)
    assert result.exit_code == 0, result.output
    assert "Whoever holds this file can learn who has answered" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["email", "link"] and len(rows) == 12
    assert {"'+ann@example.com", "'-bob@example.com"} <= {r[0] for r in rows}
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r)
    link = rows[1][1].removeprefix("http://127.0.0.1:5000")
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("args", [[], ["--send", "--out", "x.csv"]])
def test_invite_needs_exactly_one_of_send_or_out(runner, imported, args):
    result = run(runner, "invite", imported, *args)
    assert result.exit_code == 2 and "exactly one of --send or --out" in result.output


def test_invite_through_smtp(make_app, smtp_server, write_roster):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False)
    runner = app.test_cli_runner()
    assert create(runner).exit_code == 0
    run(runner, "import-roster", "q1", write_roster(roster_text(BIG_GROUPS)))
    result = run(runner, "invite", "q1", "--send")
    assert result.exit_code == 0, result.output
    assert "Sent 11 invitation mail(s)." in result.output
    assert sorted(m.recipients[0] for m in smtp_server.messages) == sorted(
        f"person{n}@example.com" for n in range(1, 12))


def test_invite_with_an_unreachable_server_is_exit_2(make_app, unused_port, write_roster):
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=unused_port, SMTP_STARTTLS=False)
    runner = app.test_cli_runner()
    create(runner)
    run(runner, "import-roster", "q1", write_roster(roster_text(BIG_GROUPS)))
    result = run(runner, "invite", "q1", "--send")
    assert result.exit_code == 2 and "cannot send through the mail server" in result.output


def test_add_people_adds_and_mails_only_them(app, runner, imported, db, write_roster):
    run(runner, "pulse-status", imported, "open")
    result = run(runner, "add-people", imported,
                 write_roster(roster_text([("Sales", 2)], start=200), "joiners.csv"))
    assert result.exit_code == 0, result.output
    assert "Added 2 people to 'q1'." in result.output
    assert invited(db, imported) == 13
    assert set(outbox_links(app, imported)) == {"person201@example.com", "person202@example.com"}


def test_add_people_with_a_bad_line_adds_nobody(runner, imported, db, write_roster):
    text = roster_text([("Sales", 2)], start=200).replace("person202@example.com",
                                                          "person202.example.com")
    result = run(runner, "add-people", imported, write_roster(text, "joiners.csv"))
    assert result.exit_code == 2
    assert re.search(r"line 3.{0,40}email", result.output), result.output
    assert invited(db, imported) == 11


def test_delete_pulse_needs_the_slug_again(app, runner, imported, db):
    run(runner, "invite", imported, "--send")
    wrong = run(runner, "delete-pulse", imported, "--confirm", "q2")
    assert wrong.exit_code == 2
    assert storage.get_pulse(db, imported) is not None
    done = run(runner, "delete-pulse", imported, "--confirm", imported)
    assert done.exit_code == 0, done.output
    assert storage.get_pulse(db, imported) is None
    assert not mail.outbox_folder(app.instance_path, imported).exists()


def test_each_command_has_an_example_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for command in COMMANDS:
        assert "Example:" in command.help, command.name
        assert f"flask --app survey_app {command.name}" in readme, command.name


def test_invite_on_a_closed_pulse_is_exit_2(runner, imported):
    run(runner, "pulse-status", imported, "open")
    run(runner, "pulse-status", imported, "closed")
    result = run(runner, "invite", imported, "--send")
    assert result.exit_code == 2 and "is closed" in result.output


def test_invite_needs_an_http_base_url(runner, imported):
    result = run(runner, "invite", imported, "--send", "--base-url", "pulse.example.com")
    assert result.exit_code == 2 and "--base-url must start with http://" in result.output


def test_a_close_date_that_has_come_is_refused(runner, db):
    result = create(runner, "q1", "--close-on", date.today().isoformat())
    assert result.exit_code == 2 and "choose a day after today" in result.output
    assert storage.list_pulses(db) == []


def test_add_people_out_writes_only_their_links(runner, imported, write_roster, tmp_path):
    out = tmp_path / "joiners-links.csv"
    result = run(runner, "add-people", imported,
                 write_roster(roster_text([("Sales", 2)], start=300), "joiners.csv"),
                 "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["email"] for r in rows) == ["person301@example.com", "person302@example.com"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# Storage reloads the stored instrument on every read and warns each time;
# what is checked here is that the admin is shown the warning once.
@pytest.mark.filterwarnings("ignore::analysis.duration.InstrumentTimeWarning")
def test_create_pulse_prints_the_loaders_warning(runner, db, tmp_path):
    quick = tmp_path / "quick.toml"
    quick.write_text(DEFAULT_INSTRUMENT.read_text().replace("\nminutes = ", "\nminutes = 1 # ", 1))
    result = run(runner, "create-pulse", "q1", "--instrument", quick, "--period", "2027-Q1",
                 "--title", "t", "--strategy", EXAMPLE_STRATEGY)
    assert result.exit_code == 0, result.output
    assert f"Warning: {quick}: [instrument] 'minutes' is 1" in result.output


def test_the_commands_write_the_audit_log(runner, imported, db, tmp_path, write_roster):
    run(runner, "invite", imported, "--out", tmp_path / "links.csv")
    run(runner, "add-people", imported, write_roster(roster_text([("Sales", 1)], start=70)))
    run(runner, "delete-pulse", imported, "--confirm", imported)
    entries = [e for e in storage.list_audit(db) if e.subject == imported]
    assert sorted(e.action for e in entries) == sorted([
        "create pulse", "import roster", "download links", "add people", "send links",
        "delete pulse"])
    assert all(e.actor.startswith("command line") for e in entries)
