"""Render HTML templates to PDF with WeasyPrint, fetching nothing but static files."""

import gc
import logging
import mimetypes
import threading
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML, URLFetcher
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative URLs in PDF templates ({% static %} gives /static/...) resolve against this
# origin; it never reaches the network, the fetcher maps it onto the static folders.
BASE_URL = "https://kam.invalid/"
STATIC_PREFIX = BASE_URL + "static/"


class StaticFilesFetcher(URLFetcher):
    """Serve data: URLs and static files; refuse every other URL (no SSRF)."""

    def __init__(self):
        super().__init__(allowed_protocols={"data", "https"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_PREFIX):
            relative = url[len(STATIC_PREFIX) :].split("?")[0].split("#")[0]
            found = finders.find(relative) if ".." not in relative else None
            if found:
                mimetype = mimetypes.guess_type(found)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    url, Path(found).read_bytes(), {"Content-Type": mimetype}
                )
        logger.warning("pdf: refused to fetch %s", url)
        raise ValueError(f"PDF documents may only use static files, not {url}")


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread: fonts are looked up once, not per PDF."""
    if not hasattr(_local, "fonts"):
        _local.fonts = FontConfiguration()
    return _local.fonts


def html_to_pdf(html: str, *, variant: str | None = None) -> bytes:
    """Turn an HTML document into PDF bytes; `variant` one of WeasyPrint's PDF
    variants ("pdf/a-3b": an archivable PDF that may carry files, as Factur-X
    invoices do).

    The cyclic garbage collector pauses while WeasyPrint builds its many short-lived
    boxes (it would rescan them over and over); it runs again right afterwards.
    """
    gc.disable()
    try:
        return HTML(
            string=html, base_url=BASE_URL, url_fetcher=StaticFilesFetcher()
        ).write_pdf(font_config=_font_config(), pdf_variant=variant)
    finally:
        gc.enable()


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render a template under templates/pdf/ to PDF bytes."""
    return html_to_pdf(render_to_string(template_name, context))
