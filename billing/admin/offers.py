"""The offers: made per registration after the intake, in versions, accepted by the board online."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from verbindend.admin import ReadOnlyModelAdmin, confirmation_page, is_confirmed

from .. import offers_pdf
from ..models import Offer, OfferLine, RegistrationToOffer
from ..services import offers
from .invoices import InvoiceLineInline


class OfferLineInline(InvoiceLineInline):
    model = OfferLine


class MakeOfferForm(forms.Form):
    participants = forms.IntegerField(
        label=_("Participants"),
        required=False,
        min_value=1,
        max_value=999,
        help_text=_("Empty: each registration's expected number of participants."),
    )
    remark = forms.CharField(
        label=_("Remark on the offer"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Printed on the offer, such as what the intake agreed."),
    )


def _make_offers(modeladmin, request, registrations) -> None:
    """Make the next offer version for each registration through the service; say what came of each."""
    form = MakeOfferForm(request.POST)
    form.is_valid()
    for registration in registrations:
        try:
            offer = offers.make_offer(
                registration=registration,
                participants=form.cleaned_data.get("participants"),
                remark=form.cleaned_data.get("remark", ""),
                made_by=request.user,
                request=request,
            )
        except offers.OfferError as error:
            modeladmin.message_user(request, f"{registration}: {error}", messages.ERROR)
        else:
            modeladmin.message_user(
                request,
                _("%(registration)s: version %(version)s of offer %(number)s made and e-mailed to the contact.")
                % {"registration": registration, "version": offer.version, "number": offer.number},
                messages.SUCCESS,
            )


def _make_offer_page(modeladmin, request, queryset, *, action: str):
    form = MakeOfferForm(request.POST if is_confirmed(request) else None)
    if form.is_bound and form.is_valid():
        return None
    return confirmation_page(
        modeladmin,
        request,
        queryset,
        action=action,
        title=_("Make an offer"),
        effects=[
            _(
                "Each selected registration gets the next version of its offer, priced from the programme's price "
                "model, as a PDF e-mailed to its contact and shown on the board page."
            ),
            _("An open earlier version is superseded; an accepted offer cannot change and is left as it is."),
        ],
        form=form,
        button=_("Make the offer"),
    )


@admin.register(RegistrationToOffer)
class RegistrationToOfferAdmin(ReadOnlyModelAdmin):
    """The registrations after their intake, with their offer's state: where the trainer makes the offers."""

    list_display = ["board_name", "contact_name", "status", "cohort", "expected_participants", "offer_state"]
    list_filter = ["status"]
    search_fields = ["board__name", "contact_name", "contact_email"]
    list_select_related = ["board", "cohort"]
    actions = ["make_offer"]

    def get_queryset(self, request):
        live = Offer.objects.filter(registration=OuterRef("pk")).exclude(status=Offer.Status.SUPERSEDED)
        return (
            super()
            .get_queryset(request)
            .filter(status__in=offers.OFFERED_STATUSES)
            .annotate(
                offer_version=Subquery(live.values("version")[:1]), offer_status=Subquery(live.values("status")[:1])
            )
        )

    def has_make_offer_permission(self, request):
        return request.user.has_perm("billing.make_offer")

    @admin.display(description=_("board"), ordering="board__name")
    def board_name(self, registration):
        return registration.board.name

    @admin.display(description=_("offer"))
    def offer_state(self, registration):
        if registration.offer_version is None:
            return _("none yet")
        return _("version %(version)s, %(status)s") % {
            "version": registration.offer_version,
            "status": Offer.Status(registration.offer_status).label,
        }

    @admin.action(description=_("Make an offer…"), permissions=["make_offer"])
    def make_offer(self, request, queryset):
        page = _make_offer_page(self, request, queryset, action="make_offer")
        if page is not None:
            return page
        _make_offers(self, request, queryset.select_related("board").order_by("created_at"))
        return None


@admin.register(Offer)
class OfferAdmin(ReadOnlyModelAdmin):
    """Every version of every offer as it was made and sent; the one change is a new version (an action)."""

    list_display = ["__str__", "version", "status", "offer_date", "valid_until", "total_amount", "po_number", "pdf"]
    list_filter = ["status"]
    search_fields = ["buyer_name", "po_number", "cohort_code"]
    inlines = [OfferLineInline]
    actions = ["make_new_version"]

    def has_make_offer_permission(self, request):
        return request.user.has_perm("billing.make_offer")

    def get_urls(self):
        return [
            path("<int:offer_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_offer_pdf"),
            *super().get_urls(),
        ]

    @admin.display(description=_("PDF"))
    def pdf(self, offer):
        return format_html('<a href="{}">{}</a>', reverse("admin:billing_offer_pdf", args=[offer.pk]), _("download"))

    def pdf_view(self, request, offer_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        offer = get_object_or_404(Offer, pk=offer_id)
        response = HttpResponse(offers_pdf.render_offer(offer), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, offers_pdf.filename(offer))
        return response

    @admin.action(description=_("Make a new version of the selected offers…"), permissions=["make_offer"])
    def make_new_version(self, request, queryset):
        registrations = RegistrationToOffer.objects.filter(pk__in=queryset.values("registration"))
        page = _make_offer_page(self, request, queryset, action="make_new_version")
        if page is not None:
            return page
        _make_offers(self, request, registrations.select_related("board").order_by("created_at"))
        return None
