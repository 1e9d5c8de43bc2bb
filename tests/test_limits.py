"""Limits on what a request may carry and how often an address may post.

Bodies: an explicit maximum size (413), also for a chunked body with no
Content-Length, sent raw to a real server on 127.0.0.1; at most 1,000 form
parts; an overlong answer is a validation error; a body that is not a form
(JSON, text, XML, bytes) posted to any POST route of the URL map is a 400 or
415, never a 500. Rates: 429 with Retry-After, counted in a store every
worker shares (two servers, two apps, one count), keyed by a hash and never
the address; and the login throttle under threads against a real server.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from survey_app import ratelimit, storage
from survey_app.config import Config
from tests.conftest import FAST_PASSWORD_HASH, serve
from tests.test_access import _requests

#: Bodies that are not a browser's form, as (content type, bytes).
NON_FORM_BODIES = [
    ("application/json", json.dumps({"email": 1, "password": [], "q1": 5, "csrf_token": None}).encode()),
    ("application/json", b"[1, 2"),
    ("application/merge-patch+json", b"{}"),
    ("text/plain", b"email=a@b.c&password=x"),
    ("application/xml", b"<?xml version='1.0'?><a>&amp;</a>"),
    ("application/octet-stream", bytes(range(256))),
    (None, b"email=a@b.c"),
]


def raw_request(base: str, head: str, body_chunks=(), *, chunked=False) -> int:
    """Send a request over a plain socket; return the status code."""
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            for chunk in body_chunks:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all
        reply = sock.makefile("rb").readline()
    return int(reply.split()[1])


def test_a_chunked_body_over_the_limit_is_refused_by_a_real_server(make_app):
    app = make_app()
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == Config.MAX_CONTENT_LENGTH == 256 * 1024
    head = ("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
    big = [b"email=" + b"a" * 8192] + [b"a" * 8192] * (limit // 8192 + 8)
    with serve(app) as base:
        assert raw_request(base, head, big, chunked=True) == 413
        # The same way of sending, small: read and answered as a form.
        assert raw_request(base, head, [b"email=a%40b.c&password=x"], chunked=True) == 422
        # Declared too large: refused without reading it.
        declared = head.replace("Transfer-Encoding: chunked", f"Content-Length: {limit + 1}")
        assert raw_request(base, declared, [b"a" * 1024]) == 413


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_form_of_more_than_a_thousand_parts_is_refused(client, open_pulse, encoding):
    url = f"/o/{open_pulse.open_token}"
    fields = {f"f{i}": "1" for i in range(1001)}
    if encoding == "multipart":
        response = client.post(url, data=fields, content_type="multipart/form-data")
    else:
        response = client.post(url, data=urllib.parse.urlencode(fields),
                               content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    # 1,000 parts are still a form (refused for what it says, not its size).
    del fields["f0"]
    assert client.post(url, data=fields).status_code == 422


def test_overlong_answers_are_errors_never_cut(client, db, open_pulse, survey_answers, instrument):
    from analysis.instrument import DEFAULT_MAX_LENGTH

    comment = next(i for i in instrument.items if i.type == "comment")
    limit = comment.max_length or DEFAULT_MAX_LENGTH
    response = client.post(f"/s/{open_pulse.tokens[0]}",
                           data=dict(survey_answers, **{comment.id: "x" * (limit + 1)}))
    assert response.status_code == 422
    assert f"{limit} characters or fewer" in response.get_data(as_text=True)
    assert db.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 0
    exact = client.post(f"/s/{open_pulse.tokens[0]}",
                        data=dict(survey_answers, **{comment.id: "x" * limit}))
    assert exact.status_code == 303


def test_overlong_login_fields_are_errors(auth_client):
    response = auth_client.post("/login", data={"email": "a" * 400 + "@example.org",
                                                "password": "p" * 5000})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "characters" in page or "longer" in page


def post_paths(app, pulse):
    """``[(endpoint, path)]`` of every POST rule (test_access's walk), live links for the survey."""
    from survey_app.auth import create_account
    from survey_app.db import get_db

    with app.app_context():
        target = create_account(get_db(), "target@example.org", "analyst", "target password 1")
    real = {"/s/not-a-token": f"/s/{pulse.tokens[0]}", "/o/not-an-open-token": f"/o/{pulse.open_token}"}
    paths = []
    for endpoint, _method, path, _roles in _requests(app, target.id):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        if "POST" in rule.methods:
            paths.append((endpoint, real.get(path, path)))
    return paths


def test_non_form_bodies_to_every_post_route_are_400_or_415(auth_app, people, login, make_pulse, db):
    """Signed in as the admin (who may post everywhere), and anonymously."""
    pulse = make_pulse()
    admin = auth_app.test_client()
    assert login(admin, people["admin"]).status_code == 303
    anonymous = auth_app.test_client()
    wrong, posted = [], 0
    for _endpoint, path in post_paths(auth_app, pulse):
        for client in (admin, anonymous):
            for content_type, body in NON_FORM_BODIES:
                headers = {"Content-Type": content_type} if content_type else {}
                response = client.post(path, data=body, headers=headers)
                response.close()
                posted += 1
                if response.status_code not in (400, 415):
                    wrong.append(f"{content_type} to {path}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
    assert posted >= 2 * len(NON_FORM_BODIES) * 8
    # The survey is still answerable afterwards: nothing was stored or spent.
    assert storage.find_invitation(db, pulse.tokens[0]).used is False


def test_a_nul_character_is_never_a_500_and_a_400_wherever_a_form_is_read(
        auth_app, people, login, make_pulse, db):
    """In a field's value, a field's name or the query, to every POST route,
    signed in and not: never a 500 (PostgreSQL refuses NUL in any text, so
    the login was one there), the same clear 400 on both engines wherever
    the form or query is read, and nothing stored or spent."""
    pulse = make_pulse()
    admin = auth_app.test_client()
    assert login(admin, people["admin"]).status_code == 303
    anonymous = auth_app.test_client()
    bodies = (({"email": "a\x00@example.org", "comment": "x"}, ""), ({"ok\x00": "1"}, ""),
              ({"email": "a@example.org"}, "?next=%00"))
    wrong, refused = [], set()
    for _endpoint, path in post_paths(auth_app, pulse):
        for client in (admin, anonymous):
            for kind, (data, query) in enumerate(bodies):
                response = client.post(path + query, data=data)
                page = response.get_data(as_text=True)
                response.close()
                if response.status_code >= 500 or (
                        response.status_code == 400 and "NUL character" not in page):
                    wrong.append(f"{path}{query} {sorted(data)}: {response.status_code}")
                elif response.status_code == 400:
                    refused.add((path, kind))
    assert not wrong, "\n".join(wrong)
    # Those that read the form before anything else: the login, the survey
    # through a link and the open link, the admin's new pulse.
    expected = {(path, kind) for path in ("/login", f"/s/{pulse.tokens[0]}",
                                          f"/o/{pulse.open_token}", "/admin/pulses/new")
                for kind in range(len(bodies))}
    assert expected <= refused, sorted(expected - refused)
    assert anonymous.get("/login?next=%00").status_code == 400
    assert storage.find_invitation(db, pulse.tokens[0]).used is False


# -------------------------------------------------------------------------
# Rate limits
# -------------------------------------------------------------------------


def _incomplete(client, url, addr="192.0.2.1"):
    return client.post(url, data={"enps": "5"}, environ_base={"REMOTE_ADDR": addr})


def test_the_open_link_answers_429_past_its_rate(make_app, open_pulse):
    app = make_app(RATELIMIT_ENABLED=True, OPEN_LINK_RATE="3/60")
    url = f"/o/{open_pulse.open_token}"
    codes = [_incomplete(app.test_client(), url).status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    refused = _incomplete(app.test_client(), url)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many requests" in refused.get_data(as_text=True)
    # Another address is not held up, and reading the page is never limited.
    assert _incomplete(app.test_client(), url, addr="192.0.2.2").status_code == 422
    assert app.test_client().get(url, environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 200


def test_the_limit_holds_across_workers(make_app, open_pulse, tmp_path):
    """Two servers (two apps, two connections), one count: as gunicorn's workers."""
    limit = 6
    apps = [make_app(RATELIMIT_ENABLED=True, OPEN_LINK_RATE=f"{limit}/60") for _ in range(2)]
    codes = []
    with serve(apps[0]) as first, serve(apps[1]) as second:
        for i in range(2 * limit):
            base = (first, second)[i % 2]
            request = urllib.request.Request(f"{base}/o/{open_pulse.open_token}", data=b"enps=5")
            try:
                with urllib.request.urlopen(request) as response:
                    codes.append(response.status)
            except urllib.error.HTTPError as exc:
                codes.append(exc.code)
                exc.close()
    assert codes == [422] * limit + [429] * limit
    store = tmp_path / "ratelimit.sqlite3"
    assert store.exists() and store != tmp_path / "trinity.sqlite3"
    assert b"127.0.0.1" not in store.read_bytes()
    assert oct(store.stat().st_mode & 0o777) == "0o600"


def test_the_store_forgets_past_windows(tmp_path):
    store = ratelimit.SQLiteStore(tmp_path / "r.sqlite3")
    assert [store.hit("k", 60, now=1000.0 + i)[0] for i in range(3)] == [1, 2, 3]
    count, left = store.hit("k", 60, now=1000.0 + 61)
    assert count == 1 and 0 < left <= 60
    rows = store._connect().execute("SELECT COUNT(*) FROM hits").fetchone()[0]
    assert rows == 1


def test_the_default_open_link_rate_lets_an_office_answer_in_a_morning(tmp_path):
    """600 people behind one address, all between 9:00 and 9:30, half in ten minutes."""
    import random

    rate = ratelimit.Rate.parse(Config.OPEN_LINK_RATE)
    store = ratelimit.SQLiteStore(tmp_path / "r.sqlite3")
    rng = random.Random(7)
    arrivals = sorted([rng.uniform(0, 600) for _ in range(300)] + [rng.uniform(600, 1800) for _ in range(300)])
    refused = sum(store.hit("office", rate.window, now=32400 + t)[0] > rate.limit for t in arrivals)
    assert refused == 0
    # ...while a script sending as fast as it can is held to the rate.
    burst = [store.hit("script", rate.window, now=40000 + i / 100)[0] for i in range(600)]
    assert sum(c <= rate.limit for c in burst) <= rate.limit * 2


def test_login_posts_per_address_are_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_RATE="5/60", PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH)
    client = app.test_client()
    codes = [client.post("/login", data={"email": f"u{i}@example.org", "password": "x"}).status_code
             for i in range(6)]
    assert codes == [422] * 5 + [429]


# -------------------------------------------------------------------------
# Login throttling under concurrent load
# -------------------------------------------------------------------------


def _post_login(base, email, password, addr):
    data = urllib.parse.urlencode({"email": email, "password": password}).encode()
    request = urllib.request.Request(f"{base}/login", data=data,
                                     headers={"X-Forwarded-For": addr})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def test_login_throttle_holds_under_threads_and_locks_nobody_else_out(make_app):
    from survey_app.auth import create_account
    from survey_app.db import get_db

    app = make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH, TRUSTED_PROXIES=1,
                   LOGIN_THROTTLE_FREE_FAILURES=3, LOGIN_THROTTLE_BASE_DELAY=1.0,
                   LOGIN_THROTTLE_MAX_DELAY=60.0)
    with app.app_context():
        create_account(get_db(), "victim@example.org", "analyst", "victim password 1")
        create_account(get_db(), "other@example.org", "analyst", "other password 1")
    attacker, victim_home = "203.0.113.66", "198.51.100.7"
    started = time.monotonic()
    with serve(app) as base, ThreadPoolExecutor(max_workers=8) as pool:
        guesses = list(pool.map(lambda i: _post_login(base, "victim@example.org", f"guess {i}", attacker),
                                range(80)))
        # During the attack: the victim from their own address, and another
        # account from the attacker's own address, both sign in at once.
        victim = _post_login(base, "victim@example.org", "victim password 1", victim_home)
        other = _post_login(base, "other@example.org", "other password 1", attacker)
    elapsed = time.monotonic() - started
    checked = guesses.count(422)
    # 3 free failures, then waits of 1, 2, 4, 8... seconds: in `elapsed`
    # seconds no more than 3 + log2(elapsed) + 2 guesses may be looked at.
    allowed = 3 + int(elapsed).bit_length() + 2
    assert set(guesses) <= {422, 429}
    assert checked <= allowed, (checked, allowed, elapsed)
    assert guesses.count(429) >= 80 - allowed
    assert (victim, other) == (303, 303)


def test_the_admin_sees_open_link_answers_beyond_the_headcount(auth_app, people, login, make_pulse, db, html):
    """Six open-link answers to a pulse of five invitations: the pulse page warns."""
    pulse = make_pulse(roster=[{"department": "Sales", "role_level": "staff"}] * 5)
    admin = auth_app.test_client()
    assert login(admin, people["admin"]).status_code == 303
    url = f"/admin/pulses/{pulse.slug}"
    for answered in range(1, 7):
        storage.submit_response(db, pulse_slug=pulse.slug, answers={"enps": 5},
                                segments={"department": "Sales", "role_level": "staff"})
        warning = html(admin.get(url)).by_id("open-link-excess")
        if answered <= 5:
            assert warning is None, answered
    assert warning is not None
    assert "(6)" in warning.text() and "(5)" in warning.text()


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_trusted_proxy_the_limit_counts_each_client(make_app, open_pulse, proxies):
    """Through one proxy (one REMOTE_ADDR), two clients named by X-Forwarded-For."""
    app = make_app(RATELIMIT_ENABLED=True, OPEN_LINK_RATE="2/60", TRUSTED_PROXIES=proxies)
    url = f"/o/{open_pulse.open_token}"

    def post(client_address):
        return app.test_client().post(url, data={"enps": "5"}, headers={
            "X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code

    codes = [post("198.51.100.1"), post("198.51.100.1"), post("198.51.100.2")]
    # Trusted: the second client has its own count. Not trusted: the header is
    # ignored and both are the proxy, so the third post is over the limit.
    assert codes == ([422, 422, 422] if proxies else [422, 422, 429])


def _chunked(client, url, body: bytes, content_type="application/x-www-form-urlencoded"):
    """A body as werkzeug's server hands on a chunked request: no Content-Length,
    the stream ended by the server (the test client would count the length)."""
    return client.post(url, input_stream=io.BytesIO(body),
                       headers={"Transfer-Encoding": "chunked", "Content-Type": content_type},
                       environ_overrides={"CONTENT_LENGTH": "", "wsgi.input_terminated": True})


def _roster_upload(size: int) -> tuple[bytes, str]:
    boundary = "fuzzboundary"
    rows = "email,department,team,tenure_band,role_level\n" + "".join(
        f"p{i}@example.com,Ops,,,staff\n" for i in range(size // 28))
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{rows}\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_chunked_body_meets_each_routes_own_limit(make_admin_app):
    """The survey's 256 KiB, the admin's 4 MiB uploads, and a ceiling above both."""
    app, admin = make_admin_app()
    assert admin.post("/admin/pulses/new", content_type="multipart/form-data", data={
        "slug": "q1", "title": "Q", "period": "2027-Q1", "instrument_file": "strategy-pulse.toml",
        "breakdowns": ["department"]}).status_code in (303, 422)
    medium = b"email=" + b"a" * (300 * 1024)
    assert _chunked(app.test_client(), "/login", medium).status_code == 413
    roster, content_type = _roster_upload(300 * 1024)
    assert _chunked(admin, "/admin/pulses/q1/roster", roster, content_type).status_code != 413
    huge, content_type = _roster_upload(app.config["MAX_CHUNKED_BODY"])
    assert _chunked(admin, "/admin/pulses/q1/roster", huge, content_type).status_code == 413


def test_another_store_plugs_in_and_the_responses_database_is_refused(make_app, open_pulse):
    class CountingStore(ratelimit.Store):
        """What a Redis store would do (INCR with an expiry), in a dict."""

        def __init__(self):
            self.counts = {}

        def hit(self, key, window, now=None):
            now = time.time() if now is None else now
            slot = (key, int(now // window))
            self.counts[slot] = self.counts.get(slot, 0) + 1
            return self.counts[slot], window - now % window

    plugged = CountingStore()
    app = make_app(RATELIMIT_ENABLED=True, OPEN_LINK_RATE="1/60", RATELIMIT_STORE=plugged)
    url = f"/o/{open_pulse.open_token}"
    assert [_incomplete(app.test_client(), url).status_code for _ in range(2)] == [422, 429]
    assert sum(plugged.counts.values()) == 2
    with pytest.raises(RuntimeError, match="must not be the responses database"):
        make_app(RATELIMIT_DATABASE=app.config["DATABASE"])
    with pytest.raises(RuntimeError, match="TRINITY_OPEN_LINK_RATE must be HITS/SECONDS"):
        make_app(OPEN_LINK_RATE="lots")
