from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from privacy import views as privacy_views
from verbindend import health

admin.site.site_header = _("Verbindend: course administration")
admin.site.site_title = _("Verbindend")
admin.site.index_title = _("Overview")

urlpatterns = [
    path("health/", health.live, name="health"),
    path("health/ready/", health.ready, name="health_ready"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("privacy/", privacy_views.statement, name="privacy"),
    path("", include("registry.urls")),
    path("", include("cohorts.urls")),
    path("", include("programme.urls")),
]
