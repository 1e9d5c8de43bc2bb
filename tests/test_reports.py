"""The placeholder report pages: honest about what they are, and scoped.

Until the next release fills them, each page names its report, lists the
pulses that exist and says the reports are coming; it shows no figure, so
nothing on it needs the privacy rules yet.
"""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize(
    ("role", "path", "title"),
    [
        ("ceo", "/reports/", "Company-wide overview"),
        ("ceo", "/reports/clo", "The chief learning officer&#39;s report"),
        ("cmo", "/reports/ceo", "The chief executive&#39;s report"),
        ("analyst", "/reports/analyst", "Analysis and exports"),
        ("manager", "/reports/department/Sales", "Department: Sales"),
        ("analyst", "/reports/department/Operations", "Department: Operations"),
    ],
)
def test_a_placeholder_lists_the_pulses_and_no_figures(auth_app, people, login, make_pulse,
                                                       html, role, path, title):
    make_pulse(title="Strategy pulse, Q4 2026")
    client = auth_app.test_client()
    login(client, people[role])
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"<h1>{title}</h1>" in text
    assert "Reports arrive with the next release." in text
    assert "Strategy pulse, Q4 2026" in text and "2026-Q4" in text
    main = html(page).find("main").text()
    # The pulse's period is the only number on the page: no counts, no scores.
    assert re.findall(r"\d+", main.replace("2026-Q4", "").replace("Q4 2026", "")) == []


def test_a_manager_gets_a_clear_403_for_another_department(auth_app, people, login):
    client = auth_app.test_client()
    login(client, people["manager"])
    refused = client.get("/reports/department/Finance")
    assert refused.status_code == 403
    assert "You can open the report of your own department only." in refused.get_data(
        as_text=True)
