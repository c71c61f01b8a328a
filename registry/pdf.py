"""Certificates as PDF (see verbindend.pdf for what WeasyPrint may fetch), with the QR code of their verification."""

import base64
import io

import segno

from verbindend.pdf import render_pdf

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


def render_certificate(snapshot: dict, *, verification_url: str, language: str = "nl") -> bytes:
    """Return the PDF of a certificate from its frozen snapshot: PDF/A-2a and PDF/UA-1."""
    context = {"c": snapshot, "verification_url": verification_url, "qr": qr_data_uri(verification_url)}
    return render_pdf("registry/certificate.html", context, stylesheet="registry/certificate.css", language=language)
