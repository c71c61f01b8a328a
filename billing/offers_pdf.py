"""The offer as an A4 PDF, in the invoice's style (see verbindend.pdf for what WeasyPrint may fetch)."""

from verbindend.pdf import render_pdf

from .models import Offer, OfferLine


def render_offer(offer: Offer, *, lines: list[OfferLine] | None = None) -> bytes:
    """Return the PDF of one version of an offer, from what it copied when it was made, in its language."""
    context = {"offer": offer, "lines": lines if lines is not None else list(offer.lines.all())}
    return render_pdf("billing/offer.html", context, stylesheet="billing/offer.css", language=offer.language)


def filename(offer: Offer) -> str:
    return f"offerte-{offer.number}-v{offer.version}.pdf"
