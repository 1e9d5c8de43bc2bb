"""Stored and reflected XSS: a corpus of payloads through every field that
reaches a page or an error message, and no page ever carries one unescaped.

Each page is parsed (conftest's HTML tree) and must hold no element or
attribute the payloads would inject: no ``script``, ``svg``, ``math``,
``iframe``, ``object``, ``embed``, ``img``, ``base``, ``style`` or
refreshing ``meta`` (the reports' own ``svg.chart`` excepted); no ``on*`` attribute; no ``javascript:`` address;
and template syntax is shown as typed, never evaluated (``zq{{7*7}}zq`` never
becomes ``zq49zq``). Each check also asserts that the payload's text *did*
reach the page (escaped), so a field that is silently dropped cannot pass
for one that is escaped.

Fields: an uploaded instrument's texts (title, description, questions,
help, options, scale anchors), a bad instrument's error message, the pulse
title, the strategy statement (form and its errors), roster department
names and a bad roster's error messages, user emails (form errors and
hostile but valid addresses), survey comments and recall answers shown again
on a refused form; and on the leaders' reports, comments full of payloads
(their quotes and the theme labels made from their words) and commitments.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import tomllib

import pytest
import tomli_w

from survey_app import storage
from tests.conftest import DEFAULT_INSTRUMENT, ROOT, parse_html

EXAMPLE_STRATEGY = ROOT / "instruments" / "strategy-example.toml"

#: The corpus. Each carries its own index so that a page can be asked
#: which of them reached it.
PAYLOADS = [
    '<script>alert("x0")</script>',
    "<img src=x onerror=alert('x1')>",
    "<svg onload=alert('x2')>",
    "<svg><script>alert('x3')</script></svg>",
    '"><script>alert("x4")</script>',
    "'><img src=x onerror=alert('x5')>",
    '" onmouseover="alert(\'x6\')" data-x="',
    "' onfocus='alert(\"x7\")' autofocus='",
    "javascript:alert('x8')",
    '<a href="javascript:alert(\'x9\')">x9</a>',
    '<iframe src="javascript:alert(\'x10\')"></iframe>',
    "</textarea><script>alert('x11')</script>",
    "</title><script>alert('x12')</script>",
    "zq{{7*7}}zq x13",
    "zq${7*7}zq {% raw %} x14",
    '<base href="https://evil.example/"> x15',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('x16')>",
    '<object data="javascript:alert(\'x17\')"></object>',
    "<details open ontoggle=alert('x18')>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'x19\')">',
    "<!-- x20",
    "<style>body{display:none}</style> x21",
    "\"'><svg/onload=alert('x22')>",
    "<scr<script>ipt>alert('x23')</script>",
]
#: (``details`` is not among them: the reports use it; the payload's
#: ``ontoggle`` is caught as an on* attribute.)
INJECTED_TAGS = {"script", "svg", "math", "iframe", "object", "embed", "img", "base", "style",
                 "mglyph"}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "xlink:href", "content"}
#: Totals for docs/security.md: pages checked, payload placements.
CHECKED = {"pages": 0}


def injected(page: str) -> list[str]:
    """Every element, attribute or evaluation a payload could have put in ``page``."""
    problems = []
    if "zq49zq" in page:
        problems.append("template syntax evaluated")
    for node in parse_html(page).iter():
        # The reports' own charts are inline SVG of class "chart" (an
        # injected <svg> has no such class, and an on* attribute is caught
        # below whatever its element).
        chart = node.tag == "svg" and "chart" in node.attrs.get("class", "").split()
        if node.tag in INJECTED_TAGS and not chart:
            problems.append(f"<{node.tag}> element")
        if node.tag == "meta" and "http-equiv" in node.attrs:
            problems.append("<meta http-equiv>")
        for name, value in node.attrs.items():
            if name.startswith("on"):
                problems.append(f"{name}= on <{node.tag}>")
            if name in URL_ATTRIBUTES and "javascript:" in value.replace(" ", "").lower():
                problems.append(f"javascript: in {name} of <{node.tag}>")
    return problems


def reached(page: str) -> set[int]:
    """Indices of the payloads whose text the page shows (escaped or not)."""
    text = _unescaped(page)
    return {i for i, p in enumerate(PAYLOADS) if p in text}


def _unescaped(page: str) -> str:
    import html as html_module

    return html_module.unescape(page)


def check(response, where: str, *, expect: set[int] | None = None, status=None) -> set[int]:
    page = response.get_data(as_text=True)
    if status is not None:
        assert response.status_code == status, (where, response.status_code)
    assert response.status_code < 500, where
    problems = injected(page)
    assert not problems, f"{where}: {problems}"
    got = reached(page)
    if expect is not None:
        missing = expect - got
        assert not missing, f"{where}: payloads {sorted(missing)} did not reach the page"
    CHECKED["pages"] += 1
    return got


def test_the_check_finds_an_unescaped_payload():
    """injected() is not a check that cannot fail: each payload raw is caught."""
    for i, payload in enumerate(PAYLOADS):
        if i in (13, 14, 20):  # text only: caught by the evaluation marker or harmless
            continue
        page = (f"<html><body><p title='{payload}'>{payload}</p><a href='{payload}'>a</a>"
                f"<input value=\"{payload}\"></body></html>")
        try:
            assert injected(page), payload
        except AssertionError as exc:
            if "unmatched" not in str(exc):  # a broken tree is caught too
                raise
    assert injected("<p>zq49zq</p>")


def _payload_instrument(offset: int = 0) -> str:
    """The default instrument with a payload in every text a person reads."""
    data = tomllib.loads(DEFAULT_INSTRUMENT.read_text(encoding="utf-8"))
    cycle = itertools.cycle(PAYLOADS[offset:] + PAYLOADS[:offset])
    data["instrument"]["title"] = next(cycle)
    data["instrument"]["description"] = next(cycle)
    data["instrument"]["id"] = "xss-pulse"
    for scale in data.get("scales", {}).values():
        scale["anchors"] = [a + " " + next(cycle) for a in scale["anchors"]]
    for item in data["items"]:
        item["text"] = next(cycle)
        if "help" in item:
            item["help"] = next(cycle)
        for option in item.get("options", []):
            if isinstance(option, dict) and "label" in option:
                option["label"] = next(cycle)
    return tomli_w.dumps(data)


def _upload(text: str, name: str):
    return (io.BytesIO(text.encode("utf-8")), name)


def _roster(departments, per=5) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "department", "team", "tenure_band", "role_level"])
    n = 0
    for department in departments:
        for _ in range(per):
            n += 1
            writer.writerow([f"person{n}@example.com", department, "", "", "staff"])
    return out.getvalue()


def _create(client, slug, title, instrument_text=None):
    """Create a pulse through the admin page (an uploaded instrument, or the default)."""
    upload = {} if instrument_text is None else {
        "instrument_upload": _upload(instrument_text, "xss.toml")}
    return client.post("/admin/pulses/new", content_type="multipart/form-data", data={
        "slug": slug, "title": title, "period": "2027-Q1",
        "instrument_file": "" if upload else "strategy-pulse.toml", **upload,
        "strategy_upload": _upload(EXAMPLE_STRATEGY.read_text(encoding="utf-8"), "s.toml"),
        "breakdowns": ["department", "role_level"], "open_link": "y"})


@pytest.mark.parametrize("offset", [0, 7, 13])
def test_instrument_title_and_roster_payloads_never_run(make_admin_app, db, offset):
    app, admin = make_admin_app()
    title = PAYLOADS[(offset + 3) % len(PAYLOADS)]
    created = _create(admin, "xss", title, _payload_instrument(offset))
    assert created.status_code == 303, re.sub(r"<[^>]+>", " ", created.get_data(as_text=True))[-3000:]
    seen = set()
    seen |= check(admin.get("/admin/pulses/xss"), "admin pulse page")
    seen |= check(admin.get("/admin/"), "admin pulse list")
    departments = PAYLOADS[offset:offset + 6]
    preview = admin.post("/admin/pulses/xss/roster", content_type="multipart/form-data",
                         data={"file": _upload(_roster(departments), "roster.csv")})
    seen |= check(preview, "roster preview", status=200)
    upload_id = re.search(r'name="upload" type="hidden" value="([^"]+)"',
                          preview.get_data(as_text=True)).group(1)
    assert admin.post("/admin/pulses/xss/roster/confirm", data={"upload": upload_id}).status_code == 303
    assert admin.post("/admin/pulses/xss/open").status_code == 303
    seen |= check(admin.get("/admin/pulses/xss/participation"), "participation")
    seen |= check(admin.get("/admin/pulses/xss/invitations"), "invitations")
    pulse = storage.get_pulse(db, "xss")
    respondent = app.test_client()
    form = respondent.get(f"/o/{pulse.open_token}")
    seen |= check(form, "open-link form", expect={(offset + 3) % len(PAYLOADS)}, status=200)
    # The departments offered are the roster's payloads, as radio values and labels.
    assert set(range(offset, offset + 6)) <= reached(form.get_data(as_text=True))
    refused = respondent.post(f"/o/{pulse.open_token}", data={"seg_department": departments[0]})
    seen |= check(refused, "open-link form with errors", status=422)
    # The instrument's own texts reached the form.
    assert len(seen) >= 10, sorted(seen)
    for url in ("/reports/", "/reports/ceo", "/reports/analyst"):
        check(admin.get(url), url)


def test_a_refused_instrument_names_the_payload_escaped(admin_client):
    bad_id = tomllib.loads(DEFAULT_INSTRUMENT.read_text(encoding="utf-8"))
    bad_id["items"][0]["id"] = PAYLOADS[0]
    bad_id["items"][1]["type"] = PAYLOADS[1]
    for text in (tomli_w.dumps(bad_id), f"format = 1\n{PAYLOADS[4]}\n", PAYLOADS[2]):
        response = _create(admin_client, "bad", "Bad", text)
        check(response, "instrument error", status=422)
    named = _create(admin_client, "bad", "Bad", tomli_w.dumps(bad_id)).get_data(as_text=True)
    assert reached(named) & {0, 1}, "the error should name the bad item"


def test_strategy_statement_payloads_never_run(admin_client, db):
    assert _create(admin_client, "s1", "S").status_code == 303
    for start in range(0, len(PAYLOADS), 6):
        chunk = PAYLOADS[start:start + 6]
        data = {"goals": "\n".join(chunk[:3]), "factor_1": chunk[3], "factor_2": chunk[4],
                "factor_3": chunk[5 % len(chunk)], "brand_promise": chunk[0],
                "previous_goals": chunk[1],
                "figures-0-key": "nps", "figures-0-label": chunk[2], "figures-0-value": "41",
                "figures-0-min": "-100", "figures-0-max": "100", "figures-0-unit": ""}
        saved = admin_client.post("/admin/pulses/s1/strategy", data=data)
        assert saved.status_code in (303, 422), saved.status_code
        check(saved, "strategy after save")
        shown = admin_client.get("/admin/pulses/s1/strategy")
        if saved.status_code == 303:
            check(shown, "strategy form", expect=set(range(start, start + 3)) & set(range(len(PAYLOADS))))
        # A bad line is refused with its error message, the payload in it.
        bad = admin_client.post("/admin/pulses/s1/strategy",
                                data=dict(data, **{"figures-0-value": chunk[0]}))
        check(bad, "strategy errors", status=422)


def test_bad_roster_lines_are_named_escaped(admin_client):
    assert _create(admin_client, "r1", "R").status_code == 303
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "department", "team", "tenure_band", PAYLOADS[0]])
    for i, payload in enumerate(PAYLOADS):
        writer.writerow([payload, "Ops", "", payload, payload])
    response = admin_client.post("/admin/pulses/r1/roster", content_type="multipart/form-data",
                                 data={"file": _upload(out.getvalue(), PAYLOADS[1] + ".csv")})
    got = check(response, "roster errors", status=422)
    assert got, "the errors should quote the bad values"
    # A well-formed file whose values are wrong: each error names its value.
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["email", "department", "team", "tenure_band", "role_level"])
    for i, payload in enumerate(PAYLOADS):
        writer.writerow([f"p{i}@example.com", "Ops", "", payload, payload])
    response = admin_client.post("/admin/pulses/r1/roster", content_type="multipart/form-data",
                                 data={"file": _upload(out.getvalue(), "roster.csv")})
    assert len(check(response, "roster value errors", status=422)) >= len(PAYLOADS) // 2


def test_user_emails_and_departments_in_account_forms(admin_client):
    for payload in PAYLOADS:
        for email in (payload, f"{payload}@example.com", f'"{payload}"@example.com'):
            response = admin_client.post("/admin/users/new", data={
                "email": email, "role": "manager", "department": payload,
                "password": "a long password 1", "confirm": "a long password 1"})
            check(response, f"new user {email!r}")
    check(admin_client.get("/admin/users"), "users list")
    check(admin_client.get("/admin/audit"), "audit log")
    login = admin_client.application.test_client().post(
        "/login", data={"email": PAYLOADS[4], "password": PAYLOADS[0]})
    check(login, "login error", status=422)


def test_comments_and_recall_answers_shown_again_never_run(client, open_pulse, instrument):
    texts = [i for i in instrument.items if i.type in ("comment", "recall")]
    assert texts
    for start in range(0, len(PAYLOADS), len(texts)):
        data = {item.id: PAYLOADS[(start + n) % len(PAYLOADS)] for n, item in enumerate(texts)}
        # No Likert answers: the form comes back with the texts in it.
        response = client.post(f"/s/{open_pulse.tokens[0]}", data=data)
        check(response, "refused survey form", status=422,
              expect={(start + n) % len(PAYLOADS) for n in range(len(texts))})


def test_a_pulse_title_on_the_thanks_and_status_pages(make_pulse, client, db, survey_answers):
    for i, payload in enumerate(PAYLOADS[:8]):
        pulse = make_pulse(f"t{i}", title=payload)
        sent = client.post(f"/s/{pulse.tokens[0]}", data=survey_answers)
        assert sent.status_code == 303
        check(client.get("/thanks"), "thanks", expect={i})
        check(client.get(f"/s/{pulse.tokens[0]}"), "already answered", status=409)
        storage.set_pulse_status(db, pulse.slug, "closed")
        check(client.get(f"/s/{pulse.tokens[1]}"), "closed", status=410)


#: Addresses the email check accepts (quoted local parts, quotes, braces) that
#: would break out of markup if a page printed them raw.
HOSTILE_EMAILS = ['"<script>alert(1)</script>"@example.com', "x'onmouseover='alert(1)@example.com",
                  'y"onfocus="alert(1)@example.com', "zq{{7*7}}zq@example.com",
                  '"<svg/onload=alert(1)>"@example.com']


def test_hostile_but_valid_emails_on_the_account_pages(make_admin_app, db):
    from survey_app.auth import create_account
    from survey_app.db import get_db

    app, admin = make_admin_app()
    with app.app_context():
        accounts = [create_account(get_db(), email, "analyst", "a long password 1")
                    for email in HOSTILE_EMAILS]
    users = admin.get("/admin/users")
    check(users, "users list")
    shown = _unescaped(users.get_data(as_text=True))
    assert [a.email for a in accounts if a.email not in shown] == []
    for account in accounts:
        check(admin.get(f"/admin/users/{account.id}"), "user page")
        admin.post(f"/admin/users/{account.id}/disable").close()
        admin.post(f"/admin/users/{account.id}/enable").close()
        client = app.test_client()
        signed = client.post("/login", data={"email": account.email, "password": "a long password 1"})
        assert signed.status_code == 303, account.email
        nav = client.get("/reports/analyst")
        check(nav, "signed-in nav")
        assert account.email in _unescaped(nav.get_data(as_text=True))
    check(admin.get("/admin/audit"), "audit log")


def test_hostile_roster_emails_on_the_admin_pages(admin_client):
    assert _create(admin_client, "e1", "E").status_code == 303
    roster = _roster(["Ops"]).splitlines()
    rows = [roster[0]] + [f'"{email.replace(chr(34), chr(34) * 2)}",Ops,,,staff'
                          for email in HOSTILE_EMAILS] + roster[1 + len(HOSTILE_EMAILS):]
    preview = admin_client.post("/admin/pulses/e1/roster", content_type="multipart/form-data",
                                data={"file": _upload("\n".join(rows) + "\n", "roster.csv")})
    check(preview, "roster preview")
    match = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview.get_data(as_text=True))
    if match:
        admin_client.post("/admin/pulses/e1/roster/confirm", data={"upload": match.group(1)}).close()
    for email in HOSTILE_EMAILS:
        check(admin_client.post("/admin/pulses/e1/invitations/resend", data={"email": email}),
              "resend")
    check(admin_client.get("/admin/pulses/e1/invitations"), "invitations")


def test_comments_theme_labels_and_commitments_on_the_reports(tmp_path, survey_answers):
    """Thirty comments made of payloads, published: every report page of every role."""
    from survey_app.db import get_db
    from tests.conftest import make_demo_site

    site = make_demo_site(tmp_path)
    with site.app.app_context():
        db = get_db()
        slug = next(p.slug for p in storage.list_pulses(db) if p.status == "open")
        comment_ids = [i.id for i in storage.get_pulse(db, slug).instrument.items if i.type == "comment"]
        for n in range(30):
            answers = {k: v for k, v in survey_answers.items() if not k.startswith("seg_")}
            typed = {k: (int(v) if v.lstrip("-").isdigit() else v) for k, v in answers.items()}
            for c, item in enumerate(comment_ids):
                typed[item] = " ".join(PAYLOADS[(n + c + j) % len(PAYLOADS)] for j in range(3))
            storage.submit_response(db, pulse_slug=slug, answers=typed,
                                    segments={"department": "Operations", "role_level": "staff"})
        storage.publish_snapshot(db, slug)
    pages, seen = 0, set()
    for role, person in site.people.items():
        client = site.app.test_client()
        assert client.post("/login", data={"email": person.email,
                                           "password": person.password}).status_code == 303
        home = client.get("/home")
        urls = {"/reports/", "/reports/ceo", "/reports/clo", "/reports/cmo", "/reports/analyst",
                "/reports/department/Operations", home.headers.get("Location", "/home")}
        for url in sorted(urls):
            response = client.get(f"{url}?pulse={slug}" if url.startswith("/reports") else url)
            if response.status_code == 200:
                seen |= check(response, f"{role} {url}")
                pages += 1
        if role in ("ceo", "manager"):
            plan = client.post("/reports/plans", data={
                "pulse": slug, "source": PAYLOADS[0], "measure": PAYLOADS[1], "measure_label": PAYLOADS[4],
                "department": "" if role == "ceo" else person.department if hasattr(person, "department")
                else "", "what": PAYLOADS[6], "owner": "ceo", "due_on": "2027-03-31",
                "back": "/reports/ceo" if role == "ceo" else "/home"}, follow_redirects=True)
            check(plan, f"{role} after a commitment")
            for url in ("/reports/ceo", "/reports/"):
                check(client.get(url), f"{role} {url} with a commitment")
            check(client.post("/reports/themes/move", data={
                "pulse": slug, "terms": PAYLOADS[2], "owner": "cmo", "back": "/reports/cmo"},
                follow_redirects=True), "theme move")
    assert pages >= 15
    # The comments' payloads reached the reports (quoted, escaped).
    assert seen, "no payload text reached a report page"
    # The same report as a PDF, rendered by WeasyPrint from the same
    # templates: its text (pdftotext) shows the payloads as typed, tags and
    # all, which only happens when they were escaped rather than rendered.
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    ceo = site.app.test_client()
    person = site.people["ceo"]
    assert ceo.post("/login", data={"email": person.email, "password": person.password}).status_code == 303
    texts = []
    for name in ("ceo", "clo", "cmo", "department/Operations"):
        pdf = ceo.get(f"/reports/{name}/report.pdf?pulse={slug}")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF"), name
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf.data)
        texts.append(subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                    text=True, check=True).stdout)
    text = "\n".join(texts)
    assert any(p in text for p in PAYLOADS if "<" in p), "no payload reached a PDF as text"
