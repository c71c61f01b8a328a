from django.urls import path

from . import views

app_name = "cohorts"

urlpatterns = [
    path("aanmelden/", views.registration, name="registration"),
    path("aanmelden/bedankt/", views.registration_thanks, name="registration_thanks"),
    path("bestuur/<str:token>/", views.board_page, name="board"),
    path("bestuur/<str:token>/deelnemer/<int:participant_id>/", views.participant_edit, name="participant_edit"),
    path("inschrijven/<str:token>/", views.enrol, name="enrol"),
    path("inschrijven/<str:token>/bedankt/", views.enrol_thanks, name="enrol_thanks"),
    path("deelnemer/<str:token>/", views.participant_page, name="participant"),
    path("deelnemer/<str:token>/rooster.ics", views.participant_calendar, name="participant_calendar"),
    path("deelnemer/<str:token>/mijn-gegevens/", views.participant_own_data, name="participant_data"),
    path("bestuur/<str:token>/gegevens/", views.registration_own_data, name="registration_data"),
    path("agenda/<str:token>/", views.calendar_feed, name="calendar_feed"),
]
