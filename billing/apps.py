from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = _("Prices and invoices")

    def ready(self):
        from . import todo  # noqa: F401 (registers the start page's to-dos)
