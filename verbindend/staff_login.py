"""
The staff login: password, then a second factor; no session exists before both.

- Step 1, the password (Django's admin form). Repeated failures lock the
  username from that address out (django-axes, AXES_* in settings), with a
  Dutch page; a wrong second factor counts as a failure too.
- Step 2, a six-digit code from an authenticator app (TOTP, django-otp), or
  one of the recovery codes (django-otp's static tokens, each used once).
- A staff user without an authenticator sets one up at this point, with a
  QR code, and is shown ten recovery codes, once.

Between the steps the session holds only who passed the password and when
(PENDING); `login()` runs after the second factor, so a stolen password alone
opens nothing, and every admin page and staff download sees a verified user.
"""

import base64
import time

import segno
from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, login, user_login_failed
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit import services as audit
from audit.models import AuditEvent
from verbindend.ratelimit import client_address

PENDING = "staff_login_pending"
# The second step must follow the first within this many seconds.
PENDING_SECONDS = 300
RECOVERY_CODES = 10


class LockoutBackend(AxesStandaloneBackend):
    """
    django-axes' check, for logins through a request (the login page) only.

    Code that authenticates without a request (a management command, a
    test's client.login) is not a visitor trying passwords, and axes would
    refuse it outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_address(request) -> str:
    """The address django-axes locks out: the client's, behind the trusted proxies only (RATELIMIT_TRUSTED_PROXIES)."""
    return client_address(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text=_("The six digits your authenticator app shows now, or one of your recovery codes."),
    )

    def clean_code(self):
        # People type codes with spaces, as the apps show them ("123 456").
        return "".join(self.cleaned_data["code"].split()).lower()


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True, is_staff=True).first()
    if user is not None:
        user.backend = pending["backend"]
    return user


def _next_url(request) -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("admin:index")


def _context(request, **extra):
    return {
        **admin.site.each_context(request),
        "title": _("Log in"),
        "site_header": admin.site.site_header,
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "app_path": request.get_full_path(),
        **extra,
    }


def _waiting(user) -> bool:
    """
    Whether django-otp holds the user's codes back for now: after each wrong code the next is taken only after a
    delay that doubles (1, 2, 4 ... seconds), on top of the lock-out; a code typed sooner is refused whatever it is.
    """
    from django_otp import devices_for_user
    from django_otp.models import VerifyNotAllowed

    for device in devices_for_user(user, confirmed=None):
        allowed, data = device.verify_is_allowed()
        if not allowed and (data or {}).get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            return True
    return False


WAIT = _("After a wrong code the next one is taken only after a few seconds. Wait a moment and try again.")


def _code_failed(request, user) -> None:
    # Counted by django-axes like a wrong password, so codes cannot be tried endlessly either.
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    # The password was right, so the account is known: the trail shows the
    # attempt on it (wrong passwords are django-axes' AccessAttempt rows).
    audit.record(
        action=AuditEvent.Action.STAFF_LOGIN_FAILED, obj=user, actor=user, request=request, detail="second_factor"
    )


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes by RECOVERY_CODES new ones, and return them to be shown once."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(user=user, name="recovery", defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def authenticator_qr(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1b1b1b", omitsize=False)


def base32_key(device: TOTPDevice) -> str:
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@sensitive_post_parameters()
@csrf_protect
@never_cache
def staff_login(request, extra_context=None):
    """The admin's login (VerbindendAdminSite.login): the step the visitor is at."""
    if request.user.is_authenticated and request.user.is_staff and request.user.is_verified():
        return redirect(_next_url(request))
    user = _pending_user(request)
    if user is None:
        return _password_step(request)
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return _setup_step(request, user)
    return _code_step(request, user)


def _password_step(request):
    form = AdminAuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        request.session.cycle_key()
        request.session[PENDING] = {"user": user.pk, "backend": user.backend, "at": time.time()}
        return redirect(f"{request.path}?{request.GET.urlencode()}" if request.GET else request.path)
    return TemplateResponse(request, "admin/login.html", _context(request, form=form))


def _finish(request, user, device):
    backend = user.backend
    request.session.pop(PENDING, None)
    with transaction.atomic():
        login(request, user, backend=backend)
        otp_login(request, device)
        audit.record(action=AuditEvent.Action.STAFF_LOGIN, obj=user, actor=user, request=request)
    # Axes' success handler (user_logged_in) resets the failures of this username and address.


def _code_step(request, user):
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not AxesProxyHandler.is_allowed(request, {"username": user.get_username()}):
            request.session.pop(PENDING, None)
            return _locked_out(request, user)
        waiting = _waiting(user)
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            _finish(request, user, device)
            return redirect(_next_url(request))
        _code_failed(request, user)
        form.add_error(
            "code",
            WAIT if waiting else _("This code is not right, or no longer valid. Try the code your app shows now."),
        )
        if getattr(request, "axes_locked_out", False) or not AxesProxyHandler.is_allowed(
            request, {"username": user.get_username()}
        ):
            request.session.pop(PENDING, None)
            return _locked_out(request, user)
    return TemplateResponse(request, "admin/staff_login/code.html", _context(request, form=form, username=user))


def _setup_step(request, user):
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        waiting = _waiting(user)
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = new_recovery_codes(user)
            _finish(request, user, device)
            return TemplateResponse(
                request,
                "admin/staff_login/recovery_codes.html",
                _context(request, codes=codes, next_url=_next_url(request), title=_("Your recovery codes")),
            )
        _code_failed(request, user)
        form.add_error(
            "code",
            WAIT
            if waiting
            else _("This code is not right. Scan the QR code again and type the code your app shows now."),
        )
    return TemplateResponse(
        request,
        "admin/staff_login/setup.html",
        _context(
            request,
            form=form,
            qr=authenticator_qr(device),
            key=base32_key(device),
            title=_("Set up two-step login"),
        ),
    )


def lockout_response(request, original_response, credentials):
    """django-axes' lock-out page (AXES_LOCKOUT_CALLABLE): the admin's layout, in Dutch, status 429."""
    return _locked_out(request).render()


def _locked_out(request, user=None):
    return TemplateResponse(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        _context(request, title=_("Login blocked")),
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
