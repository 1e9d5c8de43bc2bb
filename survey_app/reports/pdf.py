"""Reports as PDF, charts included, by WeasyPrint.

The PDF is the report page itself (its print layout, without navigation or
forms), so it shows exactly what the page shows. WeasyPrint fetches nothing
but the app's own static files: :class:`StaticOnlyFetcher` serves
``/static/...`` from the static folder and refuses every other URL
(another host, ``file:``, ``data:``, a path outside the folder), so a report
can never make the server read a file or call a network address.

A PDF takes WeasyPrint 0.2-0.5 s, its page 5-15 ms; leaders download the same
report of the same snapshot again and again. So the PDF is kept per page
*as rendered* (:func:`html_to_pdf` is keyed by the HTML itself): a new
snapshot, a theme moved, a changed template or another reader's page is
other HTML, hence a new PDF, and nothing needs invalidating by hand. The
cache is per process and small (:data:`PDF_CACHE_SIZE`).
"""

from __future__ import annotations

import functools
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

#: PDFs kept per process (a few hundred kilobytes each): every executive's
#: and department's report of the current snapshots, with room to spare.
PDF_CACHE_SIZE = 64
#: The origin the page's relative URLs are resolved against: never fetched.
BASE_URL = "http://report.invalid/"


class StaticOnlyFetcher(URLFetcher):
    """Serve ``<BASE_URL>static/<file>`` from ``static_folder``; refuse the rest."""

    def __init__(self, static_folder: str | Path, static_url_path: str = "/static"):
        super().__init__(allowed_protocols=("http",))
        self.static_folder = Path(static_folder).resolve()
        self.prefix = static_url_path.rstrip("/") + "/"

    def resolve(self, url: str) -> Path:
        """The static file ``url`` names; ValueError for anything else."""
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not parts.path.startswith(self.prefix):
            raise ValueError(f"the PDF may load only the app's static files, not {url!r}")
        path = (self.static_folder / unquote(parts.path[len(self.prefix):])).resolve()
        if self.static_folder not in path.parents or not path.is_file():
            raise ValueError(f"no static file {parts.path!r}")
        return path

    def fetch(self, url, headers=None):
        path = self.resolve(url)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})


@functools.lru_cache(maxsize=PDF_CACHE_SIZE)
def html_to_pdf(html: str, static_folder: str | Path, static_url_path: str = "/static") -> bytes:
    """The PDF of a rendered report page (made once per distinct page)."""
    return render_pdf(html, static_folder, static_url_path)


def render_pdf(html: str, static_folder: str | Path, static_url_path: str = "/static") -> bytes:
    """The PDF of a rendered report page, made now (what the cache keeps)."""
    return HTML(string=html, base_url=BASE_URL,
                url_fetcher=StaticOnlyFetcher(static_folder, static_url_path)).write_pdf()
