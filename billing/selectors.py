"""Reads of invoices for the pages outside the admin, and of the provider that offers and invoices print."""

from collections.abc import Iterable

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext

from .models import Invoice, Provider


def board_invoices(registration_ids: Iterable[int]) -> list[Invoice]:
    """Return the invoices and credit notes of these registrations, the newest first, in one query."""
    return list(
        Invoice.objects.filter(registration_id__in=list(registration_ids))
        .select_related("credits")
        .order_by("-issue_date", "-year", "-sequence")
    )


def board_invoice(*, registration_ids: Iterable[int], invoice_id: int) -> Invoice:
    """Return one invoice of these registrations (for its PDF or UBL); 404 for any other."""
    return get_object_or_404(
        Invoice.objects.select_related("registration", "cohort", "credits"),
        pk=invoice_id,
        registration_id__in=list(registration_ids),
    )


def with_balance(invoices):
    """
    Annotate invoices with what was paid, what credit notes took off, and what is open: their total less both.

    Two subqueries, whatever the number of invoices.
    """
    from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from .models import Payment

    money = DecimalField(max_digits=12, decimal_places=2)
    paid = (
        Payment.objects.filter(invoice=OuterRef("pk"))
        .order_by()
        .values("invoice")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    credited = (
        Invoice.objects.filter(credits=OuterRef("pk"))
        .order_by()
        .values("credits")
        .annotate(s=Sum("total_amount"))
        .values("s")
    )
    return invoices.annotate(
        paid_amount=Coalesce(Subquery(paid, output_field=money), Value(0), output_field=money),
        credited_amount=Coalesce(Subquery(credited, output_field=money), Value(0), output_field=money),
    ).annotate(
        open_amount=ExpressionWrapper(F("total_amount") + F("credited_amount") - F("paid_amount"), output_field=money)
    )


def open_invoices():
    """Return the invoices (not credit notes) with something left to pay, with their balance."""
    return with_balance(Invoice.objects.filter(kind=Invoice.Kind.INVOICE)).filter(open_amount__gt=0)


def overdue_invoices(*, due_before):
    """Return the open invoices whose due date is before `due_before`."""
    return open_invoices().filter(due_date__lt=due_before)


def provider_with_missing_details() -> tuple[Provider | None, str]:
    """
    Return the provider and the details an offer or invoice needs that it lacks, named for a message ("" if none).
    """
    provider = Provider.objects.first()
    if provider is None:
        return None, gettext("the provider")
    return provider, ", ".join(provider.missing_fields)
