"""The app mounted under a path (``/pulse``) by the WSGI server or a proxy.

``url_for`` includes the mount point (``SCRIPT_NAME``, or
``X-Forwarded-Prefix`` through ProxyFix); ``request.path`` does not. Every
address the app hands the browser to come back to - the survey form's
action, the page to return to after the login, a report form's way back -
must carry it, or the browser leaves the mount and lands on a 404.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

MOUNT = {"SCRIPT_NAME": "/pulse"}


def _action(page: str) -> str:
    return re.search(r'<form method="post" action="([^"]*)"[^>]*class="survey"', page).group(1)


@pytest.mark.parametrize("how", ["server", "proxy"])
def test_the_survey_form_posts_back_under_the_mount(make_app, open_pulse, survey_answers, how):
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    token = open_pulse.tokens[0]
    kwargs = ({"environ_overrides": {**MOUNT, "RAW_URI": f"/pulse/s/{token}"}} if how == "server"
              else {"headers": {"X-Forwarded-Prefix": "/pulse"}})
    # The first view renders the page, the second comes from the page cache.
    for _ in range(2):
        page = client.get(f"/s/{token}", **kwargs)
        assert page.status_code == 200
        assert _action(page.get_data(as_text=True)) == f"/pulse/s/{token}"
    # Without a mount the same link posts to its own path.
    plain = client.get(f"/s/{token}").get_data(as_text=True)
    assert _action(plain) == f"/s/{token}"


def test_the_login_sends_back_under_the_mount(make_app):
    client = make_app().test_client()
    bounced = client.get("/reports/ceo?pulse=x", environ_overrides=MOUNT)
    assert bounced.status_code == 302
    location = urlsplit(bounced.headers["Location"])
    assert location.path == "/pulse/login"
    assert parse_qs(location.query)["next"] == ["/pulse/reports/ceo?pulse=x"]


def test_a_report_form_returns_to_its_page_under_the_mount(demo_site):
    from tests.test_reports import sign_in

    client = sign_in(demo_site.app, demo_site.people["ceo"])
    page = client.get("/reports/ceo?pulse=demo-2026-q3", environ_overrides=MOUNT)
    backs = set(re.findall(r'name="back" value="([^"]*)"', page.get_data(as_text=True)))
    assert backs == {"/pulse/reports/ceo?pulse=demo-2026-q3"}
    made = client.post("/reports/plans", environ_overrides=MOUNT, data={
        "pulse": "demo-2026-q3", "source": "focus", "measure": "knowledge",
        "measure_label": "Knowledge of the strategy", "what": "Explain the goals at the mount",
        "owner": "clo", "due_on": "2027-01-31", "back": backs.pop()})
    assert made.status_code == 303
    assert made.headers["Location"] == "/pulse/reports/ceo?pulse=demo-2026-q3"
    # A way back outside the mount (or off the site) falls back to the overview.
    elsewhere = client.post("/reports/plans", environ_overrides=MOUNT, data={
        "pulse": "demo-2026-q3", "source": "focus", "measure": "knowledge",
        "measure_label": "Knowledge of the strategy", "what": "Explain the goals twice",
        "owner": "clo", "due_on": "2027-01-31", "back": "/reports/ceo"})
    assert elsewhere.headers["Location"] == "/pulse/reports/"
