from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from privacy import views as privacy_views
from verbindend import health


class FaviconView(RedirectView):
    """Answer the browser's own request for /favicon.ico with the product's icon (the pages link it too)."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        # Resolved per request: the static files' manifest is read when
        # they are served, not when the URLs are imported.
        return static("img/favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view(), name="favicon"),
    path("health/", health.live, name="health"),
    path("health/ready/", health.ready, name="health_ready"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("privacy/", privacy_views.statement, name="privacy"),
    path("", include("public_pages.urls")),
    path("", include("materials.urls")),
    path("", include("registry.urls")),
    path("", include("evaluations.urls")),
    path("", include("programme.urls")),
]
