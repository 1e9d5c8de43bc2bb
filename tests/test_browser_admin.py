"""The admin area in a real browser: every page an admin runs a pulse through.

Debian's Chromium (``tests/test_browser.py``'s harness) signs in as the
admin, creates a draft pulse on the page (without a statement, so the page
lists what the statement lacks), walks the pulse's pages, the account pages and
the change-password page, and axe-core audits each: no serious or critical violation. The
report pages and the survey are audited in their own files; the admin's
pages are used by fewer people, but by people who may rely on a screen
reader too.
"""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_TEST_PASSWORD, serve
from tests.test_browser import LAPTOP, audit, browser, new_page  # noqa: F401

#: The pages audited after the draft pulse 'walk' is created.
ADMIN_PAGES = (
    ("admin-pulses", "/admin/"),
    ("admin-new-pulse", "/admin/pulses/new"),
    ("admin-draft", "/admin/pulses/walk"),
    ("admin-strategy", "/admin/pulses/walk/strategy"),
    ("admin-roster", "/admin/pulses/walk/roster"),
    ("admin-invitations", "/admin/pulses/walk/invitations"),
    ("admin-participation", "/admin/pulses/walk/participation"),
    ("admin-delete", "/admin/pulses/walk/delete"),
    ("admin-users", "/admin/users"),
    ("admin-audit", "/admin/audit"),
    ("account-password", "/account/password"),
)


@pytest.fixture
def admin_site(make_admin_app):
    app, _client = make_admin_app(WTF_CSRF_ENABLED=True)
    with serve(app) as base_url:
        yield base_url


def test_every_admin_page_passes_axe(browser, admin_site):  # noqa: F811
    base = admin_site
    page = new_page(browser, viewport=LAPTOP)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", "admin@example.com")
    page.fill("input[name=password]", ADMIN_TEST_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(f"{base}/admin/pulses/new")
    page.fill("input[name=slug]", "walk")
    page.fill("input[name=title]", "Walk-through pulse")
    page.fill("input[name=period]", "2027-Q1")
    page.select_option("select[name=instrument_file]", "strategy-pulse.toml")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/admin/pulses/walk"), page.url
    assert page.locator("#answer-key-gaps li").count() == 4  # goals, factors, figure, promise
    for name, path in ADMIN_PAGES:
        response = page.goto(base + path)
        assert response.status == 200, path
        counts = audit(page, name)
        assert counts["serious"] == counts["critical"] == 0, name
    # One account's page, reached from the users list.
    page.goto(f"{base}/admin/users")
    with page.expect_navigation():
        page.click("main table a")
    counts = audit(page, "admin-user")
    assert counts["serious"] == counts["critical"] == 0
    page.context.close()
