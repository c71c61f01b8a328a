from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CohortsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cohorts"
    verbose_name = _("Boards, course runs and participants")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from programme.models import Programme

        from . import selectors, todo  # noqa: F401 (todo registers the start page's to-dos)
        from .models import Cohort, CourseDay, Participant

        # The registration form caches what it offers; these models make it.
        for model in (Programme, Cohort, CourseDay, Participant):
            uid = f"registration-choices:{model._meta.label}"
            post_save.connect(selectors.registration_choices_changed, sender=model, dispatch_uid=f"{uid}:save")
            post_delete.connect(selectors.registration_choices_changed, sender=model, dispatch_uid=f"{uid}:delete")
