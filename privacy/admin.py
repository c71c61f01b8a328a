from django.contrib import admin
from django.utils import timezone

from verbindend.admin import ReadOnlyModelAdmin

from .models import Consent, PrivacyStatement


@admin.register(PrivacyStatement)
class PrivacyStatementAdmin(admin.ModelAdmin):
    list_display = ["version", "published", "published_at"]

    def get_readonly_fields(self, request, obj=None):
        # A published version is what people agreed to: it is never edited, a new version is made instead.
        if obj is not None and obj.published:
            return ["version", "text_nl", "text_en", "published", "published_at"]
        return ["published_at"]

    def save_model(self, request, obj, form, change):
        if obj.published and obj.published_at is None:
            obj.published_at = timezone.now()
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.published


@admin.register(Consent)
class ConsentAdmin(ReadOnlyModelAdmin):
    list_display = ["given_at", "purpose", "subject_type", "subject_id", "form", "statement"]
    list_filter = ["purpose", "form", "statement"]
    search_fields = ["subject_id"]
