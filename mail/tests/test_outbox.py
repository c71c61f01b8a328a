"""The outbox in-process: eager Celery, as on the embedded default, and a real SMTP server."""

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from mail.models import OutgoingMail
from mail.services import queueing
from mail.services.delivery import deliver_mails, retry_delay
from mail.services.queueing import Attachment, Email, queue_email, queue_emails, requeue_due_mail

pytestmark = pytest.mark.django_db


def queue(key="k1", to="schoolleider@example.nl", **kwargs):
    return queue_email(to=to, template="mail/test", context={}, key=key, **kwargs)


def test_row_is_written_in_the_transaction_and_sent_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = queue()
        assert OutgoingMail.objects.get().status == OutgoingMail.Status.PENDING
        assert django_mail.outbox == []
    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert len(django_mail.outbox) == 1
    assert django_mail.outbox[0].to == ["schoolleider@example.nl"]


def test_rolled_back_transaction_leaves_no_row_and_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                queue()
                raise RuntimeError("the caller's change failed")
        except RuntimeError:
            pass
    assert not OutgoingMail.objects.exists()
    assert django_mail.outbox == []


def test_same_key_twice_is_one_row_and_one_message(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(key="welcome:7")
        second = queue(key="welcome:7", to="iemand-anders@example.nl")
    assert first.pk == second.pk
    assert OutgoingMail.objects.count() == 1
    assert len(django_mail.outbox) == 1


def test_several_emails_of_one_action_are_one_task_after_commit(monkeypatch, django_capture_on_commit_callbacks):
    enqueued = []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = queue_emails(
            emails=[
                Email(to="bestuur@example.nl", template="mail/test", context={}, key="a:1"),
                Email(to=["trainer@example.nl"], template="mail/test", context={}, key="b:1", language="en"),
            ]
        )
        assert enqueued == []
    assert len(callbacks) == 1
    assert enqueued == [[row.pk for row in rows]]
    stored = {row.key: row for row in OutgoingMail.objects.all()}
    assert stored["a:1"].to == ["bestuur@example.nl"]
    assert stored["a:1"].subject == "Testbericht van Verbindend"
    assert stored["b:1"].to == ["trainer@example.nl"]
    assert stored["b:1"].subject == "Test e-mail from Verbindend"


def test_several_emails_are_sent_once_each(smtp_server, django_capture_on_commit_callbacks):
    invitation = Attachment("intake.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST")
    with django_capture_on_commit_callbacks(execute=True):
        queue_emails(
            emails=[
                Email(to="bestuur@example.nl", template="mail/test", context={}, key="a:1", attachments=[invitation]),
                Email(to="trainer@example.nl", template="mail/test", context={}, key="b:1"),
            ]
        )
    assert sorted(message["To"] for message in smtp_server.messages) == ["bestuur@example.nl", "trainer@example.nl"]
    assert OutgoingMail.objects.get(key="a:1").attachments.get().filename == "intake.ics"
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {OutgoingMail.Status.SENT}


def test_several_emails_with_a_key_that_exists_fail_whole_and_send_nothing_twice(
    monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue(key="a:1")
    enqueued = []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(IntegrityError), transaction.atomic():
        queue_emails(
            emails=[
                Email(to="bestuur@example.nl", template="mail/test", context={}, key="b:1"),
                Email(to="bestuur@example.nl", template="mail/test", context={}, key="a:1"),
            ]
        )
    assert list(OutgoingMail.objects.values_list("key", flat=True)) == ["a:1"]
    assert enqueued == []


def test_rendered_in_dutch_by_default_and_in_english_on_request():
    dutch = queue(key="nl")
    english = queue(key="en", language="en")
    assert dutch.subject == "Testbericht van Verbindend"
    assert "Dit bericht laat zien" in dutch.body_text
    assert english.subject == "Test e-mail from Verbindend"
    assert "This message shows" in english.body_html
    assert english.language == "en"


def test_html_has_inline_styles_no_remote_images_and_the_provider_footer():
    row = queue()
    assert '<html lang="nl">' in row.body_html
    assert "<img" not in row.body_html
    assert "<link" not in row.body_html
    assert 'style="' in row.body_html
    assert "Natuurlijk Leren BV" in row.body_html
    assert "janjutten@natuurlijkleren.org" in row.body_text


def test_real_smtp_server_receives_text_html_attachment_and_message_id(smtp_server, django_capture_on_commit_callbacks):
    invitation = Attachment("intake.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST")
    with django_capture_on_commit_callbacks(execute=True):
        row = queue(attachments=[invitation], reply_to=["janjutten@natuurlijkleren.org"])
    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received["To"] == "schoolleider@example.nl"
    assert received["Subject"] == "Testbericht van Verbindend"
    assert received["Message-ID"] == row.message_id
    assert received["Reply-To"] == "janjutten@natuurlijkleren.org"
    assert received.get_body(("plain",)).get_content().startswith("Dit bericht laat zien")
    assert "<html" in received.get_body(("html",)).get_content()
    attachments = list(received.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["intake.ics"]
    assert attachments[0].get_content_type() == "text/calendar"
    assert attachments[0].get_content().startswith("BEGIN:VCALENDAR")
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT


def test_two_transient_failures_then_one_delivery(smtp_server, settings, django_capture_on_commit_callbacks):
    settings.MAIL_RETRY_BASE_SECONDS = 0
    smtp_server.fail_next = 2
    with django_capture_on_commit_callbacks(execute=True):
        row = queue()
    row.refresh_from_db()
    assert len(smtp_server.messages) == 1
    assert row.status == OutgoingMail.Status.SENT
    assert row.attempts == 3


def test_server_that_always_refuses_ends_failed_with_the_error(
    smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.MAIL_RETRY_BASE_SECONDS = 0
    settings.MAIL_MAX_ATTEMPTS = 4
    smtp_server.always_fail = "451 4.3.0 Mailbox busy"
    with django_capture_on_commit_callbacks(execute=True):
        row = queue()
    row.refresh_from_db()
    assert smtp_server.messages == []
    assert row.status == OutgoingMail.Status.FAILED
    assert row.attempts == 4
    assert "451" in row.last_error
    assert "Mailbox busy" in row.last_error


def test_permanent_refusal_fails_at_once(smtp_server, django_capture_on_commit_callbacks):
    smtp_server.always_fail = "550 5.1.1 No such user"
    with django_capture_on_commit_callbacks(execute=True):
        row = queue()
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.FAILED
    assert row.attempts == 1
    assert "550" in row.last_error


def test_unreachable_server_leaves_the_row_pending_with_a_later_attempt(settings, django_capture_on_commit_callbacks):
    from harness import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        row = queue()
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.PENDING
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at >= before + timedelta(seconds=settings.MAIL_RETRY_BASE_SECONDS / 2)


def test_many_waiting_rows_go_out_over_one_connection(smtp_server):
    with transaction.atomic():
        rows = [queue(key=f"reminder:{n}", to=f"deelnemer{n}@example.nl") for n in range(25)]
    # Only the first row's task runs; it takes the others along.
    result = deliver_mails(mail_ids=[rows[0].pk])
    assert result.sent == 25
    assert len(smtp_server.messages) == 25
    assert len(set(smtp_server.peers)) == 1
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == 25


def test_batches_are_bounded(smtp_server, settings):
    settings.MAIL_BATCH_SIZE = 10
    with transaction.atomic():
        rows = [queue(key=f"r:{n}") for n in range(25)]
    assert deliver_mails(mail_ids=[rows[0].pk]).sent == 10
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING).count() == 15


def test_sent_and_failed_rows_are_never_sent_again(smtp_server):
    sent = queue(key="a")
    failed = queue(key="b")
    OutgoingMail.objects.filter(pk=sent.pk).update(status=OutgoingMail.Status.SENT, sent_at=timezone.now())
    OutgoingMail.objects.filter(pk=failed.pk).update(status=OutgoingMail.Status.FAILED)
    assert deliver_mails(mail_ids=[sent.pk, failed.pk]).sent == 0
    assert smtp_server.messages == []


def test_drain_sends_rows_left_pending_and_respects_the_grace_period(smtp_server, settings):
    settings.MAIL_DRAIN_GRACE_SECONDS = 60
    with transaction.atomic():
        old = queue(key="old")
        fresh = queue(key="fresh")
    OutgoingMail.objects.filter(pk=old.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    # The drain enqueues only the old row; its sender may take the fresh one
    # along, which is fine: what matters is that the old one is not left.
    assert requeue_due_mail() == 1
    old.refresh_from_db()
    assert old.status == OutgoingMail.Status.SENT
    assert fresh.pk


def test_drain_releases_claims_of_senders_that_died(smtp_server, settings):
    row = queue()
    OutgoingMail.objects.filter(pk=row.pk).update(
        status=OutgoingMail.Status.SENDING,
        claimed_by="dead-task",
        claimed_at=timezone.now() - timedelta(seconds=settings.MAIL_CLAIM_TIMEOUT_SECONDS + 1),
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )
    requeue_due_mail()
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_recent_claim_of_another_sender_is_left_alone(smtp_server):
    row = queue()
    OutgoingMail.objects.filter(pk=row.pk).update(
        status=OutgoingMail.Status.SENDING, claimed_by="busy-task", claimed_at=timezone.now()
    )
    assert deliver_mails(mail_ids=[row.pk]).sent == 0
    requeue_due_mail()
    assert smtp_server.messages == []


def test_redelivered_task_takes_over_its_own_claim(smtp_server):
    row = queue()
    OutgoingMail.objects.filter(pk=row.pk).update(
        status=OutgoingMail.Status.SENDING, claimed_by="task-1", claimed_at=timezone.now()
    )
    assert deliver_mails(mail_ids=[row.pk], token="task-1").sent == 1
    assert len(smtp_server.messages) == 1


def test_broker_outage_does_not_break_the_callers_transaction(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    """With an unreachable broker the row is kept, pending, and the caller goes on."""
    from harness import free_port
    from verbindend.celery import app

    app.conf.task_always_eager = False
    previous = app.conf.broker_url
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)  # Celery reads the environment first
    app.conf.broker_url = unreachable
    # Celery caches its connection and producer pools for the URL it first used.
    app._pool = app.amqp._producer_pool = None
    assert queueing.enqueue_delivery(mail_ids=[0]) is False  # the outage is real
    try:
        with django_capture_on_commit_callbacks(execute=True):
            row = queue()
    finally:
        app.conf.broker_url = previous
        app._pool = app.amqp._producer_pool = None
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.PENDING
    assert row.attempts == 0


@pytest.mark.parametrize("attempts", [1, 2, 5, 12])
def test_retry_delay_grows_exponentially_with_jitter(settings, attempts):
    settings.MAIL_RETRY_BASE_SECONDS, settings.MAIL_RETRY_MAX_SECONDS = 60, 3600
    ceiling = min(3600, 60 * 2 ** (attempts - 1))
    delays = {retry_delay(attempts) for _ in range(50)}
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(delays) > 1


def test_calendar_invitation_arrives_and_parses_back(smtp_server, django_capture_on_commit_callbacks):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import icalendar

    from verbindend.ics import CalendarEvent, invitation_attachment

    start = datetime(2027, 3, 29, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    event = CalendarEvent(
        uid="intake-5@verbindend",
        sequence=2,
        start=start,
        end=start + timedelta(hours=1),
        summary="Intakegesprek Verbindend leiderschap",
        organizer_email="janjutten@natuurlijkleren.org",
        attendees=("bestuur@example.nl",),
    )
    with django_capture_on_commit_callbacks(execute=True):
        queue(attachments=[invitation_attachment([event], method="REQUEST")])
    message = smtp_server.messages[0]
    # The meeting is an alternative of the text (iMIP), the file beside it is for clients that show files only.
    (alternative,) = (part for part in message.walk() if part.get_content_type() == "multipart/alternative")
    calendar_part = alternative.get_payload()[-1]
    assert calendar_part.get_content_type() == "text/calendar"
    assert calendar_part.get_param("method") == "REQUEST"
    (attachment,) = message.iter_attachments()
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_content() == calendar_part.get_content().encode()
    calendar = icalendar.Calendar.from_ical(calendar_part.get_content())
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == "intake-5@verbindend"
    assert int(vevent["SEQUENCE"]) == 2
    assert vevent.decoded("DTSTART") == start


def test_a_drain_with_every_row_sent_or_failed_asks_one_query(django_assert_num_queries):
    OutgoingMail.objects.create(
        key="done", to=["a@example.nl"], subject="s", body_text="t", status="sent", sent_at=timezone.now()
    )
    OutgoingMail.objects.create(key="gave-up", to=["b@example.nl"], subject="s", body_text="t", status="failed")
    with django_assert_num_queries(1):
        assert requeue_due_mail() == 0
