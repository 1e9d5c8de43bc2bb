"""PDFs made once per distinct page, and report pages that render the same
every time (survey_app/reports/pdf.py, charts.py, data.py)."""

from __future__ import annotations

import re

from survey_app.reports import charts
from survey_app.reports.pdf import html_to_pdf


def _signed_in(site, role):
    client = site.app.test_client()
    person = site.people[role]
    assert client.post("/login", data={"email": person.email, "password": person.password}).status_code == 303
    return client


def test_a_second_download_of_the_same_report_reuses_its_pdf(demo_site):
    client = _signed_in(demo_site, "ceo")
    html_to_pdf.cache_clear()
    first = client.get("/reports/ceo/report.pdf")
    second = client.get("/reports/ceo/report.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data and first.data.startswith(b"%PDF")
    info = html_to_pdf.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    # Another report is other HTML: a PDF of its own, never the CEO's.
    other = client.get("/reports/cmo/report.pdf")
    assert other.data != first.data
    assert html_to_pdf.cache_info().misses == 2


def test_chart_ids_are_counted_per_page(demo_site):
    with demo_site.app.test_request_context("/"):
        one = charts.bars([("A", 1.0)], "first") + charts.bars([("B", 2.0)], "second")
    with demo_site.app.test_request_context("/"):
        again = charts.bars([("A", 1.0)], "first") + charts.bars([("B", 2.0)], "second")
    assert one == again
    ids = re.findall(r'<title id="([^"]+)"', str(one))
    assert ids == ["chart-t1", "chart-t2"]


def test_the_first_page_after_a_build_is_the_page_every_later_view_shows(demo_site):
    from survey_app import storage
    from survey_app.db import get_db

    with demo_site.app.app_context():
        db = get_db()
        # Forget the stored reports, so the next page builds them again.
        with storage.write_transaction(db):
            db.execute("DELETE FROM report_cache")
    client = _signed_in(demo_site, "analyst")
    built = client.get("/reports/ceo/report.json")
    stored = client.get("/reports/ceo/report.json")
    assert built.status_code == stored.status_code == 200
    assert built.data == stored.data
