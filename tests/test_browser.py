"""The survey in a real browser: Chromium driven by Playwright, the app served for real.

What a person meets and markup tests cannot see: where things land on a phone
screen, what the keyboard does, where focus goes, and what an automated
accessibility audit (axe-core) finds on each page. The app runs in a werkzeug
server thread on 127.0.0.1 (a free port) over the test's SQLite file, with
CSRF protection on, exactly as a browser would reach it.

Needs Debian's Chromium (``/usr/bin/chromium``, or ``TRINITY_CHROMIUM``), the
``playwright`` package (the ``dev`` extra; its own browser download is never
used) and axe-core from npm in ``.npm-deps/`` (``make browser-deps``). On a
developer machine without them these tests skip and say what is missing;
under ``CI=true`` they fail instead, so CI can never pass without them.

Every step leaves a screenshot in ``build/browser/screenshots/`` and the axe
counts per page in ``build/browser/results.json``; ``make screenshots``
refreshes the ones kept in ``docs/screenshots/``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from survey_app import storage
from tests.conftest import serve

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("TRINITY_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / ".npm-deps" / "node_modules" / "axe-core" / "axe.min.js"
OUTPUT = ROOT / "build" / "browser"
SCREENSHOTS = OUTPUT / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
#: Impacts that fail an audit (axe-core's two highest).
BLOCKING_IMPACTS = ("serious", "critical")
#: Outline (3 px) and dark shadow (6 px) around a focused button.
FOCUS_RING_PX = 9

#: What the run found, written to build/browser/results.json at the end:
#: axe-core counts per audited page, and each form's length in phone screens.
RESULTS: dict[str, dict] = {"axe-core": {}, "phone screens": {}}


def missing_requirements() -> list[str]:
    """What these tests need and this machine lacks, in words."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (make install)")
    if not CHROMIUM.is_file():
        missing.append(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE.is_file():
        missing.append(f"axe-core at {AXE.relative_to(ROOT)} (make browser-deps)")
    return missing


def require(missing: list[str], environ=os.environ) -> None:
    """Skip on a developer machine, fail in CI, when something is missing."""
    if not missing:
        return
    message = "browser tests need " + "; ".join(missing)
    if environ.get("CI") == "true":
        pytest.fail(message + " (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    require(missing_requirements())
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    # Merged with an earlier run's, so running one test keeps the others' figures.
    results_file = OUTPUT / "results.json"
    merged = json.loads(results_file.read_text(encoding="utf-8")) if results_file.exists() else {}
    for section, found in RESULTS.items():
        merged[section] = dict(sorted((merged.get(section, {}) | found).items()))
    results_file.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")


@pytest.fixture
def live(make_app, make_pulse):
    """The app served over HTTP on a free port, CSRF on, with an open pulse.

    Yields ``(base_url, pulse)``; the pulse is conftest's ``make_pulse()`` in
    the same database file the server reads.
    """
    pulse = make_pulse()
    with serve(make_app(WTF_CSRF_ENABLED=True)) as base_url:
        yield base_url, pulse


def new_page(browser, *, viewport=PHONE, javascript=True):
    """A fresh browser context (own cookies) and page.

    ``bypass_csp`` lets axe-core be injected whatever Content-Security-Policy
    the app sends (the policy itself is tested where it is set).
    """
    context = browser.new_context(
        viewport=viewport,
        is_mobile=viewport == PHONE,
        has_touch=viewport == PHONE,
        java_script_enabled=javascript,
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def shot(page, name: str) -> None:
    """Save a screenshot of the step (for docs/screenshots and for debugging).

    One retry: on a loaded machine Chromium occasionally answers
    "Unable to capture screenshot" for a page that is fine; the picture is a
    by-product, never what a test checks.
    """
    from playwright.sync_api import Error

    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    except Error:
        page.wait_for_timeout(500)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def audit(page, name: str) -> dict[str, int]:
    """Run axe-core on the page; record the counts; fail on serious or critical."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
                            " return {violations: r.violations, passes: r.passes.length}; }")
    violations = results["violations"]
    assert results["passes"] > 0, f"{name}: axe-core checked nothing"
    counts = {impact: 0 for impact in ("minor", "moderate", "serious", "critical")}
    for violation in violations:
        counts[violation["impact"]] += 1
    RESULTS["axe-core"][name] = counts | {"rules passed": results["passes"]}
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations if v["impact"] in BLOCKING_IMPACTS
    ]
    assert not blocking, f"{name}: " + "; ".join(blocking)
    return counts


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName.toLowerCase(), type: e.type || '', name: e.name || '',
                           id: e.id || '', cls: e.className || '', text: (e.innerText || '').trim()}; }"""
    )


def box(page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def submit_with_keyboard(page):
    """Tab from wherever focus is to the send button and press Enter; the response."""
    for _ in range(80):
        page.keyboard.press("Tab")
        if focused(page)["text"] == "Send my answers":
            break
    else:
        raise AssertionError("Tab never reached the send button")
    with page.expect_navigation(), page.expect_response(lambda r: r.request.method == "POST") as response:
        page.keyboard.press("Enter")
    return response.value


def press_enter_on_a_radio(page, name: str, next_name: str) -> None:
    """Enter on a radio button must not send the answers (issue 12). Chromium
    submits through the form's hidden "next question" button: the same form
    comes back, answer kept, no error shown, focus on the next question."""
    from playwright.sync_api import expect

    with page.expect_navigation(), page.expect_response(lambda r: r.request.method == "POST") as response:
        page.keyboard.press("Enter")
    assert response.value.status == 200
    assert page.locator(".error-summary, .error-message").count() == 0
    assert page.locator(f"input[name={name}]:checked").count() == 1
    expect(page.locator(f"#{next_name}-fieldset")).to_be_focused()


def press_enter_in_a_text_box(page, posts: list) -> None:
    """Enter in the number box does nothing at all: no request is sent."""
    before = len(posts)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    assert len(posts) == before, "Enter in the number box sent the form"


def answer_with_keyboard(page, instrument, *, skip: str, posts: list):
    """Answer every question with the keyboard only, leaving ``skip`` unanswered.

    Returns the names of the questions reached. Along the way Enter is pressed
    on the first radio question and in the number box.
    """
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")  # the skip link moves focus to <main>
    reached = []
    for _ in range(80):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["text"] == "Send my answers":
            return reached
        name = now["name"]
        assert name and name not in reached, f"focus went to {now}"
        reached.append(name)
        if name == skip:
            continue
        item = instrument.item(name)
        if item.type == "likert":
            # From the first answer, ArrowDown moves to and ticks the next:
            # 4 "Agree", or 2 "Disagree" for a reverse-keyed statement.
            for _ in range(1 if item.reverse else 3):
                page.keyboard.press("ArrowDown")
            if name == instrument.likert_items()[0].id:
                names = [i.id for i in instrument.answer_items]
                press_enter_on_a_radio(page, name, names[names.index(name) + 1])
        elif item.type == "enps":
            for _ in range(8):
                page.keyboard.press("ArrowDown")
        elif item.type == "segment":
            page.keyboard.press("Space")  # the first answer
        elif item.type == "estimate":
            page.keyboard.type("30")
            press_enter_in_a_text_box(page, posts)
        else:
            page.keyboard.type(f"Typed answer to {name}")
    raise AssertionError("Tab never reached the send button")


SCENARIOS = [
    pytest.param("invitation", True, id="invitation-js"),
    pytest.param("invitation", False, id="invitation-no-js"),
    pytest.param("open", True, id="open-link-js"),
    pytest.param("open", False, id="open-link-no-js"),
]


@pytest.mark.parametrize(("link", "javascript"), SCENARIOS)
def test_employee_on_a_phone_answers_with_the_keyboard_only(browser, live, instrument, link, javascript):
    """Issue 12's walk-through: answer everything by keyboard on a phone but
    one required question, meet the error summary, follow its link, fix,
    send, land on the thank-you page, and find the link used."""
    from playwright.sync_api import expect

    base, pulse = live
    url = f"{base}/s/{pulse.tokens[0]}" if link == "invitation" else f"{base}/o/{pulse.open_token}"
    name = f"{link}-{'js' if javascript else 'no-js'}"
    page = new_page(browser, javascript=javascript)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    assert page.goto(url).status == 200
    shot(page, f"{name}-1-form")
    if javascript:
        audit(page, f"form ({link} link)")
    skip = "st_line_of_sight"
    reached = answer_with_keyboard(page, instrument, skip=skip, posts=posts)
    asked = [i.id for i in instrument.items if i.type != "segment"]
    if link == "open":
        # The open link asks the pulse's breakdowns only (department and role
        # level by default), in the instrument's order.
        asked = [i.id for i in instrument.segment_items()
                 if i.segment in storage.DEFAULT_BREAKDOWNS] + asked
    assert reached == asked  # every question in order, by keyboard alone
    assert len(posts) == 1  # only the Enter on a radio button, answered with the form

    response = submit_with_keyboard(page)
    assert response.status == 422
    expect(page).to_have_title(re.compile("^Error: "))
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    assert summary.get_attribute("role") == "alert"
    assert box(page, ".error-summary")["y"] >= box(page, ".site-header")["height"] + 16
    shot(page, f"{name}-2-error-summary")
    if javascript:
        audit(page, f"error summary ({link} link)")

    page.keyboard.press("Tab")
    number = asked.index(skip) + 1
    assert focused(page)["text"] == f"Question {number}: choose the answer closest to your view."
    page.keyboard.press("Enter")
    fieldset = page.locator(f"#{skip}-fieldset")
    expect(fieldset).to_be_focused()
    legend, error = box(page, f"#{skip}-fieldset legend"), box(page, f"#{skip}-error")
    assert 0 <= legend["y"] and error["y"] + error["height"] <= PHONE["height"], (legend, error)
    shot(page, f"{name}-3-followed-link")

    page.keyboard.press("Tab")  # into the question's answers
    assert focused(page)["name"] == skip
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    response = submit_with_keyboard(page)
    assert response.status == 303 and page.url == f"{base}/thanks"  # post, redirect, get
    expect(page.locator("h1")).to_be_focused()
    expect(page.locator("h1")).to_have_text("Thank you, your answers have been sent")
    assert box(page, ".panel--confirmation")["y"] >= box(page, ".site-header")["height"] + 16
    shot(page, f"{name}-4-thanks")
    if javascript:
        audit(page, "thank-you page")

    again = page.goto(url)
    assert again.status == 409
    expect(page.locator("h1")).to_have_text("You have already answered this survey")
    shot(page, f"{name}-5-already-answered")
    if javascript:
        audit(page, "already answered (409)")
    page.context.close()


def test_phone_layout_pads_the_page_and_orders_the_scales(browser, live):
    """Issue 12: nothing flush under the header or on the footer; 0-10 in one
    column in order; "Don't know" set apart from the agree scale."""
    base, pulse = live
    page = new_page(browser)
    page.goto(f"{base}/s/{pulse.tokens[0]}")
    header = box(page, ".site-header")
    assert box(page, "main h1")["y"] - (header["y"] + header["height"]) >= 16
    button, footer = box(page, "button.button"), box(page, ".site-footer")
    assert button["y"] + button["height"] + FOCUS_RING_PX <= footer["y"]

    labels = [page.locator(f"label[for=enps-{n}]").bounding_box() for n in range(11)]
    assert len({round(b["x"]) for b in labels}) == 1, "0-10 is not one column"
    assert all(a["y"] < b["y"] for a, b in zip(labels, labels[1:])), "0-10 is out of order"

    points = [box(page, f"label[for=st_understand-{n}]") for n in range(6)]
    gaps = [b["y"] - (a["y"] + a["height"]) for a, b in zip(points, points[1:])]
    assert gaps[-1] > max(gaps[:-1]), f"'Don't know' is not set apart: gaps {gaps}"
    # How long the page is, for docs/survey.md ("One page"): recorded, not judged.
    RESULTS["phone screens"]["invitation form"] = round(
        page.evaluate("document.documentElement.scrollHeight") / PHONE["height"], 1)
    page.locator("#enps-fieldset").scroll_into_view_if_needed()
    shot(page, "phone-enps-scale")
    page.goto(f"{base}/o/{pulse.open_token}")
    RESULTS["phone screens"]["open-link form"] = round(
        page.evaluate("document.documentElement.scrollHeight") / PHONE["height"], 1)
    page.context.close()

    wide = new_page(browser, viewport=LAPTOP)
    wide.goto(f"{base}/s/{pulse.tokens[0]}")
    points = [box(wide, f"label[for=st_understand-{n}]") for n in range(6)]
    gaps = [b["x"] - (a["x"] + a["width"]) for a, b in zip(points, points[1:])]
    assert gaps[-1] > max(gaps[:-1]), f"'Don't know' is not set apart on a wide screen: gaps {gaps}"
    wide.locator("#st_understand-fieldset").scroll_into_view_if_needed()
    shot(wide, "laptop-likert-scale")
    wide.context.close()


def test_error_link_followed_with_the_mouse_shows_where_it_landed(browser, live):
    """Issue 12: following a summary link with the mouse left no focus ring."""
    base, pulse = live
    page = new_page(browser, viewport=LAPTOP)
    page.goto(f"{base}/s/{pulse.tokens[0]}")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.locator("button.button").click()
    page.locator(".error-summary a").first.click()
    fieldset = page.locator("#st_understand-fieldset")
    assert fieldset.evaluate("e => e === document.activeElement")
    assert fieldset.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    legend = box(page, "#st_understand-fieldset legend")
    assert 0 <= legend["y"] < LAPTOP["height"]
    shot(page, "laptop-followed-link-with-mouse")
    page.context.close()


def test_status_pages_pass_the_audit(browser, live, db):
    """Every page a respondent can land on besides the form's own steps."""
    from survey_app import storage

    base, pulse = live
    page = new_page(browser)
    storage.set_pulse_status(db, pulse.slug, "closed")
    pages = [
        ("start page", "/", 200),
        ("thanks opened directly", "/thanks", 200),
        ("unknown link (404)", "/s/not-a-real-token", 404),
        ("page not found (404)", "/no/such/page", 404),
        ("closed (410)", f"/s/{pulse.tokens[2]}", 410),
    ]
    for name, path, status in pages:
        assert page.goto(base + path).status == status, name
        shot(page, "status-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
        audit(page, name)
    storage.set_pulse_status(db, pulse.slug, "open")

    # A refused CSRF token (the form open too long): the form again, answers kept.
    page.goto(f"{base}/s/{pulse.tokens[3]}")
    page.context.clear_cookies()
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.locator("button.button").click()
    assert response.value.status == 400
    shot(page, "status-csrf-refused")
    audit(page, "answers not sent: CSRF (400)")
    page.context.close()


def test_the_audit_fails_a_page_with_a_serious_violation(browser):
    """The audit is not a formality: an unlabelled field and an image
    without text fail it."""
    page = new_page(browser)
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png">'
                     '<input type="text"></main></html>')
    with pytest.raises(AssertionError, match=r"image-alt \(critical\).*label \(critical\)|label.*image-alt"):
        audit(page, "_deliberately broken page")
    RESULTS["axe-core"].pop("_deliberately broken page")
    page.context.close()


def test_missing_browser_skips_on_a_developer_machine_and_fails_in_ci():
    """Without Chromium a developer still gets a passing suite that says what
    it skipped; CI must not quietly pass without the browser tests."""
    missing = ["Chromium at /nowhere/chromium"]
    with pytest.raises(pytest.skip.Exception, match="browser tests need Chromium"):
        require(missing, environ={})
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require(missing, environ={"CI": "true"})
    require([], environ={"CI": "true"})  # nothing missing: runs
