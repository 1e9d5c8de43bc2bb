"""Reports as PDF, charts included, by WeasyPrint.

The PDF is the report page itself (its print layout, without navigation or
forms), so it shows exactly what the page shows. WeasyPrint fetches nothing
but the app's own static files: :class:`StaticOnlyFetcher` serves
``/static/...`` from the static folder and refuses every other URL
(another host, ``file:``, ``data:``, a path outside the folder), so a report
can never make the server read a file or call a network address.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

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


def html_to_pdf(html: str, static_folder: str | Path, static_url_path: str = "/static") -> bytes:
    """The PDF of a rendered report page."""
    return HTML(string=html, base_url=BASE_URL,
                url_fetcher=StaticOnlyFetcher(static_folder, static_url_path)).write_pdf()
