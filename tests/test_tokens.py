"""Survey links: refused when tampered, unknown, used or closed, in every
spelling of the path; and no log line holds a token, an address or a time.

The spellings are sent over a socket to a real server (http.client sends the
path exactly as written), since the test client and the server decode paths
differently; the logs are werkzeug's and the app's own, captured while a
respondent answers.
"""

from __future__ import annotations

import http.client
import logging
import re
import urllib.parse

import pytest

from survey_app import storage
from tests.conftest import serve


def spellings(prefix: str, token: str, *, leading_slashes: bool = False) -> list[str]:
    """Every other way of writing ``/<prefix>/<token>`` that a server might route.

    ``//s/<token>``: Python's http.server (under werkzeug's development
    server) rewrites a leading ``//`` to ``/`` before the app sees the
    request, so there it *is* the link; a server that passes it on (gunicorn
    keeps the raw path) is tried with the test client, which does the same.
    """
    encoded_char = token[:3] + "%{:02X}".format(ord(token[3])) + token[4:]
    return [
        f"/{prefix}%2F{token}",
        f"/{prefix}%2f{token}",
        *([f"//{prefix}/{token}"] if leading_slashes else []),
        f"/{prefix}//{token}",
        f"/{prefix}/{token}/",
        f"/%{ord(prefix):02x}/{token}",
        f"/{prefix}/{encoded_char}",
        f"/{prefix}/{urllib.parse.quote(token, safe='')}%00",
        f"/{prefix}%5C{token}",
    ]


def fetch(base: str, method: str, path: str, body: str | None = None) -> int:
    netloc = urllib.parse.urlsplit(base).netloc
    conn = http.client.HTTPConnection(netloc, timeout=10)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def _answers(survey_answers):
    return urllib.parse.urlencode(survey_answers)


def test_other_spellings_of_a_live_link_are_unknown(make_app, make_pulse, db, survey_answers):
    pulse = make_pulse()
    token, open_token = pulse.tokens[0], pulse.open_token
    wrong = []
    with serve(make_app()) as base:
        assert fetch(base, "GET", f"/s/{token}") == 200
        assert fetch(base, "GET", f"/o/{open_token}") == 200
        for prefix, secret in (("s", token), ("o", open_token)):
            for path in spellings(prefix, secret):
                for method, body in (("GET", None), ("POST", _answers(survey_answers))):
                    status = fetch(base, method, path, body)
                    if status != 404:
                        wrong.append(f"{method} {path}: {status}")
    assert not wrong, "\n".join(wrong)
    # Nothing was stored and the invitation is still unused.
    assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0
    assert storage.find_invitation(db, token).used is False


def test_every_spelling_is_unknown_where_the_server_passes_it_on(client, open_pulse, db, survey_answers):
    """The test client hands the app the raw path, as gunicorn does (RAW_URI)."""
    for prefix, secret in (("s", open_pulse.tokens[0]), ("o", open_pulse.open_token)):
        for path in spellings(prefix, secret, leading_slashes=True):
            assert client.get(path).status_code == 404, path
            assert client.post(path, data=survey_answers).status_code == 404, path
    assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0


def test_tampered_unknown_used_and_closed_links_are_refused(make_app, make_pulse, db, survey_answers):
    pulse = make_pulse()
    closed = make_pulse("closed-pulse", status="closed")
    token = pulse.tokens[0]
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    body = _answers(survey_answers)
    with serve(make_app()) as base:
        assert fetch(base, "POST", f"/s/{token}", body) == 303
        cases = {
            f"/s/{flipped}": 404, f"/s/{token[:-2]}": 404, "/s/" + "A" * 32: 404,
            f"/o/{pulse.open_token[:-1]}x": 404, f"/s/{token}": 409,
            f"/s/{closed.tokens[0]}": 410, f"/o/{closed.open_token}": 410,
        }
        for path, expected in cases.items():
            for method in ("GET", "POST"):
                got = fetch(base, method, path, body if method == "POST" else None)
                assert got == expected, (method, path, got)
            for spelled in spellings(path[1], path[3:]):
                assert fetch(base, "GET", spelled) == 404, spelled
    assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 1


#: What a log line must not hold besides tokens: an address or a clock time.
ADDRESS_OR_TIME = re.compile(r"\b127\.0\.0\.1\b|\d{1,2}:\d{2}:\d{2}|\[\d{2}/\w{3}/\d{4}")


def test_no_log_line_holds_a_token_an_address_or_a_time(make_app, make_pulse, survey_answers, caplog):
    from flask.logging import default_handler

    pulse = make_pulse()
    other = make_pulse("other-pulse")
    app = make_app()
    secrets = set(pulse.tokens) | {pulse.open_token} | set(other.tokens)
    body = _answers(survey_answers)
    with caplog.at_level(logging.DEBUG), serve(app) as base:
        for token in pulse.tokens[:3]:
            fetch(base, "GET", f"/s/{token}")
            fetch(base, "POST", f"/s/{token}", body)
            fetch(base, "GET", f"/s/{token}")
            for spelled in spellings("s", token):
                fetch(base, "GET", spelled)
        fetch(base, "GET", f"/o/{pulse.open_token}")
        fetch(base, "POST", f"/o/{pulse.open_token}", "enps=5")
        fetch(base, "GET", f"/login?next=/s/{other.tokens[0]}")
        fetch(base, "GET", "/thanks")
        app.logger.warning("Response to %s refused by storage: %s", pulse.slug, "a test line")
    lines = [record.getMessage() for record in caplog.records]
    app_lines = [default_handler.format(r) for r in caplog.records if r.name == app.logger.name]
    request_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(request_lines) >= 3 * (3 + len(spellings("s", "x" * 8))) + 4
    leaks = [line for line in lines for secret in secrets
             if secret in line or urllib.parse.quote(secret) in line or secret[4:] in line]
    assert not leaks, leaks[:5]
    assert not [line for line in request_lines + app_lines if ADDRESS_OR_TIME.search(line)]
    assert any("/s/<token>" in line for line in request_lines)
    assert app_lines and all(line.startswith("WARNING in ") for line in app_lines)


def test_the_log_check_sees_a_leak(caplog):
    """The same filter switched off lets the token through: the check can fail."""
    from survey_app.survey.routes import RedactSurveyTokens

    logger = logging.getLogger("werkzeug")
    filters = [f for f in logger.filters if isinstance(f, RedactSurveyTokens)]
    for f in filters:
        logger.removeFilter(f)
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            logger.info('127.0.0.1 - - [01/Dec/2026 08:00:00] "%s" %s %s', "GET /s%2Fsecret HTTP/1.1", 404, "-")
    finally:
        for f in filters:
            logger.addFilter(f)
    assert "secret" in caplog.text and ADDRESS_OR_TIME.search(caplog.text)


@pytest.mark.parametrize("line", [
    "GET /s%2F{t} HTTP/1.1", "GET //s/{t} HTTP/1.1", "GET /%73/{t} HTTP/1.1",
    "GET /s/%{h}{rest} HTTP/1.1", "POST /o%2f{t}?x=1 HTTP/1.1", "GET /s%5C{t} HTTP/1.1",
    "GET /login?next=%2Fs%2F{t} HTTP/1.1",
])
def test_redaction_covers_every_spelling(line):
    from survey_app.survey.routes import redact_tokens

    token = "Zq3kVw9sLmT0pR7xYb2nHc5d"
    text = line.format(t=token, h=f"{ord(token[0]):02X}", rest=token[1:])
    redacted = redact_tokens(text)
    assert token[1:] not in redacted and "<token>" in redacted


def test_a_link_under_a_prefix_is_still_its_own_spelling(make_app, open_pulse):
    """Mounted at /pulse by a proxy (X-Forwarded-Prefix) or by the WSGI server."""
    app = make_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    token = open_pulse.tokens[0]
    stripped = client.get(f"/s/{token}", headers={"X-Forwarded-Prefix": "/pulse"})
    assert stripped.status_code == 200
    mounted = client.get(f"/s/{token}", environ_overrides={"SCRIPT_NAME": "/pulse",
                                                           "RAW_URI": f"/pulse/s/{token}"})
    assert mounted.status_code == 200
    assert client.get(f"/s%2F{token}", headers={"X-Forwarded-Prefix": "/pulse"}).status_code == 404
