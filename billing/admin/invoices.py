"""The invoices and credit notes as issued, the runs to invoice, and the office's payments and exports."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from verbindend.admin import ReadOnlyModelAdmin, ReadOnlyTabularInline, confirmation_page, is_confirmed

from .. import pdf, selectors, ubl
from ..models import Invoice, InvoiceLine, Payment, RunToInvoice
from ..services import bookkeeping, invoicing, payments


class InvoiceLineInline(ReadOnlyTabularInline):
    model = InvoiceLine
    fields = ["position", "description", "quantity", "unit_price", "amount"]
    readonly_fields = fields


class PaymentStateFilter(admin.SimpleListFilter):
    title = _("payment")
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [("open", _("open")), ("overdue", _("overdue")), ("paid", _("paid"))]

    def queryset(self, request, queryset):
        invoices = queryset.filter(kind=Invoice.Kind.INVOICE)
        if self.value() == "open":
            return invoices.filter(open_amount__gt=0)
        if self.value() == "overdue":
            return invoices.filter(open_amount__gt=0, due_date__lt=timezone.localdate())
        if self.value() == "paid":
            return invoices.filter(open_amount__lte=0)
        return queryset


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), help_text=_("The day of the bank statement."))
    amount = forms.DecimalField(
        label=_("Amount (euro)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text=_("Empty: each selected invoice is paid in full, what is open on it."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


@admin.action(description=_("Record a payment on the selected invoices…"), permissions=["record"])
def record_payments(modeladmin, request, queryset):
    form = PaymentForm(request.POST if is_confirmed(request) else None)
    if not (form.is_bound and form.is_valid()):
        return confirmation_page(
            modeladmin,
            request,
            queryset,
            action="record_payments",
            title=_("Record a payment"),
            effects=[_("Each selected invoice gets the payment; an invoice paid in full is paid.")],
            form=form,
        )
    if form.cleaned_data["amount"] is not None and queryset.count() > 1:
        modeladmin.message_user(
            request, _("An amount is recorded on one invoice; leave it empty to pay several in full."), messages.ERROR
        )
        return None
    for invoice in queryset.order_by("year", "sequence"):
        try:
            payment = payments.record_payment(
                invoice=invoice,
                amount=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
                note=form.cleaned_data["note"],
                recorded_by=request.user,
                request=request,
            )
        except payments.PaymentError as error:
            modeladmin.message_user(request, str(error), messages.ERROR)
        else:
            modeladmin.message_user(
                request,
                _("%(number)s: payment of € %(amount)s recorded.")
                % {"number": invoice.number, "amount": payment.amount},
                messages.SUCCESS,
            )
    return None


def _export(request, queryset, file_format):
    content, content_type, name = bookkeeping.export_bookkeeping(
        invoices=queryset, file_format=file_format, by=request.user, request=request
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@admin.action(description=_("Export the selected for the bookkeeping (CSV)"), permissions=["export"])
def export_csv(modeladmin, request, queryset):
    return _export(request, queryset, "csv")


@admin.action(description=_("Export the selected for the bookkeeping (XLSX)"), permissions=["export"])
def export_xlsx(modeladmin, request, queryset):
    return _export(request, queryset, "xlsx")


class PaymentInline(ReadOnlyTabularInline):
    model = Payment
    fields = ["amount", "paid_on", "note", "recorded_by", "recorded_at"]
    readonly_fields = fields


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyModelAdmin):
    """An issued invoice is shown as it was issued; the one change is a credit note (an action)."""

    list_display = [
        "number",
        "kind",
        "buyer_name",
        "cohort",
        "issue_date",
        "due_date",
        "total_amount",
        "open",
        "credits",
        "download",
    ]
    list_filter = ["kind", "year", PaymentStateFilter]
    search_fields = ["number", "buyer_name", "po_number", "cohort__code"]
    list_select_related = ["cohort", "credits"]
    inlines = [InvoiceLineInline, PaymentInline]
    actions = ["credit_in_full", record_payments, export_csv, export_xlsx]

    def has_issue_permission(self, request):
        return request.user.has_perm("billing.issue_invoice")

    def has_record_permission(self, request):
        return request.user.has_perm("billing.record_payment")

    def has_export_permission(self, request):
        return request.user.has_perm("billing.export_bookkeeping")

    def get_queryset(self, request):
        return selectors.with_balance(super().get_queryset(request))

    @admin.display(description=_("open"), ordering="open_amount")
    def open(self, invoice):
        return "" if invoice.is_credit_note else Decimal(invoice.open_amount).quantize(Decimal("0.01"))

    def get_urls(self):
        return [
            path("<int:invoice_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf"),
            path("<int:invoice_id>/ubl/", self.admin_site.admin_view(self.ubl_view), name="billing_invoice_ubl"),
            *super().get_urls(),
        ]

    @admin.display(description=_("download"))
    def download(self, invoice):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:billing_invoice_pdf", args=[invoice.pk]),
            _("PDF"),
            reverse("admin:billing_invoice_ubl", args=[invoice.pk]),
            _("e-invoice (UBL)"),
        )

    def ubl_view(self, request, invoice_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice.objects.select_related("registration", "credits"), pk=invoice_id)
        response = HttpResponse(ubl.render_ubl(invoice), content_type="application/xml")
        response["Content-Disposition"] = content_disposition_header(True, ubl.filename(invoice))
        return response

    def pdf_view(self, request, invoice_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        invoice = get_object_or_404(Invoice.objects.select_related("cohort", "credits"), pk=invoice_id)
        response = HttpResponse(pdf.render_invoice(invoice), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, pdf.filename(invoice))
        return response

    @admin.action(description=_("Credit the selected invoices in full…"), permissions=["issue"])
    def credit_in_full(self, request, queryset):
        form = CreditForm(request.POST if is_confirmed(request) else None)
        if not (form.is_bound and form.is_valid()):
            return confirmation_page(
                self,
                request,
                queryset,
                action="credit_in_full",
                title=_("Credit invoices in full"),
                effects=[_("Each selected invoice gets a credit note for all its lines, with the next number.")],
                form=form,
            )
        for invoice in queryset.order_by("year", "sequence"):
            try:
                credit_note = invoicing.credit_invoice(
                    invoice=invoice, reason=form.cleaned_data["reason"], issued_by=request.user, request=request
                )
            except invoicing.InvoicingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(number)s credited by %(credit_note)s.")
                    % {"number": invoice.number, "credit_note": credit_note.number},
                    messages.SUCCESS,
                )
        return None


class CreditForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ToInvoiceFilter(admin.SimpleListFilter):
    title = _("to invoice")
    parameter_name = "to_invoice"

    def lookups(self, request, model_admin):
        return [("yes", _("boards not invoiced yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(invoice_count__lt=F("board_count"))
        return queryset


@admin.register(RunToInvoice)
class RunToInvoiceAdmin(ReadOnlyModelAdmin):
    list_display = ["code", "programme", "status", "boards", "invoiced"]
    search_fields = ["code"]
    list_filter = [ToInvoiceFilter]
    actions = ["issue_invoices"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status__in=invoicing.INVOICED_STATUSES)
            .select_related("programme")
            .annotate(
                board_count=Count("registrations", filter=Q(registrations__status="placed"), distinct=True),
                invoice_count=Count("invoices", filter=Q(invoices__kind="invoice"), distinct=True),
            )
        )

    def has_issue_permission(self, request):
        return request.user.has_perm("billing.issue_invoice")

    @admin.display(description=_("boards"))
    def boards(self, cohort):
        return cohort.board_count

    @admin.display(description=_("invoiced"))
    def invoiced(self, cohort):
        return cohort.invoice_count

    @admin.action(description=_("Issue an invoice to each board…"), permissions=["issue"])
    def issue_invoices(self, request, queryset):
        if not is_confirmed(request):
            return confirmation_page(
                self,
                request,
                queryset,
                action="issue_invoices",
                title=_("Issue invoices"),
                effects=[
                    _(
                        "Each board of the selected course runs that has no invoice yet gets one for its enrolled "
                        "participants, at the programme's price, with the next number."
                    ),
                    _("An issued invoice cannot be changed; a credit note corrects it."),
                ],
            )
        for cohort in queryset.order_by("code"):
            try:
                invoices = invoicing.issue_invoices_for_run(cohort=cohort, issued_by=request.user, request=request)
            except invoicing.InvoicingError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(code)s: %(count)d invoice issued.", "%(code)s: %(count)d invoices issued.", len(invoices)
                    )
                    % {"code": cohort.code, "count": len(invoices)},
                    messages.SUCCESS,
                )
        return None


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = ["invoice", "amount", "paid_on", "recorded_by", "recorded_at", "note"]
    list_select_related = ["invoice", "recorded_by"]
    search_fields = ["invoice__number", "invoice__buyer_name"]
    date_hierarchy = "paid_on"
