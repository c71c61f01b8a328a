"""Behind a proxy, X-Forwarded-For is read only when the request comes from that proxy."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from cohorts.models import Registration
from public_pages.tests.test_security import post, registration_data
from verbindend.ratelimit import client_address, trusted_networks

PROXY = "10.0.0.5"


def address(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


def test_a_forged_header_from_a_client_that_is_no_proxy_is_ignored(settings):
    settings.RATELIMIT_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert address("203.0.113.7", "198.51.100.1") == "203.0.113.7"
    assert address("203.0.113.7", "10.0.0.9") == "203.0.113.7"


def test_through_the_trusted_proxy_the_client_it_saw_counts(settings):
    settings.RATELIMIT_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert address(PROXY, "203.0.113.7") == "203.0.113.7"
    # What the client wrote itself stands left of what the proxy appended.
    assert address(PROXY, "198.51.100.1, 203.0.113.7") == "203.0.113.7"
    # Two trusted hops (a load balancer before nginx): walked past both.
    assert address("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert address(PROXY, "2001:db8::1") == "2001:db8::1"
    # Without a header, or with no address in it, the proxy itself is counted, never the text.
    assert address(PROXY) == PROXY
    assert address(PROXY, "nonsense") == PROXY


def test_no_proxy_trusted_by_default(settings):
    settings.RATELIMIT_TRUSTED_PROXIES = []
    assert address("127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_a_number_of_hops_is_refused_with_the_way_out():
    with pytest.raises(ImproperlyConfigured, match=r"127\.0\.0\.1,10\.0\.0\.0/8"):
        trusted_networks(("1",))
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='verbindend.settings'; "
            "from django.conf import settings; settings.INSTALLED_APPS",
        ],
        env={"RATELIMIT_TRUSTED_PROXIES": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "RATELIMIT_TRUSTED_PROXIES lists addresses or networks" in result.stderr


@pytest.mark.django_db
def test_a_fresh_forged_address_per_request_does_not_pass_the_limit(client, settings):
    """The probe of the issue: 15 registrations, each with a new X-Forwarded-For, straight at gunicorn."""
    settings.RATELIMIT_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.REGISTRATION_RATE_LIMIT = 10
    codes = [
        post(
            client,
            "/aanmelden/",
            registration_data(),
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(15)
    ]
    assert codes.count(302) == 10
    assert codes.count(429) == 5
    assert Registration.objects.count() == 10


@pytest.mark.django_db
def test_through_the_proxy_each_client_has_its_own_limit(client, settings):
    settings.RATELIMIT_TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.REGISTRATION_RATE_LIMIT = 2
    for _n in range(2):
        assert (
            post(
                client, "/aanmelden/", registration_data(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"
            ).status_code
            == 302
        )
    assert (
        post(
            client, "/aanmelden/", registration_data(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7"
        ).status_code
        == 429
    )
    assert (
        post(
            client, "/aanmelden/", registration_data(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.8"
        ).status_code
        == 302
    )
