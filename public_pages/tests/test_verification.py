"""Verification as people type it: the number printed large or the code, in any case and spacing, never a 500."""

import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from registry import services
from registry.tests.conftest import completed_run

pytestmark = pytest.mark.django_db

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "verbindend-hypothesis")
FUZZ = hypothesis_settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FORM = reverse("public:verify_form")


@pytest.fixture
def certificate(accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    return services.issue_certificate(participant=people["Anna"])


def typed(client, text: str):
    """Send the verification form as a person does, and follow where it leads."""
    return client.get(FORM, {"code": text}, follow=True)


@pytest.mark.parametrize(
    "variant",
    [
        lambda n: n,
        lambda n: n.lower(),
        lambda n: f"  {n}  ",
        lambda n: n.replace("-", " "),
        lambda n: n.replace("-", ""),
        lambda n: n.lower().replace("-", " - "),
    ],
    ids=["as-printed", "lowercase", "padded", "spaces", "no-hyphens", "lower-spaced"],
)
def test_the_number_printed_on_the_certificate_finds_it(client, certificate, variant):
    response = typed(client, variant(certificate.number))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Geldig." in page
    assert certificate.number in page
    assert "A. Bakker" in page


@pytest.mark.parametrize(
    "variant",
    [
        lambda c: c.lower(),
        lambda c: f"{c[:4].lower()} {c[4:8]} {c[8:]}",
        lambda c: f"{c[:4]}-{c[4:8]}-{c[8:]}",
        lambda c: f"\t{c}\n",
    ],
    ids=["lowercase", "spaced", "hyphenated", "whitespace"],
)
def test_the_code_is_found_whatever_its_case_and_spacing(client, certificate, variant):
    response = typed(client, variant(certificate.verification_code))
    assert response.status_code == 200
    assert "Geldig." in response.content.decode()


def test_a_number_with_several_versions_shows_the_current_one(client, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    first = services.issue_certificate(participant=people["Anna"])
    second = services.issue_certificate(participant=people["Anna"])
    third = services.issue_certificate(participant=people["Anna"])
    assert first.number == second.number == third.number
    page = typed(client, first.number).content.decode()
    assert "Geldig." in page
    assert "Vervangen." not in page
    assert "(versie 3)" in page
    assert "2 oudere versies" in page and "vervangen" in page
    # The code of an old version still says that it is superseded.
    assert "Vervangen." in typed(client, first.verification_code).content.decode()


def test_a_number_whose_current_version_is_revoked_says_so(client, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    services.issue_certificate(participant=people["Anna"])
    current = services.issue_certificate(participant=people["Anna"])
    services.revoke_certificate(certificate=current, reason="Ten onrechte uitgereikt")
    page = typed(client, current.number).content.decode()
    assert "Ingetrokken." in page
    assert "Geldig." not in page


@pytest.mark.parametrize("text", ["AB/CD", "VL-2026/01-001", "ABC\x00DEF", "\x00", "/", "../..", "%00", "é" * 80])
def test_odd_characters_get_an_answer_not_a_server_error(client, certificate, text):
    response = typed(client, text)
    assert response.status_code in {200, 404}
    response = client.get(f"/verificatie/{quote(text, safe='')}/")
    assert response.status_code == 404
    assert "Geen certificaat" in response.content.decode() or "cijfers" in response.content.decode()


def test_a_slash_in_the_address_reaches_the_page(client, certificate):
    response = client.get(f"/verificatie/{certificate.number.replace('-', '/')}/")
    assert response.status_code == 200
    assert "Geldig." in response.content.decode()


@FUZZ
@given(text=st.text(max_size=120))
def test_any_text_typed_in_the_form_gets_an_answer(client, certificate, text):
    response = typed(client, text)
    assert response.status_code in {200, 404}


@FUZZ
@given(text=st.text(min_size=1, max_size=120))
def test_any_text_in_the_address_gets_an_answer(client, certificate, text):
    response = client.get(f"/verificatie/{quote(text, safe='')}/")
    assert response.status_code in {200, 301, 404}
