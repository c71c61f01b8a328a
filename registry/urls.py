from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("verificatie/", views.verify_form, name="verify_form"),
    # <path:> so that a code typed with a slash in it reaches the page that says it is unknown.
    path("verificatie/<path:code>/", views.verify, name="verify"),
    path(
        "deelnemer/<str:token>/certificaat/<int:certificate_id>/",
        views.participant_certificate,
        name="participant_certificate",
    ),
    path("beheer/certificaat/<int:certificate_id>/", views.staff_certificate, name="staff_certificate"),
]
