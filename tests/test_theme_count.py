"""A leader sets how many themes a pulse's comments are grouped into.

The automatic number is an estimate on short comments (docs/themes.md,
"Limits"); an executive may ask for 2 to 20 themes instead, or go back to
automatic. Real app and demo database, its own copy (the setting changes
the reports).
"""

from __future__ import annotations

import re

import pytest

from survey_app import storage
from tests.conftest import ENGINE, make_demo_site
from tests.test_reports import sign_in

PULSE = "demo-2026-q4"


@pytest.fixture(scope="module")
def site(request, tmp_path_factory):
    database = request.getfixturevalue("postgres").create() if ENGINE == "postgresql" else None
    return make_demo_site(tmp_path_factory.mktemp("theme-count"), database=database)


def _report(client) -> dict:
    return client.get(f"/reports/ceo/report.json?pulse={PULSE}").get_json()


def _stored(site) -> dict:
    from analysis.leader_report import REPORT_VERSION
    from survey_app.db import get_db

    with site.app.app_context():
        db = get_db()
        return storage.cached_report(db, PULSE, storage.latest_snapshot(db, PULSE), REPORT_VERSION)


def _count(site) -> int | None:
    """The number of themes stored for the pulse (None: automatic)."""
    from survey_app.db import get_db

    with site.app.app_context():
        return storage.theme_count(get_db(), PULSE)


def _regular(report: dict) -> list[dict]:
    return [t for t in report["comments"]["themes"] if t["theme_id"] >= 0]


def _set(client, value: str, back: str = f"/reports/ceo?pulse={PULSE}"):
    return client.post("/reports/themes/count", data={"pulse": PULSE, "n_themes": value, "back": back})


def test_a_chosen_number_regroups_the_comments_and_automatic_restores_them(site):
    client = sign_in(site.app, site.people["ceo"])
    page = client.get(f"/reports/ceo?pulse={PULSE}").get_data(as_text=True)  # builds it
    automatic = _stored(site)
    assert automatic["comments"]["requested"] == "auto"
    found = len(_regular(automatic))
    assert f"All comments form {found} themes, a number chosen automatically" in page
    assert re.search(r'<option value="auto" selected>', page)

    chosen = 3 if found != 3 else 4
    done = _set(client, str(chosen))
    assert done.status_code == 303 and done.headers["Location"] == f"/reports/ceo?pulse={PULSE}"
    page = client.get(f"/reports/ceo?pulse={PULSE}").get_data(as_text=True)
    assert f"All comments form {chosen} themes, the number a leader chose" in page
    assert f'<option value="{chosen}" selected>' in page
    stored = _stored(site)
    assert stored["comments"]["requested"] == chosen
    assert len(_regular(stored)) == chosen
    # The department pages show the same themes, fitted once.
    company = {t["label"] for t in _regular(stored)}
    for block in stored["department_comments"].values():
        assert {t["label"] for t in block["themes"] if t["theme_id"] >= 0} <= company

    assert _set(client, "auto").status_code == 303
    # Nothing is rebuilt until a page asks for the report.
    assert _stored(site)["comments"]["requested"] == chosen
    client.get(f"/reports/ceo?pulse={PULSE}")
    back = _stored(site)
    assert back["comments"]["requested"] == "auto"
    assert len(_regular(back)) == found
    with site.app.app_context():
        from survey_app.db import get_db

        audit = [(e.action, e.detail) for e in storage.list_audit(get_db(), limit=10)]
    assert ("set theme count", str(chosen)) in audit and ("set theme count", "auto") in audit


@pytest.mark.parametrize("value", ["1", "21", "0", "seven", ""])
def test_a_number_outside_2_to_20_changes_nothing(site, value):
    client = sign_in(site.app, site.people["cmo"])
    client.get(f"/reports/cmo?pulse={PULSE}")
    before = _stored(site)["comments"]["requested"]
    refused = _set(client, value, back=f"/reports/cmo?pulse={PULSE}")
    assert refused.status_code == 303
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "The number of themes was not changed" in page
    assert _count(site) == (None if before == "auto" else before)


@pytest.mark.parametrize("role", ["analyst", "manager"])
def test_only_the_executives_regroup(site, role):
    client = sign_in(site.app, site.people[role])
    assert _set(client, "5").status_code == 403
    assert _count(site) is None
    if role == "analyst":
        page = client.get(f"/reports/ceo?pulse={PULSE}").get_data(as_text=True)
        assert 'name="n_themes"' not in page


def test_the_storage_refuses_a_number_the_schema_would(site):
    from survey_app.db import get_db

    with site.app.app_context():
        with pytest.raises(storage.StorageError, match="2 to 20"):
            storage.set_theme_count(get_db(), PULSE, 21)
    assert _count(site) is None


def test_the_apps_embedding_setting_is_recorded_and_a_change_rebuilds_the_report(site):
    # TRINITY_THEME_EMBEDDINGS=none: the themes use the words alone; a report
    # stored with the other setting is stale and built again.
    client = sign_in(site.app, site.people["ceo"])
    client.get(f"/reports/ceo?pulse={PULSE}")
    assert _stored(site)["comments"]["embeddings"] == "wordllama"
    before = [t["label"] for t in _regular(_stored(site))]
    try:
        site.app.config["THEME_EMBEDDINGS"] = None
        assert client.get(f"/reports/ceo?pulse={PULSE}").status_code == 200
        stored = _stored(site)
        assert stored["comments"]["embeddings"] is None
        assert [t["label"] for t in _regular(stored)] != before
    finally:
        site.app.config["THEME_EMBEDDINGS"] = "wordllama"
    client.get(f"/reports/ceo?pulse={PULSE}")
    stored = _stored(site)
    assert stored["comments"]["embeddings"] == "wordllama"
    assert [t["label"] for t in _regular(stored)] == before


@pytest.mark.parametrize("value, expected", [(None, "wordllama"), ("wordllama", "wordllama"),
                                             ("none", None), (" None ", None)])
def test_the_embedding_setting_is_read_from_the_environment(monkeypatch, value, expected):
    from survey_app.config import theme_embeddings_from_environment

    if value is None:
        monkeypatch.delenv("TRINITY_THEME_EMBEDDINGS", raising=False)
    else:
        monkeypatch.setenv("TRINITY_THEME_EMBEDDINGS", value)
    assert theme_embeddings_from_environment() == expected


def test_an_unknown_embedding_setting_stops_the_app_with_its_name(monkeypatch):
    from survey_app.config import theme_embeddings_from_environment

    monkeypatch.setenv("TRINITY_THEME_EMBEDDINGS", "glove")
    with pytest.raises(RuntimeError, match=r"TRINITY_THEME_EMBEDDINGS must be 'wordllama' .* or 'none', got 'glove'"):
        theme_embeddings_from_environment()
