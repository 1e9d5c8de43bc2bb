"""Twenty browsers send one invitation at the same moment: one response is kept.

The real app is served by werkzeug in threads on an ephemeral port, CSRF on,
each browser with its own cookie jar (so its own session and CSRF token).
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server

from survey_app import storage

BROWSERS = 20


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # report the 303 itself instead of following it


def _browser():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())


def _fetch(opener, url, data=None):
    """(status, body) of a request; error statuses are results, not exceptions."""
    body = None if data is None else urllib.parse.urlencode(data).encode()
    try:
        with opener.open(url, data=body, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read().decode()


@pytest.fixture
def live_server(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_twenty_simultaneous_submits_with_one_token_store_exactly_one(live_server, make_pulse, survey_answers):
    app, base = live_server
    pulse = make_pulse()
    url = f"{base}/s/{pulse.tokens[0]}"
    data = {k: v for k, v in survey_answers.items() if not k.startswith("seg_")}

    barrier = threading.Barrier(BROWSERS)
    results: list[tuple[int, str]] = [None] * BROWSERS
    errors: list[BaseException] = []

    def one_browser(index):
        try:
            opener = _browser()
            status, page = _fetch(opener, url)
            assert status == 200, page
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            barrier.wait(timeout=30)
            results[index] = _fetch(opener, url, dict(data, csrf_token=token))
        except BaseException as exc:  # surfaced below, with the thread's traceback
            barrier.abort()
            errors.append(exc)

    threads = [threading.Thread(target=one_browser, args=(i,)) for i in range(BROWSERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]

    statuses = sorted(status for status, _ in results)
    assert statuses == [303] + [409] * (BROWSERS - 1)
    for status, page in results:
        if status == 409:
            assert "You have already answered this survey" in page

    from survey_app.db import connect

    db = connect(app.config["DATABASE"])
    try:
        assert storage.count_responses(db, pulse.slug) == 1
        answers = db.execute("SELECT count(*) FROM answers").fetchone()[0]
        assert answers == sum(1 for v in data.values() if v)  # one response's answers, no more
    finally:
        db.close()
