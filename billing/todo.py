"""Billing's to-dos on the start page: course runs with boards still to invoice (see verbindend.todo)."""

from urllib.parse import urlencode

from django.db.models import Exists, Min, OuterRef
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Participant, Registration
from verbindend.todo import ToDo, provider

from . import selectors
from .models import Invoice
from .services.invoicing import INVOICED_STATUSES


@provider
def runs_to_invoice(request, today) -> list[ToDo]:
    """Runs from confirmation on with a placed board with leaders that has no invoice yet: one query."""
    if not request.user.has_perm("billing.issue_invoice"):
        return []
    uninvoiced = Registration.objects.filter(cohort=OuterRef("pk"), status=Registration.Status.PLACED).filter(
        Exists(Participant.objects.filter(registration=OuterRef("pk"), status=Participant.Status.ENROLLED)),
        ~Exists(Invoice.objects.filter(registration=OuterRef("pk"), kind=Invoice.Kind.INVOICE)),
    )
    runs = (
        Cohort.objects.filter(status__in=INVOICED_STATUSES)
        .filter(Exists(uninvoiced))
        .annotate(first_day=Min("days__date"))
    )
    changelist = reverse("admin:billing_runtoinvoice_changelist")
    return [
        ToDo(
            subject=run.code,
            detail=run.get_status_display(),
            action=_("Issue the invoices"),
            url=f"{changelist}?{urlencode({'q': run.code})}",
            since=run.first_day,
        )
        for run in runs
    ]


@provider
def overdue_invoices(request, today) -> list[ToDo]:
    """Invoices open past their due date: one line each, to record the payment or follow it up; one query."""
    if not request.user.has_perm("billing.record_payment"):
        return []
    changelist = reverse("admin:billing_invoice_changelist")
    return [
        ToDo(
            subject=invoice.number,
            detail=_("%(board)s, due %(date)s, EUR %(open)s open")
            % {
                "board": invoice.buyer_name,
                "date": formats.date_format(invoice.due_date, "j b Y"),
                "open": invoice.open_amount,
            },
            action=_("Record the payment or follow it up"),
            url=f"{changelist}?{urlencode({'payment': 'overdue', 'q': invoice.number})}",
            since=invoice.due_date,
        )
        for invoice in selectors.overdue_invoices(due_before=today).order_by("due_date", "number")
    ]
