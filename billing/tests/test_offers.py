"""The offer: prefilled from the price model, made in versions, e-mailed with its PDF, accepted once, then fixed."""

import datetime
import shutil
import subprocess
import tempfile
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from billing.models import Invoice, Offer, PriceModel
from billing.services import invoicing, offers
from cohorts.services import runs
from cohorts.tests.factories import (
    enrolled_participants,
    new_cohort,
    placed_registration,
    scheduled_days,
    submitted_registration,
)
from conftest import FIXED_NOW, require_service
from mail.models import OutgoingMail

from .factories import (
    ACCEPTANCE,
    accepted_offer,
    filled_in_provider,
    invoice_details,
    offered_registration,
    priced_programme,
)

pytestmark = pytest.mark.django_db

TODAY = FIXED_NOW.date()


@pytest.fixture
def ready(fixed_clock):
    filled_in_provider()
    return priced_programme()


def pdf_text(content: bytes) -> str:
    require_service("poppler-utils", shutil.which("pdftotext") is not None, "apt-get install poppler-utils")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(content)
        file.flush()
        result = subprocess.run(
            ["pdftotext", "-layout", file.name, "-"], capture_output=True, text=True, check=True, timeout=60
        )
    return " ".join(result.stdout.split())


# --- Prefilled from the price model ------------------------------------------


def test_an_offer_per_participant_is_the_price_times_the_expected_participants(ready):
    registration = placed_registration(expected_participants=14)
    offer = offers.make_offer(registration=registration)
    lines = list(offer.lines.values_list("quantity", "unit_price", "amount"))
    assert lines == [(Decimal("14.00"), Decimal("1450.00"), Decimal("20300.00"))]
    assert (offer.net_amount, offer.vat_amount, offer.total_amount) == (
        Decimal("20300.00"),
        Decimal("0.00"),
        Decimal("20300.00"),
    )
    assert (offer.version, offer.status, offer.participant_count) == (1, Offer.Status.OPEN, 14)
    assert offer.valid_until == TODAY + datetime.timedelta(days=30)
    assert offer.vat_rate is None and offer.vat_note == ready.exemption_text


def test_the_trainer_may_offer_another_number_and_the_minimum_charge_is_added(ready):
    priced_programme(minimum_charge=Decimal("5000.00"))
    registration = placed_registration(expected_participants=14)
    offer = offers.make_offer(registration=registration, participants=3)
    assert list(offer.lines.values_list("amount", flat=True)) == [Decimal("4350.00"), Decimal("650.00")]
    assert offer.total_amount == Decimal("5000.00")


def test_a_run_of_its_own_is_offered_at_the_whole_run_price(ready):
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("24000.00"))
    offer = offers.make_offer(registration=placed_registration(expected_participants=14))
    assert list(offer.lines.values_list("amount", flat=True)) == [Decimal("24000.00")]


def test_a_shared_run_is_offered_at_the_board_s_share_by_the_price_split(ready):
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort = new_cohort()
    first = placed_registration(cohort=cohort, expected_participants=14)
    second = placed_registration(cohort=cohort, expected_participants=9)
    # The split of the price split's own test: 14 and 9 of 23 share EUR 4500.00 as 2739.13 and 1760.87.
    assert offers.make_offer(registration=first).total_amount == Decimal("2739.13")
    assert offers.make_offer(registration=second).total_amount == Decimal("1760.87")


def test_an_offer_is_made_after_the_intake_not_before(ready):
    with pytest.raises(offers.OfferError, match="na het intakegesprek"):
        offers.make_offer(registration=submitted_registration())
    assert not Offer.objects.exists()


def test_a_registration_after_its_intake_not_yet_in_a_run_is_offered_a_run_to_be_planned(ready):
    from django.contrib.auth.models import User

    from cohorts.models import IntakeAppointment
    from cohorts.services import intakes

    registration = submitted_registration(expected_participants=9)
    intake = IntakeAppointment(
        registration=registration,
        trainer=User.objects.create_user("trainer-intake", is_staff=True),
        starts_at=FIXED_NOW + datetime.timedelta(days=2),
        mode=IntakeAppointment.Mode.PHONE,
    )
    intakes.save_intake(intake=intake, changed_fields=[])
    registration.refresh_from_db()
    offer = offers.make_offer(registration=registration)
    assert (registration.status, offer.cohort_code, offer.first_day) == ("intake", "", None)
    assert offer.total_amount == Decimal("13050.00")
    from billing import offers_pdf

    text = pdf_text(offers_pdf.render_offer(offer))
    assert "te plannen met u" in text and "28 dagen voor de eerste cursusdag" in text


def test_no_offer_while_the_price_is_on_request(fixed_clock):
    filled_in_provider()
    with pytest.raises(offers.OfferError, match="op aanvraag"):
        offers.make_offer(registration=placed_registration())


# --- Versions ------------------------------------------------------------------


def test_a_new_version_supersedes_the_open_one_and_both_are_kept(ready):
    registration, first = offered_registration()
    second = offers.make_offer(registration=registration, participants=16, remark="Na overleg 16 leidinggevenden.")
    first.refresh_from_db()
    assert (first.version, first.status, first.total_amount) == (1, Offer.Status.SUPERSEDED, Decimal("20300.00"))
    assert (second.version, second.status, second.total_amount) == (2, Offer.Status.OPEN, Decimal("23200.00"))
    assert first.number == second.number == f"O-{registration.pk:05d}"
    events = AuditEvent.objects.filter(action=AuditEvent.Action.OFFER_MADE, object_type="billing.Offer")
    assert sorted(events.values_list("object_id", flat=True)) == sorted([str(first.pk), str(second.pk)])


def test_an_accepted_offer_cannot_change(ready):
    registration, offer = offered_registration()
    accepted_offer(registration)
    with pytest.raises(offers.OfferError, match="geaccepteerde offerte kan niet meer veranderen"):
        offers.make_offer(registration=registration, participants=20)
    offer.refresh_from_db()
    assert (offer.status, offer.total_amount, registration.offers.count()) == (
        Offer.Status.ACCEPTED,
        Decimal("20300.00"),
        1,
    )


def test_an_offer_copies_what_it_prints(ready):
    _registration, offer = offered_registration()
    priced_programme(amount=Decimal("9999.00"))
    filled_in_provider(legal_name="Andere Naam BV")
    offer.refresh_from_db()
    assert (offer.seller_name, offer.total_amount) == ("Natuurlijk Leren BV", Decimal("20300.00"))


# --- The e-mail with its PDF ---------------------------------------------------


def test_each_version_is_e_mailed_once_to_the_contact_with_its_pdf(ready):
    registration, first = offered_registration()
    cohort = registration.cohort
    scheduled_days(cohort, first=TODAY + datetime.timedelta(days=60))
    second = offers.make_offer(registration=registration)
    mails = OutgoingMail.objects.filter(template="billing/mail/offer").order_by("pk")
    assert [mail.key for mail in mails] == [f"offer:{first.pk}", f"offer:{second.pk}"]
    assert all(mail.to == [registration.contact_email] for mail in mails)
    # Queueing a version's e-mail again adds nothing.
    offers._queue_offer_email(second, list(second.lines.all()))
    assert OutgoingMail.objects.filter(template="billing/mail/offer").count() == 2
    mail = mails.last()
    assert "versie 2" in mail.subject and "vervangt de eerdere versie" in mail.body_text
    (attachment,) = mail.attachments.all()
    assert (attachment.filename, attachment.mimetype) == (
        f"offerte-{second.number}-v2.pdf",
        "application/pdf",
    )
    text = pdf_text(bytes(attachment.content))
    first_day = runs.first_day(cohort)
    free_until = first_day - datetime.timedelta(days=28)
    for expected in (
        "Offerte",
        f"{second.number}, versie 2",
        "Natuurlijk Leren BV",
        registration.board.name,
        "Verbindend leiderschap",
        cohort.code,
        f"{first_day.day} ",
        "€ 20.300,00",
        "Vrijgesteld van btw" if False else "btw",
        ready.exemption_text.split()[0],
        "binnen 30 dagen",
        f"{free_until.day} ",
        "50%",
        (TODAY + datetime.timedelta(days=30)).strftime("%Y"),
    ):
        assert expected in text, expected


def test_the_offer_pdf_is_one_a4_page(ready):
    require_service("poppler-utils", shutil.which("pdfinfo") is not None, "apt-get install poppler-utils")
    from billing import offers_pdf

    _registration, offer = offered_registration()
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(offers_pdf.render_offer(offer))
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info


# --- Acceptance (the service; the form is in public_pages' tests) ---------------


def test_acceptance_records_who_when_and_which_version_and_confirms_by_e_mail(ready, settings):
    settings.OFFICE_NOTIFICATION_EMAIL = "kantoor@natuurlijkleren.example.nl"
    registration, offer = offered_registration()
    offer = accepted_offer(registration)
    assert offer.status == Offer.Status.ACCEPTED
    assert offer.accepted_at == FIXED_NOW
    assert (offer.accepted_by_name, offer.accepted_by_email) == (registration.contact_name, registration.contact_email)
    assert (offer.po_number, offer.kvk_number, offer.cost_centre) == ("PO-2027-0815", "41234567", "KP-4410")
    event = AuditEvent.objects.get(action=AuditEvent.Action.OFFER_ACCEPTED)
    assert event.object_id == str(offer.pk) and "v1" in event.detail and registration.contact_email in event.detail
    confirmation = OutgoingMail.objects.get(key=f"offer-accepted:{offer.pk}")
    assert confirmation.to == [registration.contact_email]
    assert "PO-2027-0815" in confirmation.body_text and "KP-4410" in confirmation.body_text
    office = OutgoingMail.objects.get(key=f"offer-accepted-office:{offer.pk}")
    assert office.to == ["kantoor@natuurlijkleren.example.nl"]


def test_a_superseded_version_cannot_be_accepted(ready):
    registration, first = offered_registration()
    offers.make_offer(registration=registration)
    with pytest.raises(offers.OfferError, match="vervangen door een nieuwere versie"):
        offers.accept_offer(offer=first, data=ACCEPTANCE)
    assert not Offer.objects.filter(status=Offer.Status.ACCEPTED).exists()


def test_an_accepted_version_is_not_accepted_again(ready):
    registration, offer = offered_registration()
    accepted_offer(registration)
    with pytest.raises(offers.OfferError, match=r"is op .* geaccepteerd door"):
        offers.accept_offer(offer=offer, data={**ACCEPTANCE, "po_number": "ANDERS"})
    offer.refresh_from_db()
    assert offer.po_number == "PO-2027-0815"
    assert OutgoingMail.objects.filter(key__startswith="offer-accepted:").count() == 1


def test_an_offer_is_accepted_up_to_and_including_its_last_valid_day(ready, fixed_clock, settings):
    settings.OFFER_VALID_DAYS = 14
    on_time, late = offered_registration(), offered_registration()
    assert on_time[1].valid_until == TODAY + datetime.timedelta(days=14)
    fixed_clock.shift(datetime.timedelta(days=14))
    assert accepted_offer(on_time[0]).status == Offer.Status.ACCEPTED
    fixed_clock.shift(datetime.timedelta(days=1))
    with pytest.raises(offers.OfferError, match="was geldig tot 15 maart 2027"):
        offers.accept_offer(offer=late[1], data=ACCEPTANCE)


# --- The invoice takes the accepted offer's order details ----------------------


def test_the_invoice_carries_the_accepted_offer_s_po_number_and_invoice_address(ready):
    cohort = new_cohort()
    registration, _offer = offered_registration(cohort=cohort)
    accepted_offer(registration)
    other = placed_registration(cohort=cohort)
    invoice_details(other.board)  # as the office entered them: no accepted offer gives them
    enrolled_participants(registration, 7)
    enrolled_participants(other, 6)
    scheduled_days(cohort, first=TODAY + datetime.timedelta(days=60))
    runs.confirm_cohort(cohort=cohort)
    with_offer, without = invoicing.issue_invoices_for_run(cohort=cohort)
    assert with_offer.po_number == "PO-2027-0815"
    assert with_offer.invoice_address == ACCEPTANCE["invoice_address"] + "\nKostenplaats: KP-4410"
    assert with_offer.invoice_email == "facturen@bestuur.example.nl"
    # The board without an accepted offer is invoiced as before.
    assert (without.po_number, without.invoice_email) == ("", other.contact_email)
    assert Invoice.objects.count() == 2


# --- The admin ---------------------------------------------------------------------

REGISTRATIONS = reverse("admin:billing_registrationtooffer_changelist")
OFFERS = reverse("admin:billing_offer_changelist")


@pytest.mark.parametrize("group", ["trainer", "office"])
def test_the_trainer_and_the_office_make_an_offer_from_the_admin(ready, request, group):
    client = request.getfixturevalue(group)
    registration = placed_registration(expected_participants=12)
    selected = {"action": "make_offer", "_selected_action": [registration.pk]}
    page = client.post(REGISTRATIONS, selected).content.decode()
    assert "Een offerte maken" in page and not Offer.objects.exists()
    response = client.post(REGISTRATIONS, {**selected, "post": "yes", "participants": "10"}, follow=True)
    assert "versie 1 van offerte" in response.content.decode()
    offer = Offer.objects.get()
    assert (offer.participant_count, offer.made_by.username) == (10, f"{group.replace('office', 'kantoor')}-user")


def test_staff_without_the_permission_cannot_make_an_offer(ready, client):
    from django.contrib.auth.models import Permission

    from .conftest import member

    user = member("Trainer")
    user.groups.first().permissions.remove(Permission.objects.get(codename="make_offer"))
    client.force_login(user)
    registration = placed_registration()
    response = client.post(
        REGISTRATIONS, {"action": "make_offer", "_selected_action": [registration.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)
    assert not Offer.objects.exists()


def test_an_accepted_offer_is_read_only_in_the_admin_and_no_new_version_is_made(ready, trainer):
    registration, offer = offered_registration()
    accepted_offer(registration)
    change = reverse("admin:billing_offer_change", args=[offer.pk])
    page = trainer.get(change).content.decode()
    assert "PO-2027-0815" in page and 'name="po_number"' not in page
    assert trainer.post(change, {"po_number": "X"}).status_code == 403
    assert trainer.post(reverse("admin:billing_offer_delete", args=[offer.pk]), {"post": "yes"}).status_code == 403
    selected = {"action": "make_new_version", "_selected_action": [offer.pk], "post": "yes"}
    response = trainer.post(OFFERS, selected, follow=True).content.decode()
    assert "geaccepteerde offerte kan niet meer veranderen" in response
    assert registration.offers.count() == 1
    pdf = trainer.get(reverse("admin:billing_offer_pdf", args=[offer.pk]))
    assert pdf["Content-Type"] == "application/pdf"


# --- Personal data ---------------------------------------------------------------


def test_the_contact_s_own_data_lists_their_offers_and_erasing_them_takes_their_name_off(ready):
    from privacy import services as privacy

    registration, _first = offered_registration()
    offers.make_offer(registration=registration)
    accepted_offer(registration)
    sections = privacy.personal_data(person=registration)
    listed = [(o["version"], o["status"], o["accepted_by_email"]) for o in sections["offers"]]
    assert listed == [(1, "superseded", ""), (2, "accepted", registration.contact_email)]
    contact = (registration.contact_name, registration.contact_email)
    privacy.erase_person(person=registration)
    for offer in Offer.objects.all():
        assert contact[0] not in (offer.contact_name, offer.accepted_by_name)
        assert offer.accepted_by_email != contact[1]
    kept = Offer.objects.get(status="accepted")
    # The board's order stays: its version, date and the board's invoice details.
    assert (kept.version, kept.po_number, kept.invoice_email) == (2, "PO-2027-0815", "facturen@bestuur.example.nl")


@pytest.mark.parametrize("count", [1, 4])
def test_the_offer_lists_run_the_same_queries_however_many_offers(ready, trainer, django_assert_num_queries, count):
    made = [offered_registration()[1] for _ in range(count)]
    offers.make_offer(registration=made[0].registration)  # a second version of one
    trainer.get(REGISTRATIONS)  # the session and the permissions, read once
    with django_assert_num_queries(7):
        page = trainer.get(REGISTRATIONS).content.decode()
    assert page.count("versie 1, open") == count - 1 and "versie 2, open" in page
    with django_assert_num_queries(7):
        page = trainer.get(OFFERS).content.decode()
    assert page.count('/pdf/"') == count + 1
