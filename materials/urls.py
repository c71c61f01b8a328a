from django.urls import path

from . import views

app_name = "materials"

# Under the participant's personal link (/deelnemer/<token>/), so every response is marked personal.
urlpatterns = [
    path("deelnemer/<str:token>/materiaal/<int:material_id>/", views.material_download, name="material"),
    path("deelnemer/<str:token>/eindopdracht/", views.assignment_upload, name="assignment_upload"),
    path("deelnemer/<str:token>/eindopdracht/bestand/", views.assignment_download, name="assignment_file"),
]
