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
