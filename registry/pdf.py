"""
Certificates as PDF, made with WeasyPrint from an HTML template.

WeasyPrint fetches whatever a document refers to. Here it may read only the
project's own static files (fonts, the logo) and data: URIs (the QR code);
every other URL, file:// or http(s):// alike, is refused, so a name such as
<img src="file:///etc/passwd"> can never make it read or send anything (and
the template escapes every value anyway).
"""

import base64
import io
import mimetypes
from functools import lru_cache
from urllib.parse import unquote, unquote_to_bytes
from xml.etree.ElementTree import SubElement, fromstring, tostring

import segno
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


QR_MASK = 0


def qr_data_uri(text: str) -> str:
    """Return the QR code of `text` as a PNG data: URI, one pixel per module."""
    # A PNG is one image for WeasyPrint to place; the same code as SVG is a
    # path of hundreds of segments to parse and draw, several times slower.
    # One fixed mask: choosing the "best" of eight by segno's penalty rules took three quarters of the QR code's
    # time (2.5 ms a certificate, a tenth of the render); every mask decodes alike (the test reads the printed
    # code back with zbarimg). No micro QR and no raised error level: the same code for every URL length.
    png = io.BytesIO()
    code = segno.make(text, error="m", mask=QR_MASK, micro=False, boost_error=False)
    code.save(png, kind="png", scale=1, border=0, dark="#143f35")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()


@lru_cache(maxsize=1)
def _resources() -> tuple[CSS, FontConfiguration, StaticFilesOnlyFetcher]:
    # Made once per process: parsing the stylesheet and loading its fonts
    # would otherwise cost more than laying out the page. The fetcher keeps
    # no state between fetches, so every render can share it.
    fetcher = StaticFilesOnlyFetcher()
    fonts = FontConfiguration()
    css = CSS(
        string=render_to_string("registry/certificate.css"),
        base_url=BASE_URL,
        url_fetcher=fetcher,
        font_config=fonts,
    )
    return css, fonts, fetcher


# Archival and accessible at once. PDF/A-2a is PDF/A-2 (PDF 1.7, fonts embedded, sRGB output intent, XMP metadata)
# at level A: tagged, with Unicode text and a language, which is what a screen reader needs. WeasyPrint writes one
# variant's identification; PDF/UA-1 asks nothing of this page that PDF/A-2a with tags does not already give (tags,
# /Lang, a title shown as the window title: WeasyPrint's tagging sets DisplayDocTitle), so the XMP also names
# PDF/UA-1 (`_ArchivalAndAccessible`). PDF/A-2 rather than 3: a certificate carries no embedded files, and
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


def render_certificate(snapshot: dict, *, verification_url: str, language: str = "nl") -> bytes:
    """Return the PDF of a certificate from its frozen snapshot: PDF/A-2a and PDF/UA-1, see PDF_VARIANT."""
    css, fonts, fetcher = _resources()
    with translation.override(language):
        html = render_to_string(
            "registry/certificate.html",
            {"c": snapshot, "verification_url": verification_url, "qr": qr_data_uri(verification_url)},
        )
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=fonts, pdf_variant=PDF_VARIANT
    )
    document.metadata.__class__ = _ArchivalAndAccessible
    return document.write_pdf(pdf_variant=PDF_VARIANT)
