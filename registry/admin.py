from django.contrib import admin

from .models import Accreditation


@admin.register(Accreditation)
class AccreditationAdmin(admin.ModelAdmin):
    list_display = ["programme", "register", "number", "themes", "points", "total_hours", "valid_from", "valid_until"]
    list_filter = ["register", "programme"]
    search_fields = ["number", "themes"]
