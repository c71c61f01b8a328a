import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from mail.models import OutgoingMail
from mail.services.queueing import queue_email
from verbindend.tests.pages import changelist_rows

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:mail_outgoingmail_changelist")


def failed_row(key="f1", **fields):
    row = queue_email(to="leider@example.nl", template="mail/test", context={}, key=key)
    OutgoingMail.objects.filter(pk=row.pk).update(
        status=OutgoingMail.Status.FAILED, attempts=8, last_error="SMTPDataError: (451, 'busy')", **fields
    )
    return row


def test_outbox_list_shows_status_recipient_subject_attempts_and_error(admin_client):
    failed_row()
    page = admin_client.get(CHANGELIST).content.decode()
    assert "leider@example.nl" in page
    assert "Testbericht van Verbindend" in page
    assert "mislukt" in page
    assert "SMTPDataError" in page


def test_outbox_filters_and_search(admin_client):
    failed_row(key="a")
    queue_email(to="ander@example.nl", template="mail/test", context={}, key="b")
    OutgoingMail.objects.filter(key="b").update(status=OutgoingMail.Status.SENT, sent_at=timezone.now())
    by_status = admin_client.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    assert "leider@example.nl" in by_status
    assert "ander@example.nl" not in by_status
    by_search = admin_client.get(CHANGELIST, {"q": "ander@"}).content.decode()
    assert "ander@example.nl" in by_search
    assert "leider@example.nl" not in by_search


def test_detail_previews_html_in_a_sandbox_and_the_text(admin_client):
    row = failed_row()
    OutgoingMail.objects.filter(pk=row.pk).update(body_html='<p>Hallo</p><script>alert("x")</script>')
    page = admin_client.get(reverse("admin:mail_outgoingmail_change", args=[row.pk])).content.decode()
    preview_url = reverse("admin:mail_outgoingmail_preview", args=[row.pk])
    assert f'sandbox="" src="{preview_url}"' in page
    assert '<script>alert("x")</script>' not in page
    assert "Dit bericht laat zien" in page
    # The e-mail's own HTML is a document of its own, in which no script runs.
    preview = admin_client.get(preview_url)
    assert preview.content.decode() == '<p>Hallo</p><script>alert("x")</script>'
    policy = preview["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "script-src" not in policy


def test_outbox_is_read_only(admin_client):
    row = failed_row()
    assert admin_client.get(reverse("admin:mail_outgoingmail_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:mail_outgoingmail_change", args=[row.pk]), {"subject": "gewijzigd", "status": "sent"}
    )
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.subject == "Testbericht van Verbindend"


def test_retry_now_sends_a_failed_row_again(admin_client, smtp_server, django_capture_on_commit_callbacks):
    row = failed_row()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "retry_now", "_selected_action": [row.pk], "post": "yes"}, follow=True
        )
    assert "1 e-mail opnieuw in de wachtrij gezet." in response.content.decode()
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_retry_now_leaves_sent_rows_alone(admin_client, smtp_server, django_capture_on_commit_callbacks):
    row = failed_row()
    OutgoingMail.objects.filter(pk=row.pk).update(status=OutgoingMail.Status.SENT, sent_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST, {"action": "retry_now", "_selected_action": [row.pk], "post": "yes"}, follow=True
        )
    assert "Alleen mislukte e-mails" in response.content.decode()
    assert smtp_server.messages == []


def test_staff_without_permission_cannot_see_the_outbox(client):
    user = User.objects.create_user("kantoor", password="x-secret-123", is_staff=True)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_outgoingmail"))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "retry_now" not in response.content.decode()


@pytest.mark.parametrize("as_user", ["anonymous", "not staff"])
def test_outsiders_get_nothing(client, as_user):
    row = failed_row()
    if as_user == "not staff":
        client.force_login(User.objects.create_user("deelnemer", password="x-secret-123"))
    for url in (CHANGELIST, reverse("admin:mail_outgoingmail_change", args=[row.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("rows", [3, 30])
def test_the_outbox_list_runs_the_same_queries_however_many_rows(admin_client, django_assert_num_queries, rows):
    for n in range(rows):
        queue_email(to=f"leider{n}@example.nl", template="mail/test", context={}, key=f"k{n}")
    with django_assert_num_queries(9):
        response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    shown = changelist_rows(response)
    assert sorted(row[2] for row in shown) == sorted(f"leider{n}@example.nl" for n in range(rows))
    assert {(row[1], row[3]) for row in shown} == {("Testbericht van Verbindend", "wachtend")}


def staff(group):
    from django.contrib.auth.models import Group

    user = User.objects.create_user(group.lower(), password="x-secret-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_the_office_retries_after_the_page_says_what_is_sent(client, smtp_server, django_capture_on_commit_callbacks):
    row = failed_row()
    sent = failed_row(key="sent")
    OutgoingMail.objects.filter(pk=sent.pk).update(status=OutgoingMail.Status.SENT, sent_at=timezone.now())
    client.force_login(staff("Kantoor"))
    selection = {"action": "retry_now", "_selected_action": [row.pk, sent.pk]}
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(CHANGELIST, selection)
    text = page.content.decode()
    assert "1 mislukte e-mail wordt nu opnieuw verstuurd." in text
    assert "1 adres ontvangt die." in text
    assert "De geselecteerde e-mails die niet mislukt zijn, blijven zoals ze zijn." in text
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.FAILED
    assert smtp_server.messages == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {**selection, "post": "yes"})
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_the_trainer_cannot_retry_even_by_a_forged_post(client, smtp_server, django_capture_on_commit_callbacks):
    row = failed_row()
    client.force_login(staff("Trainer"))
    assert "retry_now" not in client.get(CHANGELIST).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [row.pk], "post": "yes"})
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.FAILED
    assert smtp_server.messages == []


def test_the_outbox_names_each_kind_of_e_mail_in_words(admin_client):
    failed_row()
    queue_email(to="contact@bestuur.example.nl", template="cohorts/mail/cohort_cancelled", context={}, key="c")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Uitvoering geannuleerd" in page
    assert "Testbericht" in page
    assert "?template=cohorts%2Fmail%2Fcohort_cancelled" in page
    assert ">cohorts/mail/cohort_cancelled<" not in page
    filtered = admin_client.get(CHANGELIST, {"template": "cohorts/mail/cohort_cancelled"}).content.decode()
    assert "contact@bestuur.example.nl" in filtered
    assert "leider@example.nl" not in filtered
    detail = admin_client.get(reverse("admin:mail_outgoingmail_change", args=[failed_row(key="d").pk]))
    text = detail.content.decode()
    assert "Soort e-mail" in text
    assert '<div class="readonly">Testbericht</div>' in text


def test_the_html_preview_takes_the_mails_own_width(admin_client):
    row = failed_row()
    page = admin_client.get(reverse("admin:mail_outgoingmail_change", args=[row.pk])).content.decode()
    assert 'class="mail-preview"' in page
    assert "css/admin-theme" in page
