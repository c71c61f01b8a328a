"""
A batch of the outbox in few statements: claimed (and read) at once, marked sent together within
MARK_SENT_WITHIN_SECONDS, each message's bytes as Django's SMTP backend makes them, only faster.
"""

import pytest
from django.core import mail as django_mail
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.db import connection

from mail.models import OutgoingMail
from mail.services import delivery
from mail.services.delivery import deliver_mails
from mail.services.mime import build_message, message_bytes
from mail.services.queueing import Attachment, render_email

pytestmark = pytest.mark.django_db

INVITATION = Attachment(
    "dag-1.ics",
    b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
    "text/calendar; method=REQUEST",
    "REQUEST",
)


def rows(count: int, **fields) -> list[OutgoingMail]:
    subject, text, html = render_email(template="mail/test", context={}, language="nl")
    rendered = {"subject": subject, "body_text": text, "body_html": html, "language": "nl", "template": "mail/test"}
    return OutgoingMail.objects.bulk_create(
        OutgoingMail(
            key=f"batch:{n}",
            to=[f"leider{n}@example.nl"],
            message_id=f"<batch-{n}@verbindend>",
            **{**rendered, **fields},
        )
        for n in range(count)
    )


@pytest.mark.parametrize("count", [10, 60])
def test_a_batch_takes_the_same_statements_however_many_e_mails(
    count, settings, monkeypatch, django_assert_num_queries
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(delivery, "MARK_SENT_WITHIN_SECONDS", 60)
    rows(count)
    # PostgreSQL: the claim reading the rows, their attachments;
    # synchronous_commit off, the marks, and on again. SQLite: the claim
    # (savepoint, the rows due, marked, read, released), the attachments,
    # the marks.
    expected = 5 if connection.vendor == "postgresql" else 7
    with django_assert_num_queries(expected):
        assert deliver_mails(mail_ids=[], fill=True).sent == count
    assert OutgoingMail.objects.filter(status="sent", attempts=1, claimed_by="").count() == count
    assert len(django_mail.outbox) == count


def test_each_message_waits_at_most_mark_sent_within_seconds_for_its_mark(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(delivery, "MARK_SENT_WITHIN_SECONDS", 0)
    mails = rows(5)
    seen = []
    real = delivery._transmit

    def transmit(smtp, prepared):
        # What the database says of the e-mails before this one, as it goes.
        seen.append(sorted(OutgoingMail.objects.filter(status="sent").values_list("pk", flat=True)))
        real(smtp, prepared)

    monkeypatch.setattr(delivery, "_transmit", transmit)
    deliver_mails(mail_ids=[], fill=True)
    assert seen == [[mail.pk for mail in mails[:n]] for n in range(5)]


def test_a_failure_marks_the_ones_sent_before_it_and_retries_only_itself(smtp_server, monkeypatch):
    monkeypatch.setattr(delivery, "MARK_SENT_WITHIN_SECONDS", 60)
    mails = rows(4)
    smtp_server.fail_next = 0
    real = delivery._transmit

    def transmit(smtp, prepared):
        if prepared.message.to == mails[2].to:
            smtp_server.fail_next = 1
        real(smtp, prepared)

    monkeypatch.setattr(delivery, "_transmit", transmit)
    result = deliver_mails(mail_ids=[], fill=True)
    assert result.sent == 3
    assert result.retry_ids == [mails[2].pk]
    statuses = dict(OutgoingMail.objects.values_list("pk", "status"))
    assert [statuses[mail.pk] for mail in mails] == ["sent", "sent", "pending", "sent"]
    assert [message["To"] for message in smtp_server.messages] == [mails[n].to[0] for n in (0, 1, 3)]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"subject": "Herinnering: dag 1 op woensdag 10 maart, Zoë’s groep", "reply_to": ["Bea <bea@example.nl>"]},
        {"subject": "Een heel lang onderwerp " * 8, "to": [f"leider{n}@school.example.nl" for n in range(12)]},
        {"body_html": "", "body_text": "Regel " * 400 + "\n"},
    ],
)
def test_the_bytes_sent_are_those_django_makes(fields):
    (mail,) = rows(1, **{key: value for key, value in fields.items() if key != "to"})
    if "to" in fields:
        mail.to = fields["to"]
    mail.attachments.create(
        filename=INVITATION.filename,
        mimetype=INVITATION.mimetype,
        content=INVITATION.content,
        invitation_method="REQUEST",
    )
    message = build_message(mail, get_connection()).message()
    assert message_bytes(message) == message.as_bytes(linesep="\r\n")


@pytest.mark.parametrize(
    "address",
    ["leider1@school.example.nl", "a.b-c_d+e@x-y.nl", "Bea Bakker <bea@example.nl>", "zoë@example.nl", "a..b@x.nl"],
)
def test_the_recipients_are_those_django_sends_to(address):
    try:
        expected = sanitize_address(address, "utf-8")
    except ValueError:
        with pytest.raises(ValueError):
            delivery._recipient(address, "utf-8")
        return
    assert delivery._recipient(address, "utf-8") == expected
