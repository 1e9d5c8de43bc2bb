"""Property-based fuzzing of every form and body the web app takes: never a 500.

Hypothesis draws FUZZ_EXAMPLES (200) examples per form and run: the survey
form (invitation and open link), the login form, the strategy statement form,
the roster import (upload, preview) and JSON bodies to every POST route of
the URL map (there is no JSON endpoint today; a view that declares one with
``accepts_body_types`` is fuzzed with JSON objects too). Each example mixes
the form's real field names with random ones, and values that are empty,
huge, control characters, other scripts, numbers out of range and raw bytes.
Under ``TESTING`` an exception in a view is raised into the test, so any
crash fails the example; the status must be below 500 and one the route is
known to give.

A longer run: ``TRINITY_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest -q
tests/test_fuzz_web.py`` (about ten times as long).
"""

from __future__ import annotations

import io
import json
import os
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import FAST_PASSWORD_HASH
from tests.test_limits import post_paths

FUZZ_EXAMPLES = int(os.environ.get("TRINITY_FUZZ_EXAMPLES", "200"))
SETTINGS = settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])

#: Text of every kind: no surrogates (a browser cannot send them), but
#: control characters, NUL, right-to-left marks, emoji, combining marks.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
VALUES = st.one_of(
    TEXT,
    st.sampled_from(["", " ", "0", "-1", "1e309", "NaN", "5", "11", "99999999999999999999",
                     "\x00", "a" * 5000, "<script>", "' OR 1=1 --", "\r\n", "staff",
                     "Sales", "prefer_not"]),
    st.integers(-10**12, 10**12).map(str),
)


def fields(names):
    """A form: some of ``names`` and some random names, each with one or more values."""
    known = st.dictionaries(st.sampled_from(sorted(names)), st.lists(VALUES, min_size=1, max_size=2),
                            max_size=len(names))
    extra = st.dictionaries(TEXT.filter(lambda s: s), st.lists(VALUES, max_size=2), max_size=3)
    return st.tuples(known, extra).map(lambda kv: {**kv[1], **kv[0]})


def _post(client, url, data, ok):
    response = client.post(url, data=data)
    response.close()
    assert response.status_code < 500 and response.status_code in ok, (url, response.status_code)
    return response.status_code


@pytest.fixture
def survey(make_app, make_pulse, instrument):
    pulse = make_pulse()
    names = {i.id for i in instrument.items} | {"csrf_token", "next_after"}
    return make_app(), pulse, names


@SETTINGS
@given(data=st.data())
def test_the_survey_form_never_fails(survey, data):
    app, pulse, names = survey
    form = data.draw(fields(names))
    url = data.draw(st.sampled_from([f"/o/{pulse.open_token}", f"/s/{pulse.tokens[0]}",
                                     f"/s/{pulse.tokens[1]}"]))
    # 200 (Enter pressed), 303 saved, 400 refused, 409 used, 413 too big, 422 mistakes.
    _post(app.test_client(), url, form, {200, 303, 400, 409, 413, 422})


@SETTINGS
@given(body=st.binary(max_size=2000))
def test_raw_bytes_as_a_survey_form_never_fail(survey, body):
    app, pulse, _ = survey
    response = app.test_client().post(f"/o/{pulse.open_token}", data=body,
                                      content_type="application/x-www-form-urlencoded")
    assert response.status_code in {200, 303, 400, 413, 422}, response.status_code


@pytest.fixture
def login_app(make_app):
    from survey_app.auth import create_account
    from survey_app.db import get_db

    app = make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH, LOGIN_THROTTLE_FREE_FAILURES=10**9)
    with app.app_context():
        create_account(get_db(), "someone@example.org", "analyst", "someone password 1")
    return app


@SETTINGS
@given(form=fields({"email", "password", "csrf_token"}),
       next_=st.one_of(st.none(), TEXT, st.sampled_from(["//evil.example", "/admin/", "http://x"])))
def test_the_login_form_never_fails(login_app, form, next_):
    client = login_app.test_client()
    url = "/login" if next_ is None else "/login?" + urlencode({"next": next_})
    status = _post(client, url, form, {303, 400, 403, 413, 422, 429})
    if status == 303:
        assert form.get("email") and form.get("password")


@pytest.fixture
def admin(make_admin_app):
    app, client = make_admin_app()
    created = client.post("/admin/pulses/new", content_type="multipart/form-data", data={
        "slug": "fz", "title": "Fuzz", "period": "2027-Q1", "instrument_file": "strategy-pulse.toml",
        "breakdowns": ["department", "role_level"]})
    assert created.status_code in (303, 422)
    return app, client


STRATEGY_FIELDS = {"goals", "factor_1", "factor_2", "factor_3", "brand_promise", "previous_goals",
                   *(f"figures-{i}-{k}" for i in range(3)
                     for k in ("key", "label", "value", "unit", "min", "max"))}


@SETTINGS
@given(form=fields(STRATEGY_FIELDS))
# Found by this test in a CI run: a figure key "." made a problem's path
# "customer_figures.." that the form split on its dots (a 500).
@example(form={"brand_promise": [""], "factor_1": [""], "figures-0-key": ["."], "figures-1-key": [""]})
def test_the_strategy_form_never_fails(admin, form):
    app, client = admin
    _post(client, "/admin/pulses/fz/strategy", form, {200, 303, 400, 404, 413, 422})


ROSTER_CELLS = st.one_of(VALUES, st.sampled_from(["Sales", "staff", "lt1", "manager", "x@example.com"]))


@st.composite
def roster_files(draw):
    header = draw(st.one_of(
        st.just(["email", "department", "team", "tenure_band", "role_level"]),
        st.lists(st.sampled_from(["email", "department", "team", "tenure_band", "role_level", "x", ""]),
                 max_size=6)))
    rows = draw(st.lists(st.lists(ROSTER_CELLS, max_size=7), max_size=12))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    text = "\n".join(delimiter.join(str(c).replace("\n", " ") for c in row) for row in [header] + rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"]))
    name = draw(st.sampled_from(["roster.csv", "r.txt", "", "../../etc/passwd", "x.csv\x00.exe"]))
    raw = draw(st.one_of(st.just(None), st.binary(max_size=500)))
    body = raw if raw is not None else text.encode(encoding, errors="replace")
    return body, name


@SETTINGS
@given(upload=roster_files())
def test_the_roster_import_never_fails(admin, upload):
    app, client = admin
    body, name = upload
    response = client.post("/admin/pulses/fz/roster", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(body), name)})
    response.close()
    assert response.status_code in {200, 400, 404, 413, 422}, response.status_code


def _json_values():
    return st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT),
        lambda children: st.one_of(st.lists(children, max_size=4),
                                   st.dictionaries(TEXT, children, max_size=4)),
        max_leaves=12)


@pytest.fixture
def post_routes(auth_app, people, make_pulse, login):
    client = auth_app.test_client()
    assert login(client, people["admin"]).status_code == 303
    routes = [(path, "application/json" in getattr(auth_app.view_functions[endpoint],
                                                     "accepts_body_types", ()))
              for endpoint, path in post_paths(auth_app, make_pulse())]
    assert len(routes) >= 10
    return client, routes


@SETTINGS
@given(data=st.data())
def test_json_bodies_to_every_post_route_never_fail(post_routes, data):
    client, routes = post_routes
    path, json_endpoint = data.draw(st.sampled_from(routes))
    value = data.draw(_json_values())
    raw = data.draw(st.booleans())
    body = json.dumps(value) if not raw else data.draw(TEXT)
    response = client.post(path, data=body, content_type="application/json")
    response.close()
    allowed = {200, 201, 400, 404, 409, 413, 422} if json_endpoint else {400}
    assert response.status_code in allowed, (path, response.status_code)
