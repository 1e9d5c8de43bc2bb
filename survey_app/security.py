"""The web layer's defences that sit around every view: headers, proxies, bodies.

Kept apart from the views so that every response gets them, whichever
blueprint made it (an error page, a static file, a page added later):

- **Headers** (:func:`set_security_headers`): a Content-Security-Policy that
  allows no inline script, so a payload that slipped past escaping still
  cannot run (a page that needs a script gives it the request's nonce,
  ``csp_nonce()`` in templates); ``nosniff``; ``no-referrer``, so a survey
  token in the address never travels in a Referer header; HSTS only over
  HTTPS (over plain HTTP the header means nothing and would only confuse a
  local run); and no server version.
- **Proxies** (:func:`init_app`): behind a TLS-terminating proxy the app sees
  plain HTTP from the proxy's address. ``TRINITY_TRUSTED_PROXIES`` (the number
  of proxies in front) makes werkzeug's ``ProxyFix`` believe that many
  ``X-Forwarded-*`` hops, so HTTPS is detected (Secure cookies, HSTS) and
  per-address limits see the client, not the proxy. Unset, the headers are
  ignored: a client could otherwise forge its address and its scheme.
- **Bodies** (:func:`refuse_unexpected_bodies`): every POST in this app is a
  form. A JSON body used to reach Flask-WTF, which reads JSON as form data and
  handed an ``int`` to a text field (a 500); any other content type is now a
  415 before a view runs.
"""

from __future__ import annotations

import io
import secrets

from flask import Request, abort, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

from survey_app import ratelimit

#: Body types a POST may carry: the two a browser's form sends.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
#: Methods that carry a body.
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A year, the usual HSTS lifetime; subdomains are left alone (the company may
#: serve other things on them over plain HTTP).
HSTS = "max-age=31536000"
#: Set in the WSGI environ when a chunked body went past the size limit.
TOO_LARGE = "trinity.body_too_large"
#: What the dev server says instead of its name, version and Python's.
SERVER_NAME_HEADER = "Trinity Pulse"


def csp_nonce() -> str:
    """This request's CSP nonce (made on first use), for ``<script nonce=...>``."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None = None) -> str:
    """The policy: our own files only, no inline script unless it has ``nonce``.

    ``base-uri 'none'`` stops an injected ``<base>`` from sending relative
    links elsewhere; ``form-action 'self'`` stops an injected form posting
    answers to another site; ``frame-ancestors 'none'`` refuses framing.
    """
    script = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return "; ".join((
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ))


def set_security_headers(response):
    """Add the headers every response carries (see the module's docstring)."""
    headers = response.headers
    # A page that sets a stricter policy of its own keeps it (the reports:
    # ``default-src 'none'``, no script at all).
    headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    else:
        headers.pop("Strict-Transport-Security", None)
    # The server adds its own Server header (see init_app); the app adds none.
    headers.pop("Server", None)
    return response


class BufferChunkedBodies:
    """WSGI middleware: a chunked body is read up to the size limit, then kept.

    werkzeug checks ``MAX_CONTENT_LENGTH`` against a declared Content-Length
    only; a chunked body has none, and the form parser then reads it to the
    end, however long. Here at most ``limit + 1`` bytes are read, ``limit``
    being the largest any route allows (``MAX_CHUNKED_BODY``: the admin's
    uploads): past it the request is marked and
    :func:`refuse_unexpected_bodies` answers 413 (the body is never parsed);
    within it, the body is handed on with its length, so each route's own
    limit (``MAX_CONTENT_LENGTH``, or the admin's) applies as to any other
    request.
    """

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app = wsgi_app
        self.limit = limit

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(self.limit + 1)
            if len(body) > self.limit:
                environ[TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # No longer chunked for the app: werkzeug ignores a length that
            # comes with "Transfer-Encoding: chunked".
            del environ["HTTP_TRANSFER_ENCODING"]
        return self.wsgi_app(environ, start_response)


def refuse_unexpected_bodies():
    """413 for a body too large or of too many parts; 415 for a body that is
    not a form, 400 for a JSON one; all before any view.

    werkzeug counts ``MAX_FORM_PARTS`` in multipart bodies only; an
    urlencoded body is counted here (it is at most ``MAX_CONTENT_LENGTH``).
    A view may opt in to other types by setting ``accepts_body_types`` on
    its function (a set of mimetypes), for a JSON endpoint to come.
    """
    if request.environ.get(TOO_LARGE):
        abort(413)
    if request.method not in BODY_METHODS:
        return None
    if request.mimetype == "application/x-www-form-urlencoded":
        parts = current_app.config.get("MAX_FORM_PARTS")
        body = request.get_data(cache=True, parse_form_data=False)
        if parts is not None and body and body.count(b"&") + 1 > parts:
            abort(413)
    has_body = bool(request.content_length) or "chunked" in (
        request.headers.get("Transfer-Encoding", "").lower())
    if not has_body and not request.mimetype:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    allowed = FORM_TYPES | set(getattr(view, "accepts_body_types", ()))
    if request.mimetype in allowed:
        return None
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        abort(400, "This address takes a form, not JSON.")
    abort(415, "This address takes a form sent by a browser.")


#: Why a NUL character (0x00) is refused: no field of the product takes one
#: and no browser sends one from a text box, but a script can, and
#: PostgreSQL refuses NUL in any text, even in a lookup: a NUL in the login's
#: email was a 500 there while SQLite looked it up. Refused before any SQL,
#: it is the same clear 400 on both engines (a NUL in the path is an
#: unknown page, like any other). Uploaded files are not form
#: fields: their parsers name a NUL's line and field (roster_file.py).
NUL = "\x00"


def _nul_message(where: str, name: str) -> str:
    shown = name.replace(NUL, "\\0")[:40]
    return f"The {where} field {shown!r} holds a NUL character (0x00), which no field takes."


def refuse_nul_in_query():
    """400 for a NUL in the query, before any view (see :data:`NUL`).

    Not the path: a survey link with a NUL in it must be the same "unknown
    link" page as any other tampered spelling (tests/test_tokens.py), and
    the lookups by slug and token already treat NUL as not found.
    """
    for name, value in request.args.items(multi=True):
        if NUL in name or NUL in value:
            abort(400, _nul_message("query", name))


class NulRefusingRequest(Request):
    """Flask's request, refusing a form field that holds a NUL (see :data:`NUL`).

    Checked where the form is parsed rather than in a ``before_request``
    hook: parsing there would happen before the admin blueprint raises its
    upload limit, and a 300 KiB roster would be refused as too large.
    """

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for name, value in self.form.items(multi=True):
            if NUL in name or NUL in value:
                raise BadRequest(_nul_message("form", name))


class ProxyAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS.

    ``SESSION_COOKIE_SECURE`` (``TRINITY_SECURE_COOKIES=1``) still forces it;
    behind a TLS proxy with ``TRINITY_TRUSTED_PROXIES`` set, HTTPS is seen and
    the flag follows without a second setting.
    """

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def refused_token_page(exc):
    """The 400 for a form posted without its valid CSRF token, in words."""
    from survey_app.survey.routes import status_page

    return status_page(
        "csrf", code=400, title="This form had expired or was sent from another site",
        message="Nothing was changed. Reload the page and send the form again. (Its "
                "security token was missing or out of date.)")


def _quiet_version_string(self) -> str:
    return SERVER_NAME_HEADER


def init_app(app) -> None:
    """Install the proxy fix, the header and body hooks, the session interface."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies < 0:
        raise RuntimeError("TRINITY_TRUSTED_PROXIES must be 0 or more")
    ceiling = max(int(app.config["MAX_CONTENT_LENGTH"]), int(app.config.get("MAX_CHUNKED_BODY") or 0))
    app.wsgi_app = BufferChunkedBodies(app.wsgi_app, ceiling)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,
                                x_host=proxies, x_port=proxies, x_prefix=proxies)
    # ``//s/<token>`` would be redirected to ``/s/<token>``, echoing the token
    # in a Location header and logging a second spelling of it: a doubled
    # slash is simply a page that does not exist.
    app.url_map.merge_slashes = False
    ratelimit.check_settings(app)
    app.session_interface = ProxyAwareSessionInterface()
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.before_request(refuse_unexpected_bodies)
    app.request_class = NulRefusingRequest
    app.before_request(refuse_nul_in_query)
    # Every POST needs its CSRF token before any view runs (400 otherwise),
    # whether or not the view remembers to check its form. The survey's own
    # views are exempt only because their form checks the token itself and
    # answers the 400 with the answers kept (survey/routes.py).
    from survey_app.survey import bp as survey_bp

    CSRFProtect(app).exempt(survey_bp)
    app.register_error_handler(CSRFError, refused_token_page)
    app.after_request(set_security_headers)
    # werkzeug's development server (``make run``) writes its own Server
    # header, "Werkzeug/x.y Python/x.y", after the app has answered; only its
    # request handler can change that. Production servers have their own
    # setting (docs/security.md).
    WSGIRequestHandler.version_string = _quiet_version_string
