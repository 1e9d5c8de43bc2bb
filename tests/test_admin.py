"""The admin area's pages (issue 7, items 2-4), through the real app and database.

Each test drives the pages the way an admin's browser does (forms, uploads,
redirects) and then reads the database, the outbox or the downloaded file to
check what really happened.
"""

from __future__ import annotations

import csv
import html as html_module
import io
import re
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest

from analysis.strategy import load_strategy
from survey_app import mail, storage
from survey_app.admin import pending
from tests.conftest import (
    ROOT,
    SAMPLE_STRATEGY,
    invitation_count,
    outbox_links,
    roster_text,
)

EXAMPLE_STRATEGY = ROOT / "instruments" / "strategy-example.toml"
DEFAULT_INSTRUMENT_TEXT = (ROOT / "instruments" / "strategy-pulse.toml").read_text()
#: A roster whose departments all hold at least 5 people: nothing to merge.
BIG_GROUPS = [("Operations", 6), ("Sales", 5)]


def example_line(start: str) -> int:
    """The line of the example strategy file that starts with ``start``."""
    lines = EXAMPLE_STRATEGY.read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(start))


def upload(text: str, name: str):
    return (io.BytesIO(text.encode("utf-8")), name)


def post_file(client, url, text, name, **kwargs):
    """Post ``text`` as the form's file field ``file``, named ``name``."""
    return client.post(url, data={"file": upload(text, name)},
                       content_type="multipart/form-data", **kwargs)


def page(response) -> str:
    """The page's text with tags removed and whitespace folded, for phrase checks."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html_module.unescape(text).split())


def create(admin_client, slug="q1", *, strategy=EXAMPLE_STRATEGY, **fields):
    data = {"slug": slug, "title": f"Pulse {slug}", "period": "2027-Q1",
            "instrument_file": "strategy-pulse.toml",
            "breakdowns": ["department", "role_level"]}
    if strategy is not None:
        data["strategy_upload"] = upload(Path(strategy).read_text(), Path(strategy).name)
    data.update(fields)
    return admin_client.post("/admin/pulses/new", data=data, content_type="multipart/form-data")


@pytest.fixture
def draft(admin_client):
    """A draft pulse 'q1' created through the page, with the example strategy."""
    response = create(admin_client)
    assert response.status_code == 303, page(response)
    return "q1"


def import_roster(admin_client, slug, text, name="roster.csv"):
    preview = admin_client.post(f"/admin/pulses/{slug}/roster",
                                data={"file": upload(text, name)},
                                content_type="multipart/form-data")
    assert preview.status_code == 200, page(preview)
    upload_id = re.search(r'name="upload" type="hidden" value="([^"]+)"',
                          preview.get_data(as_text=True)).group(1)
    return preview, admin_client.post(f"/admin/pulses/{slug}/roster/confirm",
                                      data={"upload": upload_id})


@pytest.fixture
def running(admin_client, draft):
    """'q1' with a roster of 11 people, open."""
    _, done = import_roster(admin_client, draft, roster_text(BIG_GROUPS))
    assert done.status_code == 303
    assert admin_client.post(f"/admin/pulses/{draft}/open").status_code == 303
    return draft


# --------------------------------------------------------------------------
# Who may come in
# --------------------------------------------------------------------------


def admin_get_urls(app, slug="q1"):
    return sorted(
        rule.rule.replace("<slug>", slug)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods
    )


def test_nobody_logged_in_is_sent_to_login_from_every_admin_page(app, client):
    """Sent to sign in, and back to the page afterwards."""
    urls = admin_get_urls(app)
    assert len(urls) >= 8
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["analyst", "ceo", "manager"])
def test_other_roles_get_403_on_every_admin_page_and_post(make_admin_app, role):
    app, client = make_admin_app(role)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule.replace("<slug>", "q1")
        method = "post" if "POST" in rule.methods else "get"
        assert getattr(client, method)(url).status_code == 403, (method, url)


# --------------------------------------------------------------------------
# Pulses
# --------------------------------------------------------------------------


def test_the_list_shows_status_period_and_counts(admin_client, running):
    create(admin_client, "q2", period="2027-Q2")
    text = page(admin_client.get("/admin/"))
    assert "Pulse q1 q1 2027-Q1 open 11 0" in text
    assert "Pulse q2 q2 2027-Q2 draft 0 0" in text


def test_the_select_offers_only_valid_instrument_files(admin_client):
    body = admin_client.get("/admin/pulses/new").get_data(as_text=True)
    assert 'value="strategy-pulse.toml"' in body
    # A strategy file lives beside the instruments but is not one.
    assert "strategy-example.toml" not in body


def test_create_from_the_instruments_folder_with_every_option(admin_client, db):
    later = date.today() + timedelta(days=60)
    response = create(admin_client, "q1", close_on=later.isoformat(), open_link="y",
                      breakdowns=["department", "tenure_band"])
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/pulses/q1")
    pulse = storage.get_pulse(db, "q1")
    assert (pulse.status, pulse.period, pulse.title) == ("draft", "2027-Q1", "Pulse q1")
    assert tuple(pulse.breakdowns) == ("department", "tenure_band")
    assert pulse.close_on == later
    assert pulse.open_token
    assert pulse.strategy == load_strategy(EXAMPLE_STRATEGY)


def test_the_default_breakdowns_are_department_and_role_level(admin_client, html):
    boxes = html(admin_client.get("/admin/pulses/new")).find_all("input", name="breakdowns")
    assert [b.get("value") for b in boxes] == ["department", "team", "tenure_band", "role_level"]
    assert [b.get("value") for b in boxes if "checked" in b.attrs] == ["department", "role_level"]


def test_create_from_an_uploaded_instrument(admin_client, db):
    text = DEFAULT_INSTRUMENT_TEXT.replace('id = "strategy-pulse"', 'id = "own-pulse"', 1)
    response = create(admin_client, "own", instrument_file="",
                      instrument_upload=upload(text, "own.toml"))
    assert response.status_code == 303, page(response)
    assert storage.get_pulse(db, "own").instrument.id == "own-pulse"


def test_a_bad_uploaded_instrument_shows_file_item_and_problem(admin_client, db):
    text = DEFAULT_INSTRUMENT_TEXT.replace('scale = "agree5"', 'scale = "agree7"', 1)
    response = create(admin_client, "bad", instrument_file="",
                      instrument_upload=upload(text, "mine.toml"))
    assert response.status_code == 422
    text = page(response)
    assert "mine.toml: item 'st_understand'" in text and "agree7" in text
    assert storage.get_pulse(db, "bad") is None


def test_an_instrument_that_is_not_toml_is_named_with_its_line(admin_client, db):
    response = create(admin_client, "bad", instrument_file="",
                      instrument_upload=upload("format = 1\n[instrument\n", "broken.toml"))
    assert response.status_code == 422
    assert "broken.toml: not valid TOML" in page(response) and "line 2" in page(response)
    assert storage.list_pulses(db) == []


def test_a_bad_strategy_file_at_creation_names_line_and_field(admin_client, db, tmp_path):
    bad = tmp_path / "q1-strategy.toml"
    bad.write_text(EXAMPLE_STRATEGY.read_text().replace('    "Speak up early",\n', ""))
    response = create(admin_client, strategy=bad)
    assert response.status_code == 422
    line = example_line("factors =")
    assert (f"q1-strategy.toml, line {line}: factors: has 2 entries (expected exactly 3)"
            in page(response))
    assert storage.list_pulses(db) == []


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"slug": "Bad Slug"}, "bad survey slug"),
        ({"period": "Q1-2027"}, "bad period"),
        ({"breakdowns": []}, "Choose at least one reporting breakdown."),
        ({"instrument_file": ""}, "Choose an instrument file or upload one."),
        ({"instrument_file": "../secret.toml"}, "is not one of the instrument files"),
        ({"close_on": "15/02/2027"}, "Not a valid date value."),
    ],
)
def test_create_refuses_bad_fields_and_stores_nothing(admin_client, db, fields, message):
    response = create(admin_client, **fields)
    assert response.status_code == 422
    assert message in page(response)
    assert storage.list_pulses(db) == []


def test_a_second_pulse_with_the_same_slug_is_refused(admin_client, draft, db):
    response = create(admin_client, draft, title="Another")
    assert response.status_code == 422
    assert "already exists" in page(response)
    assert storage.get_pulse(db, draft).title == "Pulse q1"


def test_open_close_reopen(admin_client, draft, db):
    for action, status in (("open", "open"), ("close", "closed"), ("reopen", "open")):
        response = admin_client.post(f"/admin/pulses/{draft}/{action}")
        assert response.status_code == 303
        assert storage.get_pulse(db, draft).status == status
        shown = page(admin_client.get(f"/admin/pulses/{draft}"))
        assert f"Pulse '{draft}' is now {status}." in shown


def test_a_change_that_does_not_fit_the_status_changes_nothing(admin_client, draft, db):
    response = admin_client.post(f"/admin/pulses/{draft}/close", follow_redirects=True)
    assert ("Pulse 'q1' is draft, so it cannot be closed: only a pulse that is open can."
            in page(response))
    assert storage.get_pulse(db, draft).status == "draft"


def test_the_pulse_page_offers_only_the_buttons_its_status_allows(admin_client, draft):
    body = admin_client.get(f"/admin/pulses/{draft}").get_data(as_text=True)
    assert f'action="/admin/pulses/{draft}/open"' in body
    assert f'action="/admin/pulses/{draft}/close"' not in body


def test_delete_needs_the_slug_typed(admin_client, running, db, admin_app):
    admin_client.post(f"/admin/pulses/{running}/invitations/send")
    assert mail.outbox_folder(admin_app.instance_path, running).is_dir()
    wrong = admin_client.post(f"/admin/pulses/{running}/delete", data={"confirm": "q2"})
    assert wrong.status_code == 422
    assert storage.get_pulse(db, running) is not None
    done = admin_client.post(f"/admin/pulses/{running}/delete", data={"confirm": running})
    assert done.status_code == 303
    assert storage.get_pulse(db, running) is None
    assert not mail.outbox_folder(admin_app.instance_path, running).exists()
    assert "and everything in it have been deleted" in page(admin_client.get("/admin/"))


def test_unknown_pulse_is_404(admin_client):
    assert admin_client.get("/admin/pulses/nope").status_code == 404
    assert admin_client.post("/admin/pulses/nope/open").status_code == 404


# --------------------------------------------------------------------------
# The strategy statement
# --------------------------------------------------------------------------


def strategy_form(**changes):
    data = {
        "goals": "\n".join(SAMPLE_STRATEGY["goals"]),
        "factor_1": "Customer obsession", "factor_2": "Operational reliability",
        "factor_3": "Speak up early",
        "brand_promise": SAMPLE_STRATEGY["brand_promise"],
        "previous_goals": "Open the Leeds depot",
        "figures-0-key": "nps", "figures-0-label": "Net Promoter Score",
        "figures-0-value": "41", "figures-0-min": "-100", "figures-0-max": "100",
        "figures-0-unit": "",
    }
    data.update(changes)
    return data


def test_the_strategy_form_shows_the_statement(admin_client, draft):
    body = admin_client.get(f"/admin/pulses/{draft}/strategy").get_data(as_text=True)
    assert 'value="Customer obsession"' in body
    assert 'name="figures-0-key" type="text" value="csat"' in body or \
           'name="figures-1-key" type="text" value="csat"' in body


def test_saving_the_strategy_form_replaces_the_statement(admin_client, draft, db):
    response = admin_client.post(f"/admin/pulses/{draft}/strategy", data=strategy_form())
    assert response.status_code == 303, page(response)
    strategy = storage.get_pulse(db, draft).strategy
    assert strategy.customer_figures["nps"].value == 41
    assert set(strategy.customer_figures) == {"nps"}
    assert strategy.previous_goals == ("Open the Leeds depot",)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"goals": ""}, "is empty (expected at least one statement)"),
        ({"goals": "Ship\n" + "x" * 301}, "Line 2: is 301 characters long (expected at most 300)"),
        ({"factor_3": ""}, "Name all 3 factors (has 2 entries (expected exactly 3))."),
        ({"brand_promise": ""}, "expected a non-empty string, got ''"),
        ({"figures-0-value": "lots"}, "expected a number, got 'lots'"),
        ({"figures-0-value": "140"}, "140 is outside the scale [-100, 100]"),
        ({"figures-0-min": "100"}, "100 is not above min 100 (expected min < max)"),
        ({"figures-0-max": ""}, "missing (a scale needs both min and max)"),
        ({"figures-0-key": "Net Promoter"}, "bad figure key"),
        ({"figures-0-key": "csat"}, "'k_nps' asks for the customer figure 'nps'"),
        ({"previous_goals": "x" * 301}, "Line 1: is 301 characters long"),
        # Two rows under one key would silently keep only the last.
        ({"figures-1-label": "Customer satisfaction", "figures-1-value": "80"},
         "Give the figure a key, such as nps."),
        ({"figures-1-key": "nps", "figures-1-value": "12"},
         "The key 'nps' is used by another figure."),
    ],
)
def test_every_line_of_the_strategy_form_is_validated(admin_client, draft, db, changes, message):
    before = storage.get_pulse(db, draft).strategy
    response = admin_client.post(f"/admin/pulses/{draft}/strategy", data=strategy_form(**changes))
    assert response.status_code == 422
    assert message in page(response)
    assert storage.get_pulse(db, draft).strategy == before


@pytest.mark.parametrize("key", [".", "nps.value", "a.b.min"])
def test_a_figure_key_with_dots_is_refused_on_its_own_row(admin_client, draft, db, key):
    """A problem's path is ``customer_figures.<key>.<field>``, and the key is
    whatever was typed: matched whole, not split on its dots (a "." key once
    ended in a server error, found by tests/test_fuzz_web.py)."""
    before = storage.get_pulse(db, draft).strategy
    response = admin_client.post(f"/admin/pulses/{draft}/strategy",
                                 data=strategy_form(**{"figures-0-key": key}))
    assert response.status_code == 422
    assert "bad figure key" in page(response)
    html = response.get_data(as_text=True)
    assert 'id="figures-0-key-error"' in html  # on the row's key, not on the goals
    assert 'id="goals-error"' not in html
    assert storage.get_pulse(db, draft).strategy == before


def test_a_strategy_file_can_replace_the_statement(admin_client, draft, db, tmp_path):
    text = EXAMPLE_STRATEGY.read_text().replace("value = 32", "value = 12")
    response = post_file(admin_client, f"/admin/pulses/{draft}/strategy/upload", text, "q1.toml")
    assert response.status_code == 303
    assert storage.get_pulse(db, draft).strategy.customer_figures["nps"].value == 12


def test_a_bad_strategy_file_names_every_problem_and_changes_nothing(admin_client, draft, db):
    text = EXAMPLE_STRATEGY.read_text().replace("value = 32", "value = 320").replace(
        'brand_promise = "Delivered on time, every time, with a human on the line"',
        'brand_promise = ""')
    response = post_file(admin_client, f"/admin/pulses/{draft}/strategy/upload", text, "q1.toml")
    assert response.status_code == 422
    text = page(response)
    value, promise = example_line("value = 32"), example_line("brand_promise =")
    assert f"q1.toml, line {value}: customer_figures.nps.value: 320 is outside the scale" in text
    assert f"q1.toml, line {promise}: brand_promise: expected a non-empty string" in text
    assert storage.get_pulse(db, draft).strategy == load_strategy(EXAMPLE_STRATEGY)


def test_the_strategy_is_frozen_once_the_pulse_opens(admin_client, draft, db):
    admin_client.post(f"/admin/pulses/{draft}/open")
    view = admin_client.get(f"/admin/pulses/{draft}/strategy")
    assert "Frozen: this pulse is open" in page(view)
    assert 'name="goals"' not in view.get_data(as_text=True)
    before = storage.get_pulse(db, draft).strategy
    edited = admin_client.post(f"/admin/pulses/{draft}/strategy", data=strategy_form())
    loaded = post_file(admin_client, f"/admin/pulses/{draft}/strategy/upload",
                       EXAMPLE_STRATEGY.read_text(), "s.toml")
    assert edited.status_code == loaded.status_code == 422
    assert storage.get_pulse(db, draft).strategy == before


# --------------------------------------------------------------------------
# The roster
# --------------------------------------------------------------------------


def test_the_preview_shows_groups_and_merges_and_imports_nothing_yet(admin_client, draft, db,
                                                                    admin_app):
    text = roster_text([("Operations", 6), ("Sales", 5), ("Legal", 2)])
    response = post_file(admin_client, f"/admin/pulses/{draft}/roster", text, "people.csv")
    assert response.status_code == 200
    shown = page(response)
    assert "people.csv: 13 people" in shown
    assert re.search(r"Group in the file Stored as People Legal / staff (Other|Sales)[^0-9]* 2 ",
                     shown), shown
    assert "Operations / staff 6" in shown
    assert storage.participation(db, draft) == []
    # Kept on the server for the confirm step, private, never in the cookie.
    [kept] = (Path(admin_app.instance_path) / "pending-rosters" / draft).iterdir()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert "person1@example.com" not in response.headers.get("Set-Cookie", "")
    assert "person1@example.com" not in response.get_data(as_text=True)


def test_confirming_imports_the_roster_and_removes_the_kept_file(admin_client, draft, db,
                                                                 admin_app, html):
    preview, done = import_roster(admin_client, draft, roster_text(BIG_GROUPS))
    assert "None: every group has at least 5 people." in page(preview)
    # Import and cancel each carry the id; a page's ids stay unique.
    ids = [n.get("id") for n in html(preview).iter() if n.get("id")]
    assert len(ids) == len(set(ids))
    assert len(html(preview).find_all("input", name="upload")) == 2
    assert done.status_code == 303
    assert done.headers["Location"].endswith(f"/admin/pulses/{draft}/invitations")
    assert invitation_count(db, draft) == 11
    assert not list((Path(admin_app.instance_path) / "pending-rosters" / draft).glob("*"))


def test_a_confirm_with_an_unknown_id_imports_nothing(admin_client, draft, db):
    response = admin_client.post(f"/admin/pulses/{draft}/roster/confirm",
                                 data={"upload": "../../secret_key"}, follow_redirects=True)
    assert "no longer kept" in page(response)
    assert storage.participation(db, draft) == []


def test_an_expired_checked_roster_must_be_uploaded_again(admin_client, draft, db, admin_app):
    upload_id = pending.save(admin_app.instance_path, draft, "r.csv", roster_text(BIG_GROUPS))
    path = Path(admin_app.instance_path) / "pending-rosters" / draft / f"{upload_id}.json"
    old = path.stat().st_mtime - pending.MAX_AGE_SECONDS - 1
    import os

    os.utime(path, (old, old))
    response = admin_client.post(f"/admin/pulses/{draft}/roster/confirm",
                                 data={"upload": upload_id}, follow_redirects=True)
    assert "no longer kept" in page(response)
    assert not path.exists() and storage.participation(db, draft) == []


def test_cancel_removes_the_checked_roster(admin_client, draft, admin_app, db):
    preview = post_file(admin_client, f"/admin/pulses/{draft}/roster",
                        roster_text(BIG_GROUPS), "r.csv")
    upload_id = re.search(r'name="upload" type="hidden" value="([^"]+)"',
                          preview.get_data(as_text=True)).group(1)
    admin_client.post(f"/admin/pulses/{draft}/roster/cancel", data={"upload": upload_id})
    assert not list((Path(admin_app.instance_path) / "pending-rosters" / draft).glob("*"))
    assert storage.participation(db, draft) == []


def test_a_roster_with_one_bad_line_imports_nothing_and_names_it(admin_client, draft, db,
                                                                 admin_app):
    lines = roster_text(BIG_GROUPS).splitlines()
    lines[4] = lines[4].replace("@example.com", "-at-example.com")
    response = post_file(admin_client, f"/admin/pulses/{draft}/roster",
                         "\n".join(lines) + "\n", "people.csv")
    assert response.status_code == 422
    text = page(response)
    assert "Nothing was imported: people.csv has 1 problem(s)" in text
    assert re.search(r"people\.csv.{0,20}line 5.{0,40}email", text), text
    assert storage.participation(db, draft) == []
    assert not (Path(admin_app.instance_path) / "pending-rosters" / draft).exists()


def test_a_roster_that_is_not_utf8_is_refused_with_its_name(admin_client, draft):
    response = admin_client.post(
        f"/admin/pulses/{draft}/roster",
        data={"file": (io.BytesIO(roster_text(BIG_GROUPS).replace("Sales", "Caf\xe9")
                                  .encode("latin-1")), "latin.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "latin.csv is not UTF-8 text" in page(response)


# --------------------------------------------------------------------------
# Invitations
# --------------------------------------------------------------------------


def test_sending_writes_one_private_mail_per_person_whose_link_works(admin_client, admin_app,
                                                                    running):
    response = admin_client.post(f"/admin/pulses/{running}/invitations/send",
                                 follow_redirects=True)
    assert "11 invitation mail(s) written into" in page(response)
    folder = mail.outbox_folder(admin_app.instance_path, running)
    files = list(folder.glob("*.eml"))
    assert len(files) == 11
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    links = outbox_links(admin_app, running)
    assert set(links) == {f"person{n}@example.com" for n in range(1, 12)}
    assert admin_client.get(links["person3@example.com"]).status_code == 200


def test_sending_through_smtp(make_admin_app, smtp_server):
    app, client = make_admin_app(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
                                 SMTP_STARTTLS=False, MAIL_FROM="hr@example.com")
    assert create(client).status_code == 303
    import_roster(client, "q1", roster_text(BIG_GROUPS))
    client.post("/admin/pulses/q1/open")
    response = client.post("/admin/pulses/q1/invitations/send", follow_redirects=True)
    assert "11 invitation mail(s) sent." in page(response)
    assert len(smtp_server.messages) == 11
    assert not mail.outbox_folder(app.instance_path, "q1").exists()


def test_an_unreachable_mail_server_is_said_on_the_page(make_admin_app, unused_port):
    app, client = make_admin_app(SMTP_HOST="127.0.0.1", SMTP_PORT=unused_port,
                                 SMTP_STARTTLS=False)
    create(client)
    import_roster(client, "q1", roster_text(BIG_GROUPS))
    response = client.post("/admin/pulses/q1/invitations/send")
    assert response.status_code == 422
    assert f"cannot send through the mail server 127.0.0.1:{unused_port}" in page(response)


def test_the_page_says_the_links_file_tells_who_answered(admin_client, running):
    text = page(admin_client.get(f"/admin/pulses/{running}/invitations"))
    assert "Whoever holds this file can learn who has answered" in text


def test_the_links_download_guards_every_cell_against_formulas(admin_client, draft, db):
    people = roster_text(BIG_GROUPS).splitlines()
    people[1] = "=cmd@example.com" + people[1][people[1].index(","):]
    people[2] = "+ann@example.com" + people[2][people[2].index(","):]
    _, done = import_roster(admin_client, draft, "\n".join(people) + "\n")
    assert done.status_code == 303, page(done)
    admin_client.post(f"/admin/pulses/{draft}/open")
    response = admin_client.post(f"/admin/pulses/{draft}/invitations/download")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f'filename="{draft}-links.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["email", "link"] and len(rows) == 12
    emails = {row[0] for row in rows[1:]}
    assert {"'=cmd@example.com", "'+ann@example.com"} <= emails
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    link = next(r[1] for r in rows if r[0] == "'=cmd@example.com")
    assert admin_client.get(link).status_code == 200


def test_downloading_again_gives_new_links_and_the_old_ones_stop(admin_client, running):
    def links():
        body = admin_client.post(f"/admin/pulses/{running}/invitations/download")
        return dict(csv.reader(io.StringIO(body.get_data(as_text=True))))

    first, second = links(), links()
    assert first["person1@example.com"] != second["person1@example.com"]
    assert admin_client.get(first["person1@example.com"]).status_code == 404
    assert admin_client.get(second["person1@example.com"]).status_code == 200


def test_resending_one_persons_link_replaces_only_theirs(admin_client, admin_app, running):
    admin_client.post(f"/admin/pulses/{running}/invitations/send")
    before = outbox_links(admin_app, running)
    response = admin_client.post(f"/admin/pulses/{running}/invitations/resend",
                                 data={"email": "person2@example.com"}, follow_redirects=True)
    assert "person2@example.com has a new link; their previous link no longer works." in page(
        response)
    after = outbox_links(admin_app, running)
    assert after["person2@example.com"] != before["person2@example.com"]
    assert admin_client.get(before["person2@example.com"]).status_code == 404
    assert admin_client.get(after["person2@example.com"]).status_code == 200
    assert after["person3@example.com"] == before["person3@example.com"]
    assert admin_client.get(after["person3@example.com"]).status_code == 200


def test_resend_needs_an_email_address(admin_client, running):
    response = admin_client.post(f"/admin/pulses/{running}/invitations/resend",
                                 data={"email": "person2"})
    assert response.status_code == 422
    assert "Enter an email address such as ann@example.com." in page(response)


def test_late_joiners_are_added_and_mailed(admin_client, admin_app, running, db):
    joiners = roster_text([("Operations", 2)], start=100)
    response = post_file(admin_client, f"/admin/pulses/{running}/people", joiners,
                         "joiners.csv", follow_redirects=True)
    assert "Added 2 people from joiners.csv." in page(response)
    assert invitation_count(db, running) == 13
    links = outbox_links(admin_app, running)
    assert set(links) == {"person101@example.com", "person102@example.com"}
    assert admin_client.get(links["person101@example.com"]).status_code == 200


def test_late_joiners_with_one_bad_line_add_nobody(admin_client, running, db):
    joiners = roster_text([("Operations", 2)], start=100)
    joiners = joiners[:joiners.rindex(",staff")] + ",boss\n"
    response = post_file(admin_client, f"/admin/pulses/{running}/people", joiners, "joiners.csv")
    assert response.status_code == 422
    text = page(response)
    assert "joiners.csv has 1 problem(s)" in text
    assert re.search(r"line 3.{0,60}role_level", text), text
    assert invitation_count(db, running) == 11


# --------------------------------------------------------------------------
# Participation
# --------------------------------------------------------------------------


def test_participation_says_fewer_than_5_in_words(admin_client, admin_app, running,
                                                  survey_answers):
    admin_client.post(f"/admin/pulses/{running}/invitations/send")
    links = outbox_links(admin_app, running)
    for n in range(1, 7):  # the six people of Operations answer
        assert admin_client.post(links[f"person{n}@example.com"],
                                 data=survey_answers).status_code == 303
    text = page(admin_client.get(f"/admin/pulses/{running}/participation"))
    assert "Operations 6 6 (100%)" in text
    assert "Sales 5 fewer than 5" in text
    assert not re.search(r"Sales 5 \d", text)


# --------------------------------------------------------------------------
# CSRF
# --------------------------------------------------------------------------


def counts(db):
    return {t: db[t].count for t in db.table_names()}


def test_every_post_of_the_admin_area_needs_a_csrf_token(make_admin_app, db):
    """Posted from another site (no token), nothing changes, whatever the form holds.

    Every form gets data it would accept with a token, so a view that forgot
    the check would answer 200 or 303 (and change something) instead.
    """
    app, client = make_admin_app(WTF_CSRF_ENABLED=True)
    _, plain_client = make_admin_app()
    assert create(plain_client).status_code == 303
    import_roster(plain_client, "q1", roster_text(BIG_GROUPS))
    upload_id = pending.save(app.instance_path, "q1", "r.csv", roster_text(BIG_GROUPS))
    before = counts(db)
    posts = [r for r in app.url_map.iter_rules()
             if r.endpoint.startswith("admin.") and "POST" in r.methods]
    assert len(posts) >= 13
    data = {**strategy_form(), "slug": "q9", "title": "t", "period": "2027-Q1",
            "instrument_file": "strategy-pulse.toml", "breakdowns": ["department"],
            "confirm": "q1", "upload": upload_id, "email": "person1@example.com",
            "file": upload(roster_text([("Ops", 5)], start=50), "r.csv")}
    for rule in posts:
        url = rule.rule.replace("<slug>", "q1")
        # A file each form would accept, so only the missing token can refuse it.
        payload = dict(data, file=upload(EXAMPLE_STRATEGY.read_text(), "s.toml")
                       if "strategy" in url else upload(roster_text([("Ops", 5)], start=50),
                                                        "r.csv"),
                       strategy_upload=upload(EXAMPLE_STRATEGY.read_text(), "s.toml"))
        response = client.post(url, data=payload, content_type="multipart/form-data")
        assert response.status_code in (400, 422), url
        assert counts(db) == before, url
        assert storage.get_pulse(db, "q1").status == "draft", url
    assert not mail.outbox_folder(app.instance_path, "q1").exists()
    assert pending.load(app.instance_path, "q1", upload_id) is not None
    # A form shown again says why, in words.
    refused = client.post("/admin/pulses/q1/strategy", data=strategy_form())
    assert "This form had expired or was sent from another site" in page(refused)


def test_an_upload_over_the_limit_is_refused_in_words(admin_client, draft, db):
    from werkzeug.test import EnvironBuilder

    from survey_app.admin.forms import MAX_UPLOAD_BYTES

    builder = EnvironBuilder(path=f"/admin/pulses/{draft}/roster", method="POST", data={
        "file": upload("x" * (MAX_UPLOAD_BYTES + 128 * 1024), "huge.csv")})
    environ = builder.get_environ()
    try:
        response = admin_client.open(environ)
    finally:
        # The test client spools a body this big to a temporary file; the
        # refused request never reads it, so close it here.
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 413
    assert "The file is larger than 4 MB." in page(response)


def test_a_draft_may_wait_for_its_statement_but_cannot_open_without_it(admin_client, db):
    """The form says the statement is optional and can be filled in on the
    strategy page: so a draft is created without one, says what it lacks,
    and is refused opening until its knowledge checks have an answer key
    (the default instrument's k_nps needs the figure 'nps', its recall
    checks the goals, factors and brand promise)."""
    response = create(admin_client, strategy=None)
    assert response.status_code == 303, page(response)
    pulse = page(admin_client.get("/admin/pulses/q1"))
    assert "Before this pulse can open" in pulse
    for gap in ("this quarter's goals (for item 'k_goals')", "the factors for excellence",
                "the brand promise", "the customer figure 'nps' (for item 'k_nps')"):
        assert gap in pulse
    refused = admin_client.post("/admin/pulses/q1/open", data={}, follow_redirects=True)
    assert "cannot open yet" in page(refused) and "the customer figure 'nps'" in page(refused)
    assert storage.get_pulse(db, "q1").status == "draft"
    assert not any(e.action == "open pulse" for e in storage.list_audit(db))

    # Filled in on the strategy page, the pulse opens.
    saved = admin_client.post("/admin/pulses/q1/strategy", data=strategy_form())
    assert saved.status_code == 303, page(saved)
    assert "Before this pulse can open" not in page(admin_client.get("/admin/pulses/q1"))
    admin_client.post("/admin/pulses/q1/open", data={})
    assert storage.get_pulse(db, "q1").status == "open"


def test_a_message_is_shown_once(admin_client):
    """Flashed messages are drawn by the base layout only: the admin area
    and the sign-in page each drew them a second time."""
    created = create(admin_client)
    shown = page(admin_client.get(created.headers["Location"]))
    assert shown.count("Pulse 'q1' created as a draft.") == 1
    refused = page(admin_client.post("/admin/pulses/q1/close", data={}, follow_redirects=True))
    assert refused.count("so it cannot be closed") == 1
    admin_client.post("/logout", data={})
    assert page(admin_client.get("/login")).count("You have signed out.") == 1


def test_a_statement_given_at_creation_is_checked_whole(admin_client, db, tmp_path):
    """Only a missing statement can wait: one given must grade the checks."""
    text = EXAMPLE_STRATEGY.read_text()
    bad = tmp_path / "no-nps.toml"
    bad.write_text(text[:text.index("[customer_figures.nps]")])
    response = create(admin_client, strategy=bad)
    assert response.status_code == 422
    assert "'k_nps' asks for the customer figure 'nps'" in page(response)
    assert storage.list_pulses(db) == []


def test_every_admin_route_is_documented(admin_app):
    """docs/admin.md lists each page; a new route without a line there fails."""
    doc = (ROOT / "docs" / "admin.md").read_text()
    for rule in admin_app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            path = rule.rule if rule.rule != "/admin/" else "GET /admin/"
            assert path in doc, rule.rule


def test_a_closed_pulse_sends_no_links(admin_client, running, admin_app):
    """Closing erased the roster's emails: there is nobody left to mail."""
    admin_client.post(f"/admin/pulses/{running}/close")
    for action in ("send", "download"):
        response = admin_client.post(f"/admin/pulses/{running}/invitations/{action}")
        assert response.status_code == 422
        assert "is closed: its links no longer work" in page(response)
    assert not mail.outbox_folder(admin_app.instance_path, running).exists()


def test_resending_to_someone_not_on_the_roster_says_so(admin_client, running, admin_app):
    response = admin_client.post(f"/admin/pulses/{running}/invitations/resend",
                                 data={"email": "stranger@example.com"})
    assert response.status_code == 422
    assert "not on the roster of 'q1': stranger@example.com" in page(response)
    assert not mail.outbox_folder(admin_app.instance_path, running).exists()


def test_a_second_roster_is_refused_and_the_first_kept(admin_client, running, db, admin_app):
    preview = post_file(admin_client, f"/admin/pulses/{running}/roster",
                        roster_text(BIG_GROUPS, start=500), "again.csv")
    upload_id = re.search(r'name="upload" type="hidden" value="([^"]+)"',
                          preview.get_data(as_text=True)).group(1)
    response = admin_client.post(f"/admin/pulses/{running}/roster/confirm",
                                 data={"upload": upload_id})
    assert response.status_code == 422
    assert "already has its roster; add late joiners" in page(response)
    assert invitation_count(db, running) == 11
    assert not list((Path(admin_app.instance_path) / "pending-rosters" / running).glob("*"))


def test_a_close_date_must_be_after_today(admin_client, db):
    response = create(admin_client, close_on=date.today().isoformat())
    assert response.status_code == 422
    assert "has come already; choose a day after today" in page(response)
    assert storage.list_pulses(db) == []


def test_a_pulse_past_its_close_date_shows_closed_and_sends_nothing(admin_client, db, instrument,
                                                                   strategy):
    storage.create_pulse(db, slug="due", title="Due", period="2027-Q1", instrument=instrument,
                         strategy=strategy, status="open",
                         close_on=date.today() - timedelta(days=1))
    assert "Status closed" in page(admin_client.get("/admin/pulses/due"))
    assert storage.get_pulse(db, "due").status == "closed"


@pytest.mark.parametrize("path", ["/admin/", "/admin/pulses/new", "/admin/pulses/q1",
                                  "/admin/pulses/q1/strategy", "/admin/pulses/q1/roster",
                                  "/admin/pulses/q1/invitations",
                                  "/admin/pulses/q1/participation", "/admin/pulses/q1/delete"])
def test_every_admin_page_is_well_formed_and_every_control_has_a_label(make_admin_app, draft,
                                                                      html, path):
    """Keyboard and screen-reader users run pulses too (the survey's own rules)."""
    _, client = make_admin_app(WTF_CSRF_ENABLED=True)
    tree = html(client.get(path))  # raises on an unmatched end tag
    labels = {label.get("for") for label in tree.find_all("label")}
    controls = [c for tag in ("input", "select", "textarea") for c in tree.find_all(tag)
                if c.get("type") not in ("hidden", "submit")]
    for control in controls:
        assert control.get("id") in labels, (path, control)
    for form in tree.find_all("form"):
        if form.get("method") == "post":
            assert form.find("input", name="csrf_token") is not None, (path, form)
    assert tree.find("h1") is not None
    ids = [node.get("id") for node in tree.iter() if node.get("id")]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_blank_figure_rows_are_left_out(admin_client, draft, db):
    data = strategy_form(**{f"figures-1-{name}": "" for name in ("key", "label", "value")})
    assert admin_client.post(f"/admin/pulses/{draft}/strategy", data=data).status_code == 303
    assert set(storage.get_pulse(db, draft).strategy.customer_figures) == {"nps"}


# Storage reloads the stored instrument on every read and warns each time;
# what is checked here is that the admin is shown the warning once.
@pytest.mark.filterwarnings("ignore::analysis.duration.InstrumentTimeWarning")
def test_an_instrument_promising_too_little_time_is_created_with_a_warning(admin_client, db):
    """The loader's warning reaches the admin instead of a log nobody reads."""
    text = DEFAULT_INSTRUMENT_TEXT.replace("\nminutes = ", "\nminutes = 1 # ", 1)
    assert text != DEFAULT_INSTRUMENT_TEXT
    response = create(admin_client, "quick", instrument_file="",
                      instrument_upload=upload(text, "quick.toml"))
    assert response.status_code == 303, page(response)
    shown = page(admin_client.get(response.headers["Location"]))
    assert "Warning: quick.toml: [instrument] 'minutes' is 1" in shown
    assert storage.get_pulse(db, "quick") is not None


def test_the_invitations_page_says_when_links_do_not_work_yet(admin_client, draft):
    assert "links sent now only open the survey once you open the pulse" in page(
        admin_client.get(f"/admin/pulses/{draft}/invitations"))
    admin_client.post(f"/admin/pulses/{draft}/open")
    shown = page(admin_client.get(f"/admin/pulses/{draft}/invitations"))
    assert "only open the survey once" not in shown and "no links can be sent" not in shown
    admin_client.post(f"/admin/pulses/{draft}/close")
    assert "no links can be sent" in page(admin_client.get(f"/admin/pulses/{draft}/invitations"))


def test_every_pulse_change_and_links_download_is_in_the_audit_log(admin_client, db):
    """Who changed a pulse, and who downloaded its links, with the admin as actor."""
    assert create(admin_client).status_code == 303
    admin_client.post("/admin/pulses/q1/strategy", data=strategy_form())
    import_roster(admin_client, "q1", roster_text(BIG_GROUPS))
    admin_client.post("/admin/pulses/q1/open")
    admin_client.post("/admin/pulses/q1/invitations/send")
    admin_client.post("/admin/pulses/q1/invitations/download")
    admin_client.post("/admin/pulses/q1/invitations/resend", data={"email": "person1@example.com"})
    post_file(admin_client, "/admin/pulses/q1/people", roster_text([("Sales", 1)], start=90),
              "late.csv")
    admin_client.post("/admin/pulses/q1/close")
    admin_client.post("/admin/pulses/q1/reopen")
    admin_client.post("/admin/pulses/q1/delete", data={"confirm": "q1"})
    entries = [e for e in storage.list_audit(db) if e.subject == "q1"]
    assert {e.actor for e in entries} == {"admin@example.com"}
    assert sorted(e.action for e in entries) == sorted([
        "create pulse", "change strategy", "import roster", "open pulse", "send links",
        "download links", "send links", "add people", "send links", "close pulse",
        "reopen pulse", "delete pulse"])
    assert all("/s/" not in e.detail for e in entries), "a link must never reach the log"
