"""Views of the survey: invitation links, open links, the thank-you page.

Every outcome a respondent can meet has its own page and status code, never a
500: an unknown link or a pulse still in draft (404, the two are not told
apart, so a link cannot be used to probe for drafts), a closed pulse (410), a
link already used or a browser that already answered an open link (409),
a form with mistakes (422, with every answer kept), a refused CSRF token (400,
answers kept), Enter pressed on a radio button (200: the form again, answers
kept, at the next question), and success (303 to the thank-you page, so a
reload cannot post twice).

Nothing that could identify a respondent is stored with the response: the
invitation's segments are copied by storage, and the open-link cookie lives
only in the respondent's browser.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from urllib.parse import unquote, urlsplit

from flask import (
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.globals import request_ctx
from flask.logging import default_handler
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.exceptions import HTTPException

from analysis.duration import estimate_minutes, promised_minutes
from analysis.privacy import PrivacyPolicy
from survey_app import ratelimit, storage
from survey_app.db import get_db
from survey_app.survey import bp
from survey_app.auth.access import signed_in
from survey_app.auth.forms import EmptyForm
from survey_app.survey import page_cache
from survey_app.survey.forms import (
    ENTER_KEY_BUTTON,
    answers_from_form,
    segments_from_form,
    survey_form_class,
)


#: Cookie that tells an open link this browser has already answered its pulse.
ANSWERED_COOKIE = "trinity_answered"
#: Browsers keep cookies at most 400 days; a pulse is open for weeks.
ANSWERED_COOKIE_MAX_AGE = 400 * 24 * 3600
#: Pulses remembered in the cookie (the oldest are dropped beyond this).
ANSWERED_COOKIE_PULSES = 20
#: Status of a form that came back with mistakes. 422 rather than 200 so that
#: monitoring and tests can tell a refused post from a first visit; browsers
#: show the page all the same.
INVALID_FORM_STATUS = 422

# (status code, title, message) for each page a respondent may land on.
STATUS_PAGES = {
    "unknown_link": (
        404,
        "This survey link is not recognised",
        "Check that you copied the whole link from your invitation. If it still "
        "does not work, ask the person who sent it for a new one.",
    ),
    "closed": (
        410,
        "This survey has closed",
        # Worded for both: the page must not tell a used link from an unused
        # one, or whoever holds the sent links could tell who answered.
        "Answers are no longer being collected for this pulse. If you answered "
        "it before it closed, your answers have been kept and will be counted. "
        "The next pulse will come with a new link.",
    ),
    "already_answered": (
        409,
        "You have already answered this survey",
        "Each link (and each browser, for a shared link) can answer once, so that "
        "every voice counts the same. Your earlier answers have been kept; "
        "there is nothing more to do.",
    ),
    "nothing_to_confirm": (
        200,
        "There are no answers to confirm",
        "This page confirms a survey once its answers have been sent, and "
        "nothing has been sent from this browser. To take part, open the survey "
        "link you were sent.",
    ),
    "not_saved": (
        400,
        "Your answers could not be saved",
        "Something in the answers did not match this survey. Please open your "
        "link again and answer once more.",
    ),
}


#: A survey link's secret part in a request line, however its slashes are
#: spelled (``/s/``, ``//s/``, ``/s%2F``, a backslash).
_LINK_TOKEN = re.compile(r"((?:/|%2f|%5c|\\)+[so](?:/|%2f|%5c|\\)+)[^\s?#\"]+", re.IGNORECASE)
#: The address and time werkzeug's development server puts before a request line.
_ADDRESS_AND_TIME = re.compile(r"^\S+ - - \[[^\]]*\] ")


def redact_tokens(text: str) -> str:
    """``text`` with every survey token replaced by ``<token>``.

    Percent-encoding is undone first (up to three layers), so ``/%73/<token>``
    or ``/s/%41...`` cannot slip a token past the pattern.
    """
    decoded = text
    for _ in range(3):
        decoded, before = unquote(decoded), decoded
        if decoded == before:
            break
    if _LINK_TOKEN.search(decoded):
        return _LINK_TOKEN.sub(r"\1<token>", decoded)
    return text


class RedactSurveyTokens(logging.Filter):
    """Keep survey tokens, client addresses and times out of the request log.

    The development server logs every request line with the client's address
    and the second, so ``GET /s/<token>`` would record when each invitation
    was used and from where, and whoever holds the sent links could then tell
    who answered on which day. The log shows ``"GET /s/<token> HTTP/1.1" 200``
    instead, with neither address nor time. (A production web server or proxy
    keeps its own access log: see docs/security.md.)
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_tokens(_ADDRESS_AND_TIME.sub("", record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_tokens(a) if isinstance(a, str) else a for a in record.args
            )
        return True


@bp.record_once
def _redact_request_log(state) -> None:
    for logger in (logging.getLogger("werkzeug"), state.app.logger):
        if not any(isinstance(f, RedactSurveyTokens) for f in logger.filters):
            logger.addFilter(RedactSurveyTokens())
    # Flask's own handler stamps each line with the time; a warning about a
    # refused response must not say when someone answered.
    default_handler.setFormatter(logging.Formatter("%(levelname)s in %(module)s: %(message)s"))


def _canonical_spelling(endpoint: str, **values) -> bool:
    """Whether the request's raw path is exactly the link's own spelling.

    werkzeug decodes ``/s%2F<token>`` and ``/s/%41bc`` before routing, so
    those spellings reached the view (and the log, undecoded, past the
    redaction). A link has one spelling; any other is an unknown link.
    """
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw is None:
        return True
    path = urlsplit(raw).path if "://" in raw[:10] else raw.split("?", 1)[0]
    # url_for includes the mount point (SCRIPT_NAME, or X-Forwarded-Prefix
    # through ProxyFix); the raw path holds it or not, as the server or proxy
    # in front passes it.
    own = url_for(endpoint, **values)
    return path in (own, own[len(request.script_root):])


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="trinity-answered-pulses")


def _answered_pulses() -> list[str]:
    raw = request.cookies.get(ANSWERED_COOKIE)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _remember_answered(response, slug: str) -> None:
    slugs = [s for s in _answered_pulses() if s != slug] + [slug]
    response.set_cookie(
        ANSWERED_COOKIE,
        _serializer().dumps(slugs[-ANSWERED_COOKIE_PULSES:]),
        max_age=ANSWERED_COOKIE_MAX_AGE,
        path=url_for("survey.index") + "o/",  # sent to open links only
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )


def status_page(kind: str, pulse=None, *, code: int | None = None, title=None, message=None):
    """Render a respondent-facing status page with its HTTP status."""
    default_code, default_title, default_message = STATUS_PAGES.get(
        kind, (500, "Something went wrong", "")
    )
    return (
        render_template(
            "survey/status.html",
            kind=kind,
            title=title or default_title,
            message=message or default_message,
            pulse=pulse,
        ),
        code or default_code,
    )


def _pulse_unavailable(pulse):
    """The status page for a pulse that cannot be answered now, else None."""
    if pulse is None or pulse.status == "draft":
        return status_page("unknown_link")
    if pulse.status == "closed":
        return status_page("closed", pulse)
    return None


@bp.after_app_request
def protective_headers(response):
    """Headers that keep a survey link and its answers from leaking.

    ``no-store``: on a shared computer the back button must not show someone
    else's answers. ``no-referrer``: the invitation token in the URL must not
    travel to another site. Framing is refused so the form cannot be
    overlaid by another page (clickjacking).
    """
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


@bp.get("/favicon.ico")
def favicon():
    """The site's icon where a browser asks for it without reading a page's link
    (a JSON or CSV download opened in a tab): an answer, not a 404 in its console."""
    return send_from_directory(current_app.static_folder, "favicon.svg",
                               mimetype="image/svg+xml", max_age=86400)


@bp.get("/")
def index():
    return render_template("survey/index.html", min_group=PrivacyPolicy().min_group)


def _survey_db():
    """The database, with pulses past their close date closed first.

    A pulse closes itself on its ``close_on`` day: checked when someone opens
    a link (one indexed query), so no scheduler is needed and nobody can
    answer a pulse that should have closed.
    """
    db = get_db()
    storage.close_due_pulses(db)
    return db


@bp.route("/s/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """A personal invitation: one response per link."""
    if not _canonical_spelling("survey.invitation", token=token):
        return status_page("unknown_link")
    db = _survey_db()
    found = storage.find_invitation(db, token)
    if found is None:
        return status_page("unknown_link")
    pulse = storage.get_pulse(db, found.pulse_slug)
    unavailable = _pulse_unavailable(pulse)
    if unavailable:
        return unavailable
    if found.used:
        return status_page("already_answered", pulse)
    # Only the pulse's breakdowns are kept, so only those may be asked; a
    # merged value ("Other departments") is a value and is not asked again.
    ask = [s for s in pulse.breakdowns if not found.segments.get(s)]
    return _survey(db, pulse, ask_segments=ask, token=token)


@bp.route("/o/<open_token>", methods=["GET", "POST"])
@ratelimit.limit_posts("open_link", "OPEN_LINK_RATE")
def open_link(open_token: str):
    """The pulse's shared link: one response per browser, segments asked.

    Posts are rate-limited per address (``TRINITY_OPEN_LINK_RATE``), since
    nothing else stops a script answering a shared link many times.
    """
    if not _canonical_spelling("survey.open_link", open_token=open_token):
        return status_page("unknown_link")
    db = _survey_db()
    pulse = storage.get_pulse_by_open_token(db, open_token)
    unavailable = _pulse_unavailable(pulse)
    if unavailable:
        return unavailable
    if pulse.slug in _answered_pulses():
        return status_page("already_answered", pulse)
    return _survey(db, pulse, ask_segments=pulse.breakdowns, token=None)


def _survey(db, pulse, *, ask_segments, token):
    instrument = pulse.instrument
    ask = tuple(sorted(set(ask_segments)))
    without_options = {
        item.segment for item in instrument.segment_items()
        if not item.options and item.segment in ask
    }
    choices = {seg: tuple(storage.roster_values(db, pulse.slug, seg)) for seg in sorted(without_options)}
    form_class = survey_form_class(instrument, ask_segments=ask, segment_choices=choices)
    if page_cache.cacheable() and signed_in() is None:
        # The plain first view: the same page for everyone (survey/page_cache.py).
        key = _page_key(pulse, ask, choices)
        return page_cache.form_page(key, _token_markup(), lambda: _full_page(form_class(), pulse)), 200
    form = form_class()

    if form.enter_pressed:
        # Enter on a radio button (see survey/form.html): nothing is checked
        # or stored; the same form, answers kept, focus on the next question.
        return _render_form(form, pulse, 200, focus=form.question_after_last_answer())
    if form.validate_on_submit():
        try:
            storage.submit_response(
                db,
                pulse_slug=pulse.slug,
                answers=answers_from_form(form, instrument),
                segments=segments_from_form(form, instrument),
                token=token,
            )
        except storage.AlreadyAnswered:
            return status_page("already_answered", pulse)
        except storage.PulseNotOpen as exc:
            return status_page("closed" if exc.status == "closed" else "unknown_link", pulse)
        except storage.StorageError as exc:
            current_app.logger.warning("Response to %s refused by storage: %s", pulse.slug, exc)
            return status_page("not_saved", pulse)
        session["answered_title"] = pulse.title
        response = redirect(url_for("survey.thanks"), code=303)
        if token is None:
            _remember_answered(response, pulse.slug)
        return response

    code = 200
    if form.is_submitted():
        code = 400 if form.csrf_failed else INVALID_FORM_STATUS
    return _render_form(form, pulse, code)


def _page_key(pulse, ask: tuple, choices: dict) -> tuple:
    """Everything the plain form page is made of, as a cache key: the pulse's
    fields (its strategy is not on the page, and cannot change once open),
    the instrument itself, what is asked and offered, the mount point, CSRF."""
    own = tuple(getattr(pulse, f.name) for f in dataclasses.fields(pulse) if f.name != "strategy")
    return (own, ask, tuple(choices.items()), request.script_root,
            bool(current_app.config.get("WTF_CSRF_ENABLED", True)))


def _csrf_markup(form) -> str:
    """The form's hidden CSRF input as the page holds it ("" with CSRF off)."""
    field = getattr(form, "csrf_token", None)
    return str(field) if field is not None else ""


def _token_markup() -> str:
    """This request's CSRF input, without composing the whole survey form:
    a form of no fields renders the same token the survey form would."""
    return _csrf_markup(EmptyForm(formdata=None))


def _full_page(form, pulse) -> tuple[str, str]:
    html, _ = _render_form(form, pulse, 200)
    return html, _csrf_markup(form)


def _render_form(form, pulse, code: int, focus: str | None = None):
    """The form page, with the time its questions take (computed, see analysis.duration)."""
    asked = list(form.survey_items)
    return render_template(
        "survey/form.html", form=form, pulse=pulse, focus=focus,
        enter_pressed=form.enter_pressed, enter_key_button=ENTER_KEY_BUTTON,
        minutes=promised_minutes(pulse.instrument, asked),
        quick_minutes=estimate_minutes(pulse.instrument, asked, optional_answered=False),
    ), code


@bp.get("/thanks")
def thanks():
    """Where a successful post lands (post/redirect/get): what happens next.

    The group-size limits quoted are the analysis side's defaults, so the
    promise on this page is the rule the reports apply. Opened without
    having sent anything (a bookmark, a typed address), it says so instead
    of confirming answers that were never sent.
    """
    if "answered_title" not in session:
        return status_page("nothing_to_confirm")
    policy = PrivacyPolicy()
    return render_template(
        "survey/thanks.html",
        title=session.get("answered_title"),
        min_group=policy.min_group,
        min_comments=policy.min_comments,
    )


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Every HTTP error as a readable page in the site's layout.

    A request for a host outside ``TRUSTED_HOSTS`` has no URL adapter, so no
    page of the site can be built for it: it gets the error in plain text.
    """
    if request_ctx.url_adapter is None:
        return f"{exc.code} {exc.name}\n", exc.code or 400, {"Content-Type": "text/plain; charset=utf-8"}
    if exc.code == 404:
        return status_page("not_found", code=404, title="Page not found",
                           message="There is no page at this address. "
                                   "If you followed a survey link, check that it is complete.")
    if exc.code == 413:
        return status_page("too_large", code=413, title="Your answers are too long",
                           message="Please shorten your comments and send them again.")
    return status_page("http_error", code=exc.code or 500, title=exc.name,
                       message=exc.description or "")
