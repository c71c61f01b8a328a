from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class VerbindendConfig(AppConfig):
    default = True
    name = "verbindend"


class VerbindendAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with the trainer's overview on its start page."""

    default = False
    default_site = "verbindend.admin.VerbindendAdminSite"
