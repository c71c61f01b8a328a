"""A sender's claim is a lease: renewed while it sends, released by the drain soon after its sender died."""

import datetime

import pytest
import time_machine
from django.core import mail as django_mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from mail.models import OutgoingMail
from mail.services import delivery, queueing
from mail.services.queueing import queue_email

pytestmark = pytest.mark.django_db


def queued(n):
    rows = [
        queue_email(to=f"leider{i}@example.nl", template="mail/test", context={}, key=f"lease-{i}") for i in range(n)
    ]
    return [row.pk for row in rows]


def test_a_killed_senders_rows_go_out_at_the_first_drain_after_its_lease(settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert settings.MAIL_CLAIM_TIMEOUT_SECONDS == 60
    ids = queued(3)
    # A worker claimed them and was killed before sending any (its task would be redelivered only hours later).
    assert sorted(delivery._claim(mail_ids=ids, token="dead-worker", fill=False)) == ids
    assert queueing.requeue_due_mail() == 0  # a fresh claim is left alone: its sender may be working
    assert OutgoingMail.objects.filter(status="sending").count() == 3
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        assert queueing.requeue_due_mail() == 3  # released and enqueued (in-process here: sent at once)
    assert OutgoingMail.objects.filter(status="sent").count() == 3
    assert len(django_mail.outbox) == 3


class StallingBackend(EmailBackend):
    """Sends like locmem; during the first message the drain releases the rest of the batch (the sender stalled)."""

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if len(django_mail.outbox) == 1:
            OutgoingMail.objects.filter(status="sending").update(status="pending", claimed_by="")
            OutgoingMail.objects.filter(pk=StallingBackend.taken).update(status="sending", claimed_by="other-sender")
        return sent


def test_a_sender_that_lost_its_lease_sends_none_of_the_released_rows(settings, monkeypatch):
    settings.EMAIL_BACKEND = "mail.tests.test_claim_lease.StallingBackend"
    monkeypatch.setattr(delivery, "_lease_renewal_seconds", lambda: 0)  # check the lease before every message
    ids = queued(3)
    StallingBackend.taken = ids[1]
    result = delivery.deliver_mails(mail_ids=ids, token="slow-sender", fill=False)
    assert result.sent == 1
    assert [m.to for m in django_mail.outbox] == [["leider0@example.nl"]]
    assert OutgoingMail.objects.get(pk=ids[1]).claimed_by == "other-sender"
    assert OutgoingMail.objects.get(pk=ids[2]).status == "pending"


def test_a_working_sender_renews_its_lease(settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ids = queued(2)
    delivery._claim(mail_ids=ids, token="busy", fill=False)
    OutgoingMail.objects.filter(pk__in=ids).update(claimed_at=timezone.now() - datetime.timedelta(seconds=50))
    assert delivery._renew_claim(mail_ids=ids, token="busy") == set(ids)
    assert delivery._renew_claim(mail_ids=ids, token="another") == set()
    assert all(timezone.now() - row.claimed_at < datetime.timedelta(seconds=5) for row in OutgoingMail.objects.all())
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=30)):
        queueing.requeue_due_mail()
    assert OutgoingMail.objects.filter(status="sending", claimed_by="busy").count() == 2
