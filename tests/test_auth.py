"""Login, logout, sessions, throttling, hashing and password changes (issue 7).

Real app, real SQLite file, real argon2: nothing of ours is mocked. Most tests
use ``auth_app`` (the cheapest argon2 cost) so that signing in is quick; the
tests about the cost itself and about timing use the default settings.
"""

from __future__ import annotations

import re
import statistics
import time

import pytest

from survey_app import create_app, storage
from survey_app.auth import passwords
from survey_app.auth.throttle import ThrottleRule
from survey_app.config import Config
from survey_app.db import connect
from tests.conftest import FAST_PASSWORD_HASH, TEST_SECRET_KEY


def _session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def _session_data(app, cookie_value):
    return app.session_interface.get_signing_serializer(app).loads(cookie_value)


def _csrf(response):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      response.get_data(as_text=True))
    assert match, "no CSRF token on the page"
    return match.group(1)


def _audit_actions(app, subject):
    db = connect(app.config["DATABASE"])
    try:
        return [e.action for e in reversed(storage.list_audit(db)) if e.subject == subject]
    finally:
        db.close()


def _stored_user(app, email):
    db = connect(app.config["DATABASE"])
    try:
        return storage.get_user_by_email(db, email)
    finally:
        db.close()


# --------------------------------------------------------------------------
# Cost of the hash
# --------------------------------------------------------------------------


def test_default_settings_meet_owasps_minimum_for_argon2id():
    """The shipped cost is at or above m=19 MiB, t=2, p=1 (OWASP cheat sheet)."""
    params = Config.PASSWORD_HASH_PARAMS
    assert params["memory_cost"] >= 19456
    assert params["time_cost"] >= 2
    assert params["parallelism"] >= 1
    assert passwords.below_minimum(params) == []


def test_a_hash_made_with_the_defaults_is_argon2id_at_that_cost(make_app):
    app = make_app()
    with app.app_context():
        hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_the_app_refuses_a_weak_hash_outside_tests(tmp_path):
    with pytest.raises(RuntimeError, match="below OWASP's minimum.*memory_cost=8 < 19456"):
        create_app({"DATABASE": str(tmp_path / "x.db"), "SECRET_KEY": TEST_SECRET_KEY,
                    "PASSWORD_HASH_PARAMS": FAST_PASSWORD_HASH})


def test_unknown_hash_settings_are_refused():
    with pytest.raises(ValueError, match="unknown key.*memory"):
        passwords.check_params({"memory": 65536})


# --------------------------------------------------------------------------
# Login and logout
# --------------------------------------------------------------------------


def test_login_goes_to_next_and_logout_ends_the_session(auth_client, people, login):
    analyst = people["analyst"]
    first = auth_client.get("/reports/")
    assert first.status_code == 302
    assert first.headers["Location"] == "/login?next=/reports/"
    response = login(auth_client, analyst, next="/reports/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/reports/"
    page = auth_client.get("/reports/")
    assert page.status_code == 200
    assert f"Signed in as {analyst.email}" in page.get_data(as_text=True)

    out = auth_client.post("/logout")
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert "You have signed out." in auth_client.get("/login").get_data(as_text=True)
    assert auth_client.get("/reports/").status_code == 302


def test_next_never_leaves_the_site(auth_client, people, login):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        client = auth_client.application.test_client()
        response = login(client, people["ceo"], next=target)
        assert response.headers["Location"] == "/reports/ceo", target


def test_email_is_not_case_sensitive(auth_client, people, login):
    response = login(auth_client, "  " + people["cmo"].email.upper(), people["cmo"].password)
    assert response.status_code == 303


def test_logout_is_a_post_with_a_csrf_token(make_app, people, login):
    app = make_app(WTF_CSRF_ENABLED=True, PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH)
    client = app.test_client()
    token = _csrf(client.get("/login"))
    client.post("/login", data={"email": people["clo"].email, "password": people["clo"].password,
                                "csrf_token": token})
    assert client.get("/logout").status_code == 405
    refused = client.post("/logout")
    assert refused.status_code == 400
    assert "Reload the page" in refused.get_data(as_text=True)
    assert client.get("/reports/clo").status_code == 200  # still signed in
    page = client.get("/reports/clo")
    assert client.post("/logout", data={"csrf_token": _csrf(page)}).status_code == 303
    assert client.get("/reports/clo").status_code == 302


def test_login_renews_the_session(make_app, people):
    """Nothing of the session before login survives it (no session fixation)."""
    app = make_app(WTF_CSRF_ENABLED=True, PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH)
    client = app.test_client()
    token = _csrf(client.get("/login"))
    before = _session_cookie(client)
    assert _session_data(app, before)["csrf_token"]
    response = client.post("/login", data={"email": people["admin"].email,
                                           "password": people["admin"].password,
                                           "csrf_token": token})
    assert response.status_code == 303
    after = _session_cookie(client)
    assert after != before
    data = _session_data(app, after)
    assert "csrf_token" not in data  # the pre-login CSRF token is gone
    assert data["_user_id"].startswith(f"{_stored_user(app, people['admin'].email).id}:")
    assert data["_id"]  # Flask-Login's strong session protection identifier
    # The pre-login cookie, replayed, signs in no one.
    other = app.test_client()
    other.set_cookie("session", before)
    assert other.get("/admin/users").status_code == 302


def test_a_copied_session_cookie_dies_at_logout(auth_app, people, login):
    client = auth_app.test_client()
    login(client, people["manager"])
    copied = _session_cookie(client)
    thief = auth_app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/home").status_code == 302
    assert thief.get("/reports/department/Sales").status_code == 200  # the copy worked...
    client.post("/logout")
    replay = thief.get("/reports/department/Sales")
    assert replay.status_code == 302  # ...and is dead after logout
    assert replay.headers["Location"].startswith("/login?next=")
    assert _audit_actions(auth_app, people["manager"].email)[-2:] == ["login", "logout"]


def test_a_session_used_from_another_address_is_dropped(auth_app, people, login):
    """Flask-Login's "strong" protection: a cookie replayed from elsewhere signs in no one."""
    client = auth_app.test_client()
    login(client, people["ceo"])
    thief = auth_app.test_client()
    thief.set_cookie("session", _session_cookie(client))
    elsewhere = thief.get("/reports/ceo", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 302
    assert client.get("/reports/ceo").status_code == 200


def test_unknown_user_and_wrong_password_get_the_same_answer(auth_client, people, login):
    unknown = login(auth_client, "nobody@example.org", "a wrong password")
    wrong = login(auth_client, people["admin"].email, "a wrong password")
    assert unknown.status_code == wrong.status_code == 422
    same = [r.get_data(as_text=True).replace(email, "EMAIL") for r, email in
            ((unknown, "nobody@example.org"), (wrong, people["admin"].email))]
    assert same[0] == same[1]
    assert "The email address or the password is not right." in same[0]


def _login_seconds(client, email, addr):
    """The CPU time this process spends on one failed sign-in.

    CPU time, not the wall clock: the argon2 verification is CPU work done
    in this process, and the wall clock also counts the time other processes
    (the other pass of ``make test``, a browser, a database server) hold the
    cores, which once made the two kinds of attempt differ by chance.
    """
    start = time.process_time()
    response = client.post("/login", data={"email": email, "password": "a wrong password"},
                           environ_base={"REMOTE_ADDR": addr})
    elapsed = time.process_time() - start
    assert response.status_code == 422
    return elapsed


def test_unknown_user_and_wrong_password_take_similar_time(make_app):
    """At the real cost an unknown email still costs one argon2 verification.

    The two kinds of attempt alternate, so a busy machine slows both alike,
    and each comes from its own address, so throttling never enters the
    timing. Without the dummy hash an unknown email answers in well under
    half the time.
    """
    app = make_app()
    with app.app_context():
        from survey_app.auth import create_account
        from survey_app.db import get_db

        create_account(get_db(), "timed@example.org", "analyst", "the right password")
    client = app.test_client()
    times = {"timed@example.org": [], "nobody@example.org": []}
    for i in range(-2, 15):  # the first two rounds warm up
        for n, email in enumerate(times):
            elapsed = _login_seconds(client, email, f"10.0.{n}.{i + 2}")
            if i >= 0:
                times[email].append(elapsed)
    wrong, unknown = (statistics.median(t) for t in times.values())
    assert abs(unknown - wrong) < 0.35 * wrong, (unknown, wrong)


def test_a_disabled_account_cannot_sign_in(auth_app, people, login):
    client = auth_app.test_client()
    login(client, people["analyst"])
    with auth_app.app_context():
        from survey_app.auth import accounts
        from survey_app.db import get_db

        accounts.set_disabled(get_db(), _stored_user(auth_app, people["analyst"].email), True,
                              actor=None)
    assert client.get("/reports/analyst").status_code == 302  # its session ended
    refused = login(auth_app.test_client(), people["analyst"])
    assert refused.status_code == 403
    assert "This account has been disabled" in refused.get_data(as_text=True)


# --------------------------------------------------------------------------
# Throttling
# --------------------------------------------------------------------------


def test_the_delay_doubles_after_the_free_failures_up_to_the_cap():
    rule = ThrottleRule(free_failures=5, base_delay=1.0, max_delay=60.0)
    assert [rule.delay_after(n) for n in range(1, 13)] == [
        0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60]


def test_login_is_throttled_with_growing_delays_per_account_and_address(make_app, people):
    app = make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH, LOGIN_THROTTLE_BASE_DELAY=0.3,
                   LOGIN_THROTTLE_MAX_DELAY=1.2)
    victim = people["cmo"]
    attacker = app.test_client()

    def attempt(client, password, addr="192.0.2.1"):
        return client.post("/login", data={"email": victim.email, "password": password},
                           environ_base={"REMOTE_ADDR": addr})

    for _ in range(5):  # free failures: answered at once
        assert attempt(attacker, "guess guess guess").status_code == 422
    refused = attempt(attacker, "guess guess guess")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "Too many failed attempts for this account from your address" in (
        refused.get_data(as_text=True))
    # Even the right password is refused from this address while it waits...
    assert attempt(app.test_client(), victim.password).status_code == 429
    # ...but the victim signs in from their own address: no lockout.
    assert attempt(app.test_client(), victim.password, addr="198.51.100.7").status_code == 303

    time.sleep(0.35)  # the first delay (0.3 s) is over
    assert attempt(attacker, "guess guess guess").status_code == 422  # 6th failure: 0.6 s
    time.sleep(0.35)
    assert attempt(attacker, "guess guess guess").status_code == 429  # the delay grew
    time.sleep(0.35)
    assert attempt(attacker, victim.password).status_code == 303  # and a success clears it
    assert attempt(app.test_client(), "guess guess guess").status_code == 422


def test_unknown_accounts_are_throttled_the_same_way(make_app):
    app = make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH, LOGIN_THROTTLE_BASE_DELAY=30)
    client = app.test_client()
    codes = [client.post("/login", data={"email": "ghost@example.org", "password": "x"}).status_code
             for _ in range(6)]
    assert codes == [422] * 5 + [429]


def test_attempts_are_stored_by_a_keyed_hash_without_the_address(auth_app, people, login):
    login(auth_app.test_client(), people["admin"].email, "wrong", addr="192.0.2.55")
    db = connect(auth_app.config["DATABASE"])
    rows = list(db.query("SELECT * FROM login_attempts"))
    db.close()
    assert len(rows) == 1 and rows[0]["failures"] == 1
    assert re.fullmatch(r"[0-9a-f]{64}", rows[0]["key_hash"])
    assert "192.0.2.55" not in str(rows[0])


# --------------------------------------------------------------------------
# Rehash, password change, reset
# --------------------------------------------------------------------------


def test_login_rehashes_when_the_parameters_rise(make_app, people):
    analyst = people["analyst"]
    old_hash = _stored_user(make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH),
                            analyst.email).password_hash
    assert ",t=1,p=1$" in old_hash
    same = make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH)
    assert same.test_client().post("/login", data={"email": analyst.email,
                                                   "password": analyst.password}).status_code == 303
    assert _stored_user(same, analyst.email).password_hash == old_hash  # no needless rehash

    stronger = make_app(PASSWORD_HASH_PARAMS={"memory_cost": 16, "time_cost": 2,
                                              "parallelism": 1})
    client = stronger.test_client()
    assert client.post("/login", data={"email": analyst.email,
                                       "password": analyst.password}).status_code == 303
    new_hash = _stored_user(stronger, analyst.email).password_hash
    assert new_hash.startswith("$argon2id$v=19$m=16,t=2,p=1$")
    assert client.get("/reports/analyst").status_code == 200  # the session survives a rehash
    assert "rehash password" in _audit_actions(stronger, analyst.email)
    again = stronger.test_client().post("/login", data={"email": analyst.email,
                                                        "password": analyst.password})
    assert again.status_code == 303


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current_password": "not it at all", "new_password": "a brand new secret",
          "confirm": "a brand new secret"}, "The current password is not right."),
        ({"new_password": "short", "confirm": "short"},
         "it needs at least 12"),
        ({"new_password": "a brand new secret", "confirm": "a brand new secreT"},
         "The two new passwords are not the same."),
        ({"current_password": ""}, "Enter your current password."),
    ],
)
def test_a_bad_password_change_says_why(auth_client, people, login, form, message):
    person = people["clo"]
    login(auth_client, person)
    data = {"current_password": person.password, "new_password": "", "confirm": ""} | form
    response = auth_client.post("/account/password", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert login(auth_client.application.test_client(), person).status_code == 303


def test_changing_ones_password_ends_the_other_sessions(auth_app, people, login):
    person = people["manager"]
    here, elsewhere = auth_app.test_client(), auth_app.test_client()
    login(here, person)
    login(elsewhere, person, addr="198.51.100.20")
    new = "a much longer new password"
    changed = here.post("/account/password", data={
        "current_password": person.password, "new_password": new, "confirm": new})
    assert changed.status_code == 303
    assert "Your password has been changed" in here.get(
        "/reports/department/Sales").get_data(as_text=True)
    assert elsewhere.get("/reports/department/Sales",
                         environ_base={"REMOTE_ADDR": "198.51.100.20"}).status_code == 302
    assert login(auth_app.test_client(), person).status_code == 422  # old password
    assert login(auth_app.test_client(), person.email, new).status_code == 303
    assert "change password" in _audit_actions(auth_app, person.email)


def test_an_admin_reset_shows_a_new_password_once(auth_app, people, login):
    admin, analyst = people["admin"], people["analyst"]
    victim_session = auth_app.test_client()
    login(victim_session, analyst)
    client = auth_app.test_client()
    login(client, admin)
    user_id = _stored_user(auth_app, analyst.email).id
    page = client.post(f"/admin/users/{user_id}/reset-password")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    new = re.search(r'<code class="secret">([^<]+)</code>', page.get_data(as_text=True)).group(1)
    assert len(new) >= passwords.MIN_PASSWORD_LENGTH
    assert new not in client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert victim_session.get("/reports/analyst").status_code == 302  # signed out
    assert login(auth_app.test_client(), analyst).status_code == 422
    assert login(auth_app.test_client(), analyst.email, new).status_code == 303
    db = connect(auth_app.config["DATABASE"])
    entry = next(e for e in storage.list_audit(db) if e.action == "reset password")
    db.close()
    assert (entry.actor, entry.subject) == (admin.email, analyst.email)


def test_generated_passwords_are_long_and_different():
    made = {passwords.generate_password() for _ in range(50)}
    assert len(made) == 50
    assert all(re.fullmatch(r"([a-z2-9]{5}-){3}[a-z2-9]{5}", p) for p in made)
    assert all(passwords.check_new_password(p) == p for p in made)


def test_a_setting_that_is_not_a_number_is_named(monkeypatch):
    from survey_app.config import _env_number

    monkeypatch.setenv("TRINITY_LOGIN_BASE_DELAY", "soon")
    with pytest.raises(RuntimeError, match="TRINITY_LOGIN_BASE_DELAY must be a number, got 'soon'"):
        _env_number("TRINITY_LOGIN_BASE_DELAY", 1.0, float)
    monkeypatch.setenv("TRINITY_ARGON2_TIME_COST", "3")
    assert _env_number("TRINITY_ARGON2_TIME_COST", 2) == 3
    monkeypatch.delenv("TRINITY_ARGON2_TIME_COST")
    assert _env_number("TRINITY_ARGON2_TIME_COST", 2) == 2
