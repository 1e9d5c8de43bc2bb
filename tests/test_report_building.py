"""A large pulse's report is built in the background, one build at a time.

The app builds a snapshot's report in the request that first needs it only
up to ``REPORT_INLINE_MAX_RESPONSES`` responses (a 100,000-response build
outlasts a gunicorn worker's timeout); here the limit is 0, so every pulse
counts as large. Real app, real database, the real background thread.
"""

from __future__ import annotations

import time

import pytest

from survey_app import storage
from survey_app.reports import building
from tests.conftest import FAST_PASSWORD_HASH, MANAGER_DEPARTMENT

NOTICE = "This report is being brought up to date"


def _answers(instrument) -> dict:
    answers = {}
    for item in instrument.answer_items:
        if item.type == "likert":
            answers[item.id] = 4
        elif item.type in ("enps", "estimate"):
            answers[item.id] = 8
        else:
            answers[item.id] = "grow revenue and keep customers"
    return answers


@pytest.fixture
def site(make_app, instrument, strategy):
    """An open pulse of 20 invitations in one department, a CEO account, and
    an app that builds every report in the background."""
    from survey_app.auth import create_demo_accounts
    from survey_app.db import get_db

    app = make_app(PASSWORD_HASH_PARAMS=FAST_PASSWORD_HASH, REPORT_INLINE_MAX_RESPONSES=0)
    with app.app_context():
        db = get_db()
        storage.create_pulse(db, slug="big", title="Big", period="2026-Q4", instrument=instrument,
                             strategy=strategy, status="draft")
        tokens = storage.add_invitations(db, "big", [{"department": "Sales"} for _ in range(20)])
        storage.set_pulse_status(db, "big", "open")
        accounts = create_demo_accounts(db, MANAGER_DEPARTMENT)
    ceo = next((email, password) for email, role, password in accounts if role == "ceo")
    client = app.test_client()
    signed = client.post("/login", data={"email": ceo[0], "password": ceo[1]})
    assert signed.status_code == 303

    def answer(count: int) -> int:
        """``count`` more answers; the latest snapshot number after them."""
        with app.app_context():
            db = get_db()
            for _ in range(count):
                storage.submit_response(db, pulse_slug="big", token=tokens.pop(), segments={},
                                        answers=_answers(instrument))
            return storage.latest_snapshot(db, "big")

    def built(snapshot: int, timeout: float = 180.0) -> dict:
        """The stored report of ``snapshot``, once the background build has stored it."""
        from analysis.leader_report import REPORT_VERSION

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with app.app_context():
                report = storage.cached_report(get_db(), "big", snapshot, REPORT_VERSION)
            if report is not None:
                return report
            time.sleep(0.2)
        raise AssertionError(f"no report of snapshot {snapshot} after {timeout} s")

    return app, client, answer, built


def _ceo_page(client):
    return client.get("/reports/ceo?pulse=big")


def test_the_first_report_is_prepared_then_shown(site):
    app, client, answer, built = site
    snapshot = answer(5)
    assert snapshot == 1
    pending = _ceo_page(client)
    assert pending.status_code == 503
    assert pending.headers["Retry-After"] == "30"
    assert "being put together" in pending.get_data(as_text=True)
    report = built(snapshot)
    assert report["n"] == 5
    page = _ceo_page(client)
    assert page.status_code == 200
    assert NOTICE not in page.get_data(as_text=True)
    # The lock went with the build: the next build may take it.
    lock = building.try_lock(app.config["DATABASE"])
    assert lock is not None
    lock.release()


def test_a_new_snapshot_shows_the_previous_report_until_its_own_is_built(site):
    app, client, answer, built = site
    built_first = answer(5)
    _ceo_page(client)
    assert built(built_first)["n"] == 5
    newer = answer(5)
    assert newer == 2
    # Another build holds the lock, so this one cannot finish under the checks.
    held = building.try_lock(app.config["DATABASE"])
    try:
        stale = _ceo_page(client)
        assert stale.status_code == 200
        assert NOTICE in stale.get_data(as_text=True)
        # Its downloads say so too, and carry the earlier snapshot's figures.
        data = client.get("/reports/ceo/report.json?pulse=big").get_json()
        assert data["stale"] is True and data["n"] == 5
    finally:
        held.release()
    assert NOTICE in _ceo_page(client).get_data(as_text=True)  # starts the build
    assert built(newer)["n"] == 10
    fresh = client.get("/reports/ceo/report.json?pulse=big").get_json()
    assert fresh["stale"] is False and fresh["n"] == 10
    assert NOTICE not in _ceo_page(client).get_data(as_text=True)


def test_one_build_at_a_time(site):
    """While another build holds the lock (another worker, another server),
    a page view starts none; once it is released, the next view does."""
    app, client, answer, built = site
    snapshot = answer(5)
    held = building.try_lock(app.config["DATABASE"])
    assert held is not None
    assert building.try_lock(app.config["DATABASE"]) is None
    try:
        assert _ceo_page(client).status_code == 503
        time.sleep(1.0)
        from analysis.leader_report import REPORT_VERSION
        from survey_app.db import get_db

        with app.app_context():
            assert storage.cached_report(get_db(), "big", snapshot, REPORT_VERSION) is None
    finally:
        held.release()
    assert _ceo_page(client).status_code == 503
    assert built(snapshot)["n"] == 5
    assert _ceo_page(client).status_code == 200


def test_the_command_line_builds_in_the_foreground(site):
    """``refresh-reports`` has no worker timeout and would end a background
    build by exiting: it builds the report itself, whatever the pulse's size."""
    from analysis.leader_report import REPORT_VERSION
    from survey_app.db import get_db

    app, client, answer, built = site
    snapshot = answer(5)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["refresh-reports", "big"])
        assert result.exit_code == 0, result.output
        assert "big: report data ready" in result.output
        assert storage.cached_report(get_db(), "big", snapshot, REPORT_VERSION)["n"] == 5
    assert _ceo_page(client).status_code == 200
