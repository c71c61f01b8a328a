from django.urls import path

from . import board, downloads, invoice_downloads, verification, views

app_name = "public"

urlpatterns = [
    path("aanmelden/", views.registration, name="registration"),
    path("aanmelden/bedankt/", views.registration_thanks, name="registration_thanks"),
    path("bestuur/<str:token>/", board.board_page, name="board"),
    path("bestuur/<str:token>/deelnemer/<int:participant_id>/", board.participant_edit, name="participant_edit"),
    path("inschrijven/<str:token>/", board.enrol, name="enrol"),
    path("inschrijven/<str:token>/bedankt/", board.enrol_thanks, name="enrol_thanks"),
    path("deelnemer/<str:token>/", views.participant_page, name="participant"),
    path("deelnemer/<str:token>/rooster.ics", downloads.participant_calendar, name="participant_calendar"),
    path("deelnemer/<str:token>/mijn-gegevens/", downloads.participant_own_data, name="participant_data"),
    path(
        "deelnemer/<str:token>/certificaat/<int:certificate_id>/",
        downloads.participant_certificate,
        name="participant_certificate",
    ),
    path("bestuur/<str:token>/offerte/<int:offer_id>/", downloads.board_offer, name="board_offer"),
    path(
        "bestuur/<str:token>/factuur/<int:invoice_id>.<str:file_format>",
        invoice_downloads.board_invoice,
        name="board_invoice",
    ),
    path("bestuur/<str:token>/gegevens/", downloads.registration_own_data, name="registration_data"),
    path("agenda/<str:token>/", downloads.calendar_feed, name="calendar_feed"),
    path("verificatie/", verification.verify_form, name="verify_form"),
    # <path:> so that a code typed with a slash in it reaches the page that says it is unknown.
    path("verificatie/<path:code>/", verification.verify, name="verify"),
]
