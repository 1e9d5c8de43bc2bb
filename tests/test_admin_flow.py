"""Issue 7's acceptance flow, as a new user would run it: commands only, no Python.

A pulse of the default instrument with the example strategy file, a roster
of 40 people in departments of 1 to 12, the links by outbox and by download,
and everyone answering through them with the test client; then, as someone
who knows the roster: no combination exported (open and closed) or stored is
shared by fewer than 5 responses (10 with a comment), participation shows
"fewer than 5" rather than a count, and nothing stored about answers or
exported equals, contains, or is a prefix or suffix of a link's token or of a
standard hash of it.

The admin is created with ``create-user`` (password on standard input, as a
script would give it) and downloads the second round of links from the admin
area, signed in with that account.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import urlsplit

from survey_app import storage
from tests.conftest import (
    DEFAULT_INSTRUMENT,
    ROOT,
    invitation_count,
    outbox_links,
    roster_text,
    sign_in,
)

EXAMPLE_STRATEGY = ROOT / "instruments" / "strategy-example.toml"
#: 40 people; departments of 1 to 12, so several must be merged.
DEPARTMENTS = [("Operations", 12), ("Sales", 9), ("Finance", 7), ("Legal", 5),
               ("Marketing", 3), ("Facilities", 2), ("Security", 1), ("Board office", 1)]
BASE = "http://pulse.test"


def flask(runner, *args):
    result = runner.invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


def path_of(link):
    """The link's path: the test client serves every host the links may name."""
    return urlsplit(link).path


def answer(client, link, answers):
    return client.post(path_of(link), data=answers).status_code


def test_a_new_user_runs_a_pulse_with_commands_only(app, runner, client, db, tmp_path,
                                                   survey_answers):
    """Commands for everything but answering, which people do in a browser."""
    assert sum(n for _, n in DEPARTMENTS) == 40
    created = runner.invoke(args=["create-user", "owner@example.com", "--role", "admin"],
                            input="a long admin password\n")
    assert created.exit_code == 0, created.output
    roster = tmp_path / "people.csv"
    roster.write_text(roster_text(DEPARTMENTS, managers=True), encoding="utf-8")

    flask(runner, "create-pulse", "strategy-2027-q1", "--instrument", DEFAULT_INSTRUMENT,
          "--strategy", EXAMPLE_STRATEGY, "--period", "2027-Q1",
          "--title", "Strategy pulse, Q1 2027")
    preview = flask(runner, "import-roster", "strategy-2027-q1", roster)
    assert "Imported 40 people" in preview and "Small groups merged" in preview
    flask(runner, "pulse-status", "strategy-2027-q1", "open")

    # Half answer through the mailed links (no SMTP host: the outbox).
    flask(runner, "invite", "strategy-2027-q1", "--send", "--base-url", BASE)
    mailed = outbox_links(app, "strategy-2027-q1")
    assert len(mailed) == 40
    assert all(link.startswith(f"{BASE}/s/") for link in mailed.values())
    first_half = sorted(mailed)[:20]
    for person in first_half:
        assert answer(client, mailed[person], survey_answers) == 303, person

    # The rest answer through the links file the new admin downloads. It gives
    # everyone a new link (answered or not), and the mailed ones stop working.
    admin = app.test_client()
    sign_in(admin, "owner@example.com", "a long admin password")
    assert "strategy-2027-q1" in admin.get("/admin/").get_data(as_text=True)
    download = admin.post("/admin/pulses/strategy-2027-q1/invitations/download")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    downloaded = {row["email"]: row["link"] for row in
                  csv.DictReader(io.StringIO(download.get_data(as_text=True)))}
    assert set(downloaded) == set(mailed)
    for person in sorted(set(mailed) - set(first_half)):
        assert client.get(path_of(mailed[person])).status_code == 404
        assert answer(client, downloaded[person], survey_answers) == 303, person

    assert storage.count_responses(db, "strategy-2027-q1") == 40
    # Every invitation has been spent exactly once.
    for link in downloaded.values():
        assert answer(client, link, survey_answers) == 409
    assert storage.count_responses(db, "strategy-2027-q1") == 40
    assert invitation_count(db, "strategy-2027-q1") == 40
    assert all(n >= 5 for n in storage.stored_combinations(db, "strategy-2027-q1").values())

    # --- what leaves the app, read as someone who knows the roster ---------
    from collections import Counter

    from tests.test_anonymity_attacks import token_forms

    tokens = [path_of(link).rsplit("/", 1)[-1] for link in list(mailed.values()) + list(downloaded.values())]
    forms = set().union(*(token_forms(t) for t in tokens))

    def check_export(out):
        flask(runner, "export", "--survey", "strategy-2027-q1", "--out", out)
        with (out / "responses.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        combos = Counter((r["department"], r["role_level"]) for r in rows)
        assert rows and min(combos.values()) >= 5, combos
        commented = {(r["department"], r["role_level"]) for r in rows
                     if r["c_clarity"] or r["c_other"]}
        assert all(combos[c] >= 10 for c in commented), (combos, commented)
        texts = [(out / name).read_text(encoding="utf-8")
                 for name in ("responses.csv", "comments.csv", "pulse.json")]
        for value in {v for t in texts for v in t.replace(",", "\n").split() if len(v) >= 8}:
            assert not any(f in value or f.startswith(value) or f.endswith(value) for f in forms)

    check_export(tmp_path / "open")
    page = admin.get("/admin/pulses/strategy-2027-q1/participation").get_data(as_text=True)
    assert "fewer than 5" in page  # Security and the board office answered, but alone
    flask(runner, "pulse-status", "strategy-2027-q1", "closed")
    check_export(tmp_path / "closed")
    stored = Counter((r["department"], r["role_level"]) for r in db["responses"].rows)
    assert min(stored.values()) >= 5, stored
    for table in ("responses", "answers", "snapshots"):
        for row in db[table].rows:
            for value in (str(v) for v in row.values() if v is not None):
                assert not any(f in value or (len(value) >= 8 and (f.startswith(value) or f.endswith(value)))
                               for f in forms), (table, value)
