import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from programme.models import Programme, ProgrammeDay
from programme.services import validate_day_numbers

from .factories import ProgrammeDayFactory, ProgrammeFactory

BROCHURE_THEMES = [
    "Naar een raamwerk voor Verbindend Leiderschap",
    "Focus op richting",
    "Cultiveren van de samenwerking",
    "Verdiepend leren",
    "Slim verantwoorden",
    "Systeemdenken en uplifting leadership",
]


def test_migration_seeds_the_brochure_programme(db):
    programme = Programme.objects.get(slug="verbindend-leiderschap")
    assert programme.title == "Verbindend leiderschap"
    assert programme.subtitle == "Van fragmentering en overbelasting naar samenhang en focus"
    assert (programme.min_participants, programme.max_participants) == (12, 30)
    assert programme.number_of_days == 6
    assert programme.required_days == 5
    assert [day.theme for day in programme.days.order_by("number")] == BROCHURE_THEMES
    assert "bovenschools leiders, schoolleiders en middenkader" in programme.target_group
    # The register's facts (theme, wording) are the accreditation's data, not this text's (registry 0012).
    assert "gecertificeerd" not in programme.certification and "Leiding geven" not in programme.certification
    assert programme.days.get(number=4).content.endswith("met de zes C’s.")


class TestDayNumbers:
    def test_complete_sequence_in_any_order_is_valid(self):
        validate_day_numbers(numbers=[3, 1, 2], number_of_days=3)

    def test_gap_is_named(self):
        with pytest.raises(ValidationError) as error:
            validate_day_numbers(numbers=[1, 2, 4], number_of_days=4)
        assert error.value.messages == ["Dagen moeten genummerd zijn van 1 tot 4 zonder gaten; ontbreekt: 3."]

    def test_duplicate_is_named(self):
        with pytest.raises(ValidationError) as error:
            validate_day_numbers(numbers=[1, 2, 2], number_of_days=2)
        assert "Dag 2 komt meer dan eens voor." in error.value.messages

    def test_day_beyond_the_programme_is_named(self):
        with pytest.raises(ValidationError) as error:
            validate_day_numbers(numbers=[1, 2, 7], number_of_days=2)
        assert "Het programma heeft 2 dagen, dus er is geen dag 7." in error.value.messages


class TestProgrammeRules:
    def test_minimum_above_maximum_is_refused_by_clean(self, db):
        programme = ProgrammeFactory.build(min_participants=31, max_participants=30)
        with pytest.raises(ValidationError) as error:
            programme.full_clean()
        assert "min_participants" in error.value.message_dict

    def test_required_days_above_number_of_days_is_refused_by_clean(self, db):
        programme = ProgrammeFactory.build(number_of_days=6, required_days=7)
        with pytest.raises(ValidationError) as error:
            programme.full_clean()
        assert "required_days" in error.value.message_dict

    @pytest.mark.parametrize(
        "fields",
        [
            {"min_participants": 31, "max_participants": 30},
            {"min_participants": 0},
            {"required_days": 7, "number_of_days": 6},
        ],
    )
    def test_database_refuses_impossible_numbers(self, db, fields):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgrammeFactory(days=False, **fields)

    def test_database_refuses_a_day_number_twice(self, db):
        programme = ProgrammeFactory(days=False)
        ProgrammeDayFactory(programme=programme, number=1)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgrammeDay.objects.create(programme=programme, number=1, theme="x", content="y")


class TestAdmin:
    def _post(self, client, programme, days, **overrides):
        data = {
            "title": programme.title,
            "subtitle": programme.subtitle,
            "slug": programme.slug,
            "code_prefix": "TL",
            "is_active": "on",
            "position": 0,
            "description": programme.description,
            "target_group": programme.target_group,
            "certification": programme.certification,
            "min_participants": 12,
            "max_participants": 30,
            "number_of_days": 3,
            "contact_hours": "18",
            "self_study_hours": "6",
            "required_days": 2,
            "days-TOTAL_FORMS": len(days),
            "days-INITIAL_FORMS": 0,
            "days-MIN_NUM_FORMS": 0,
            "days-MAX_NUM_FORMS": 1000,
        }
        for index, number in enumerate(days):
            data[f"days-{index}-number"] = number
            data[f"days-{index}-theme"] = f"Thema {number}"
            data[f"days-{index}-content"] = "Inhoud"
        data.update(overrides)
        return client.post(reverse("admin:programme_programme_add"), data)

    def test_programme_with_complete_days_is_saved(self, admin_client):
        programme = ProgrammeFactory.build(slug="nieuw")
        response = self._post(admin_client, programme, [1, 2, 3])
        assert response.status_code == 302
        saved = Programme.objects.get(slug="nieuw")
        assert list(saved.days.values_list("number", flat=True)) == [1, 2, 3]

    def test_gap_in_days_is_refused_with_a_message(self, admin_client):
        programme = ProgrammeFactory.build(slug="nieuw")
        response = self._post(admin_client, programme, [1, 3])
        assert response.status_code == 200
        assert "zonder gaten; ontbreekt: 2" in response.content.decode()
        assert not Programme.objects.filter(slug="nieuw").exists()

    def test_minimum_above_maximum_is_refused_with_a_message(self, admin_client):
        programme = ProgrammeFactory.build(slug="nieuw")
        response = self._post(admin_client, programme, [1, 2, 3], min_participants=40)
        assert response.status_code == 200
        assert "kan niet hoger zijn dan het maximum (30)" in response.content.decode()
        assert not Programme.objects.filter(slug="nieuw").exists()

    def test_days_are_shown_in_order(self, admin_client):
        programme = ProgrammeFactory(days=False)
        for number in (3, 1, 2):
            ProgrammeDayFactory(programme=programme, number=number, theme=f"Thema-{number}")
        page = admin_client.get(reverse("admin:programme_programme_change", args=[programme.pk])).content.decode()
        assert page.index("Thema-1") < page.index("Thema-2") < page.index("Thema-3")

    def test_anonymous_visitor_is_sent_to_login(self, client, db):
        response = client.get(reverse("admin:programme_programme_changelist"))
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


# --- The brochure's typos, corrected in the data ---------------------------

TYPOS = ["onze de titel", "teveel", "op het ontwikkeling", "lerende school is gericht", "Tenslotte"]


def typo_migration():
    from importlib import import_module

    return import_module("programme.migrations.0004_correct_brochure_typos")


def test_the_home_page_shows_the_brochure_without_its_typos(client, db):
    page = client.get("/").content.decode() + client.get("/programma/verbindend-leiderschap/").content.decode()
    assert not [typo for typo in TYPOS if typo in page]
    assert "beschikbaar onder de titel" in page
    assert "Leiders zijn te veel gericht op het individu, op de ontwikkeling van menselijk kapitaal" in page
    assert "Ten slotte verkennen we" in page


def test_the_correction_leaves_a_text_edited_since_as_it_is(db):
    from django.apps import apps

    seed = typo_migration().seed
    programme = Programme.objects.get(slug="verbindend-leiderschap")
    day_3, day_6 = programme.days.get(number=3), programme.days.get(number=6)
    day_3.content = seed.DAYS[2][2]  # as seeded, typos and all
    day_3.save()
    day_6.content = "Eigen tekst van de trainer; teveel gezegd? Tenslotte mag dat."
    day_6.save()
    Programme.objects.filter(pk=programme.pk).update(description=seed.DESCRIPTION)
    typo_migration().correct(apps, None)
    day_3.refresh_from_db()
    day_6.refresh_from_db()
    programme.refresh_from_db()
    assert "te veel gericht" in day_3.content and "op de ontwikkeling" in day_3.content
    assert day_6.content == "Eigen tekst van de trainer; teveel gezegd? Tenslotte mag dat."
    assert "onder de titel" in programme.description


def test_the_tests_reseed_gives_the_corrected_text(db):
    from conftest import _reseed

    _reseed()  # the seed writes the brochure's text again, typos and all
    programme = Programme.objects.get(slug="verbindend-leiderschap")
    texts = " ".join([programme.description, *programme.days.values_list("content", flat=True)])
    assert not [typo for typo in TYPOS if typo in texts]


def test_every_correction_applies_to_a_seeded_text():
    migration = typo_migration()
    seeded = " ".join(
        [migration.seed.DESCRIPTION, migration.seed.TARGET_GROUP, migration.seed.CERTIFICATION]
        + [content for _number, _theme, content in migration.seed.DAYS]
    )
    assert all(typo in seeded for typo, _right in migration.CORRECTIONS)
    assert not [typo for typo in TYPOS if typo in migration.corrected(seeded)]
