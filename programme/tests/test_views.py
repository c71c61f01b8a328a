import re

import pytest
from django.conf import settings
from django.urls import reverse

from programme.models import Programme

from .factories import ProgrammeDayFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def test_home_presents_the_programme_in_dutch_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="nl">' in page
    assert "Verbindend leiderschap" in page
    assert "Van fragmentering en overbelasting naar samenhang en focus" in page
    programme = Programme.objects.get(slug="verbindend-leiderschap")
    for day in programme.days.all():
        assert day.theme in page
        assert day.content[:60] in page
    assert "Het programma" in page
    assert "minimaal 12 en maximaal 30 deelnemers" in page
    assert "Leiding geven aan verandering" in page
    assert 'href="/aanmelden/"' in page
    assert "Naar de inhoud" in page  # the skip link


def test_home_switches_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    assert "The programme" in page
    assert "at least 12 and at most 30 participants" in page
    assert "Register your board" in page


def test_numbers_on_the_home_page_come_from_the_data(client):
    Programme.objects.update(is_active=False)
    ProgrammeFactory(title="Teamleren", min_participants=8, max_participants=16, number_of_days=3, required_days=2)
    page = client.get("/").content.decode()
    assert "Teamleren" in page
    assert "minimaal 8 en maximaal 16 deelnemers" in page
    assert "3 dagen" in page
    assert "Verbindend leiderschap" not in page.split("<main", 1)[1].split("</main>")[0]


def test_home_without_any_active_programme_says_so(client):
    Programme.objects.update(is_active=False)
    response = client.get("/")
    assert response.status_code == 200
    assert "Er staat op dit moment geen cursus open" in response.content.decode()


def test_detail_page_for_an_active_programme(client):
    programme = ProgrammeFactory(title="Teamleren")
    response = client.get(reverse("programme:detail", kwargs={"slug": programme.slug}))
    assert response.status_code == 200
    assert "Teamleren" in response.content.decode()


def test_detail_page_of_an_inactive_or_unknown_programme_is_404(client):
    programme = ProgrammeFactory(is_active=False)
    assert client.get(reverse("programme:detail", kwargs={"slug": programme.slug})).status_code == 404
    assert client.get("/programma/bestaat-niet/").status_code == 404


def test_home_escapes_programme_text(client):
    Programme.objects.update(is_active=False)
    programme = ProgrammeFactory(title="<script>alert(1)</script>", days=False)
    ProgrammeDayFactory(programme=programme, number=1, theme="<b>thema</b>")
    page = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;thema&lt;/b&gt;" in page


@pytest.mark.parametrize("others", [1, 6])
def test_home_runs_the_same_queries_however_many_programmes(client, django_assert_num_queries, others):
    programmes = ProgrammeFactory.create_batch(others)
    with django_assert_num_queries(4):
        response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for programme in programmes:
        assert (
            f'href="{programme.get_absolute_url()}"><strong>{programme.title}</strong><br>{programme.subtitle}' in page
        )
    for day in Programme.objects.get(slug="verbindend-leiderschap").days.all():
        assert day.theme in page


def test_pages_load_nothing_from_other_hosts(client):
    page = client.get("/").content.decode()
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        assert not url.startswith(("http:", "https:", "//")), url
    stylesheet = (settings.BASE_DIR / "static/css/site.css").read_text(encoding="utf-8")
    assert "http" not in stylesheet


def test_static_files_exist_for_every_reference(client):
    from django.contrib.staticfiles import finders

    page = client.get("/").content.decode()
    for path in re.findall(r'(?:src|href)="/static/([^"]+)"', page):
        assert finders.find(path), path


def test_browser_language_does_not_override_dutch(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="nl">' in page


def test_unknown_language_cookie_falls_back_to_dutch(client):
    client.cookies["django_language"] = "xx"
    assert '<html lang="nl">' in client.get("/").content.decode()
