from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("beheer/certificaat/<int:certificate_id>/", views.staff_certificate, name="staff_certificate"),
]
