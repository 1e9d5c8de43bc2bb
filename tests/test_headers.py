"""Security headers on every response, and what changes behind a TLS proxy.

The walk requests every rule of the URL map (tests/test_access.py's walk, so a
page added later is walked too) anonymously and with every role, plus an
unknown address, a static file and a refused body, and checks each answer's
headers: a Content-Security-Policy that allows no inline script, ``nosniff``,
``no-referrer``, HSTS only over HTTPS and no server version.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

import pytest
from flask import render_template_string

from survey_app import security
from tests.conftest import ROOT, serve
from tests.test_access import _requests

#: Directives the policy must hold, with exactly these sources.
REQUIRED_CSP = {
    "default-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
#: What the walk checked, for docs/security.md's figures.
WALKED: dict[str, int] = {}


def parse_csp(value: str) -> dict[str, list[str]]:
    policy = {}
    for directive in filter(None, (part.strip() for part in value.split(";"))):
        name, *sources = directive.split()
        policy[name] = sources
    return policy


def header_problems(response, *, https: bool = False) -> list[str]:
    """Every way the response's headers fall short (empty when they are right)."""
    problems = []
    headers = response.headers
    csp = parse_csp(headers.get("Content-Security-Policy", ""))
    # A page may be stricter: ``default-src 'none'`` (the reports) stands for
    # every fetch directive it does not name (object-src and script-src too).
    strict = csp.get("default-src") == ["'none'"]
    for name, sources in REQUIRED_CSP.items():
        if csp.get(name) == sources or (strict and name in ("default-src", "object-src")
                                        and name not in csp or csp.get(name) == ["'none'"]):
            continue
        problems.append(f"CSP {name} is {csp.get(name)}, expected {sources}")
    scripts = csp.get("script-src", csp.get("default-src", []))
    bad = [s for s in scripts if s not in ("'self'", "'none'") and not s.startswith("'nonce-")]
    if bad:
        problems.append(f"CSP script-src allows {bad}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if headers.get("Referrer-Policy") != "no-referrer":
        problems.append(f"Referrer-Policy {headers.get('Referrer-Policy')}")
    hsts = headers.get("Strict-Transport-Security")
    if https and not (hsts and "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 15552000):
        problems.append(f"HTTPS without HSTS of six months or more: {hsts}")
    if not https and hsts:
        problems.append("HSTS over plain HTTP")
    server = headers.get("Server", "")
    if any(ch.isdigit() for ch in server) or "werkzeug" in server.lower() or "python" in server.lower():
        problems.append(f"Server header tells the version: {server}")
    return problems


@pytest.fixture
def walk_target(auth_app, people):
    from survey_app.auth import create_account
    from survey_app.db import get_db

    with auth_app.app_context():
        return create_account(get_db(), "target@example.org", "analyst", "target password 1")


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_every_route_with_every_role_has_the_headers(auth_app, people, walk_target, https):
    base_url = "https://localhost" if https else "http://localhost"
    clients = {"anonymous": auth_app.test_client()}
    for role, person in people.items():
        clients[role] = auth_app.test_client()
        response = clients[role].post("/login", data={"email": person.email, "password": person.password},
                                      base_url=base_url)
        assert response.status_code == 303, role
        assert not header_problems(response, https=https), (role, header_problems(response, https=https))
    problems, count, rules = [], 0, set()
    extra = [("GET", "/no-such-page"), ("GET", "/static/pulse.css"),
             ("POST", "/login", {"json": {"email": 1}}), ("GET", "/s%2Fabc")]
    for endpoint, method, path, _expected in _requests(auth_app, walk_target.id):
        rules.add(endpoint)
        for who, client in clients.items():
            response = client.open(path, method=method, base_url=base_url)
            response.close()
            count += 1
            problems += [f"{who} {method} {path}: {p}" for p in header_problems(response, https=https)]
    for method, path, *kwargs in extra:
        for who, client in clients.items():
            response = client.open(path, method=method, base_url=base_url, **(kwargs[0] if kwargs else {}))
            response.close()
            count += 1
            problems += [f"{who} {method} {path}: {p}" for p in header_problems(response, https=https)]
    assert not problems, "\n".join(problems[:20])
    WALKED["rules"], WALKED["requests"] = len(rules), count
    assert len(rules) >= 15 and count >= 8 * 15


def test_the_check_fails_a_response_without_the_headers(auth_app):
    """header_problems is not a check that cannot fail."""
    response = auth_app.test_client().get("/login")
    assert not header_problems(response)
    del response.headers["Content-Security-Policy"]
    response.headers["Server"] = "Werkzeug/3.1.3 Python/3.11.2"
    response.headers["Strict-Transport-Security"] = "max-age=1"
    found = " ".join(header_problems(response))
    assert "default-src" in found and "version" in found and "HSTS over plain" in found
    response.headers["Content-Security-Policy"] = security.content_security_policy().replace(
        "script-src 'self'", "script-src 'self' 'unsafe-inline'")
    assert "unsafe-inline" in " ".join(header_problems(response))


def test_a_page_that_needs_a_script_gets_a_fresh_nonce(make_app):
    app = make_app()
    app.add_url_rule("/with-script", "with_script", lambda: render_template_string(
        '<script nonce="{{ csp_nonce() }}">1</script>'))
    client = app.test_client()
    nonces = []
    for _ in range(2):
        response = client.get("/with-script")
        nonce = response.get_data(as_text=True).split('nonce="')[1].split('"')[0]
        assert parse_csp(response.headers["Content-Security-Policy"])["script-src"] == [
            "'self'", f"'nonce-{nonce}'"]
        nonces.append(nonce)
    assert nonces[0] != nonces[1] and len(nonces[0]) >= 16
    # A page without a script gets no nonce at all.
    assert "nonce" not in client.get("/login").headers["Content-Security-Policy"]


def test_the_real_server_names_no_version(make_app):
    with serve(make_app()) as base:
        with urllib.request.urlopen(base + "/") as response:
            server = response.headers.get_all("Server")
    assert server == [security.SERVER_NAME_HEADER]


# -------------------------------------------------------------------------
# Behind a TLS-terminating proxy
# -------------------------------------------------------------------------

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9",
             "X-Forwarded-Host": "survey.example.org"}


def _secure_cookies(response) -> dict[str, bool]:
    return {h.split("=", 1)[0]: "; secure" in h.lower()
            for h in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("proxies", [0, 1])
def test_https_behind_a_trusted_proxy_only(make_app, make_pulse, survey_answers, proxies):
    pulse = make_pulse()
    app = make_app(TRUSTED_PROXIES=proxies, PASSWORD_HASH_PARAMS={"memory_cost": 8, "time_cost": 1,
                                                                  "parallelism": 1})
    client = app.test_client()
    response = client.get("/", headers=FORWARDED)
    assert ("Strict-Transport-Security" in response.headers) == bool(proxies)
    # The open link's cookie and the session cookie are Secure over HTTPS.
    answers = {k: v for k, v in survey_answers.items() if not k.startswith("seg_")}
    answers["seg_department"] = "Sales"
    answers["seg_role_level"] = "staff"
    sent = client.post(f"/o/{pulse.open_token}", data=answers, headers=FORWARDED)
    assert sent.status_code == 303, sent.get_data(as_text=True)[:500]
    assert _secure_cookies(sent) == {"session": bool(proxies), "trinity_answered": bool(proxies)}


def test_a_client_cannot_forge_its_address_without_a_trusted_proxy(make_app):
    seen = []
    for proxies in (0, 1):
        app = make_app(TRUSTED_PROXIES=proxies)
        app.add_url_rule("/addr", "addr", lambda: __import__("flask").request.remote_addr or "")
        seen.append(app.test_client().get("/addr", headers=FORWARDED).get_data(as_text=True))
    assert seen == ["127.0.0.1", "203.0.113.9"]


def test_trusted_hosts_refuse_another_host(make_app):
    app = make_app(TRUSTED_HOSTS=["survey.example.org"])
    client = app.test_client()
    assert client.get("/", base_url="http://survey.example.org").status_code == 200
    refused = client.get("/", base_url="http://evil.example")
    assert refused.status_code == 400
    assert not header_problems(refused)


def test_settings_come_from_the_environment(tmp_path):
    env = dict(os.environ, TRINITY_TRUSTED_PROXIES="2",
               TRINITY_TRUSTED_HOSTS="survey.example.org, .example.net",
               TRINITY_OPEN_LINK_RATE="10/5", TRINITY_DATABASE=str(tmp_path / "x.sqlite3"),
               TRINITY_SECRET_KEY="k")
    code = ("from survey_app import create_app; c = create_app().config; "
            "print(c['TRUSTED_PROXIES'], c['TRUSTED_HOSTS'], c['OPEN_LINK_RATE'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.split("\n")[-2] == "2 ['survey.example.org', '.example.net'] 10/5"
