"""Issue 7's acceptance flow, as a new user would run it: commands only, no Python.

A pulse of the default instrument with the example strategy file, a roster
of 40 people in departments of 1 to 12, the links by outbox and by download,
and everyone answering through them with the test client. The lead adds the
anonymity assertions (no combination shown or stored for fewer than 5, no
token stored or exported) on top of the state this flow leaves.

The first step of the issue's flow, ``create-user`` for the admin, comes with
the accounts branch; it joins this test when that branch is merged.
"""

from __future__ import annotations

import csv

from survey_app import storage
from tests.conftest import DEFAULT_INSTRUMENT, ROOT, invitation_count, outbox_links, roster_text

EXAMPLE_STRATEGY = ROOT / "instruments" / "strategy-example.toml"
#: 40 people; departments of 1 to 12, so several must be merged.
DEPARTMENTS = [("Operations", 12), ("Sales", 9), ("Finance", 7), ("Legal", 5),
               ("Marketing", 3), ("Facilities", 2), ("Security", 1), ("Board office", 1)]
BASE = "http://pulse.test"


def flask(runner, *args):
    result = runner.invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, (args, result.output)
    return result.output


def answer(client, link, answers):
    return client.post(link.removeprefix(BASE), data=answers).status_code


def test_a_new_user_runs_a_pulse_with_commands_only(app, runner, client, db, tmp_path,
                                                   survey_answers):
    assert sum(n for _, n in DEPARTMENTS) == 40
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
    first_half = sorted(mailed)[:20]
    for person in first_half:
        assert answer(client, mailed[person], survey_answers) == 303, person

    # The rest answer through a downloaded links file. It gives everyone a new
    # link (answered or not), and the mailed ones stop working.
    links_file = tmp_path / "links.csv"
    flask(runner, "invite", "strategy-2027-q1", "--out", links_file, "--base-url", BASE)
    with links_file.open(newline="", encoding="utf-8") as fh:
        downloaded = {row["email"]: row["link"] for row in csv.DictReader(fh)}
    assert set(downloaded) == set(mailed)
    for person in sorted(set(mailed) - set(first_half)):
        assert client.get(mailed[person].removeprefix(BASE)).status_code == 404
        assert answer(client, downloaded[person], survey_answers) == 303, person

    assert storage.count_responses(db, "strategy-2027-q1") == 40
    # Every invitation has been spent exactly once.
    for link in downloaded.values():
        assert answer(client, link, survey_answers) == 409
    assert storage.count_responses(db, "strategy-2027-q1") == 40
    assert invitation_count(db, "strategy-2027-q1") == 40
    assert all(n >= 5 for n in storage.stored_combinations(db, "strategy-2027-q1").values())
