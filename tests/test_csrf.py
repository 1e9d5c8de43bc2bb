"""CSRF and safe methods, over the whole URL map.

Every rule that takes POST (PUT, DELETE) is posted with CSRF protection on,
signed in as a role that may use it (the admin for the admin area, each
role for its own pages, anybody for the survey), once with no token and once
with a forged one: each must be 400, and the database must not change. Then
every rule that takes GET is requested by every role and anonymously, and a
dump of the database before and after must be the same.
"""

from __future__ import annotations

import re

import pytest

from survey_app.db import connect
from tests.conftest import dump_lines
from tests.test_access import MATRIX, PUBLIC, _requests

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: Tables a GET may write to by design: none today. (A download's audit
#: row would go here, named, with the reason.) One write by a GET is by
#: design and not caused by the request: a pulse past its close date is
#: closed by the first survey link or admin page that sees it; the walk's
#: pulses have no close date.
WRITTEN_BY_GET: frozenset[str] = frozenset()


def dump(path) -> list[str]:
    """Every row of every table, as SQL, in a stable order."""
    database = connect(path)
    try:
        return sorted(dump_lines(database))
    finally:
        database.close()


def csrf_token(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in(client, person):
    token = csrf_token(client)
    response = client.post("/login", data={"email": person.email, "password": person.password,
                                           "csrf_token": token})
    assert response.status_code == 303, response.status_code


@pytest.fixture
def csrf_app(make_app, people, make_pulse):
    """CSRF on, cheap hashes, the demo's accounts and an open pulse."""
    from tests.conftest import FAST_PASSWORD_HASH

    pulse = make_pulse()
    app = make_app(WTF_CSRF_ENABLED=True, PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH)
    return app, pulse


def _user_for(endpoint: str, people):
    """A role that may use ``endpoint`` (None: anybody, signed in or not)."""
    if endpoint.startswith("survey.") or MATRIX.get(endpoint) == PUBLIC:
        return None
    roles = MATRIX[endpoint]
    return people["admin"] if "admin" in roles else people[sorted(roles)[0]]


def _form_for(endpoint, survey_answers, people):
    """A body the route would accept, but for its CSRF token."""
    if endpoint.startswith("survey."):
        return dict(survey_answers, seg_department="Sales", seg_role_level="staff")
    if endpoint == "auth.login":
        return {"email": people["analyst"].email, "password": people["analyst"].password}
    return {"email": "new@example.org", "role": "analyst", "password": "a new password 1",
            "confirm": "a new password 1", "current_password": "x", "new_password": "a new password 1",
            "department": ""}


def test_every_state_changing_route_refuses_a_missing_or_forged_token(csrf_app, people, survey_answers):
    app, pulse = csrf_app
    from survey_app.auth import create_account
    from survey_app.db import get_db

    with app.app_context():
        target = create_account(get_db(), "target@example.org", "analyst", "target password 1")
    real = {"/s/not-a-token": f"/s/{pulse.tokens[0]}", "/o/not-an-open-token": f"/o/{pulse.open_token}"}
    wrong, posted, routes = [], 0, set()
    for rule in app.url_map.iter_rules():
        methods = rule.methods & STATE_CHANGING
        if not methods:
            continue
        routes.add(rule.endpoint)
    for endpoint, _method, path, _roles in _requests(app, target.id):
        if endpoint not in routes:
            continue
        path = real.get(path, path)
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        for method in sorted(rule.methods & STATE_CHANGING):
            for forged in (None, "forged." + "x" * 40):
                client = app.test_client()
                person = _user_for(endpoint, people)
                if person is not None:
                    sign_in(client, person)
                data = _form_for(endpoint, survey_answers, people)
                if forged:
                    data["csrf_token"] = forged
                signed_before = dump(app.config["DATABASE"])
                response = client.open(path, method=method, data=data)
                response.close()
                posted += 1
                if response.status_code != 400:
                    wrong.append(f"{method} {path} as {person and person.role}, token {forged}: "
                                 f"{response.status_code}")
                if dump(app.config["DATABASE"]) != signed_before:
                    wrong.append(f"{method} {path}: the database changed")
    assert not wrong, "\n".join(wrong)
    assert routes >= {"auth.login", "auth.logout", "survey.invitation", "survey.open_link",
                      "accounts.disable_user"}
    assert posted == 2 * sum(len(next(r for r in app.url_map.iter_rules() if r.endpoint == e).methods
                                 & STATE_CHANGING) for e in routes)


def test_a_valid_token_is_accepted(csrf_app, people):
    """The walk's 400s come from the token, not from a form that cannot pass."""
    app, _pulse = csrf_app
    client = app.test_client()
    sign_in(client, people["admin"])
    token = csrf_token(client, "/admin/users/new")
    response = client.post("/admin/users/new", data={
        "email": "new@example.org", "role": "analyst", "password": "a new password 1",
        "confirm": "a new password 1", "department": "", "csrf_token": token})
    assert response.status_code in (200, 303), response.status_code
    assert response.status_code != 400


def test_no_get_changes_the_database(auth_app, people, make_pulse, login):
    from survey_app.auth import create_account
    from survey_app.db import get_db

    pulse = make_pulse()
    with auth_app.app_context():
        target = create_account(get_db(), "target@example.org", "analyst", "target password 1")
    clients = {"anonymous": auth_app.test_client()}
    for role, person in people.items():
        clients[role] = auth_app.test_client()
        assert login(clients[role], person).status_code == 303
    real = {"/s/not-a-token": f"/s/{pulse.tokens[0]}", "/o/not-an-open-token": f"/o/{pulse.open_token}"}
    path_db = auth_app.config["DATABASE"]
    before = dump(path_db)
    requested = 0
    for endpoint, _method, path, _roles in _requests(auth_app, target.id):
        rule = next(r for r in auth_app.url_map.iter_rules() if r.endpoint == endpoint)
        if "GET" not in rule.methods:
            continue
        for path in {path, real.get(path, path)}:
            for who, client in clients.items():
                client.get(path).close()
                client.head(path).close()
                requested += 2
    after = dump(path_db)
    changed = sorted(set(before) ^ set(after))
    changed = [line for line in changed
               if not any(line.startswith(f'INSERT INTO "{t}"') for t in WRITTEN_BY_GET)]
    assert not changed, changed[:10]
    assert requested >= 2 * len(clients) * 10
