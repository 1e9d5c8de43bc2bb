"""Who may open what: the URL map walked with every role and with no login.

The expected matrix is written out here by hand from issue 7, keyed by
endpoint, and not read from the decorators: a view protected with the wrong
roles fails this test. An endpoint missing from the matrix fails it too, so
every page added later has to be classified. ``survey.*`` (the respondents'
pages) and ``static`` are public.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from survey_app import storage
from tests.conftest import MANAGER_DEPARTMENT

ALL = frozenset(storage.ROLES)
EXECUTIVES = frozenset({"ceo", "clo", "cmo"})
COMPANY_WIDE = frozenset({"admin", "analyst"}) | EXECUTIVES
ADMIN = frozenset({"admin"})
#: Anyone, signed in or not.
PUBLIC = "public"

#: endpoint -> the roles that reach it (PUBLIC: everyone, anonymous too).
MATRIX = {
    "static": PUBLIC,
    "auth.login": PUBLIC,
    # Signing out nobody is harmless, so logout asks for no login.
    "auth.logout": PUBLIC,
    "auth.home": ALL,
    "auth.change_password": ALL,
    "reports.overview": COMPANY_WIDE,
    "reports.ceo": COMPANY_WIDE,
    "reports.clo": COMPANY_WIDE,
    "reports.cmo": COMPANY_WIDE,
    "reports.analyst": frozenset({"admin", "analyst"}),
    # The manager's own department (another department: OTHER_DEPARTMENT).
    "reports.department": ALL,
    # Each report's downloads (PDF, JSON, CSV) go with its page.
    "reports.ceo_download": COMPANY_WIDE,
    "reports.clo_download": COMPANY_WIDE,
    "reports.cmo_download": COMPANY_WIDE,
    "reports.department_download": ALL,
    "reports.analyst_export": frozenset({"admin", "analyst"}),
    # Commitments: the executives' and a manager's (their department only);
    # theme moves: the executives'.
    "reports.add_plan": ADMIN | EXECUTIVES | {"manager"},
    "reports.plan_status": ADMIN | EXECUTIVES | {"manager"},
    "reports.move_theme": ADMIN | EXECUTIVES,
    "reports.theme_count": ADMIN | EXECUTIVES,
    "accounts.users": ADMIN,
    "accounts.new_user": ADMIN,
    "accounts.user": ADMIN,
    "accounts.disable_user": ADMIN,
    "accounts.enable_user": ADMIN,
    "accounts.reset_password": ADMIN,
    "accounts.audit": ADMIN,
    # The admin area: running pulses (survey_app/admin, docs/admin.md).
    **{f"admin.{name}": ADMIN for name in (
        "index", "new_pulse", "pulse", "open_pulse", "close_pulse", "reopen_pulse",
        "delete_pulse", "strategy", "strategy_upload", "roster", "roster_confirm",
        "roster_cancel", "invitations", "send_invitations", "download_links", "resend_link",
        "add_people", "participation",
    )},
}
#: A department other than the manager's: everyone who sees all departments.
OTHER_DEPARTMENT = "Finance"
OTHER_DEPARTMENT_ROLES = COMPANY_WIDE
#: The endpoints that take a department, walked for the manager's and another.
DEPARTMENT_PAGES = ("reports.department", "reports.department_download")


def _is_public(endpoint: str) -> bool:
    return endpoint.startswith("survey.") or MATRIX.get(endpoint) == PUBLIC


def _outcome(response, path: str) -> str:
    """``login`` (sent to sign in, back to ``path``), ``forbidden`` or ``reached``."""
    response.close()
    if response.status_code == 403:
        return "forbidden"
    if response.status_code in (301, 302, 303, 307):
        target = urlsplit(response.headers["Location"])
        if target.path == "/login" and parse_qs(target.query).get("next") == [path]:
            return "login"
    assert response.status_code < 500, (path, response.status_code)
    return "reached"


def _requests(app, target_id: int):
    """``(endpoint, method, path, roles expected to reach it)`` for every rule."""
    values = {
        "filename": "pulse.css",
        "token": "not-a-token",
        "open_token": "not-an-open-token",
        "user_id": target_id,
        "name": MANAGER_DEPARTMENT,
        "fmt": "json",
        "part": "pulse.json",
        "plan_id": 1,
        # No such pulse: the walk checks who gets in, and changes nothing.
        "slug": "no-such-pulse",
    }
    unclassified = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not _is_public(rule.endpoint) and rule.endpoint not in MATRIX:
            unclassified.append(f"{rule.endpoint} ({rule.rule})")
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"{rule.rule}: give the test a value for {missing}"
        args = {name: values[name] for name in rule.arguments}
        method = "GET" if "GET" in rule.methods else "POST"
        expected = ALL if _is_public(rule.endpoint) else MATRIX[rule.endpoint]
        # URLs are built first: a request made while this context is pushed
        # would share its app context (and a cached user) with it.
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **args)
            if rule.endpoint in DEPARTMENT_PAGES:
                other = url_for(rule.endpoint, **dict(args, name=OTHER_DEPARTMENT))
        yield rule.endpoint, method, path, expected
        if rule.endpoint in DEPARTMENT_PAGES:
            yield rule.endpoint, method, other, OTHER_DEPARTMENT_ROLES
    assert not unclassified, (
        "endpoints missing from tests/test_access.py's MATRIX (classify them): "
        + ", ".join(unclassified)
    )


@pytest.fixture
def target(auth_app, people):
    """An account the admin pages may disable and reset during the walk."""
    from survey_app.auth import create_account
    from survey_app.db import get_db

    with auth_app.app_context():
        return create_account(get_db(), "target@example.org", "analyst", "target password 1")


def test_every_role_reaches_exactly_its_pages(auth_app, people, target, login):
    wrong = []
    seen = set()
    for endpoint, method, path, expected in _requests(auth_app, target.id):
        seen.add(endpoint)
        anonymous = auth_app.test_client().open(path, method=method)
        want = "reached" if _is_public(endpoint) else "login"
        if _outcome(anonymous, path) != want:
            wrong.append(f"anonymous {method} {path}: {anonymous.status_code}, expected {want}")
        for role, person in people.items():
            client = auth_app.test_client()
            signed = login(client, person)
            assert signed.status_code == 303, (role, signed.status_code)
            got = _outcome(client.open(path, method=method), path)
            want = "reached" if role in expected else "forbidden"
            if got != want:
                wrong.append(f"{role} {method} {path}: {got}, expected {want}")
    assert not wrong, "\n".join(wrong)
    # The walk really covered the matrix (a renamed endpoint is not skipped).
    assert set(MATRIX) <= seen


def test_the_walk_fails_for_an_unclassified_page(auth_app, target):
    """A page nobody classified makes the walk fail, instead of passing unseen."""
    auth_app.add_url_rule("/admin/unlisted", "unlisted", lambda: "secret")
    with pytest.raises(AssertionError, match="unlisted"):
        list(_requests(auth_app, target.id))


def test_a_manager_is_scoped_to_their_department(auth_app, people, login):
    """department_scope(): the manager's department; None (all) for the others."""
    from flask_login import current_user

    from survey_app.auth import department_scope

    for role, person in people.items():
        client = auth_app.test_client()
        login(client, person)
        with client:
            client.get("/home")
            assert current_user.role == role
            expected = MANAGER_DEPARTMENT if role == "manager" else None
            assert department_scope() == expected


def test_each_role_lands_on_its_own_home(auth_app, people, login):
    # The admin lands in the admin area: its index once that blueprint has one.
    with auth_app.test_request_context():
        from flask import url_for

        admin_home = url_for("admin.index") if "admin.index" in auth_app.view_functions else (
            "/admin/users")
    homes = {
        "admin": admin_home,
        "ceo": "/reports/ceo",
        "clo": "/reports/clo",
        "cmo": "/reports/cmo",
        "analyst": "/reports/analyst",
        "manager": f"/reports/department/{MANAGER_DEPARTMENT}",
    }
    assert set(homes) == set(storage.ROLES)
    for role, person in people.items():
        client = auth_app.test_client()
        assert login(client, person).headers["Location"] == homes[role]
        assert client.get("/home").headers["Location"] == homes[role]
        assert client.get(homes[role]).status_code == 200


def test_roles_required_refuses_an_unknown_role():
    from survey_app.auth import roles_required

    with pytest.raises(ValueError, match="unknown role"):
        roles_required("admin", "superuser")
    with pytest.raises(ValueError, match="none given"):
        roles_required()
