"""
Confirming, cancelling and moving a day of a course run: every e-mail queued at once, in a number of queries
that does not grow with the people in the run.
"""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cohorts.models import Cohort
from cohorts.services import enrolment, runs, scheduling
from mail.models import OutgoingMail
from programme.models import Programme

from .factories import RegistrationFactory, participant_data, scheduled_days

pytestmark = pytest.mark.django_db

SIZES = [10, 40]


def scheduled_run(size: int):
    """A planned run of `size` enrolled people from two boards, one Dutch, one English, with its six days to come."""
    Programme.objects.filter(slug="verbindend-leiderschap").update(min_participants=10, max_participants=40)
    dutch = RegistrationFactory(language="nl")
    cohort = dutch.cohort
    english = RegistrationFactory(cohort=cohort, language="en")
    half = size // 2
    people = enrolment.enroll_participants(
        registration=dutch, rows=[participant_data(n) for n in range(half)], language="nl"
    )
    people += enrolment.enroll_participants(
        registration=english, rows=[participant_data(n) for n in range(half, size)], language="en"
    )
    # A Monday in March of next year: always to come, and a day moved by one stays in the same year (a first day
    # moved into another year re-codes the run, which is more work than these tests count).
    march = datetime.date(timezone.localdate().year + 1, 3, 1)
    start = march + datetime.timedelta(days=-march.weekday() % 7)
    scheduled_days(cohort, first=start, weeks_apart=2, start=datetime.time(9, 30))
    return Cohort.objects.get(pk=cohort.pk), (dutch, english), people


def expected_recipients(registrations, people) -> dict[str, str]:
    """Every address that gets the run's e-mails, with its language and the `who` of its keys."""
    who = {p.email: (p.language, f"participant-{p.pk}") for p in people}
    who.update({r.contact_email: (r.language, f"contact-{r.pk}") for r in registrations})
    return who


@pytest.mark.parametrize("size", SIZES)
def test_confirming_queues_every_email_in_the_same_queries_however_many_people(size, django_assert_num_queries):
    cohort, registrations, people = scheduled_run(size)
    OutgoingMail.objects.all().delete()
    # The run locked, counted and updated, the audit event, the recipients and
    # days read once, the keys looked up, the e-mails and their attachments
    # inserted.
    with django_assert_num_queries(13):
        runs.confirm_cohort(cohort=cohort)
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CONFIRMED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.COHORT_CONFIRMED, object_id=str(cohort.pk)).count() == 1
    recipients = expected_recipients(registrations, people)
    days = list(cohort.days.order_by("date"))
    expected_keys = {f"cohort-confirmed:{cohort.pk}:{who}" for _language, who in recipients.values()} | {
        f"courseday-request:{day.pk}:{day.sequence}:{who}" for day in days for _language, who in recipients.values()
    }
    mails = list(OutgoingMail.objects.prefetch_related("attachments"))
    assert len(mails) == (size + 2) * 7
    assert {mail.key for mail in mails} == expected_keys
    for mail in mails:
        (address,) = mail.to
        language, who = recipients[address]
        assert mail.key.endswith(f":{who}")
        assert mail.language == language
        if mail.template == "cohorts/mail/cohort_confirmed":
            assert mail.subject.endswith("gaat door: uw rooster" if language == "nl" else "goes ahead: your schedule")
            assert [a.filename for a in mail.attachments.all()] == ["rooster.ics"]
        else:
            assert mail.subject.startswith("Uitnodiging: dag" if language == "nl" else "Invitation: day")
            (invitation,) = mail.attachments.all()
            assert invitation.invitation_method == "REQUEST"
            assert f"mailto:{address}".encode() in bytes(invitation.content).replace(b"\r\n ", b"")


def test_confirming_again_queues_nothing_twice():
    cohort, _registrations, _people = scheduled_run(10)
    runs.confirm_cohort(cohort=cohort)
    queued = set(OutgoingMail.objects.values_list("pk", "key"))
    with pytest.raises(runs.CohortError):
        runs.confirm_cohort(cohort=cohort)
    # A run put back to planned by hand and confirmed again: each key still once.
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.PLANNED)
    runs.confirm_cohort(cohort=cohort)
    assert set(OutgoingMail.objects.values_list("pk", "key")) == queued


@pytest.mark.parametrize("size", SIZES)
def test_cancelling_queues_every_email_in_the_same_queries_however_many_people(size, django_assert_num_queries):
    cohort, registrations, people = scheduled_run(size)
    runs.confirm_cohort(cohort=cohort)
    before = set(OutgoingMail.objects.values_list("pk", flat=True))
    with django_assert_num_queries(13):
        runs.cancel_cohort(cohort=cohort, reason="Te weinig aanmeldingen")
    recipients = expected_recipients(registrations, people)
    days = list(cohort.days.order_by("date"))
    mails = list(OutgoingMail.objects.exclude(pk__in=before))
    assert {mail.key for mail in mails} == {
        f"cohort-cancelled:{cohort.pk}:{who}" for _language, who in recipients.values()
    } | {f"courseday-cancel:{day.pk}:{day.sequence}:{who}" for day in days for _language, who in recipients.values()}
    assert all(day.sequence == 1 for day in days)
    for mail in mails:
        (address,) = mail.to
        assert mail.language == recipients[address][0]
        if mail.template == "cohorts/mail/cohort_cancelled":
            assert mail.subject.endswith("is geannuleerd" if mail.language == "nl" else "is cancelled")
            assert "Te weinig aanmeldingen" in mail.body_text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.COHORT_CANCELLED, detail="Te weinig aanmeldingen"
    ).exists()


@pytest.mark.parametrize("size", SIZES)
def test_moving_a_day_queues_its_notices_in_the_same_queries_however_many_people(size, django_assert_num_queries):
    cohort, registrations, people = scheduled_run(size)
    runs.confirm_cohort(cohort=cohort)
    before = set(OutgoingMail.objects.values_list("pk", flat=True))
    day = cohort.days.select_related("programme_day").order_by("date").first()
    day.date += datetime.timedelta(days=1)
    # One more than confirming: save_course_day validates the run's whole schedule first.
    with django_assert_num_queries(14):
        scheduling.save_course_day(day=day, changed_fields=["date"])
    mails = list(OutgoingMail.objects.exclude(pk__in=before).prefetch_related("attachments"))
    assert {mail.key for mail in mails} == {f"day-changed:{day.pk}:1:{p.pk}" for p in people} | {
        f"day-changed-board:{day.pk}:1:{r.pk}" for r in registrations
    }
    languages = {p.email: p.language for p in people} | {r.contact_email: r.language for r in registrations}
    for mail in mails:
        (address,) = mail.to
        assert mail.language == languages[address]
        (invitation,) = mail.attachments.all()
        assert b"SEQUENCE:1" in bytes(invitation.content)
