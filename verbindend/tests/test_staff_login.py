"""Staff log in with a password and a second factor, set up on first login; failures lock out; sessions end."""

import datetime
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")
PASSWORD = "een-lang-wachtwoord-voor-de-test"


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app set up with the device's key shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@pytest.fixture
def trainer():
    user = User.objects.create_user("jan", "jan@example.nl", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Trainer"))
    return user


@pytest.fixture
def device(trainer):
    return TOTPDevice.objects.create(user=trainer, name="authenticator", confirmed=True)


def password_step(client, username="jan", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": INDEX}, **extra)


def test_two_factor_login(client, device):
    response = password_step(client)
    assert response.status_code == 302
    # The password alone opens nothing.
    assert client.get(INDEX).status_code == 302
    page = client.get(LOGIN)
    assert 'name="code"' in page.content.decode()
    assert "_auth_user_id" not in client.session
    response = client.post(LOGIN, {"code": code_for(device), "next": INDEX})
    assert response.status_code == 302 and response["Location"] == INDEX
    assert client.get(INDEX).status_code == 200
    assert client.session["otp_device_id"] == device.persistent_id


def test_a_wrong_code_is_refused_in_dutch(client, device):
    password_step(client)
    response = client.post(LOGIN, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert response.status_code == 200
    assert "Deze code klopt niet" in response.content.decode()
    assert client.get(INDEX).status_code == 302


def test_first_login_sets_up_the_authenticator_and_shows_recovery_codes_once(client, trainer):
    password_step(client)
    page = client.get(LOGIN).content.decode()
    assert "<svg" in page  # the QR code
    device = TOTPDevice.objects.get(user=trainer)
    assert not device.confirmed
    key = re.search(r'id="authenticator-key">([A-Z2-7 ]+)<', page)[1]
    assert len(key.replace(" ", "")) == 32
    shown = client.post(LOGIN, {"code": code_for(device), "next": INDEX})
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", shown.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(INDEX).status_code == 200
    # Shown once: the login page does not show them again.
    assert not any(code in client.get(LOGIN, follow=True).content.decode() for code in codes)


def test_a_recovery_code_works_once(client, device, trainer):
    from verbindend.staff_login import new_recovery_codes

    codes = new_recovery_codes(trainer)
    password_step(client)
    assert client.post(LOGIN, {"code": codes[0].upper()})["Location"] == INDEX
    assert client.get(INDEX).status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    client.logout()
    password_step(client)
    assert client.post(LOGIN, {"code": codes[0]}).status_code == 200  # used up
    assert client.get(INDEX).status_code == 302


def test_repeated_failures_lock_the_username_out_from_that_address(client, device):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert password_step(client, password="fout").status_code == 200
    locked = password_step(client, password="fout")
    assert locked.status_code == 429
    assert "Inloggen geblokkeerd" in locked.content.decode()
    # Even the right password does not pass now.
    assert password_step(client).status_code == 429
    assert client.get(INDEX).status_code == 302
    # From another address the same username may still log in (nobody locks a colleague out from elsewhere).
    assert password_step(client, REMOTE_ADDR="203.0.113.9").status_code == 302
    # And an hour later the lock is gone.
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1, minutes=1)):
        client.logout()
        assert password_step(client).status_code == 302


def test_wrong_codes_count_as_failures_too(client, device):
    password_step(client)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(LOGIN, {"code": wrong}).status_code == 200
    assert client.post(LOGIN, {"code": wrong}).status_code == 429
    assert AccessAttempt.objects.get(username="jan").failures_since_start >= settings.AXES_FAILURE_LIMIT
    # The session's password step is gone, and the password is refused while locked.
    assert password_step(client).status_code == 429


def test_staff_sessions_end_after_a_working_day_and_with_the_browser(client, device):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert 9 * 3600 <= settings.SESSION_COOKIE_AGE <= 10 * 3600
    password_step(client)
    client.post(LOGIN, {"code": code_for(device)})
    assert client.cookies[settings.SESSION_COOKIE_NAME]["expires"] == ""  # a browser-session cookie
    assert client.get(INDEX).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=8)):
        assert client.get(INDEX).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        assert client.get(INDEX).status_code == 302


def test_the_password_step_expires(client, device):
    password_step(client)
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=6)):
        page = client.post(LOGIN, {"code": code_for(device)})
        assert 'name="password"' in page.content.decode()
        assert client.get(INDEX).status_code == 302


def test_passwords_are_checked_by_djangos_validators():
    names = {validator["NAME"].rsplit(".", 1)[1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }
    for weak in ["welkom", "password123", "12345678901234"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("paars-olifantje-fietst-naar-zwolle")


def test_right_after_a_wrong_code_the_page_asks_to_wait_a_moment(client, device):
    password_step(client)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    client.post(LOGIN, {"code": wrong})
    soon = client.post(LOGIN, {"code": code_for(device)})
    assert soon.status_code == 200
    assert "Wacht even" in soon.content.decode()
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=3)):
        assert client.post(LOGIN, {"code": code_for(device)})["Location"] == INDEX
