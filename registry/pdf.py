"""
Certificates as PDF, made with WeasyPrint from an HTML template.

WeasyPrint fetches whatever a document refers to. Here it may read only the
project's own static files (fonts, the logo) and data: URIs (the QR code);
every other URL, file:// or http(s):// alike, is refused, so a name such as
<img src="file:///etc/passwd"> can never make it read or send anything (and
the template escapes every value anyway).
"""

import base64
import mimetypes
from functools import lru_cache
from urllib.parse import unquote

import segno
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# The base URL of the documents: a host that does not exist, so nothing
# relative can ever resolve to a real server.
BASE_URL = "https://verbindend.invalid/"
STATIC_BASE = BASE_URL + "static/"


class StaticFilesOnlyFetcher(URLFetcher):
    """Give WeasyPrint the project's static files and data: URIs, and nothing else."""

    def __init__(self):
        super().__init__(allowed_protocols={"data", "https"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_BASE):
            relative = unquote(url[len(STATIC_BASE) :].split("?")[0].split("#")[0])
            try:
                path = finders.find(relative)
            except SuspiciousFileOperation:
                path = None
            if path:
                with open(path, "rb") as file:
                    body = file.read()
                content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})
        raise ValueError(f"Refused to fetch {url!r}: only the project's static files may be used.")


def qr_data_uri(text: str) -> str:
    svg = segno.make(text, error="m").svg_inline(scale=4, dark="#143f35", border=0)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@lru_cache(maxsize=1)
def _stylesheet() -> tuple[CSS, FontConfiguration]:
    # Parsed once per process: parsing the stylesheet and loading its fonts
    # would otherwise cost more than laying out the page.
    fonts = FontConfiguration()
    css = CSS(
        string=render_to_string("registry/certificate.css"),
        base_url=BASE_URL,
        url_fetcher=StaticFilesOnlyFetcher(),
        font_config=fonts,
    )
    return css, fonts


def render_certificate(snapshot: dict, *, verification_url: str, language: str = "nl") -> bytes:
    """Return the PDF of a certificate from its frozen snapshot."""
    css, fonts = _stylesheet()
    with translation.override(language):
        html = render_to_string(
            "registry/certificate.html",
            {"c": snapshot, "verification_url": verification_url, "qr": qr_data_uri(verification_url)},
        )
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnlyFetcher())
    return document.write_pdf(stylesheets=[css], font_config=fonts)
