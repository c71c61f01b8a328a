"""Queue e-mails as outbox rows and hand them to a worker after commit; the drain re-enqueues what was left."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from verbindend.personal_data import subject_key

from ..models import OutgoingMail, OutgoingMailAttachment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """
    A file to send with an e-mail.

    :param invitation_method: "REQUEST" or "CANCEL" makes it the message's
        meeting invitation: `content` must then be an iCalendar object with
        that METHOD, and is sent as described at `mime.build_message`
    """

    filename: str
    content: bytes
    mimetype: str
    invitation_method: str = ""


def render_email(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """
    Render an e-mail's subject, text and HTML in the given language.

    A template name such as "cohorts/mail/welcome" means three files:
    `welcome_subject.txt`, `welcome.txt` and `welcome.html` in that folder.
    """
    context = {
        "site_url": settings.SITE_URL,
        "provider_name": settings.PROVIDER_NAME,
        "provider_contact_name": settings.PROVIDER_CONTACT_NAME,
        "provider_email": settings.PROVIDER_EMAIL,
        **context,
    }
    with translation.override(language):
        subject = " ".join(_render_plain(f"{template}_subject.txt", context).split())
        text = _render_plain(f"{template}.txt", context).strip() + "\n"
        html = render_to_string(f"{template}.html", context)
    return subject, text, html


def _render_plain(name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping: "O'Brien" stays "O'Brien"."""
    return get_template(name).template.render(Context(context, autoescape=False))


@dataclass(frozen=True)
class Email:
    """One e-mail for `queue_emails`; the fields are the arguments of `queue_email`."""

    to: list[str] | str
    template: str
    context: dict
    key: str
    attachments: tuple[Attachment, ...] | list[Attachment] = ()
    language: str | None = None
    reply_to: list[str] | tuple[str, ...] = ()
    about: list | tuple = ()


def _outbox_row(email: Email) -> OutgoingMail:
    """Render an e-mail in its recipient's language into an unsaved outbox row."""
    language = email.language or settings.LANGUAGE_CODE
    subject, text, html = render_email(template=email.template, context=email.context, language=language)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or None
    return OutgoingMail(
        key=email.key,
        to=[email.to] if isinstance(email.to, str) else list(email.to),
        reply_to=list(email.reply_to),
        subject=subject,
        body_text=text,
        body_html=html,
        language=language,
        template=email.template,
        message_id=make_msgid(domain=domain),
        about=sorted({subject_key(record) for record in email.about}),
    )


def queue_email(
    *,
    to: list[str] | str,
    template: str,
    context: dict,
    key: str,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    language: str | None = None,
    reply_to: list[str] | tuple[str, ...] = (),
    about: list | tuple = (),
) -> OutgoingMail:
    """
    Queue an e-mail for sending after the current transaction commits.

    :param to: one address or a list of addresses
    :param template: the template name without suffix, see `render_email`
    :param context: the template context
    :param key: the idempotency key; a second call with the same key returns
        the first row and sends nothing (a database constraint enforces it)
    :param attachments: files to attach, such as .ics invitations
    :param language: the recipient's language; Dutch when not given
    :param reply_to: addresses that replies go to
    :param about: the people (and other records) the e-mail is about, as
        records or "app_label.model:pk" keys; erasing one of them erases the
        e-mail, whoever it was addressed to
    """
    existing = OutgoingMail.objects.filter(key=key).first()
    if existing:
        return existing
    email = Email(
        to, template, context, key, attachments=attachments, language=language, reply_to=reply_to, about=about
    )
    mail = _outbox_row(email)
    try:
        # A savepoint, so that losing a race for the key leaves the
        # caller's transaction usable.
        with transaction.atomic():
            _insert([mail], [email])
    except IntegrityError:
        existing = OutgoingMail.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: enqueue_delivery(mail_ids=[mail.pk]))
    return mail


def queue_emails(*, emails: list[Email], skip_existing: bool = False) -> list[OutgoingMail]:
    """
    Queue the new e-mails of one action: one INSERT, and one send task for all of them after commit.

    By default for e-mails whose keys cannot exist yet, because they name a
    row the same transaction made: nothing is looked up first, and there is
    no savepoint. A key that exists after all raises IntegrityError, and like
    any failed statement leaves the caller's transaction only to be rolled
    back; nothing is sent twice. Otherwise the guarantees are those of
    `queue_email`.

    :param skip_existing: for keys that may exist: look them all up in one
        query first and leave out (without rendering) the e-mails whose key
        is queued already, and all but the first of a key given twice, as
        `queue_email` would one by one. The caller holds the lock that makes
        these keys its own (a course run's, for its e-mails), so no other
        transaction queues one of them meanwhile; should one still, the
        INSERT raises IntegrityError as above.
    :return: the rows queued now
    """
    if skip_existing:
        keys = {email.key for email in emails}
        queued = set(OutgoingMail.objects.filter(key__in=keys).order_by().values_list("key", flat=True))
        new = []
        for email in emails:
            if email.key not in queued:
                queued.add(email.key)
                new.append(email)
        emails = new
    rows = [_outbox_row(email) for email in emails]
    _insert(rows, emails)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(mail_ids=ids))
    return rows


def _insert(rows: list[OutgoingMail], emails: list[Email]) -> None:
    """Insert outbox rows and their attachments."""
    for email in emails:
        # A message is one meeting request or cancellation at most: a client shows one.
        if sum(1 for a in email.attachments if a.invitation_method) > 1:
            raise ValueError(f"e-mail {email.key!r} has more than one invitation")
    OutgoingMail.objects.bulk_create(rows)
    OutgoingMailAttachment.objects.bulk_create(
        OutgoingMailAttachment(
            mail=row,
            filename=a.filename,
            mimetype=a.mimetype,
            content=a.content,
            invitation_method=a.invitation_method,
        )
        for row, email in zip(rows, emails, strict=True)
        for a in email.attachments
    )


def enqueue_delivery(*, mail_ids: list[int]) -> bool:
    """
    Ask a worker to send these rows; return False when the broker is away.

    Never raises for a broker problem: the rows are safe in the database and
    the drain enqueues them again.
    """
    from ..tasks import send_mail

    try:
        send_mail.apply_async(args=[mail_ids], retry=False)
    except Exception:
        logger.warning("Could not enqueue e-mail(s) %s; the outbox drain will send them.", mail_ids, exc_info=True)
        return False
    return True


def requeue_due_mail() -> int:
    """
    Enqueue pending rows that their own task did not send; return how many.

    Runs every minute from Celery beat. A row is picked up once it has been
    due for MAIL_DRAIN_GRACE_SECONDS, so the task enqueued at commit gets the
    first chance. Claims older than MAIL_CLAIM_TIMEOUT_SECONDS belong to a
    sender that died; they are released first.
    """
    now = timezone.now()
    released = OutgoingMail.objects.filter(
        status=OutgoingMail.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.MAIL_CLAIM_TIMEOUT_SECONDS),
    ).update(status=OutgoingMail.Status.PENDING, claimed_by="")
    if released:
        logger.warning("Released %s e-mail(s) from senders that stopped.", released)
    due_ids = list(
        OutgoingMail.objects.filter(
            status=OutgoingMail.Status.PENDING,
            next_attempt_at__lte=now - timedelta(seconds=settings.MAIL_DRAIN_GRACE_SECONDS),
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[: settings.MAIL_DRAIN_LIMIT]
    )
    batch = settings.MAIL_BATCH_SIZE
    for start in range(0, len(due_ids), batch):
        if not enqueue_delivery(mail_ids=due_ids[start : start + batch]):
            break  # The broker is still away; the next run tries again.
    return len(due_ids)


def retry_failed_mail(*, mail_ids: list[int]) -> int:
    """Put failed rows back in the queue now, with a fresh count of attempts; return how many."""
    ids = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=OutgoingMail.Status.FAILED).values_list("pk", flat=True)
    )
    OutgoingMail.objects.filter(pk__in=ids).update(
        status=OutgoingMail.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(mail_ids=ids))
    return len(ids)
