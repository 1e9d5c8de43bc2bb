"""The ``flask`` commands, run through the real app's CLI runner on a real file."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from survey_app import commands, storage
from survey_app import db as dbmod


def counts(db):
    """Rows per table, every table the database has (a new table shows up too)."""
    return {t: db[t].count for t in db.table_names()}


def _links_csv(app) -> Path:
    """Where ``flask demo`` writes its links for ``app``'s database (either engine)."""
    from survey_app.demo_commands import _demo_links_csv

    with app.app_context():
        return _demo_links_csv()


def test_init_db_prints_path_and_version(app, runner):
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert app.config["DATABASE"] in result.output
    assert "already up to date" in result.output
    assert f"Schema version {dbmod.SCHEMA_VERSION}." in result.output


def test_init_db_on_a_fresh_file_applies_the_migrations(make_app, tmp_path):
    app = make_app(DATABASE=str(tmp_path / "other" / "new.sqlite3"))
    # make_app already ran init-db once; the file now exists and is current.
    assert Path(app.config["DATABASE"]).exists()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert f"Schema version {dbmod.SCHEMA_VERSION}." in result.output


def test_init_db_twice_on_a_populated_database_keeps_every_row(runner, db, make_pulse,
                                                               survey_answers):
    pulse = make_pulse()
    storage.submit_response(db, pulse_slug=pulse.slug, token=pulse.tokens[0],
                            answers={"st_understand": 4, "enps": 9, "k_goals": "grow"},
                            segments={})
    before = counts(db)
    assert before["responses"] == 1 and before["invitations"] == len(pulse.tokens)
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    assert counts(db) == before


def test_export_writes_both_files(runner, db, make_pulse, tmp_path):
    pulse = make_pulse()
    # Five of one combination (Operations staff): the fifth publishes them.
    for token in pulse.tokens[:5]:
        storage.submit_response(db, pulse_slug=pulse.slug, token=token, answers={"enps": 6},
                                segments={})
    out = tmp_path / "exports" / "q4"
    result = runner.invoke(args=["export", "--survey", pulse.slug, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported 5 response(s)" in result.output
    with (out / "responses.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5 and {r["enps"] for r in rows} == {"6"}
    meta = json.loads((out / "pulse.json").read_text(encoding="utf-8"))
    assert meta["survey"] == pulse.slug


def test_export_unknown_survey_exits_2_with_one_clear_line(runner, make_pulse, tmp_path):
    make_pulse()
    result = runner.invoke(args=["export", "--survey", "nope", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no survey 'nope' (known surveys: pulse-2026-q4)" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_export_requires_its_options(runner):
    result = runner.invoke(args=["export", "--out", "x"])
    assert result.exit_code == 2
    assert "--survey" in result.output


def test_export_refuses_a_file_as_out_folder(runner, make_pulse, tmp_path):
    pulse = make_pulse()
    target = tmp_path / "a-file"
    target.write_text("x")
    result = runner.invoke(args=["export", "--survey", pulse.slug, "--out", str(target)])
    assert result.exit_code == 2
    assert target.read_text() == "x"


def test_pulse_status(runner, db, make_pulse):
    pulse = make_pulse(status="draft")
    result = runner.invoke(args=["pulse-status", pulse.slug, "open"])
    assert result.exit_code == 0, result.output
    assert f"'{pulse.slug}' is now open" in result.output
    assert storage.get_pulse(db, pulse.slug).status == "open"

    unknown = runner.invoke(args=["pulse-status", "nope", "closed"])
    assert unknown.exit_code == 2
    assert "no survey 'nope'" in unknown.output

    bad = runner.invoke(args=["pulse-status", pulse.slug, "paused"])
    assert bad.exit_code == 2
    assert storage.get_pulse(db, pulse.slug).status == "open"


def test_list_surveys(runner, db, make_pulse):
    empty = runner.invoke(args=["list-surveys"])
    assert "No surveys yet" in empty.output
    make_pulse("b", period="2026-Q4")
    make_pulse("a", period="2026-Q3", status="closed")
    result = runner.invoke(args=["list-surveys"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split("\t")[:3] for line in lines] == [["a", "2026-Q3", "closed"],
                                                       ["b", "2026-Q4", "open"]]


def test_every_command_documents_an_example():
    from survey_app.demo_commands import DEMO_COMMANDS

    for command in commands.COMMANDS + DEMO_COMMANDS:
        assert "Example:" in command.help, command.name


# --- demo -------------------------------------------------------------------

URL = re.compile(r"(https?://[^\s/]+)/(o|s)/([A-Za-z0-9_-]+)")


def test_demo_seeds_and_prints_working_links(app, runner, db):
    result = runner.invoke(args=["demo", "--seed", "3"])
    assert result.exit_code == 0, result.output
    links = URL.findall(result.output)
    open_tokens = [t for base, kind, t in links if kind == "o"]
    invite_tokens = [t for base, kind, t in links if kind == "s"]
    assert {base for base, _, _ in links} == {"http://127.0.0.1:5000"}
    assert len(open_tokens) >= 1 and len(invite_tokens) >= 3
    for token in open_tokens:
        pulse = storage.get_pulse_by_open_token(db, token)
        assert pulse is not None and pulse.status == "open"
    for token in invite_tokens:
        invitation = storage.find_invitation(db, token)
        assert invitation is not None and not invitation.used
    links_csv = _links_csv(app)
    assert str(links_csv) in result.output
    with links_csv.open(encoding="utf-8", newline="") as fh:
        urls = [row["url"] for row in csv.DictReader(fh)]
    assert len(urls) == 100
    assert all(url.startswith("http://127.0.0.1:5000/s/") for url in urls)  # ready to open
    # Both published pulses' reports are computed, so no leader waits.
    from survey_app.reports.data import REPORT_VERSION

    published = [p for p in storage.list_pulses(db) if storage.latest_snapshot(db, p.slug)]
    assert len(published) == 2
    for pulse in published:
        snapshot = storage.latest_snapshot(db, pulse.slug)
        assert storage.cached_report(db, pulse.slug, snapshot, REPORT_VERSION) is not None


def test_demo_without_reports_leaves_them_to_the_first_page(app, runner, db, client):
    """``--no-reports`` seeds the same demo and computes no report; the
    first page opened computes its own."""
    from survey_app.reports.data import REPORT_VERSION

    result = runner.invoke(args=["demo", "--no-reports"])
    assert result.exit_code == 0, result.output
    assert "Leaders' reports not computed (--no-reports)" in result.output
    assert "Computing the leaders' reports" not in result.output
    published = [p for p in storage.list_pulses(db) if storage.latest_snapshot(db, p.slug)]
    assert len(published) == 2
    for pulse in published:
        snapshot = storage.latest_snapshot(db, pulse.slug)
        assert storage.cached_report(db, pulse.slug, snapshot, REPORT_VERSION) is None
    role, email, password = next(a for a in ACCOUNT_LINE.findall(result.output) if a[0] == "ceo")
    assert client.post("/login", data={"email": email, "password": password}).status_code in (302, 303)
    page = client.get("/reports/ceo")
    assert page.status_code == 200
    newest = max(published, key=lambda p: p.period)
    assert storage.cached_report(db, newest.slug, storage.latest_snapshot(db, newest.slug),
                                 REPORT_VERSION) is not None


def test_demo_links_live_beside_their_own_database(make_app, tmp_path):
    """Seeding a second database must not overwrite the first one's links.

    Only hashes are stored, so each links file is the only copy: a shared
    instance/demo-invitations.csv would be silently replaced (this happened
    with TRINITY_DATABASE pointing at a new file, and on every test run).
    """
    first = make_app(DATABASE=str(tmp_path / "trinity.sqlite3"))
    second = make_app(DATABASE=str(tmp_path / "trial.sqlite3"))
    assert first.test_cli_runner().invoke(args=["demo", "--no-reports"]).exit_code == 0
    first_links = (tmp_path / "demo-invitations.csv").read_text(encoding="utf-8")
    result = second.test_cli_runner().invoke(args=["demo", "--no-reports", "--base-url",
                                                 "http://10.0.0.5:8080"])
    assert result.exit_code == 0, result.output
    second_csv = tmp_path / "trial-demo-invitations.csv"
    assert str(second_csv) in result.output
    assert "http://10.0.0.5:8080/s/" in second_csv.read_text(encoding="utf-8")
    assert (tmp_path / "demo-invitations.csv").read_text(encoding="utf-8") == first_links
    assert not (Path(second.instance_path) / "trial-demo-invitations.csv").exists()


def test_demo_if_empty_on_a_populated_database_seeds_nothing_but_says_where_to_start(runner, db):
    first = runner.invoke(args=["demo", "--no-reports"])
    assert first.exit_code == 0, first.output
    before = counts(db)
    again = runner.invoke(args=["demo", "--if-empty", "--base-url", "https://pulse.example/"])
    assert again.exit_code == 0, again.output
    assert counts(db) == before
    assert "nothing seeded" in again.output
    open_links = [t for base, kind, t in URL.findall(again.output) if kind == "o"]
    assert open_links and all(storage.get_pulse_by_open_token(db, t) for t in open_links)
    assert "https://pulse.example/o/" in again.output  # no double slash
    assert "demo-invitations.csv" in again.output


def test_demo_if_empty_on_an_empty_database_seeds(runner, db):
    result = runner.invoke(args=["demo", "--if-empty", "--no-reports"])
    assert result.exit_code == 0, result.output
    assert not storage.is_empty(db)


def test_demo_twice_without_if_empty_exits_2(runner, db):
    assert runner.invoke(args=["demo", "--no-reports"]).exit_code == 0
    before = counts(db)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 2
    assert "cannot seed the demo" in result.output
    assert counts(db) == before


def test_demo_refuses_a_bad_base_url(runner, db):
    result = runner.invoke(args=["demo", "--base-url", "127.0.0.1:5000"])
    assert result.exit_code == 2
    assert "--base-url must start with http://" in result.output
    assert storage.is_empty(db)


ACCOUNT_LINE = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+password: (\S+)$", re.MULTILINE)


def test_demo_prints_one_account_per_role_that_can_sign_in(app, runner, client):
    result = runner.invoke(args=["demo", "--no-reports"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:5000/login" in result.output
    accounts = ACCOUNT_LINE.findall(result.output)
    assert sorted(role for role, _, _ in accounts) == sorted(storage.ROLES)
    kept = _links_csv(app).with_name(_links_csv(app).name.replace("invitations", "accounts"))
    assert kept.stat().st_mode & 0o777 == 0o600  # passwords: the owner's only
    role, email, password = next(a for a in accounts if a[0] == "manager")
    signed_in = client.post("/login", data={"email": email, "password": password})
    assert signed_in.status_code in (302, 303)
    assert "/department/Operations" in client.get("/home").headers["Location"]


def test_a_second_demo_run_prints_only_links_still_unused(app, runner, client, db, survey_answers):
    first = runner.invoke(args=["demo", "--no-reports"])
    assert first.exit_code == 0, first.output
    links_csv = _links_csv(app)
    printed = [t for _, kind, t in URL.findall(first.output) if kind == "s"]
    # A newcomer answers the first printed link...
    answered = client.post(f"/s/{printed[0]}", data=survey_answers)
    assert answered.status_code == 303
    again = runner.invoke(args=["demo", "--if-empty"])
    assert again.exit_code == 0, again.output
    reprinted = [t for _, kind, t in URL.findall(again.output) if kind == "s"]
    # ...so the next run prints five links that still work, never that one,
    # and the links file no longer lists it.
    assert len(reprinted) == 5 and printed[0] not in reprinted
    assert all(not storage.find_invitation(db, t).used for t in reprinted)
    with links_csv.open(encoding="utf-8", newline="") as fh:
        urls = [row["url"] for row in csv.DictReader(fh)]
    assert len(urls) == 99 and not any(u.endswith(printed[0]) for u in urls)
    assert ACCOUNT_LINE.findall(again.output) == ACCOUNT_LINE.findall(first.output)


def test_demo_writes_the_invitation_mails_into_the_outbox(app, runner, db):
    result = runner.invoke(args=["demo", "--no-reports"])
    assert result.exit_code == 0, result.output
    outbox = Path(app.instance_path) / "outbox" / "demo-2026-q4"
    assert f"Invitation mails for the 100 unused links are in {outbox}" in result.output
    mails = sorted(outbox.glob("*.eml"))
    assert len(mails) == 100
    import email
    from email import policy

    message = email.message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    body = message.get_body(("plain",)).get_content()
    token = URL.search(body).group(3)
    assert storage.find_invitation(db, token) is not None and not storage.find_invitation(db, token).used
    assert message["To"].endswith("@northwind.example")
    assert all(m.stat().st_mode & 0o777 == 0o600 for m in mails)


def test_exports_and_status_changes_are_audited(runner, db, make_pulse, tmp_path):
    pulse = make_pulse()
    assert runner.invoke(args=["pulse-status", pulse.slug, "closed"]).exit_code == 0
    assert runner.invoke(args=["export", "--survey", pulse.slug, "--out", str(tmp_path)]).exit_code == 0
    actions = [(e.action, e.subject) for e in storage.list_audit(db, 10, 0)]
    assert ("export", pulse.slug) in actions and ("pulse closed", pulse.slug) in actions
    assert all(e.actor.startswith("command line (") for e in storage.list_audit(db, 10, 0))


def test_refresh_reports_computes_each_published_snapshot_once(runner, db, make_pulse, survey_answers):
    from survey_app.reports.data import REPORT_VERSION

    pulse = make_pulse()
    assert "no published results yet" in runner.invoke(args=["refresh-reports"]).output
    for token in pulse.tokens[:5]:  # five of one combination: published together
        storage.submit_response(db, pulse_slug=pulse.slug, token=token,
                                answers={"enps": 7, "st_understand": 4}, segments={})
    snapshot = storage.latest_snapshot(db, pulse.slug)
    assert storage.cached_report(db, pulse.slug, snapshot, REPORT_VERSION) is None
    result = runner.invoke(args=["refresh-reports", pulse.slug])
    assert result.exit_code == 0, result.output
    assert f"{pulse.slug}: report data ready" in result.output
    assert storage.cached_report(db, pulse.slug, snapshot, REPORT_VERSION) is not None
    unknown = runner.invoke(args=["refresh-reports", "nope"])
    assert unknown.exit_code == 2 and "no survey 'nope'" in unknown.output
