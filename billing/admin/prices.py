"""The provider's details and the programmes' price models, as data the office edits."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from ..models import PriceModel, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "kvk_number", "vat_number", "iban", "crkbo_number", "complete"]
    fields = [
        "legal_name",
        "address",
        "postcode",
        "city",
        "kvk_number",
        "vat_number",
        "iban",
        "crkbo_number",
        "email",
        "ledger_exempt",
        "ledger_vat",
    ]

    def has_add_permission(self, request):
        # One provider: the migration made the row, the office fills it in (and the database refuses a second).
        # Asked without a query: every admin page asks it for the app list.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("complete"), boolean=True)
    def complete(self, provider):
        return provider.is_complete

    def change_view(self, request, object_id, form_url="", extra_context=None):
        provider = self.get_object(request, object_id)
        if provider is not None and request.method == "GET" and not provider.is_complete:
            self.message_user(
                request,
                _("Fill in before the first invoice: %(fields)s.") % {"fields": ", ".join(provider.missing_fields)},
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(PriceModel)
class PriceModelAdmin(admin.ModelAdmin):
    list_display = ["programme", "kind", "amount", "minimum_charge", "payment_term_days", "vat_treatment"]
    fieldsets = [
        (None, {"fields": ["programme", "kind", "amount", "minimum_charge"]}),
        (
            _("Terms"),
            {
                "fields": [
                    "payment_term_days",
                    "withdrawal_cutoff_days",
                    "withdrawal_fee_percent",
                    "cancellation_fee_percent",
                ]
            },
        ),
        (_("VAT"), {"fields": ["vat_treatment", "vat_rate", "exemption_text"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False
