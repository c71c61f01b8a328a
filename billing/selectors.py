"""Reads of invoices for the pages outside the admin."""

from collections.abc import Iterable

from django.shortcuts import get_object_or_404

from .models import Invoice


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
