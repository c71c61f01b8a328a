from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registry"
    verbose_name = _("Register and certificates")

    def ready(self):
        from . import todo  # noqa: F401 (registers the start page's to-dos)
