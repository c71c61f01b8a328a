from django.contrib import admin


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A record kept as it was written (audit trail, consents, export log): it can be viewed, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VerbindendAdminSite(admin.AdminSite):
    index_template = "admin/verbindend_index.html"

    def index(self, request, extra_context=None):
        from cohorts.selectors import trainer_overview
        from cohorts.services import calendar_feed_url

        extra = {}
        if request.user.has_perm("cohorts.view_cohort"):
            extra = {
                "overview": trainer_overview(user=request.user),
                "calendar_feed_url": calendar_feed_url(request.user),
            }
        return super().index(request, {**extra, **(extra_context or {})})
