"""The admin area's user pages, the audit log page and the signed-in nav."""

from __future__ import annotations

import re

import pytest

from survey_app import storage
@pytest.fixture
def admin(auth_app, people, login):
    """A test client signed in as the admin."""
    client = auth_app.test_client()
    assert login(client, people["admin"]).status_code == 303
    return client


def test_the_list_shows_every_account(admin, people):
    page = admin.get("/admin/users").get_data(as_text=True)
    for person in people.values():
        assert person.email in page
    assert "Sales" in page  # the manager's department


def test_an_admin_creates_a_user_and_sees_the_password_once(db, auth_app, admin, login):
    response = admin.post("/admin/users/new", data={
        "email": "New.Person@Example.org", "role": "manager", "department": " Operations "})
    assert response.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>',
                         response.get_data(as_text=True)).group(1)
    user = storage.get_user_by_email(db, "new.person@example.org")
    entries = storage.list_audit(db)
    assert (user.role, user.department) == ("manager", "Operations")
    assert password not in user.password_hash
    signed = login(auth_app.test_client(), "new.person@example.org", password)
    assert signed.headers["Location"] == "/reports/department/Operations"
    assert any(e.action == "create account" and e.subject == user.email
               and e.detail == "role manager (Operations)" for e in entries)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "role": "analyst"}, "is not an email address"),
        ({"email": "m@example.org", "role": "manager"}, "A manager needs a department"),
        ({"email": "c@example.org", "role": "ceo", "department": "Sales"},
         "Only a manager has a department"),
        ({"email": "x@example.org", "role": "owner"}, "Not a valid choice"),
        ({"email": "admin@demo.trinity-pulse.example", "role": "analyst"}, "already exists"),
    ],
)
def test_creating_a_user_with_bad_input_says_why(db, auth_app, admin, data, message):
    before = len(storage.list_users(db))
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(storage.list_users(db)) == before


def test_an_admin_changes_a_role_and_the_users_sessions_end(db, auth_app, admin, people, login):
    analyst = people["analyst"]
    their_session = auth_app.test_client()
    login(their_session, analyst)
    user = storage.get_user_by_email(db, analyst.email)
    response = admin.post(f"/admin/users/{user.id}", data={"role": "manager",
                                                           "department": "Finance"})
    assert response.status_code == 303
    updated = storage.get_user_by_email(db, analyst.email)
    assert (updated.role, updated.department) == ("manager", "Finance")
    assert their_session.get("/reports/analyst").status_code == 302
    entry = storage.list_audit(db)[0]
    assert (entry.action, entry.subject, entry.detail) == (
        "change role", analyst.email, "role analyst -> role manager (Finance)")
    refused = admin.post(f"/admin/users/{user.id}", data={"role": "manager", "department": ""})
    assert refused.status_code == 422
    assert "A manager needs a department" in refused.get_data(as_text=True)


def test_an_admin_disables_and_enables_an_account(db, auth_app, admin, people, login):
    cmo = people["cmo"]
    user = storage.get_user_by_email(db, cmo.email)
    assert admin.post(f"/admin/users/{user.id}/disable").status_code == 303
    assert login(auth_app.test_client(), cmo).status_code == 403
    assert "disabled" in admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert admin.post(f"/admin/users/{user.id}/enable").status_code == 303
    assert login(auth_app.test_client(), cmo).status_code == 303
    actions = [e.action for e in storage.list_audit(db) if e.subject == cmo.email]
    assert actions[:3] == ["login", "enable account", "disable account"]


def test_an_admin_cannot_lock_themselves_out(db, auth_app, admin, people):
    me = storage.get_user_by_email(db, people["admin"].email)
    disabled = admin.post(f"/admin/users/{me.id}/disable")
    assert disabled.status_code == 409
    assert "You cannot disable your own account" in disabled.get_data(as_text=True)
    demoted = admin.post(f"/admin/users/{me.id}", data={"role": "analyst"})
    assert demoted.status_code == 409
    assert storage.get_user(db, me.id).role == "admin"


def test_an_unknown_user_id_is_a_404(admin):
    response = admin.get("/admin/users/999")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_the_audit_page_lists_logins_newest_first(auth_app, admin, people, login):
    login(auth_app.test_client(), people["ceo"])
    page = admin.get("/admin/audit").get_data(as_text=True)
    rows = re.findall(r"<tr><td><time[^>]*>[^<]+</time></td><td>([^<]+)</td><td>([^<]+)</td>", page)
    assert rows[0] == (people["ceo"].email, "login")
    # Times as people read them, the exact value kept in the element.
    stamp = re.search(r'<tr><td><time datetime="([^"]+)">([^<]+)</time>', page)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp.group(1))
    assert stamp.group(2) == stamp.group(1).replace("T", " ")[:-1]
    assert (people["admin"].email, "login") in rows
    assert ("demo", "create account") in rows
    assert admin.get("/admin/audit?page=0").status_code == 400


def test_the_audit_log_pages_through_many_rows(db, auth_app, admin):
    for i in range(150):
        storage.audit(db, "command line", "export", f"pulse-{i}")
    first = admin.get("/admin/audit").get_data(as_text=True)
    second = admin.get("/admin/audit?page=2").get_data(as_text=True)
    assert "pulse-149" in first and "pulse-0<" not in first
    assert "pulse-0<" in second and "Page 2 of 2" in second


# --------------------------------------------------------------------------
# The nav
# --------------------------------------------------------------------------


def test_the_nav_shows_each_role_its_links(auth_app, people, login, html):
    expected = {
        "admin": {"Admin", "Overview", "CEO report", "CLO report", "CMO report", "Analysis",
                  "Users", "Audit log", "Change password"},
        "ceo": {"Overview", "CEO report", "CLO report", "CMO report", "Change password"},
        "analyst": {"Overview", "CEO report", "CLO report", "CMO report", "Analysis",
                    "Change password"},
        "manager": {"My department", "Change password"},
    }
    for role, links in expected.items():
        client = auth_app.test_client()
        login(client, people[role])
        page = html(client.get("/account/password"))
        nav = page.find("nav", class_="account-nav")
        assert {a.text() for a in nav.find_all("a")} == links, role
        assert f"Signed in as {people[role].email}" in nav.text()
        form = nav.find("form")
        assert (form.get("method"), form.get("action")) == ("post", "/logout")


def test_anonymous_survey_pages_are_unchanged(auth_app, client, html):
    """No nav and no new cookie for a respondent: the survey pages stay as they were."""
    page = client.get("/")
    assert html(page).find("nav") is None
    assert "Signed in" not in page.get_data(as_text=True)
    assert "Set-Cookie" not in page.headers


# --------------------------------------------------------------------------
# Markup (WCAG 2.2 1.3.1, 3.3.1, 4.1.2), as the survey's pages are checked
# --------------------------------------------------------------------------


def _check_form_markup(doc, invalid):
    """Every control labelled once, errors in words and tied to their field."""
    labels = [label.get("for") for label in doc.iter("label")]
    controls = [n for tag in ("input", "select", "textarea") for n in doc.iter(tag)
                if n.get("type") not in ("hidden", "submit")]
    assert controls
    for control in controls:
        assert labels.count(control.get("id")) == 1, control
    ids = [n.get("id") for n in doc.iter() if n.get("id")]
    assert len(ids) == len(set(ids))
    for name in invalid:
        error = doc.by_id(f"{name}-error")
        assert error.text().startswith("Error:"), name
        control = doc.by_id(name)
        assert f"{name}-error" in control.get("aria-describedby").split()
        assert control.get("aria-invalid") == "true"
    for node in doc.iter():
        for ref in (node.get("aria-describedby") or "").split():
            assert doc.by_id(ref) is not None, ref
    summary = doc.find("div", class_="error-summary")
    assert summary.get("role") == "alert"
    hrefs = {a.get("href")[1:] for a in summary.iter("a")}
    assert hrefs and all(doc.by_id(h) is not None for h in hrefs)
    return summary


def test_the_login_error_page_is_accessible(auth_client, html):
    doc = html(auth_client.post("/login", data={"email": "", "password": ""}))
    _check_form_markup(doc, ["email", "password"])
    assert doc.find("title").text().startswith("Error:")
    wrong = html(auth_client.post("/login", data={"email": "a@example.org", "password": "x"}))
    summary = _check_form_markup(wrong, [])
    assert "The email address or the password is not right." in summary.text()


def test_the_password_and_new_user_error_pages_are_accessible(admin, html):
    doc = html(admin.post("/account/password", data={"current_password": "", "new_password":
                                                     "short", "confirm": "other"}))
    _check_form_markup(doc, ["current_password", "new_password", "confirm"])
    doc = html(admin.post("/admin/users/new", data={"email": "nope", "role": "manager"}))
    _check_form_markup(doc, ["email", "department"])


def test_ids_stay_unique_with_csrf_tokens_in_several_forms(db, make_app, people, html):
    """The nav's log-out form and the page's buttons each carry a token, one id at most."""
    from tests.conftest import FAST_PASSWORD_HASH

    app = make_app(WTF_CSRF_ENABLED=True, PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH)
    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": people["admin"].email,
                                "password": people["admin"].password, "csrf_token": token})
    manager_id = storage.get_user_by_email(db, people["manager"].email).id
    doc = html(client.get(f"/admin/users/{manager_id}"))
    tokens = doc.find_all("input", name="csrf_token")
    assert len(tokens) == 4  # log out, the role form, reset, disable
    ids = [n.get("id") for n in doc.iter() if n.get("id")]
    assert len(ids) == len(set(ids))


def test_an_unknown_role_gets_one_error_not_two(admin, html):
    doc = html(admin.post("/admin/users/new", data={"email": "x@example.org", "role": "owner",
                                                    "department": "Sales"}))
    assert doc.by_id("role-error") is not None
    assert doc.by_id("department-error") is None
