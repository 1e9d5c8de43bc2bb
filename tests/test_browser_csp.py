"""The Content-Security-Policy as Chromium enforces it (no ``bypass_csp`` here).

The accessibility tests in tests/test_browser.py inject axe-core and so
bypass the policy; this one does not. A page served by the real app (its
after-request hooks set the policy) carries an inline script, an inline event
handler, a ``javascript:`` link and a script with the request's nonce: only
the nonce'd one may run. A script inserted later by the page (as an XSS
payload would be) is refused too, and the survey form itself runs with no
violation at all.
"""

from __future__ import annotations

import pytest
from flask import render_template_string

from tests.conftest import serve
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, browser  # noqa: F401  (fixture)

INJECTED_PAGE = """<!doctype html><html><head><title>start</title></head><body>
<p id="marks" data-inline="no" data-handler="no" data-nonce="no"></p>
<script>document.getElementById("marks").dataset.inline = "yes";</script>
<img src="/static/no-such-image.png" onerror="document.getElementById('marks').dataset.handler = 'yes'">
<script nonce="{{ csp_nonce() }}">document.getElementById("marks").dataset.nonce = "yes";</script>
</body></html>"""


@pytest.fixture
def csp_site(make_app, make_pulse):
    pulse = make_pulse()
    app = make_app(WTF_CSRF_ENABLED=True)
    app.add_url_rule("/csp-test", "csp_test", lambda: render_template_string(INJECTED_PAGE))
    with serve(app) as base:
        yield base, pulse


def _page(browser):  # noqa: F811
    context = browser.new_context(java_script_enabled=True)  # the policy applies
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = []
    page.on("console", lambda msg: violations.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return page, violations


def test_the_policy_stops_inline_script_and_lets_the_nonce_run(browser, csp_site):  # noqa: F811
    base, _pulse = csp_site
    page, violations = _page(browser)
    page.goto(f"{base}/csp-test")
    page.wait_for_load_state("load")
    marks = page.eval_on_selector("#marks", "el => ({...el.dataset})")
    assert marks == {"inline": "no", "handler": "no", "nonce": "yes"}, marks
    # A script element added by the page after load (as injected markup would be).
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'document.title = "ran"';
        document.body.appendChild(s);
        const a = document.createElement('a');
        a.href = 'javascript:document.title = "ran"'; a.id = 'js'; a.textContent = 'x';
        document.body.appendChild(a);
    }""")
    page.click("#js")
    page.wait_for_timeout(200)
    assert page.title() == "start"
    assert len(violations) >= 3, violations
    page.context.close()


def test_the_survey_form_runs_without_a_violation(browser, csp_site):  # noqa: F811
    base, pulse = csp_site
    page, violations = _page(browser)
    page.goto(f"{base}/o/{pulse.open_token}")
    assert page.locator("form.survey").count() == 1
    for path in ("/", "/login", "/no-such-page"):
        page.goto(base + path)
    assert violations == []
    page.context.close()


def test_the_browser_harness_is_debians_chromium():
    assert str(CHROMIUM).endswith("chromium") and "--headless" in CHROMIUM_ARGS


def test_pages_load_every_resource_they_ask_for(browser, csp_site):  # noqa: F811
    """No request of a page fails, and the site's icon is there.

    Browsers ask for an icon with every page (the link's, else
    /favicon.ico); without one, each page left a 404 in the console.
    """
    base, pulse = csp_site
    page, _violations = _page(browser)
    failed = []
    # ERR_ABORTED: cut short by the next navigation (the icon is fetched
    # after load), not refused.
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure))
            if request.failure != "net::ERR_ABORTED" else None)
    page.on("response", lambda response: failed.append((response.url, response.status))
            if response.status >= 400 and not response.url.endswith("/no-such-page") else None)
    icons = set()
    for path in ("/", "/login", f"/o/{pulse.open_token}", "/no-such-page"):
        page.goto(base + path)
        page.wait_for_load_state("load")
        icons.add(page.evaluate(
            "() => document.querySelector('link[rel=icon]')?.getAttribute('href') ?? null"))
    assert failed == []
    assert len(icons) == 1 and None not in icons, icons
    for url in (base + icons.pop(), f"{base}/favicon.ico"):
        icon = page.request.get(url)
        assert icon.status == 200, url
        assert icon.headers["content-type"].startswith("image/svg+xml"), url
    page.context.close()
