"""Markup that assistive technology relies on, checked on the real pages.

Pairs with WCAG 2.2: 1.3.1 (info and relationships: fieldset/legend, labels),
3.3.1 (error identification), 2.4.1 (bypass blocks), 3.1.1 (language),
4.1.2 (name, role, value).
"""

from __future__ import annotations

from collections import Counter

import pytest

CONTROLS = ("input", "textarea", "select")


def _controls(doc):
    return [n for tag in CONTROLS for n in doc.iter(tag) if n.get("type") != "hidden"]


@pytest.fixture
def form_page(client, open_pulse, html):
    # The last invitation lacks two segments, so segment questions appear too.
    page = client.get(f"/s/{open_pulse.tokens[-1]}")
    assert page.status_code == 200
    return html(page)


@pytest.fixture
def error_page(client, open_pulse, survey_answers, html):
    data = dict(survey_answers, k_nps="lots", c_other="x" * 2001)
    for missing in ("st_understand", "enps", "seg_role_level"):
        data.pop(missing)
    page = client.post(f"/s/{open_pulse.tokens[-1]}", data=data)
    assert page.status_code == 422
    return html(page)


def test_one_fieldset_and_legend_per_question(form_page, instrument):
    questions = [n for n in form_page.iter("div") if "question" in n.get("class", "").split()]
    # The last invitation lacks only a role level (tenure band is not a
    # breakdown of the pulse, so it is never asked).
    asked = [i for i in instrument.items if i.type != "segment"] + [
        instrument.item("seg_role_level")]
    assert len(questions) == len(asked)
    for question in questions:
        fieldsets = question.find_all("fieldset")
        assert len(fieldsets) == 1, question
        first = next(c for c in fieldsets[0].children if not isinstance(c, str))
        assert first.tag == "legend", "the legend must be the fieldset's first child"
    legends = [q.find("legend").text() for q in questions]
    for item in asked:
        assert any(item.text in legend for legend in legends), item.id


def test_every_control_has_a_label_tied_to_it(form_page):
    labels = Counter(label.get("for") for label in form_page.iter("label"))
    controls = _controls(form_page)
    assert len(controls) > 40
    for control in controls:
        assert control.get("id"), control
        assert labels[control.get("id")] == 1, f"no single <label for> for {control}"
        # The label sits in the same question, so it is read with its legend.
        label = form_page.find("label", for_=control.get("id"))
        assert set(control.ancestors()) & set(label.ancestors()) & set(form_page.find_all("fieldset"))


def test_ids_are_unique(form_page):
    ids = Counter(n.get("id") for n in form_page.iter() if n.get("id"))
    assert [i for i, count in ids.items() if count > 1] == []


def test_hints_are_announced_with_their_control(form_page):
    goals = form_page.by_id("k_goals")
    assert "k_goals-hint" in goals.get("aria-describedby").split()
    assert "A guess is fine" in form_page.by_id("k_goals-hint").text()


def test_page_has_language_skip_link_and_no_script(form_page):
    page = form_page.find("html")
    assert page.get("lang") == "en"
    skip = form_page.find("a", class_="skip-link")
    assert skip.get("href") == "#main" and form_page.by_id("main").tag == "main"
    assert form_page.find_all("script") == []  # works with JavaScript off
    for link in form_page.find_all("link"):
        assert not link.get("href").startswith(("http:", "https:", "//")), "no CDN"
    assert "width=device-width" in form_page.find("meta", name="viewport").get("content")


def test_optional_questions_are_marked_in_words(form_page):
    legend = form_page.find("div", id="question-k_goals").find("legend").text()
    required = form_page.find("div", id="question-st_understand").find("legend").text()
    assert legend.endswith("(optional)") and "(optional)" not in required


def test_errors_are_tied_to_their_fields(error_page):
    invalid = {"st_understand": "radio", "enps": "radio", "k_nps": "text", "c_other": "text"}
    for name, kind in invalid.items():
        error = error_page.by_id(f"{name}-error")
        assert error is not None, name
        assert error.text().startswith("Error:"), "errors are not told by colour alone"
        if kind == "radio":
            fieldset = error_page.find("div", id=f"question-{name}").find("fieldset")
            assert f"{name}-error" in fieldset.get("aria-describedby").split()
            radios = [n for n in error_page.find_all("input", name=name)]
            assert radios and all(r.get("aria-invalid") == "true" for r in radios)
        else:
            control = error_page.by_id(name)
            assert f"{name}-error" in control.get("aria-describedby").split()
            assert control.get("aria-invalid") == "true"
    # Valid fields are not marked invalid, and every describedby id exists.
    assert error_page.by_id("st_line_of_sight-0").get("aria-invalid") is None
    assert error_page.by_id("k_goals").get("aria-invalid") is None
    for node in error_page.iter():
        for ref in (node.get("aria-describedby") or "").split():
            assert error_page.by_id(ref) is not None, f"{node} describedby missing #{ref}"


def test_error_summary_is_announced_and_links_to_each_field(error_page):
    summary = error_page.find("div", class_="error-summary")
    assert summary.get("role") == "alert"
    # Focus lands on it without JavaScript: focusable, and the page's only autofocus.
    assert summary.get("tabindex") == "-1" and "autofocus" in summary.attrs
    assert [n for n in error_page.iter() if "autofocus" in n.attrs] == [summary]
    # First thing in the main content, before the form, so it is met first.
    order = list(error_page.find("main").iter())
    assert order.index(summary) < order.index(error_page.find("form"))
    hrefs = [a.get("href") for a in summary.iter("a")]
    names = ["st_understand", "k_nps", "enps", "c_other"]
    assert hrefs == [f"#{name}-fieldset" for name in names]
    # Each link lands on its question's fieldset, which can take focus and
    # holds the question's text and error message (issue 12: a link to the
    # input scrolled both off the top of the screen).
    for href, name in zip(hrefs, names):
        target = error_page.by_id(href[1:])
        assert target.tag == "fieldset" and target.get("tabindex") == "-1"
        assert target.find("legend") is not None
        assert target.by_id(f"{name}-error") is not None
        assert f"{name}-error" in target.get("aria-describedby").split()


def test_enter_in_a_field_cannot_send_the_form(form_page):
    """Enter in a text box or on a radio button submits through the form's
    first submit button; a disabled one there stops it (issue 12: Enter in
    the NPS box sent the form half answered). The browser test presses Enter."""
    form = form_page.find("form")
    buttons = [b for b in form.iter("button") if b.get("type", "submit") == "submit"]
    first, last = buttons[0], buttons[-1]
    assert "disabled" in first.attrs and "hidden" in first.attrs
    assert "disabled" not in last.attrs and last.text() == "Send my answers"
    order = list(form.iter())
    assert all(order.index(first) < order.index(n) for n in _controls(form_page))


def test_dont_know_is_set_apart_from_the_scale(form_page, client):
    na = [n for n in form_page.iter("div") if "choice--na" in n.get("class", "").split()]
    likert = [n for n in form_page.iter("div") if "choices--likert" in n.get("class", "").split()]
    assert len(na) == len(likert) > 0
    for choices in likert:
        options = [c for c in choices.children if not isinstance(c, str)]
        assert "choice--na" in options[-1].get("class") and options[-1].find("input").get("value") == "na"
        assert all("choice--na" not in o.get("class") for o in options[:-1])
    css = client.get("/static/pulse.css")
    assert ".choice--na" in css.get_data(as_text=True)
    css.close()


@pytest.mark.parametrize("url", ["/", "/thanks", "/s/unknown", "/nowhere"])
def test_other_pages_share_the_accessible_layout(client, html, url):
    doc = html(client.get(url))
    assert doc.find("html").get("lang") == "en"
    assert doc.find("a", class_="skip-link") is not None
    assert len(doc.find_all("h1")) == 1


def test_stylesheet_is_local_and_has_focus_and_narrow_screen_rules(client):
    css = client.get("/static/pulse.css")
    assert css.status_code == 200
    text = css.get_data(as_text=True)
    css.close()
    assert ":focus-visible" in text
    assert "@media (min-width" in text  # mobile first: stacked choices unless wide
    assert "min-height: 3rem" in text  # 48 px tap targets
