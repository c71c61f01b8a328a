from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("evaluatie/<str:token>/", views.answer, name="answer"),
]
