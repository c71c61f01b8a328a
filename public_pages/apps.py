from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The pages that boards, leaders, participants and certificate holders open: above the domain apps."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "public_pages"
    verbose_name = _("Public pages")
