"""The form page rendered once per pulse (survey_app/survey/page_cache.py).

A cached page must be byte for byte the page a full render gives the same
request, must carry the respondent's own link and CSRF token (and work),
and must never outlive a change to the pulse, its instrument or the
choices it offers. A signed-in reader's page is never taken from it.
"""

from __future__ import annotations

import re

import pytest

from analysis.instrument import load_instrument
from survey_app import storage
from survey_app.survey.forms import survey_form_class
from survey_app.survey.page_cache import cut, fill, page_cache
from tests.conftest import DEFAULT_INSTRUMENT

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _pages_in_one_request(app, path: str, endpoint: str, **values):
    """The view's page three times in one request (so one CSRF token): the
    first render (a miss, stored), the cached one, and a full render with
    the cache out of play (templates reloading from disk)."""
    view = app.view_functions[endpoint]
    with app.test_request_context(path):
        first, first_code = view(**values)
        cached, cached_code = view(**values)
        app.jinja_env.auto_reload = True
        try:
            full, full_code = view(**values)
        finally:
            app.jinja_env.auto_reload = False
    assert first_code == cached_code == full_code == 200
    return first, cached, full


@pytest.mark.parametrize("csrf", [True, False], ids=["csrf-on", "csrf-off"])
@pytest.mark.parametrize("link", ["invitation", "invitation-asking-role", "open"])
def test_the_cached_page_is_byte_identical_to_a_full_render(make_app, make_pulse, link, csrf):
    app = make_app(WTF_CSRF_ENABLED=csrf)
    pulse = make_pulse()
    if link == "open":
        path, endpoint, values = f"/o/{pulse.open_token}", "survey.open_link", {"open_token": pulse.open_token}
    else:
        # The last five of the sample roster have no role level: asked of them.
        token = pulse.tokens[-1] if link == "invitation-asking-role" else pulse.tokens[0]
        path, endpoint, values = f"/s/{token}", "survey.invitation", {"token": token}
    first, cached, full = _pages_in_one_request(app, path, endpoint, **values)
    assert cached == first == full
    assert f'action="{path}"' in cached
    assert ('name="csrf_token"' in cached) is csrf
    with app.app_context():
        assert len(page_cache()) == 1


def test_a_cached_page_carries_each_respondents_own_link_and_token(make_app, make_pulse, survey_answers):
    app = make_app(WTF_CSRF_ENABLED=True)
    pulse = make_pulse()
    first, second = app.test_client(), app.test_client()
    page_a = first.get(f"/s/{pulse.tokens[0]}").get_data(as_text=True)  # rendered and cached
    page_b = second.get(f"/s/{pulse.tokens[1]}").get_data(as_text=True)  # from the cache
    with app.app_context():
        assert len(page_cache()) == 1
    assert f'action="/s/{pulse.tokens[1]}"' in page_b and pulse.tokens[0] not in page_b
    token_a, token_b = CSRF.search(page_a).group(1), CSRF.search(page_b).group(1)
    assert token_a != token_b
    answers = {k: v for k, v in survey_answers.items() if not k.startswith("seg_")}
    # The other browser's token is refused: the token is this session's own.
    refused = second.post(f"/s/{pulse.tokens[1]}", data=dict(answers, csrf_token=token_a))
    assert refused.status_code == 400
    done = second.post(f"/s/{pulse.tokens[1]}", data=dict(answers, csrf_token=token_b))
    assert done.status_code == 303
    with app.app_context():
        from survey_app.db import get_db

        db = get_db()
        assert storage.find_invitation(db, pulse.tokens[1]).used
        assert not storage.find_invitation(db, pulse.tokens[0]).used


def _changed_instrument(tmp_path, new_text: str):
    source = DEFAULT_INSTRUMENT.read_text(encoding="utf-8")
    old_text = load_instrument(DEFAULT_INSTRUMENT).item("st_understand").text
    assert source.count("version = 2") == 1 and source.count(old_text) == 1
    changed = tmp_path / "changed.toml"
    changed.write_text(source.replace("version = 2", "version = 3").replace(old_text, new_text),
                       encoding="utf-8")
    return old_text, load_instrument(changed)


def test_a_changed_pulse_and_instrument_get_a_new_page(client, db, make_pulse, strategy, tmp_path):
    pulse = make_pulse(title="The old title")
    old_page = client.get(f"/o/{pulse.open_token}").get_data(as_text=True)
    old_text, instrument = _changed_instrument(tmp_path, "A question reworded for version three.")
    assert "The old title" in old_page and old_text in old_page

    storage.delete_pulse(db, pulse.slug, confirm=pulse.slug)
    again = storage.create_pulse(db, slug=pulse.slug, title="The new title", period="2026-Q4",
                                 instrument=instrument, strategy=strategy, status="draft",
                                 open_link=True)
    storage.add_invitations(db, pulse.slug, [{"department": "Sales", "role_level": "staff"}] * 5)
    storage.set_pulse_status(db, pulse.slug, "open")
    page = client.get(f"/o/{again.open_token}").get_data(as_text=True)
    assert "The new title" in page and "The old title" not in page
    assert "A question reworded for version three." in page and old_text not in page


def test_new_choices_on_the_roster_get_a_new_page(client, db, make_pulse):
    pulse = make_pulse()
    page = client.get(f"/o/{pulse.open_token}").get_data(as_text=True)
    assert 'value="Legal"' not in page
    storage.add_invitations(db, pulse.slug, [{"department": "Legal", "role_level": "staff"}] * 5)
    page = client.get(f"/o/{pulse.open_token}").get_data(as_text=True)
    assert 'value="Legal"' in page


def test_a_closed_pulse_is_not_answered_from_the_cache(client, db, make_pulse):
    pulse = make_pulse()
    assert client.get(f"/s/{pulse.tokens[0]}").status_code == 200
    storage.set_pulse_status(db, pulse.slug, "closed")
    assert client.get(f"/s/{pulse.tokens[0]}").status_code == 410


def test_a_signed_in_reader_gets_a_full_render_with_their_own_nav(auth_app, people, login, make_pulse):
    pulse = make_pulse()
    client = auth_app.test_client()
    assert login(client, people["admin"]).status_code == 303
    page = client.get(f"/s/{pulse.tokens[0]}").get_data(as_text=True)
    assert f"Signed in as {people['admin'].email}" in page
    with auth_app.app_context():
        assert len(page_cache()) == 0
    # ... and a respondent after them never sees that nav.
    page = auth_app.test_client().get(f"/s/{pulse.tokens[1]}").get_data(as_text=True)
    assert "Signed in as" not in page


def test_form_classes_are_composed_once_per_distinct_input(instrument):
    one = survey_form_class(instrument, ask_segments=["department"], segment_choices={"department": ["A"]})
    same = survey_form_class(instrument, ask_segments=("department",), segment_choices={"department": ("A",)})
    other = survey_form_class(instrument, ask_segments=["department"], segment_choices={"department": ["B"]})
    assert one is same and other is not one


def test_cut_refuses_a_slot_that_is_missing_or_repeated():
    assert cut("a<X>b<Y>c", ["<X>", "<Y>"]) == ("a", "b", "c")
    assert fill(("a", "b", "c"), ["1", "2"]) == "a1b2c"
    assert cut("a<X>b<X>c", ["<X>"]) is None
    assert cut("abc", ["<X>"]) is None
    assert cut("a<Y>b<X>c", ["<X>", "<Y>"]) is None  # out of order
    assert cut("abc", [""]) is None
