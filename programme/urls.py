from django.urls import path

from . import views

app_name = "programme"

urlpatterns = [
    path("", views.home, name="home"),
    path("programma/<slug:slug>/", views.programme_detail, name="detail"),
]
