"""Queue e-mails as outbox rows and hand them to a worker after commit; the drain re-enqueues what was left."""

import itertools
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.html import conditional_escape

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
    return _finished(*_render_raw(template=template, context=context, language=language))


def _render_raw(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    context = {
        "site_url": settings.SITE_URL,
        "provider_name": settings.PROVIDER_NAME,
        "provider_contact_name": settings.PROVIDER_CONTACT_NAME,
        "provider_email": settings.PROVIDER_EMAIL,
        **context,
    }
    with translation.override(language):
        subject = _render_plain(f"{template}_subject.txt", context)
        text = _render_plain(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    return subject, text, html


def _finished(subject: str, text: str, html: str) -> tuple[str, str, str]:
    """The subject on one line, the text with one final newline."""
    return " ".join(subject.split()), text.strip() + "\n", html


def _render_plain(name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping: "O'Brien" stays "O'Brien"."""
    return get_template(name).template.render(Context(context, autoescape=False))


@dataclass(frozen=True)
class Email:
    """
    One e-mail for `queue_emails`; the fields are the arguments of `queue_email`, and `personal`.

    :param personal: the recipient's own strings (in dicts, as the template
        reads them: {"participant": {"first_name": ...}}), put over
        `context`. E-mails to many people that share one `context` object,
        template and language are then rendered once for all (see
        `_render_all`), so the template may only print a personal value, not
        test or filter it; one that is seen to is rendered for each e-mail.
    """

    to: list[str] | str
    template: str
    context: dict
    key: str
    attachments: tuple[Attachment, ...] | list[Attachment] = ()
    language: str | None = None
    reply_to: list[str] | tuple[str, ...] = ()
    about: list | tuple = ()
    personal: dict | None = None

    @property
    def full_context(self) -> dict:
        return {**self.context, **(self.personal or {})}


MARK = re.compile("\x1ep([0-9]+)q\x1e")  # a personal value's place in a rendering shared by many e-mails


def _leaves(personal: dict, path: tuple = ()) -> list[tuple[tuple, str]]:
    """The personal strings by their path, in a fixed order."""
    leaves = []
    for name in sorted(personal):
        value = personal[name]
        leaves += _leaves(value, (*path, name)) if isinstance(value, dict) else [((*path, name), value)]
    return leaves


def _marked(personal: dict, numbers: itertools.count) -> dict:
    return {
        name: _marked(value, numbers) if isinstance(value, dict) else f"\x1ep{next(numbers)}q\x1e"
        for name, value in sorted(personal.items())
    }


def _filled(pieces: tuple[list, list, list], values: list) -> tuple[str, str, str]:
    """
    A shared rendering (split at its marks) with one recipient's values put in: escaped in the HTML, as Django would.
    """
    values = [str(value) for value in values]
    escaped = [conditional_escape(value) for value in values]

    def put(split: list, strings: list[str]) -> str:
        joined = split.copy()
        for at in range(1, len(joined), 2):
            joined[at] = strings[joined[at]]
        return "".join(joined)

    subject, text, html = pieces
    return _finished(put(subject, values), put(text, values), put(html, escaped))


def _split(part: str) -> list:
    """Text and mark numbers in turn."""
    pieces = MARK.split(part)
    pieces[1::2] = [int(number) for number in pieces[1::2]]
    return pieces


def _render_all(emails: list[Email], languages: list[str]) -> list[tuple[str, str, str]]:
    """
    Render each e-mail (subject, text, HTML) in its language, each group that shares its context once.

    A group is the e-mails with `personal` values of the same names and one
    `context` object, template and language. The first group of a template
    and language has its first e-mail rendered in full as well, and unless
    the two agree (the template tested or filtered a personal value) every
    e-mail of that template is rendered in full; so is a group whose marks
    did not come out whole.
    """
    groups = {}
    for index, (email, language) in enumerate(zip(emails, languages, strict=True)):
        names = tuple(path for path, _value in _leaves(email.personal)) if email.personal else index
        groups.setdefault((email.template, language, id(email.context), names), []).append(index)
    rendered, checked = [None] * len(emails), {}
    for (template, language, _context, _names), members in groups.items():
        group = [emails[index] for index in members]
        pieces = _render_marked(template, language, group[0]) if len(group) > 1 else None
        if pieces is not None and (template, language) not in checked:
            whole = render_email(template=template, context=group[0].full_context, language=language)
            checked[template, language] = _filled(pieces, _values(group[0])) == whole
            if not checked[template, language]:
                logger.warning("Template %s tests or filters a personal value; rendering one by one.", template)
        for index, email in zip(members, group, strict=True):
            if pieces is not None and checked[template, language]:
                rendered[index] = _filled(pieces, _values(email))
            else:
                rendered[index] = render_email(template=template, context=email.full_context, language=language)
    return rendered


def _values(email: Email) -> list:
    return [value for _path, value in _leaves(email.personal)]


def _render_marked(template: str, language: str, email: Email) -> tuple[list, list, list] | None:
    """Render an e-mail with a mark in place of each personal value, split at the marks; None if one broke."""
    context = {**email.context, **_marked(email.personal, itertools.count())}
    rendering = _render_raw(template=template, context=context, language=language)
    pieces = tuple(_split(part) for part in rendering)
    if sum(part.count("\x1e") for part in rendering) != sum(len(split) - 1 for split in pieces):
        return None  # a filter changed a mark (the full check catches one that changed none)
    return pieces


def _outbox_rows(emails: list[Email]) -> list[OutgoingMail]:
    """Render e-mails in their recipients' languages into unsaved outbox rows."""
    languages = [email.language or settings.LANGUAGE_CODE for email in emails]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or None
    return [
        OutgoingMail(
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
        for email, language, (subject, text, html) in zip(
            emails, languages, _render_all(emails, languages), strict=True
        )
    ]


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
    (mail,) = _outbox_rows([email])
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
    Queue the new e-mails of one action: one INSERT, and after commit a send task per MAIL_BATCH_SIZE of them.

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
    rows = _outbox_rows(emails)
    _insert(rows, emails)
    _enqueue_on_commit([row.pk for row in rows])
    return rows


def queue_emails_once(*, emails: list[Email]) -> list[OutgoingMail]:
    """
    Queue e-mails whose keys another transaction may be queueing meanwhile, in the same few queries however many.

    The database keeps each key once: the rows go in with one INSERT that
    skips a key it holds already (ON CONFLICT DO NOTHING; INSERT OR IGNORE on
    SQLite), and one query reads back which of them are ours (by their
    Message-ID, new to each row); only those get their attachments and are
    sent after commit. A key given twice is queued as first given. There is
    no savepoint and nothing to catch: losing a key to another transaction
    leaves the caller's transaction usable. The rows go in by key, so that
    two transactions queueing the same keys wait on each other in the same
    order instead of deadlocking.

    Every e-mail is rendered, so the caller leaves out the keys it has seen
    queued already (one lookup, as `send_due_reminders` does).

    :return: the rows queued now, by key
    """
    unique = {}
    for email in emails:
        unique.setdefault(email.key, email)
    emails = [unique[key] for key in sorted(unique)]
    _check_invitations(emails)
    rows = _outbox_rows(emails)
    OutgoingMail.objects.bulk_create(rows, ignore_conflicts=True)
    ours = {
        message_id: pk
        for pk, message_id in OutgoingMail.objects.filter(key__in=list(unique))
        .order_by()
        .values_list("pk", "message_id")
    }
    new = []
    for row, email in zip(rows, emails, strict=True):
        row.pk = ours.get(row.message_id)
        if row.pk is not None:
            new.append((row, email))
    _insert_attachments([row for row, _email in new], [email for _row, email in new])
    _enqueue_on_commit([row.pk for row, _email in new])
    return [row for row, _email in new]


def _enqueue_on_commit(ids: list[int]) -> None:
    """After commit, hand the rows to workers a batch per task, as the drain does."""
    batch = settings.MAIL_BATCH_SIZE
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        transaction.on_commit(lambda chunk=chunk: enqueue_delivery(mail_ids=chunk))


def _check_invitations(emails: list[Email]) -> None:
    for email in emails:
        # A message is one meeting request or cancellation at most: a client shows one.
        if sum(1 for a in email.attachments if a.invitation_method) > 1:
            raise ValueError(f"e-mail {email.key!r} has more than one invitation")


def _insert_attachments(rows: list[OutgoingMail], emails: list[Email]) -> None:
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


def _insert(rows: list[OutgoingMail], emails: list[Email]) -> None:
    """Insert outbox rows and their attachments."""
    _check_invitations(emails)
    OutgoingMail.objects.bulk_create(rows)
    _insert_attachments(rows, emails)


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
    # Most runs find every row sent or failed: one query answers that, before the two that act.
    if not OutgoingMail.objects.filter(status__in=[OutgoingMail.Status.SENDING, OutgoingMail.Status.PENDING]).exists():
        return 0
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
