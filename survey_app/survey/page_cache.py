"""The form page, rendered once per pulse and filled in per request.

Everyone answering a pulse gets the same page: the same questions in the
same markup. The profile (docs/benchmarks.md, "Answering a pulse") showed
three quarters of the page's time going to rendering its ~90 WTForms widgets
through the form macro, on every request. What differs between two
respondents' first view of the form is two strings: the form's action (their
own link) and the CSRF token's hidden input (tied to their own session). So
the page is rendered in full once, cut at those two strings, and later
requests put their own strings between the pieces: byte for byte what the
full render gives them (tests/test_form_cache.py checks it).

Only the plain first view is cached. A page with errors, kept answers or
focus moved by Enter (a POST), and a signed-in person's page (the nav holds
their name and their own token) are rendered in full every time.

The key holds every input of the page: the pulse's own fields, the
instrument itself (compared by content), the segments asked and the choices
offered, the mount point and the CSRF setting. A pulse or instrument that
changes is therefore a new key and can never be served an old page; old
entries simply age out of a small LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

from flask import current_app, request
from markupsafe import escape

#: Pages kept per app: a few per open pulse (the open link, invitations with
#: and without roster segments) is all a deployment ever needs.
CACHE_SIZE = 128
_EXTENSION = "trinity_form_pages"


class PageCache:
    """A small thread-safe LRU of cut pages (werkzeug's server is threaded)."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self._pages: OrderedDict[Hashable, tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[str, ...] | None:
        with self._lock:
            pieces = self._pages.get(key)
            if pieces is not None:
                self._pages.move_to_end(key)
            return pieces

    def put(self, key: Hashable, pieces: tuple[str, ...]) -> None:
        with self._lock:
            self._pages[key] = pieces
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def page_cache() -> PageCache:
    """The current app's cache (each app its own: tests make many apps)."""
    cache = current_app.extensions.get(_EXTENSION)
    if cache is None:
        cache = current_app.extensions.setdefault(_EXTENSION, PageCache())
    return cache


def cut(html: str, slots: Sequence[str]) -> tuple[str, ...] | None:
    """``html`` split around each slot, in order; None unless each slot is
    non-empty and occurs exactly once (then filling is unambiguous)."""
    pieces = []
    rest = html
    for slot in slots:
        if not slot or html.count(slot) != 1 or slot not in rest:
            return None
        before, rest = rest.split(slot, 1)
        pieces.append(before)
    pieces.append(rest)
    return tuple(pieces)


def fill(pieces: tuple[str, ...], values: Sequence[str]) -> str:
    """The page again, with ``values`` where :func:`cut` took the slots out."""
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(value)
        out.append(piece)
    return "".join(out)


def cacheable() -> bool:
    """Whether this request may get the cached page: a GET in a production
    template setup (templates that reload from disk may change underneath)."""
    return request.method == "GET" and not current_app.jinja_env.auto_reload


def form_page(key: Hashable, token_markup: str, render: Callable[[], tuple[str, str]]) -> str:
    """The form page for ``key``, this request's action and token filled in.

    ``render()`` renders the page in full and returns ``(html, the token
    markup it holds)``; it runs only when ``key`` is not cached yet, and its
    page is what this request gets. ``token_markup`` is this request's
    hidden CSRF input (empty with CSRF switched off).
    """
    # Cut with its attribute name, so that a link's path that happened to
    # appear in a question's text could never be taken for the action.
    # The mount point (SCRIPT_NAME, or X-Forwarded-Prefix through ProxyFix)
    # is not in request.path, but the browser must post to it.
    action = f'action="{escape(request.script_root + request.path)}"'
    cache = page_cache()
    pieces = cache.get(key)
    if pieces is not None:
        return fill(pieces, [action, token_markup] if token_markup else [action])
    html, rendered_token = render()
    pieces = cut(html, [action, rendered_token] if rendered_token else [action])
    if pieces is not None:
        cache.put(key, pieces)
    return html
