"""The leaders' reports in a real browser: Debian's Chromium driven by Playwright.

Each executive's page, the manager's view, the analyst's page and the
overview are opened as the role that reads them, over HTTP from a werkzeug
server thread on the demo; axe-core audits every one (no serious or critical
violation) and the pages are shot for ``docs/screenshots/``, as is the first
page of the CEO's PDF (rendered to PNG by ``pdftoppm``). Also checked in the
browser: the pages need no JavaScript (they render the same with it off),
and the charts come with text alternatives.

The harness (Chromium's path and flags, axe-core injected under
``bypass_csp``, screenshots and ``build/browser/results.json``) is
``tests/test_browser.py``'s.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.conftest import serve
from tests.test_browser import LAPTOP, SCREENSHOTS, audit, browser, new_page  # noqa: F401

#: (name, role, path): the pages audited and shot.
REPORT_PAGES = (
    ("report-ceo", "ceo", "/reports/ceo"),
    ("report-clo", "clo", "/reports/clo"),
    ("report-cmo", "cmo", "/reports/cmo"),
    ("report-manager", "manager", "/reports/department/Sales"),
    ("report-analyst", "analyst", "/reports/analyst"),
    ("report-overview", "ceo", "/reports/"),
)


@pytest.fixture(scope="module")
def served(demo_site):
    """The demo site over HTTP on a free port."""
    with serve(demo_site.app) as base_url:
        yield base_url, demo_site


def signed_in_page(browser, base: str, person, *, javascript=True):  # noqa: F811
    page = new_page(browser, viewport=LAPTOP, javascript=javascript)
    page.set_default_timeout(60_000)  # the first page of a snapshot builds the report
    page.goto(f"{base}/login")
    page.fill("input[name=email]", person.email)
    page.fill("input[name=password]", person.password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return page


@pytest.mark.parametrize(("name", "role", "path"), REPORT_PAGES, ids=[p[0] for p in REPORT_PAGES])
def test_each_report_page_passes_axe_and_is_shot(browser, served, name, role, path):  # noqa: F811
    base, site = served
    page = signed_in_page(browser, base, site.people[role])
    response = page.goto(base + path)
    assert response.status == 200
    assert "script-src" not in response.headers["content-security-policy"]  # no script allowed at all
    shot_full(page, name)
    counts = audit(page, name)
    assert counts["serious"] == counts["critical"] == 0
    page.context.close()


def shot_full(page, name: str) -> None:
    """The whole page, not only the first screen."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_report_pages_need_no_javascript(browser, served):  # noqa: F811
    """With JavaScript off the CEO's page shows the same summary and charts."""
    base, site = served
    page = signed_in_page(browser, base, site.people["ceo"], javascript=False)
    page.goto(base + "/reports/ceo")
    assert page.locator("#summary-heading").is_visible()
    charts = page.locator("svg.chart")
    assert charts.count() >= 3
    for i in range(charts.count()):
        label = charts.nth(i).get_attribute("aria-labelledby").split()
        assert all(page.locator(f"[id='{ident}']").count() == 1 for ident in label)
    page.context.close()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_the_ceo_pdf_has_its_charts(browser, served):  # noqa: F811
    """The PDF downloads with the session and its first page is shot."""
    base, site = served
    page = signed_in_page(browser, base, site.people["ceo"])
    response = page.context.request.get(base + "/reports/ceo/report.pdf")
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = SCREENSHOTS / "report-ceo.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "Departments against the company" in text
    assert re.search(r"[+-]\d+", text), "the heatmap's differences are not in the PDF"
    # The page that holds the heatmap (its caption follows the chart) is shot.
    pages = text.split("\f")
    number = next(i for i, words in enumerate(pages, 1) if "Company: " in words)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", str(number), "-l", str(number),
                    str(pdf), str(SCREENSHOTS / "report-pdf-page")], check=True)
    assert (SCREENSHOTS / "report-pdf-page.png").stat().st_size > 10_000
    page.context.close()
