"""The decisions in the trail: a run confirmed, cancelled or completed, a day moved, attendance changed after the
day, a register number changed, a staff login; each with who, from where, and what changed before and after."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cohorts.models import Cohort
from cohorts.services import attendance as attendance_services
from cohorts.services import enrolment, scheduling
from cohorts.tests.factories import RawParticipantFactory
from cohorts.tests.test_admin_actions import COHORTS, member, run_with_two_boards
from verbindend.tests.test_staff_login import LOGIN, code_for, device, password_step, trainer  # noqa: F401

# The decisions read today: which days have passed, whether a run has started.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
ADDRESS = "203.0.113.7"


def request_from(user=None):
    request = RequestFactory().post("/", REMOTE_ADDR=ADDRESS)
    request.user = user or AnonymousUser()
    return request


@pytest.fixture
def staff(client):
    user = member("Trainer")
    client.force_login(user)
    return user


def run_action(client, action, cohort, **fields):
    return client.post(
        COHORTS,
        {"action": action, "_selected_action": [cohort.pk], "post": "yes", **fields},
        REMOTE_ADDR=ADDRESS,
        follow=True,
    )


@pytest.mark.parametrize(
    ("action", "status", "first_in_days", "fields", "expected"),
    [
        ("confirm", Cohort.Status.PLANNED, 60, {}, ("cohort_confirmed", "planned", "confirmed", "")),
        (
            "cancel",
            Cohort.Status.CONFIRMED,
            60,
            {"reason": "Te weinig aanmeldingen"},
            ("cohort_cancelled", "confirmed", "cancelled", "Te weinig aanmeldingen"),
        ),
        ("complete", Cohort.Status.RUNNING, -80, {}, ("cohort_completed", "running", "completed", "")),
    ],
)
def test_each_run_decision_writes_one_event_with_who_where_and_the_status_before_and_after(
    client, staff, action, status, first_in_days, fields, expected
):
    cohort = run_with_two_boards(status=status, first=timezone.localdate() + datetime.timedelta(days=first_in_days))
    run_action(client, action, cohort, **fields)
    event = AuditEvent.objects.get()
    name, before, after, detail = expected
    assert (event.action, event.actor, event.actor_name, event.address) == (name, staff, staff.username, ADDRESS)
    assert (event.object_type, event.object_id, event.detail) == ("cohorts.Cohort", str(cohort.pk), detail)
    assert event.changes == {"status": [before, after]}


def test_a_refused_decision_writes_nothing(client, staff):
    too_small = Cohort.objects.get(pk=run_with_two_boards().pk)
    too_small.participants.update(status="withdrawn")
    run_action(client, "confirm", too_small)
    completed = run_with_two_boards(status=Cohort.Status.COMPLETED)
    run_action(client, "cancel", completed, reason="x")
    run_action(client, "complete", run_with_two_boards(status=Cohort.Status.CONFIRMED))
    assert Cohort.objects.get(pk=too_small.pk).status == Cohort.Status.PLANNED
    assert not AuditEvent.objects.exists()


def test_a_day_moved_records_date_time_and_venue_before_and_after(staff):
    cohort = run_with_two_boards(status=Cohort.Status.CONFIRMED)
    day = cohort.days.order_by("date").first()
    old_date = day.date
    day.date = old_date + datetime.timedelta(days=1)
    day.start_time = datetime.time(10)
    day.venue = "Zaal De Linde"
    scheduling.save_course_day(
        day=day, changed_fields=["date", "start_time", "venue"], by=staff, request=request_from(staff)
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.address, event.object_type) == (
        "day_moved",
        staff,
        ADDRESS,
        "cohorts.CourseDay",
    )
    assert event.changes == {
        "date": [old_date.isoformat(), day.date.isoformat()],
        "start_time": ["09:30:00", "10:00:00"],
        "venue": ["", "Zaal De Linde"],
    }


def test_a_day_saved_unmoved_or_refused_writes_nothing(staff):
    cohort = run_with_two_boards(status=Cohort.Status.CONFIRMED)
    day = cohort.days.order_by("date").first()
    scheduling.save_course_day(day=day, changed_fields=["date"], by=staff)  # the same date: not moved
    day.date = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError):
        scheduling.save_course_day(day=day, changed_fields=["date"], by=staff)
    assert not AuditEvent.objects.exists()


def past_run(participants):
    cohort = run_with_two_boards(status=Cohort.Status.RUNNING, first=timezone.localdate() - datetime.timedelta(days=80))
    extra = RawParticipantFactory.create_batch(participants, registration=cohort.registrations.first())
    return cohort, extra


def test_attendance_changed_after_the_day_is_one_event_with_each_cell_before_and_after(client, staff):
    cohort, (anna, ben) = past_run(2)
    day1, day2 = cohort.days.order_by("date")[:2]
    url = reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
    attendance_services.record_attendance(
        cohort=cohort, entries=[attendance_services.AttendanceEntry(anna.pk, day1.pk, "absent")], recorded_by=None
    )

    start = AuditEvent.objects.count()
    data = {f"s-{anna.pk}-{day1.pk}": "present", f"s-{ben.pk}-{day2.pk}": "absent", f"n-{ben.pk}-{day2.pk}": "Ziek"}
    client.post(url, data, REMOTE_ADDR=ADDRESS)
    assert AuditEvent.objects.count() == start + 1
    event = AuditEvent.objects.order_by("-pk").first()
    assert (event.action, event.actor, event.address, event.object_id) == (
        "attendance_changed",
        staff,
        ADDRESS,
        str(cohort.pk),
    )
    cells = {(c["participant"], c["day"]): (c["before"], c["after"]) for c in event.changes["cells"]}
    assert cells == {
        (anna.pk, day1.pk): (
            {"status": "absent", "note": "", "made_up_in": None},
            {"status": "present", "note": "", "made_up_in": None},
        ),
        (ben.pk, day2.pk): (
            {"status": "", "note": "", "made_up_in": None},
            {"status": "absent", "note": "Ziek", "made_up_in": None},
        ),
    }


def test_attendance_refused_or_unchanged_writes_nothing(staff):
    cohort, (anna,) = past_run(1)
    day = cohort.days.order_by("date").first()
    unchanged = [attendance_services.AttendanceEntry(anna.pk, day.pk, "")]
    attendance_services.record_attendance(cohort=cohort, entries=unchanged, recorded_by=staff)
    with pytest.raises(ValidationError):
        attendance_services.record_attendance(
            cohort=cohort, entries=[attendance_services.AttendanceEntry(anna.pk, 0, "present")], recorded_by=staff
        )
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("participants", [2, 30])
def test_saving_many_cells_inserts_one_event(client, staff, participants):
    cohort, _extra = past_run(participants)
    people = list(cohort.participants.filter(status="enrolled"))
    data = {f"s-{p.pk}-{d.pk}": "present" for p in people for d in cohort.days.all()}
    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("admin:cohorts_cohort_attendance", args=[cohort.pk]), data)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == 1
    assert len(AuditEvent.objects.get().changes["cells"]) == len(people) * 6


def test_a_register_number_change_records_before_and_after_and_an_unchanged_one_nothing():
    participant = RawParticipantFactory(register_number="")
    enrolment.update_own_details(participant=participant, data={"register_number": "123456"}, request=request_from())
    enrolment.update_own_details(participant=participant, data={"register_number": "123456"}, request=request_from())
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.address, event.object_id) == (
        "register_number_changed",
        None,
        ADDRESS,
        str(participant.pk),
    )
    assert (event.detail, event.changes) == ("own_page", {"register_number": ["", "123456"]})


def test_a_staff_login_writes_one_event(client, device, trainer):  # noqa: F811
    password_step(client, REMOTE_ADDR=ADDRESS)
    assert not AuditEvent.objects.exists()  # the password alone is no login
    client.post(LOGIN, {"code": code_for(device)}, REMOTE_ADDR=ADDRESS)
    login = AuditEvent.objects.get()
    assert (login.action, login.actor, login.address, login.object_id) == (
        "staff_login",
        trainer,
        ADDRESS,
        str(trainer.pk),
    )


def test_a_wrong_second_factor_writes_one_failure(client, device, trainer):  # noqa: F811
    password_step(client, REMOTE_ADDR=ADDRESS)
    client.post(LOGIN, {"code": "000000" if code_for(device) != "000000" else "111111"}, REMOTE_ADDR=ADDRESS)
    failed = AuditEvent.objects.get()
    assert (failed.action, failed.actor, failed.address, failed.detail) == (
        "staff_login_failed",
        trainer,
        ADDRESS,
        "second_factor",
    )


def test_the_audit_admin_shows_the_changes_in_dutch_words(client, staff, admin_client):
    cohort, (anna,) = past_run(1)
    run_action(client, "complete", cohort)
    day = cohort.days.order_by("date").first()
    url = reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
    client.post(url, {f"s-{anna.pk}-{day.pk}": "absent", f"n-{anna.pk}-{day.pk}": "Ziek"}, REMOTE_ADDR=ADDRESS)
    enrolment.update_own_details(participant=anna, data={"register_number": "123456"})
    changelist = admin_client.get(reverse("admin:audit_auditevent_changelist")).content.decode()
    assert "uitvoering afgerond" in changelist
    assert "status: loopt → afgerond" in changelist
    assert "1 cel" in changelist
    assert "registernummer: - → 123456" in changelist
    assert "Door de deelnemer, op de eigen pagina" in changelist
    assert ADDRESS in changelist
    attendance = AuditEvent.objects.get(action="attendance_changed")
    page = admin_client.get(reverse("admin:audit_auditevent_change", args=[attendance.pk])).content.decode()
    assert f"{anna.full_name}, dag 1, {day.date:%d-%m-%Y}: - → afwezig (Ziek)" in page


def test_a_register_number_corrected_in_the_admin_is_recorded(admin_client, admin_user):
    participant = RawParticipantFactory(register_number="111111")
    url = reverse("admin:cohorts_participant_change", args=[participant.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data["register_number"] = "222222"
    response = admin_client.post(url, data, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.address) == ("register_number_changed", admin_user, ADDRESS)
    assert event.changes == {"register_number": ["111111", "222222"]}
