"""
The register's words and facts as data: themes by their current and former names, the points, the wording of
the accreditation on the public pages, and the register that a leader of a board of both sectors is reported to.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cohorts.models import Participant, Sector
from cohorts.services import enrolment, links
from cohorts.tests.factories import BoardFactory, RegistrationFactory, participant_data
from registry import rejections, services
from registry.models import Accreditation, RegisterRule, RegisterTheme
from verbindend.tests.pages import table_rows

pytestmark = pytest.mark.django_db


def seeded() -> Accreditation:
    return Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")


# --- The public pages ------------------------------------------------------------


def test_the_programme_page_names_the_accreditation_in_the_registers_words(client):
    page = client.get("/").content.decode()
    assert "Geaccrediteerd door het Schoolleidersregister PO als vooraf gewaardeerd aanbod" in page
    # Today's theme, with the brochure's name beside it so that a reader of the brochure recognises it.
    assert "Verandermanagement" in page
    assert "voorheen “Leiding geven aan verandering”" in page
    assert "gecertificeerd" not in page.lower()
    # No points are known yet, so none are claimed.
    assert "Herregistratiewaarde" not in page


def test_what_the_office_enters_is_what_the_programme_page_says(client):
    accreditation = seeded()
    accreditation.points, accreditation.number = 6, "SLR-2027-0042"
    accreditation.public_wording = "Vooraf gewaardeerd aanbod van het Schoolleidersregister PO"
    accreditation.save()
    RegisterTheme.objects.filter(name="Verandermanagement").update(
        name="Veranderkundig leiderschap", former_names="Verandermanagement\nLeiding geven aan verandering"
    )
    page = client.get("/").content.decode()
    assert "Vooraf gewaardeerd aanbod van het Schoolleidersregister PO" in page
    assert "Veranderkundig leiderschap" in page
    assert "voorheen “Verandermanagement, Leiding geven aan verandering”" in page
    assert "Herregistratiewaarde" in page and "SLR-2027-0042" in page


def test_a_programme_without_an_accreditation_claims_none(client):
    seeded().delete()
    page = client.get("/").content.decode()
    assert "Geaccrediteerd" not in page and "Verandermanagement" not in page


# --- Which register's accreditation a leader's certificate names -------------------


@pytest.fixture
def vo_accreditation():
    theme = RegisterTheme.objects.create(name="Strategisch leiderschap")
    accreditation = Accreditation.objects.create(programme=seeded().programme, register="vo", number="VO-77")
    accreditation.themes.add(theme)
    return accreditation


@pytest.mark.parametrize(
    ("sector", "role", "register"),
    [
        (Sector.BOTH, "rector", "vo"),  # only the VO register lists the rector
        (Sector.BOTH, "directeur", "po"),  # both list the directeur: the first register, PO
        (Sector.BOTH, "bestuurder", "po"),  # in neither: the first register serving the board's sector
        (Sector.VO, "bestuurder", "vo"),
        (Sector.PO, "teamleider", "po"),
    ],
)
def test_the_accreditation_is_that_of_the_register_serving_the_leader(vo_accreditation, sector, role, register):
    registration = RegistrationFactory(board=BoardFactory(sector=sector))
    [participant] = enrolment.enroll_participants(registration=registration, rows=[participant_data(0, role=role)])
    participant = Participant.objects.select_related("registration__board", "cohort__programme").get(pk=participant.pk)
    assert services.accreditation_for(participant).register == register


def test_the_office_moves_a_role_to_another_register_and_the_accreditation_follows(vo_accreditation):
    registration = RegistrationFactory(board=BoardFactory(sector=Sector.BOTH))
    [participant] = enrolment.enroll_participants(registration=registration, rows=[participant_data(0)])
    participant = Participant.objects.select_related("registration__board", "cohort__programme").get(pk=participant.pk)
    assert services.accreditation_for(participant).register == "po"
    po = RegisterRule.objects.get(register="po")
    po.roles = [role for role in po.roles if role != "directeur"]
    po.save()
    assert services.accreditation_for(participant).register == "vo"


# --- The board page reads the same rule --------------------------------------------


def board_register_column(client, registration) -> dict[str, str]:
    response = client.get(links.board_page_url(registration).removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    return {row[0]: row[4] for row in table_rows(response.content.decode()) if "@" in row[1]}


def test_the_board_page_says_whose_register_number_is_still_to_give(client):
    registration = RegistrationFactory(board=BoardFactory(sector=Sector.PO))
    given, missing, refused, outside = enrolment.enroll_participants(
        registration=registration,
        rows=[
            participant_data(0),
            participant_data(1, role="adjunct_directeur"),
            participant_data(2),
            participant_data(3, role="intern_begeleider"),
        ],
    )
    enrolment.update_own_details(participant=given, data={"register_number": "0012345"})
    enrolment.update_own_details(participant=refused, data={"register_number": "0099999"})
    rejections.mark_rejected_numbers(cohort=registration.cohort, text="0099999")
    assert board_register_column(client, registration) == {
        given.full_name: "opgegeven",
        missing.full_name: "nog op te geven",
        refused.full_name: "geweigerd door het register",
        outside.full_name: "niet nodig",
    }
    # The number itself is the leader's: the board's contact sees only whether it is in.
    page = client.get(links.board_page_url(registration).removeprefix("http://127.0.0.1:8000")).content.decode()
    assert "0012345" not in page and "0099999" not in page


def test_a_corrected_refused_number_is_given_again_on_the_board_page(client):
    registration = RegistrationFactory(board=BoardFactory(sector=Sector.PO))
    [leader] = enrolment.enroll_participants(registration=registration, rows=[participant_data(0)])
    enrolment.update_own_details(participant=leader, data={"register_number": "0099999"})
    rejections.mark_rejected_numbers(cohort=registration.cohort, text="0099999")
    rejections.update_own_details(participant=leader, data={"register_number": "0012345"})
    assert board_register_column(client, registration) == {leader.full_name: "opgegeven"}


# --- The admin checks a number against its register's pattern ------------------------


def participant_change(admin_client, participant, **changes):
    url = reverse("admin:cohorts_participant_change", args=[participant.pk])
    fields = {
        name: getattr(participant, name)
        for name in ("initials", "first_name", "tussenvoegsel", "last_name", "email", "role", "school", "brin")
    }
    fields |= {"language": participant.language, "register_number": "", **changes}
    return admin_client.post(url, fields)


def test_the_admin_refuses_a_number_that_does_not_match_the_registers_pattern(admin_client):
    RegisterRule.objects.filter(register="po").update(number_pattern=r"[0-9]{8}", number_example="00123456")
    registration = RegistrationFactory(board=BoardFactory(sector=Sector.PO))
    [leader] = enrolment.enroll_participants(registration=registration, rows=[participant_data(0)])
    response = participant_change(admin_client, leader, register_number="12345")
    assert response.status_code == 200
    assert "12345 is geen nummer van het Schoolleidersregister PO" in response.content.decode()
    leader.refresh_from_db()
    assert leader.register_number == ""
    response = participant_change(admin_client, leader, register_number="0012 3456")
    assert response.status_code == 302
    leader.refresh_from_db()
    assert leader.register_number == "00123456"


def test_the_admin_checks_the_role_as_it_is_saved(admin_client):
    RegisterRule.objects.filter(register="po").update(number_pattern=r"[0-9]{8}")
    registration = RegistrationFactory(board=BoardFactory(sector=Sector.PO))
    [leader] = enrolment.enroll_participants(
        registration=registration, rows=[participant_data(0, role="intern_begeleider")]
    )
    # Outside the register any letters and digits are kept as typed; made a directeur, the pattern applies.
    assert participant_change(admin_client, leader, register_number="AB12").status_code == 302
    response = participant_change(admin_client, leader, role="directeur", register_number="AB12")
    assert response.status_code == 200
    leader.refresh_from_db()
    assert (leader.role, leader.register_number) == ("intern_begeleider", "AB12")


# --- The typed themes become rows ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_finds_each_typed_theme_by_its_current_or_former_name():
    executor = MigrationExecutor(connection)
    executor.migrate([("registry", "0011_register_runs_for_the_office")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE registry_accreditation SET themes = %s, valid_from = %s",
                ["leiding geven aan verandering; Onderwijskundig leiderschap", datetime.date(2026, 1, 1)],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    accreditation = seeded()
    assert sorted(t.name for t in accreditation.themes.all()) == ["Onderwijskundig leiderschap", "Verandermanagement"]
    assert accreditation.public_wording.startswith("Geaccrediteerd door het Schoolleidersregister PO")


# --- The certificate prints the points when the register has set them -----------------


@pytest.mark.parametrize(("points", "printed"), [(None, None), (6, "Punten 6"), ("1.5", "Punten 1,5")])
def test_the_certificate_prints_the_points_only_once_they_are_set(accreditation, points, printed):
    from .conftest import completed_run
    from .test_certificates import pdf_text

    accreditation.points = points
    accreditation.save()
    _cohort, people = completed_run({"Anna": range(1, 7)})
    text = " ".join(pdf_text(services.issue_certificate(participant=people["Anna"])).split())
    assert "Verandermanagement" in text
    if printed is None:
        assert "Punten" not in text
    else:
        assert printed in text
