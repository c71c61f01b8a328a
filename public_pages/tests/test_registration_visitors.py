"""
The registration form as several visitors meet it, with CSRF checked as a browser's requests are.

Django's test client skips the CSRF check unless asked, and is one visitor: the
defect these tests pin (a cached fragment carrying the first visitor's CSRF
token, so that every later visitor was refused) passed every other test.
"""

import pickle
import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import caches
from django.test import Client, RequestFactory
from django.urls import reverse

from cohorts.models import Registration
from cohorts.tests.factories import CohortFactory
from public_pages.tests.test_registration import form_data

pytestmark = pytest.mark.django_db
URL = reverse("public:registration")


def tokens_in(page: str) -> list[str]:
    return re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)


def submission_key_in(page: str) -> str:
    return re.search(r'name="submission_key" value="([^"]+)"', page)[1]


def browser_post(client: Client, page: str, **overrides):
    """POST the form as a browser does: every field of the page, the last CSRF input being the one Django reads."""
    data = form_data(submission_key=submission_key_in(page), **overrides)
    data["csrfmiddlewaretoken"] = tokens_in(page)
    return client.post(URL, data)


def test_three_visitors_who_open_the_form_first_all_register():
    visitors = [Client(enforce_csrf_checks=True) for _ in range(3)]
    pages = [visitor.get(URL).content.decode() for visitor in visitors]
    for number, (visitor, page) in enumerate(zip(visitors, pages, strict=True)):
        response = browser_post(visitor, page, bestuursnummer=f"1234{number}", contact_email=f"c{number}@example.nl")
        assert response.status_code == 302, response.content.decode()[:500]
        assert response["Location"] == reverse("public:registration_thanks")
    assert Registration.objects.count() == 3


def test_the_page_carries_only_the_visitors_own_csrf_token():
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first_tokens = set(tokens_in(first.get(URL).content.decode()))
    second_tokens = set(tokens_in(second.get(URL).content.decode()))
    assert first_tokens and second_tokens
    assert not first_tokens & second_tokens


def everything_cached(cache) -> list:
    """Every value in the cache, read from its store: the local-memory one here, Redis in CI."""
    if isinstance(getattr(cache, "_cache", None), dict):
        return [pickle.loads(value) for value in cache._cache.values()]  # noqa: S301
    client = cache._cache.get_client()
    keys = list(client.scan_iter(cache.make_key("*")))
    return [cache._cache._serializer.loads(client.get(key)) for key in keys]


def test_the_shared_cache_holds_nothing_of_a_visitor():
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL).content.decode()
    client.get(URL)  # the second view is served from the cache
    stored = everything_cached(caches["default"])
    fragments = [value for value in stored if isinstance(value, str)]
    assert any('name="board_name"' in fragment for fragment in fragments), "the form's rendering is cached"
    everything = repr(stored)
    assert client.cookies["csrftoken"].value not in everything
    for token in tokens_in(page):
        assert token not in everything
    assert submission_key_in(page) not in everything
    # What is cached carries placeholders only, where each visitor's own values go.
    for fragment in fragments:
        assert set(tokens_in(fragment)) <= {"csrf-token-of-this-visitor"}
        assert set(re.findall(r'name="submission_key" value="([^"]+)"', fragment)) <= {"submission-key-of-this-visitor"}


def test_a_visitor_with_a_message_waiting_gets_a_page_of_their_own():
    """Messages are one visitor's: a page that shows them is never served from the cache, nor cached."""
    Client().get(URL)  # the page is cached
    visitor = Client()
    storage = CookieStorage(RequestFactory().get(URL))
    visitor.cookies["messages"] = storage._encode([Message(constants.SUCCESS, "Bericht voor deze bezoeker")])
    assert "Bericht voor deze bezoeker" in visitor.get(URL).content.decode()
    assert "Bericht voor deze bezoeker" not in Client().get(URL).content.decode()


def test_a_csrf_failure_shows_a_page_in_dutch_that_says_what_to_do():
    client = Client(enforce_csrf_checks=True)
    client.get(URL)
    response = client.post(URL, {**form_data(), "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Uw formulier kon niet worden verzonden" in page
    assert "cookies" in page
    assert f'href="{URL}"' in page
    assert "Verbindend" in page  # the site's own layout, not Django's bare page


def test_a_csrf_failure_page_in_english():
    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "en"
    response = client.post(URL, form_data())
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()


def test_the_cached_page_follows_a_renamed_course_run_and_programme(client):
    cohort = CohortFactory(open_for_joining=True, code="VL-2027-07", place="Zwolle")
    assert "Zwolle" in client.get(URL).content.decode()
    cohort.place = "Deventer"
    cohort.save()
    programme = cohort.programme
    programme.title = "Verbindend leiderschap (herzien)"
    programme.save()
    page = client.get(URL).content.decode()
    assert "Deventer" in page and "Zwolle" not in page
    assert "Verbindend leiderschap (herzien)" in page


def test_a_refused_language_switch_leads_home():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("set_language"), {"language": "en"})
    assert response.status_code == 403
    assert '<a class="btn btn-primary" href="/">' in response.content.decode()
