"""Intake appointments: planned, moved and cancelled in the admin, each change e-mailed once with an .ics."""

import datetime

import icalendar
import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.models import IntakeAppointment, Registration
from cohorts.services import intakes, links
from mail.models import OutgoingMail

from .factories import CourseDayFactory, RawRegistrationFactory

pytestmark = pytest.mark.django_db
ADD = reverse("admin:cohorts_intakeappointment_add")
AMSTERDAM = timezone.get_default_timezone()


@pytest.fixture(autouse=True)
def before_the_intakes():
    """The intakes are planned in March 2027: from a moment before them, as nothing can be planned in the past."""
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, 0, tzinfo=AMSTERDAM), tick=False) as traveller:
        yield traveller


@pytest.fixture
def trainer(admin_user):
    admin_user.email = "jan@natuurlijkleren.example"
    admin_user.save()
    return admin_user


def form(registration, trainer, when="2027-03-29 10:00:00", **overrides):
    data = {
        "registration": registration.pk,
        "trainer": trainer.pk,
        "starts_at_0": when.split()[0],
        "starts_at_1": when.split()[1],
        "duration_minutes": 60,
        "mode": "video",
        "location": "",
        "video_link": "https://meet.example.nl/intake",
        "notes": "",
        "status": "planned",
    }
    data.update(overrides)
    return data


def calendar_of(mail):
    (attachment,) = mail.attachments.all()
    return attachment, icalendar.Calendar.from_ical(bytes(attachment.content))


def test_planning_an_intake_invites_the_contact_and_copies_the_trainer(admin_client, trainer):
    registration = RawRegistrationFactory(cohort=None, status="received", contact_email="bestuur@example.nl")
    response = admin_client.post(ADD, form(registration, trainer))
    assert response.status_code == 302
    intake = IntakeAppointment.objects.get()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.INTAKE
    invitation = OutgoingMail.objects.get(to=["bestuur@example.nl"])
    assert invitation.subject == "Intakegesprek Verbindend leiderschap op 29 maart"
    assert "maandag 29 maart 2027, 10:00" in invitation.body_text
    assert "https://meet.example.nl/intake" in invitation.body_text
    attachment, calendar = calendar_of(invitation)
    assert attachment.mimetype.startswith("text/calendar") and "method=REQUEST" in attachment.mimetype
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"intake-{intake.pk}@verbindend"
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime.datetime(2027, 3, 29, 10, tzinfo=AMSTERDAM)
    assert OutgoingMail.objects.filter(to=["jan@natuurlijkleren.example"]).count() == 1


def test_moving_an_intake_sends_an_update_with_a_higher_sequence_once(admin_client, trainer):
    registration = RawRegistrationFactory(cohort=None, contact_email="bestuur@example.nl")
    admin_client.post(ADD, form(registration, trainer))
    intake = IntakeAppointment.objects.get()
    change = reverse("admin:cohorts_intakeappointment_change", args=[intake.pk])
    admin_client.post(change, form(registration, trainer, when="2027-04-02 14:00:00"))
    admin_client.post(change, form(registration, trainer, when="2027-04-02 14:00:00", status="moved"))
    intake.refresh_from_db()
    assert (intake.status, intake.sequence) == (IntakeAppointment.Status.MOVED, 1)
    mails = OutgoingMail.objects.filter(to=["bestuur@example.nl"]).order_by("pk")
    assert mails.count() == 2
    assert mails[1].subject == "Intakegesprek verplaatst naar 2 april"
    _, calendar = calendar_of(mails[1])
    (event,) = calendar.walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime.datetime(2027, 4, 2, 14, tzinfo=AMSTERDAM)


def test_cancelling_an_intake_sends_a_cancel(admin_client, trainer):
    registration = RawRegistrationFactory(cohort=None, contact_email="bestuur@example.nl")
    admin_client.post(ADD, form(registration, trainer))
    intake = IntakeAppointment.objects.get()
    admin_client.post(
        reverse("admin:cohorts_intakeappointment_change", args=[intake.pk]),
        form(registration, trainer, status="cancelled"),
    )
    cancel = OutgoingMail.objects.filter(to=["bestuur@example.nl"]).order_by("pk").last()
    assert "geannuleerd" in cancel.subject
    attachment, calendar = calendar_of(cancel)
    assert "method=CANCEL" in attachment.mimetype
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 1)


def test_notes_and_held_send_nothing(admin_client, trainer):
    registration = RawRegistrationFactory(cohort=None)
    admin_client.post(ADD, form(registration, trainer))
    intake = IntakeAppointment.objects.get()
    admin_client.post(
        reverse("admin:cohorts_intakeappointment_change", args=[intake.pk]),
        form(registration, trainer, notes="Wil graag op locatie", status="held"),
    )
    assert OutgoingMail.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mode": "on_site", "location": ""}, "Een intakegesprek op locatie heeft een adres nodig."),
        ({"mode": "video", "video_link": ""}, "Een videogesprek heeft een link nodig."),
    ],
)
def test_intake_needs_its_place(admin_client, trainer, overrides, message):
    registration = RawRegistrationFactory(cohort=None)
    response = admin_client.post(ADD, form(registration, trainer, **overrides))
    assert message in response.content.decode()
    assert not IntakeAppointment.objects.exists()


def test_trainer_cannot_have_an_intake_during_a_course_day(admin_client, trainer):
    day = CourseDayFactory(cohort__trainer=trainer, date=datetime.date(2027, 3, 29))
    registration = RawRegistrationFactory(cohort=None)
    response = admin_client.post(ADD, form(registration, trainer, when="2027-03-29 11:00:00"))
    page = response.content.decode()
    assert "De trainer is dan bezet" in page
    assert day.cohort.code in page
    assert not IntakeAppointment.objects.exists()


def test_trainer_cannot_have_two_intakes_at_once(admin_client, trainer):
    first = RawRegistrationFactory(cohort=None)
    admin_client.post(ADD, form(first, trainer))
    response = admin_client.post(ADD, form(RawRegistrationFactory(cohort=None), trainer, when="2027-03-29 10:30:00"))
    assert "De trainer is dan bezet" in response.content.decode()
    assert IntakeAppointment.objects.count() == 1


def test_intake_shows_on_the_board_page(client, trainer):
    registration = RawRegistrationFactory(cohort=None)
    intakes.save_intake(
        intake=IntakeAppointment(
            registration=registration,
            trainer=trainer,
            starts_at=datetime.datetime(2027, 3, 29, 10, tzinfo=AMSTERDAM),
            mode="on_site",
            location="Stationsweg 1, Tiel",
        ),
        changed_fields=[],
    )
    page = client.get(links.board_page_url(registration).replace("http://127.0.0.1:8000", "")).content.decode()
    assert "maandag 29 maart 2027, 10:00" in page
    assert "Stationsweg 1, Tiel" in page


def test_non_staff_cannot_reach_intakes(client):
    client.force_login(User.objects.create_user("bestuur", password="x-secret-123"))
    response = client.get(ADD)
    assert response.status_code == 302


def test_an_intake_in_the_past_is_refused_and_nothing_is_sent(admin_client, trainer):
    registration = RawRegistrationFactory(cohort=None, status="received")
    response = admin_client.post(ADD, form(registration, trainer, when="2026-11-30 10:00:00"))
    assert response.status_code == 200
    assert "30-11-2026 10:00 is al voorbij: een intake kan alleen worden gepland of verplaatst" in (
        response.content.decode()
    )
    assert not IntakeAppointment.objects.exists()
    assert not OutgoingMail.objects.exists()
    registration.refresh_from_db()
    assert registration.status == "received"


def test_every_caller_of_save_intake_gets_the_refusal(trainer):
    intake = IntakeAppointment(
        registration=RawRegistrationFactory(cohort=None),
        trainer=trainer,
        starts_at=datetime.datetime(2026, 12, 1, 11, 0, tzinfo=AMSTERDAM),  # an hour ago
        mode="phone",
    )
    with pytest.raises(ValidationError, match="is al voorbij"):
        intakes.save_intake(intake=intake, changed_fields=[])
    assert not OutgoingMail.objects.exists()


def test_an_intake_is_not_moved_into_the_past_but_once_held_can_still_be_edited(
    admin_client, trainer, before_the_intakes
):
    registration = RawRegistrationFactory(cohort=None)
    admin_client.post(ADD, form(registration, trainer))
    intake = IntakeAppointment.objects.get()
    change = reverse("admin:cohorts_intakeappointment_change", args=[intake.pk])
    response = admin_client.post(change, form(registration, trainer, when="2026-11-02 10:00:00"))
    assert "is al voorbij" in response.content.decode()
    intake.refresh_from_db()
    assert intake.sequence == 0 and timezone.localtime(intake.starts_at).date() == datetime.date(2027, 3, 29)
    # After it took place: marked held with notes, its start as it was.
    before_the_intakes.move_to(datetime.datetime(2027, 3, 30, 9, 0, tzinfo=AMSTERDAM))
    admin_client.force_login(trainer)
    response = admin_client.post(change, form(registration, trainer, notes="Goed gesprek", status="held"))
    assert response.status_code == 302
    intake.refresh_from_db()
    assert (intake.status, intake.notes) == ("held", "Goed gesprek")
    assert OutgoingMail.objects.count() == 2  # the invitation to the contact and the trainer's copy
