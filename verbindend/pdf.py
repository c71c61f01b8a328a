"""
Documents as PDF, made with WeasyPrint from an HTML template: certificates, sign-in sheets, invoices.

WeasyPrint fetches whatever a document refers to. Here it may read only the
project's own static files (fonts, the logo) and data: URIs (a QR code);
every other URL, file:// or http(s):// alike, is refused, so a name such as
<img src="file:///etc/passwd"> can never make it read or send anything (and
the templates escape every value anyway).
"""

import base64
import mimetypes
from functools import lru_cache
from urllib.parse import unquote, unquote_to_bytes
from xml.etree.ElementTree import SubElement, fromstring, tostring

from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.pdf.metadata import NS, DocumentMetadata
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
            return self._data(url)
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

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        # Decoded here: urllib's DataHandler takes longer than drawing the QR
        # code it would carry.
        header, comma, payload = url[len("data:") :].partition(",")
        if not comma:
            raise ValueError(f"Refused to fetch {url[:40]!r}: not a data: URI.")
        if header.endswith(";base64"):
            body = base64.b64decode(payload, validate=True)
            header = header[: -len(";base64")]
        else:
            body = unquote_to_bytes(payload)
        content_type = header.split(";")[0] or "text/plain"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})


_FETCHER = StaticFilesOnlyFetcher()  # it keeps no state between fetches, so every render can share it


@lru_cache(maxsize=8)
def _stylesheet(template: str) -> tuple[CSS, FontConfiguration]:
    # Made once per process and stylesheet: parsing it and loading its fonts
    # would otherwise cost more than laying out the page.
    fonts = FontConfiguration()
    css = CSS(string=render_to_string(template), base_url=BASE_URL, url_fetcher=_FETCHER, font_config=fonts)
    return css, fonts


# Archival and accessible at once. PDF/A-2a is PDF/A-2 (PDF 1.7, fonts embedded, sRGB output intent, XMP metadata)
# at level A: tagged, with Unicode text and a language, which is what a screen reader needs. WeasyPrint writes one
# variant's identification; PDF/UA-1 asks nothing of this page that PDF/A-2a with tags does not already give (tags,
# /Lang, a title shown as the window title: WeasyPrint's tagging sets DisplayDocTitle), so the XMP also names
# PDF/UA-1 (`_ArchivalAndAccessible`). PDF/A-2 rather than 3: these documents carry no embedded files, and
# PDF/A-2 is the level archives accept most widely.
PDF_VARIANT = "pdf/a-2a"
PDFUA_PART = "1"


class _ArchivalAndAccessible(DocumentMetadata):
    """The document's metadata, whose XMP identifies PDF/UA-1 beside the PDF/A part WeasyPrint writes."""

    def generate_rdf_metadata(self, variant, version, conformance):
        rdf = fromstring(super().generate_rdf_metadata(variant, version, conformance))  # noqa: S314 (our own XML)
        description = SubElement(rdf, f"{{{NS['rdf']}}}Description")
        description.attrib[f"{{{NS['rdf']}}}about"] = ""
        description.attrib[f"{{{NS['pdfuaid']}}}part"] = PDFUA_PART
        return tostring(rdf)


def render_pdf(template: str, context: dict, *, stylesheet: str, language: str) -> bytes:
    """Return the PDF of an HTML template in a language: PDF/A-2a and PDF/UA-1 (see PDF_VARIANT)."""
    css, fonts = _stylesheet(stylesheet)
    with translation.override(language):
        html = render_to_string(template, context)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=_FETCHER).render(
        stylesheets=[css], font_config=fonts, pdf_variant=PDF_VARIANT
    )
    document.metadata.__class__ = _ArchivalAndAccessible
    return document.write_pdf(pdf_variant=PDF_VARIANT)
