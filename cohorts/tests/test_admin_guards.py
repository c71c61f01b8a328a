"""
The admin cannot make a state the services refuse: each case through the admin's own pages.

A registration's run and status change only through the actions that move
or cancel it (with its participants); a course day is deleted only without
attendance, and everyone who had it in their calendar is told; the
schedule's and the trainer's rules hold for every caller of the services.
"""

import datetime
import itertools
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse

from audit.models import AuditEvent
from cohorts.models import Attendance, Cohort, CourseDay, IntakeAppointment, Participant, Registration
from cohorts.services import attendance, enrolment, intakes, scheduling
from mail.models import OutgoingMail

from .factories import CohortFactory, RegistrationFactory, participant_data, stored_days

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 12, 1)
REGISTRATIONS = reverse("admin:cohorts_registration_changelist")
COHORTS = reverse("admin:cohorts_cohort_changelist")
PEOPLE = itertools.count(1)


@pytest.fixture(autouse=True)
def on_today():
    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=AMSTERDAM), tick=False):
        yield


def small_run(status=Cohort.Status.PLANNED, first=TODAY + datetime.timedelta(days=60)):
    """A run of a programme of at most four participants, its six days scheduled from `first`."""
    cohort = CohortFactory()
    cohort.programme.__class__.objects.filter(pk=cohort.programme_id).update(min_participants=2, max_participants=4)
    stored_days(cohort, first=first)
    Cohort.objects.filter(pk=cohort.pk).update(status=status)
    cohort.refresh_from_db()
    return cohort


def board_in(cohort, people):
    """A board placed in the run, its `people` enrolled through the service (seated, or waiting when full)."""
    registration = RegistrationFactory(cohort=cohort)
    rows = [participant_data(next(PEOPLE)) for _n in range(people)]
    enrolment.enroll_participants(registration=registration, rows=rows)
    return registration


def statuses(registration):
    return sorted(registration.participants.values_list("status", flat=True))


def act(client, action, objects, **fields):
    return client.post(
        REGISTRATIONS, {"action": action, "_selected_action": [obj.pk for obj in objects], **fields}, follow=True
    )


def form_data(response) -> dict:
    """Return what the change form posts as it stands: its fields and every inline's rows."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            add(form)
    return data


# --- A registration's run and status ------------------------------------------------


def test_the_change_form_shows_the_run_and_status_and_a_forged_post_changes_neither(trainer):
    old, other = small_run(), small_run()
    registration = board_in(old, 2)
    url = reverse("admin:cohorts_registration_change", args=[registration.pk])
    page = trainer.get(url)
    assert 'name="cohort"' not in page.content.decode()
    assert 'name="status"' not in page.content.decode()
    data = {**form_data(page), "cohort": other.pk, "status": Registration.Status.CANCELLED, "contact_name": "Nieuw"}
    assert trainer.post(url, data).status_code == 302
    registration.refresh_from_db()
    assert registration.contact_name == "Nieuw"  # the rest of the form is saved
    assert (registration.cohort, registration.status) == (old, Registration.Status.PLACED)
    assert set(registration.participants.values_list("cohort", flat=True)) == {old.pk}


def test_moving_a_registration_takes_its_participants_and_gives_their_seats_to_the_waiting_list(trainer):
    old, new = small_run(), small_run()
    moving = board_in(old, 3)
    staying = board_in(old, 3)  # one seated, two waiting
    page = act(trainer, "move_to_cohort", [moving])
    assert "ingeschreven: 3, op de wachtlijst: 0" in page.content.decode()
    moving.refresh_from_db()
    assert moving.cohort == old  # the page changes nothing
    act(trainer, "move_to_cohort", [moving], post="yes", cohort=new.pk)
    moving.refresh_from_db()
    assert moving.cohort == new
    assert set(moving.participants.values_list("cohort", flat=True)) == {new.pk}
    assert statuses(moving) == ["enrolled"] * 3
    assert statuses(staying) == ["enrolled"] * 3  # both waiting got a seat
    assert OutgoingMail.objects.filter(template="cohorts/mail/participant_promoted").count() == 2
    assert OutgoingMail.objects.filter(
        template="cohorts/mail/registration_placed", key=f"registration-placed:{moving.pk}:{new.pk}"
    ).exists()
    welcomes = OutgoingMail.objects.filter(template="cohorts/mail/participant_welcome", key__contains=f"moved-{new.pk}")
    assert welcomes.count() == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.REGISTRATION_MOVED)
    assert event.changes == {"cohort": [old.code, new.code]}
    assert event.actor_name == "trainer-user"


def test_who_waited_takes_a_seat_the_new_run_has_left(trainer):
    old, new = small_run(), small_run()
    board_in(old, 3)
    moving = board_in(old, 3)  # one seated, two waiting
    act(trainer, "move_to_cohort", [moving], post="yes", cohort=new.pk)
    assert statuses(moving) == ["enrolled"] * 3
    assert not moving.participants.exclude(waitlist_number=None).exists()
    welcomes = OutgoingMail.objects.filter(template="cohorts/mail/participant_welcome", key__contains=f"moved-{new.pk}")
    assert welcomes.count() == 3
    assert not Participant.objects.filter(cohort=old, status=Participant.Status.WAITING).exists()


def test_a_move_the_new_run_has_no_seats_for_is_refused_and_changes_nothing(trainer):
    old, new = small_run(), small_run()
    moving = board_in(old, 3)
    board_in(new, 2)
    page = act(trainer, "move_to_cohort", [moving], post="yes", cohort=new.pk)
    assert f"heeft 3 ingeschreven deelnemers, en {new.code} heeft 2 vrije plaatsen" in page.content.decode()
    moving.refresh_from_db()
    assert moving.cohort == old
    assert set(moving.participants.values_list("cohort", flat=True)) == {old.pk}
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REGISTRATION_MOVED).exists()
    assert not OutgoingMail.objects.filter(template="cohorts/mail/registration_placed").exists()


@pytest.mark.parametrize("started", ["old", "new"])
def test_a_move_out_of_or_into_a_run_that_has_started_is_refused(trainer, started):
    old = small_run()
    moving = board_in(old, 2)
    if started == "old":
        new = small_run()
        Cohort.objects.filter(pk=old.pk).update(status=Cohort.Status.RUNNING)
    else:  # confirmed, and its first day has passed
        new = small_run(status=Cohort.Status.CONFIRMED, first=TODAY - datetime.timedelta(days=1))
    page = act(trainer, "move_to_cohort", [moving], post="yes", cohort=new.pk).content.decode()
    refusal = "is begonnen of gesloten" if started == "old" else "is begonnen; besturen kunnen niet meer aansluiten"
    assert refusal in page
    moving.refresh_from_db()
    assert moving.cohort == old
    assert set(moving.participants.values_list("cohort", flat=True)) == {old.pk}


def test_a_move_is_refused_when_a_participant_is_in_the_new_run_already(trainer):
    old, new = small_run(), small_run()
    moving = board_in(old, 1)
    email = moving.participants.get().email
    enrolment.enroll_participant(registration=RegistrationFactory(cohort=new), data=participant_data(900, email=email))
    page = act(trainer, "move_to_cohort", [moving], post="yes", cohort=new.pk)
    assert [str(m) for m in page.context["messages"]] == [f"{email} zit al in {new.code}."]
    assert moving.participants.get().cohort == old


def test_cancelling_a_registration_withdraws_its_participants_and_tells_who_had_the_days(trainer):
    cohort = small_run(status=Cohort.Status.CONFIRMED)
    cancelled = board_in(cohort, 3)
    staying = board_in(cohort, 2)  # one seated, one waiting
    page = act(trainer, "cancel_registrations", [cancelled])
    assert "Elke aanmelding wordt geannuleerd" in page.content.decode()
    assert statuses(cancelled) == ["enrolled"] * 3
    act(trainer, "cancel_registrations", [cancelled], post="yes")
    cancelled.refresh_from_db()
    assert cancelled.status == Registration.Status.CANCELLED
    assert statuses(cancelled) == ["withdrawn"] * 3
    assert statuses(staying) == ["enrolled"] * 2
    assert OutgoingMail.objects.filter(template="cohorts/mail/participant_promoted").count() == 1
    # The contact and the three who were enrolled: each of the six days cancelled.
    cancellations = OutgoingMail.objects.filter(template="cohorts/mail/course_day_cancelled")
    assert cancellations.count() == 4 * 6
    assert {address for mail in cancellations for address in mail.to} == {
        cancelled.contact_email,
        *cancelled.participants.values_list("email", flat=True),
    }
    event = AuditEvent.objects.get(action=AuditEvent.Action.REGISTRATION_CANCELLED)
    assert event.changes == {"status": ["placed", "cancelled"], "participants_withdrawn": 3}


def test_a_registration_in_a_run_that_has_started_cannot_be_cancelled(trainer):
    cohort = small_run()
    registration = board_in(cohort, 2)
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.RUNNING)
    page = act(trainer, "cancel_registrations", [registration], post="yes").content.decode()
    assert "is begonnen of gesloten" in page
    registration.refresh_from_db()
    assert registration.status == Registration.Status.PLACED
    assert statuses(registration) == ["enrolled"] * 2


@pytest.mark.parametrize(
    ("action", "fields"), [("move_to_cohort", {"post": "yes"}), ("cancel_registrations", {"post": "yes"})]
)
def test_the_office_can_neither_move_nor_cancel_even_by_a_forged_post(office, action, fields):
    old, new = small_run(), small_run()
    registration = board_in(old, 2)
    page = act(office, action, [registration], cohort=new.pk, **fields)
    assert page.templates[0].name != "admin/action_confirmation.html"
    registration.refresh_from_db()
    assert (registration.cohort, registration.status) == (old, Registration.Status.PLACED)
    assert statuses(registration) == ["enrolled"] * 2


# --- A run's days in the admin ---------------------------------------------------------


def cohort_url(cohort):
    return reverse("admin:cohorts_cohort_change", args=[cohort.pk])


def delete_day(client, cohort, number):
    page = client.get(cohort_url(cohort))
    data = form_data(page)
    index = next(
        i
        for i, form in enumerate(page.context["inline_admin_formsets"][0].formset.forms)
        if form.instance.pk and form.instance.programme_day.number == number
    )
    data[f"days-{index}-DELETE"] = "on"
    return client.post(cohort_url(cohort), data)


# Deleting a day is the superuser's only: neither group has the permission.


def test_a_day_with_attendance_cannot_be_deleted_in_the_admin(admin_client):
    cohort = small_run()
    registration = board_in(cohort, 2)
    # The run began a week ago.
    CourseDay.objects.filter(cohort=cohort).update(date=F("date") - datetime.timedelta(days=67))
    first = cohort.days.get(programme_day__number=1)
    participant = registration.participants.first()
    attendance.record_attendance(
        cohort=cohort,
        entries=[attendance.AttendanceEntry(participant_id=participant.pk, course_day_id=first.pk, status="present")],
        recorded_by=None,
    )
    response = delete_day(admin_client, cohort, 1)
    assert response.status_code == 200
    assert (
        "Van dag 1 is de aanwezigheid geregistreerd; die dag kan niet worden verwijderd." in response.content.decode()
    )
    assert cohort.days.filter(pk=first.pk).exists()
    assert Attendance.objects.filter(course_day=first, status="present").exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DAY_DELETED).exists()


def test_deleting_a_day_cancels_it_for_everyone_who_had_it_and_is_audited(admin_client):
    cohort = small_run(status=Cohort.Status.CONFIRMED)
    registration = board_in(cohort, 2)
    last = cohort.days.get(programme_day__number=6)
    assert delete_day(admin_client, cohort, 6).status_code == 302
    assert not cohort.days.filter(pk=last.pk).exists()
    cancellations = OutgoingMail.objects.filter(template="cohorts/mail/course_day_cancelled")
    assert {address for mail in cancellations for address in mail.to} == {
        registration.contact_email,
        *registration.participants.values_list("email", flat=True),
    }
    (attachment,) = cancellations.first().attachments.all()
    calendar = icalendar.Calendar.from_ical(bytes(attachment.content))
    assert calendar["METHOD"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event["UID"] == f"courseday-{last.pk}@verbindend"
    audit = AuditEvent.objects.get(action=AuditEvent.Action.DAY_DELETED)
    assert audit.object_id == str(last.pk)
    assert audit.changes["date"] == [last.date.isoformat(), None]
    assert audit.actor_name == "admin"


def test_a_day_added_in_the_admin_is_audited(trainer):
    cohort = small_run()
    cohort.days.get(programme_day__number=6).delete()
    page = trainer.get(cohort_url(cohort))
    data = form_data(page)
    data["days-5-date"] = "2027-04-30"
    assert trainer.post(cohort_url(cohort), data).status_code == 302
    day = cohort.days.get(programme_day__number=6)
    audit = AuditEvent.objects.get(action=AuditEvent.Action.DAY_ADDED)
    assert audit.object_id == str(day.pk)
    assert audit.changes["date"] == [None, "2027-04-30"]


def test_every_caller_of_save_course_day_gets_the_schedule_checked():
    cohort = small_run()
    day = cohort.days.get(programme_day__number=3)
    day.date = cohort.days.get(programme_day__number=1).date - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="moet na dag"):
        scheduling.save_course_day(day=day, changed_fields=["date"])
    assert cohort.days.get(programme_day__number=3).date != day.date


def test_two_days_may_swap_dates_in_the_admin(trainer):
    cohort = small_run()
    page = trainer.get(cohort_url(cohort))
    data = form_data(page)
    # Day 6 moves two weeks later, day 5 takes its date: one at a time that is out of order.
    data["days-4-date"], data["days-5-date"] = data["days-5-date"], data["days-5-date"] + datetime.timedelta(weeks=2)
    assert trainer.post(cohort_url(cohort), data).status_code == 302
    assert cohort.days.get(programme_day__number=5).date == data["days-4-date"]


def test_every_caller_of_save_intake_gets_the_trainers_clashes(admin_user):
    registration = RegistrationFactory(cohort=None, status=Registration.Status.RECEIVED)
    start = datetime.datetime(2027, 3, 29, 10, 0, tzinfo=AMSTERDAM)
    first = IntakeAppointment(
        registration=registration,
        trainer=admin_user,
        starts_at=start,
        duration_minutes=60,
        mode=IntakeAppointment.Mode.PHONE,
    )
    intakes.save_intake(intake=first, changed_fields=[])
    second = IntakeAppointment(
        registration=RegistrationFactory(cohort=None, status=Registration.Status.RECEIVED),
        trainer=admin_user,
        starts_at=start + datetime.timedelta(minutes=30),
        duration_minutes=60,
        mode=IntakeAppointment.Mode.PHONE,
    )
    with pytest.raises(ValidationError, match="De trainer is dan bezet"):
        intakes.save_intake(intake=second, changed_fields=[])
    assert IntakeAppointment.objects.count() == 1


def test_participant_counts_are_per_registration():
    cohort = small_run()
    board_in(cohort, 3)
    second = board_in(cohort, 3)
    from cohorts.selectors import trainer as trainer_selectors

    (counted,) = trainer_selectors.registrations_with_participant_counts([second.pk])
    assert (counted.enrolled_count, counted.waiting_count) == (1, 2)
    assert Participant.objects.filter(cohort=cohort, status="waiting").count() == 2
