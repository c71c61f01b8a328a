"""
What the provider charges and how it invoices: the provider's identity, the price model per programme, the offers
and the invoices per board. Every amount and every term is data, edited in the admin; none is written in code.

- `prices`: the provider and the price model per programme
- `invoices`: the invoices and credit notes, their numbering and lines
- `offers`: the offers (in versions) and their lines
- `payments`: the payments received on the invoices
"""

# Django lists a model's reverse relations (and deletes along them) in the
# order the models pointing to it were declared; these imports (`invoices`
# imports `prices` first) declare them in the order of the one module they
# were split from.
from .invoices import DocumentLine, Invoice, InvoiceCounter, InvoiceLine, RunToInvoice
from .offers import Offer, OfferLine, RegistrationToOffer
from .payments import Payment
from .prices import MONEY, PriceModel, Provider

__all__ = [
    "MONEY",
    "DocumentLine",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "Offer",
    "OfferLine",
    "Payment",
    "PriceModel",
    "Provider",
    "RegistrationToOffer",
    "RunToInvoice",
]
