"""
Settings for Verbindend, read from the environment in this one place.

Without any environment the project runs on the embedded default: a SQLite
file in the project, e-mail printed to the console, Celery tasks run
in-process and a local-memory cache. Production sets DEBUG=false, a real
SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL, REDIS_URL and the e-mail
settings; see README.md.
"""

import ipaddress
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Development and tests may run without a secret; production must set one,
# and `check --deploy` (security.W009) rejects this placeholder.
INSECURE_DEVELOPMENT_KEY = "django-insecure-development-only-never-use-this-key-in-production"

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEVELOPMENT_KEY)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The public address of the site, for links in e-mails and PDFs, which are
# made outside any request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "verbindend.apps.VerbindendAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "crispy_forms",
    "crispy_bootstrap5",
    "verbindend",
    "mail",
    "audit",
    "privacy",
    "programme",
    "cohorts",
    "registry",
    "billing",
    "evaluations",
    "materials",
    "public_pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Early, so that every response gets the policy, the error pages and the refusals of later middleware included.
    "csp.middleware.CSPMiddleware",
    # Outermost but one: it marks every response of a personal link, the error pages included.
    "verbindend.personal.PersonalResponseMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "verbindend.middleware.DutchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "verbindend.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "verbindend.context_processors.provider",
            ],
        },
    },
]

WSGI_APPLICATION = "verbindend.wsgi.application"

# Database: DATABASE_URL, e.g. postgres://user:password@host:5432/verbindend.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, with the statement size of the SQLite it runs on
    # (see verbindend/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "verbindend.sqlite"
    # Tests in memory, as Django does for its own SQLite backend (pytest-django, seeing another engine, would
    # otherwise name a test database file after the path).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    # SQLite ignores select_for_update(); IMMEDIATE transactions take the
    # write lock at BEGIN, so the capacity checks stay serialised there too.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL or CACHE_URL is set, shared by every process so
# that rate limits hold across gunicorn workers; local memory otherwise.
CACHE_URL = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "verbindend",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Staff login (verbindend/staff_login.py): password, then a code from an authenticator app (TOTP) or a
# recovery code, set up on first login; no session exists before both.
AUTHENTICATION_BACKENDS = [
    "verbindend.staff_login.LockoutBackend",  # django-axes: refuses a locked-out username and address
    "django.contrib.auth.backends.ModelBackend",
]
OTP_TOTP_ISSUER = "Verbindend"
# After 5 failed passwords or codes for one username from one address, that pair is locked out for an hour; a
# successful login clears the count. Keyed on both, so that nobody locks a colleague out from elsewhere and one
# address cannot try many usernames unseen (each pair counts); the address is the client's, behind the trusted
# proxies only (RATELIMIT_TRUSTED_PROXIES).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "verbindend.staff_login.lockout_address"
AXES_LOCKOUT_TEMPLATE = "admin/staff_login/locked_out.html"
AXES_LOCKOUT_CALLABLE = "verbindend.staff_login.lockout_response"
AXES_VERBOSE = False
# Sessions (only staff have one that matters) end after a working day, and when the browser is closed.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=10 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Dutch first, English second.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Times as "09:30" wherever Django writes one, forms included (see verbindend/formats/).
FORMAT_MODULE_PATH = ["verbindend.formats"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

# Static files, served by WhiteNoise; no CDN anywhere.
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Course materials and final assignments: private files, outside the static
# files and MEDIA_ROOT, never served by WhiteNoise or a public URL; only the
# participant's personal link and the admin hand them out.
PRIVATE_FILES_ROOT = env.path("PRIVATE_FILES_ROOT", default=BASE_DIR / "private")
MATERIAL_MAX_BYTES = env.int("MATERIAL_MAX_BYTES", default=20 * 1024 * 1024)
ASSIGNMENT_MAX_BYTES = env.int("ASSIGNMENT_MAX_BYTES", default=20 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: console by default; EMAIL_URL (smtp://user:pass@host:587, or
# smtp+tls://, smtp+ssl://) selects SMTP.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Natuurlijk Leren <janjutten@natuurlijkleren.org>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# The provider, as printed in page and e-mail footers.
PROVIDER_NAME = env.str("PROVIDER_NAME", default="Natuurlijk Leren BV")
PROVIDER_CONTACT_NAME = env.str("PROVIDER_CONTACT_NAME", default="Jan Jutten")
PROVIDER_EMAIL = env.str("PROVIDER_EMAIL", default="janjutten@natuurlijkleren.org")
# Where the trainer's notifications (new registrations, alerts) go.
TRAINER_NOTIFICATION_EMAIL = env.str("TRAINER_NOTIFICATION_EMAIL", default=PROVIDER_EMAIL)
# Where the office's reminders go, such as a run's presentie due in PE-online.
OFFICE_NOTIFICATION_EMAIL = env.str("OFFICE_NOTIFICATION_EMAIL", default=PROVIDER_EMAIL)

# Celery: without a broker every task runs in-process (the embedded default).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Not propagating lets in-process tasks retry as they would on a worker
# (Celery re-raises Retry instead of re-running it when propagating); errors
# are logged by Celery all the same.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# Security. Production (DEBUG off) is secure by default; every value can be
# relaxed through the environment where a proxy already does the job.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# A refused form explains itself in Dutch, in the site's layout, with a way back.
CSRF_FAILURE_VIEW = "public_pages.views.csrf_failure"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language choice is read by the server only, and never needs to travel with a request from another site.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp) on every response: scripts, styles, fonts and images come from our own static
# files only, so no page has inline script, inline style or an event handler attribute (a test scans the templates).
# data: images are Bootstrap's small SVG icons inside its stylesheet (menu button, select arrow, check marks).
# Nothing may frame a page (as X_FRAME_OPTIONS) and forms post only to this site. A page that
# needs more says so in its own view (the e-mail preview of the outbox), never here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Both redact every personal link (verbindend/logs.py): no key reaches a log.
    "formatters": {
        "plain": {
            "()": "verbindend.logs.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "verbindend.logs.JsonFormatter"},
    },
    # To standard output; LOG_FORMAT=json for a log collector.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": env.str("LOG_FORMAT", default="plain"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint reports every step of every PDF at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # django-axes writes the username and address of every failed login into its messages; they are kept in
        # its own tables instead ("access attempts" in the admin, for superusers).
        "axes": {"level": "ERROR"},
        # Django's own handlers are replaced by the console above: its error e-mails to ADMINS would carry the
        # whole request, personal links, cookies and all, and runserver's request lines bypass the redaction.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# Outgoing e-mail (mail/services/).
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=8)
MAIL_RETRY_BASE_SECONDS = env.float("MAIL_RETRY_BASE_SECONDS", default=60)
MAIL_RETRY_MAX_SECONDS = env.float("MAIL_RETRY_MAX_SECONDS", default=3600)
MAIL_BATCH_SIZE = env.int("MAIL_BATCH_SIZE", default=100)
MAIL_DRAIN_GRACE_SECONDS = env.int("MAIL_DRAIN_GRACE_SECONDS", default=60)
MAIL_DRAIN_LIMIT = env.int("MAIL_DRAIN_LIMIT", default=5000)
# A sender's claim on its rows is a lease of this long, renewed every quarter of it while it sends (mail/services/);
# a claim not renewed for this long belongs to a sender that died, and the drain releases it. It must exceed, by a
# third, the time one message takes to send (EMAIL_TIMEOUT bounds each step).
MAIL_CLAIM_TIMEOUT_SECONDS = env.int("MAIL_CLAIM_TIMEOUT_SECONDS", default=60)

# Celery delivery semantics:
# - acknowledgement is per task: the outbox's sender (mail.tasks.send_mail) acknowledges late and is delivered again
#   when its worker dies, since the row's claim makes a second run skip what the first sent; every other task is
#   acknowledged on receipt, so that one that kills its worker (WeasyPrint running out of memory) is not handed to
#   the next worker, and the next, forever. Issuing certificates is recorded as a row instead (registry.IssueRequest)
#   that the drain below picks up again, a bounded number of times.
# - prefetch 1: a busy worker does not sit on messages another could run.
# - visibility_timeout: Redis redelivers an unacknowledged message after this
#   long. It must exceed the longest retry countdown (MAIL_RETRY_MAX_SECONDS),
#   or a task waiting for its countdown would be delivered a second time.
# - socket_connect_timeout: a request that queues an e-mail while Redis is
#   down fails over to the outbox drain within seconds instead of hanging.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(MAIL_RETRY_MAX_SECONDS * 2),
    "socket_connect_timeout": 3,
    # Publishing tries the broker once: a request never waits for Redis.
    "max_retries": 0,
}
# Issuing certificates on request (registry/issuing.py). A claim older than this belongs to a worker that died (the
# task's own time limit, registry/tasks.py, ends it well before); the drain then hands the request to another, at
# most ISSUE_MAX_ATTEMPTS times in all, and marks it failed after that. A new request is left to its own task for
# ISSUE_DRAIN_GRACE_SECONDS first.
ISSUE_CLAIM_TIMEOUT_SECONDS = env.int("ISSUE_CLAIM_TIMEOUT_SECONDS", default=1200)
ISSUE_MAX_ATTEMPTS = env.int("ISSUE_MAX_ATTEMPTS", default=3)
ISSUE_DRAIN_GRACE_SECONDS = env.int("ISSUE_DRAIN_GRACE_SECONDS", default=60)
# Each entry expires before its next turn: a run that beat queued while no worker was there is dropped rather than
# run late beside the next one.
CELERY_BEAT_SCHEDULE = {
    "drain-outbox": {"task": "mail.tasks.drain_outbox", "schedule": 60.0, "options": {"expires": 50}},
    "drain-issue-requests": {
        "task": "registry.tasks.drain_issue_requests",
        "schedule": 300.0,
        "options": {"expires": 240},
    },
    "send-reminders": {"task": "cohorts.tasks.send_reminders", "schedule": 600.0, "options": {"expires": 540}},
    "check-go-no-go": {"task": "cohorts.tasks.check_go_no_go", "schedule": 3600.0, "options": {"expires": 3000}},
    "start-cohorts": {"task": "cohorts.tasks.start_cohorts", "schedule": 3600.0, "options": {"expires": 3000}},
    "remind-presentie-due": {
        "task": "registry.tasks.remind_presentie_due",
        "schedule": 3600.0,
        "options": {"expires": 3000},
    },
    "send-evaluations": {
        "task": "evaluations.tasks.send_evaluations",
        "schedule": 900.0,
        "options": {"expires": 840},
    },
    "apply-retention": {"task": "cohorts.tasks.apply_retention", "schedule": 86400.0, "options": {"expires": 82800}},
    "send-payment-reminders": {
        "task": "billing.tasks.send_payment_reminders",
        "schedule": 86400.0,
        "options": {"expires": 82800},
    },
}
# Retention (AVG), in days: contact details and attendance detail after a run is completed; registrations that
# never became part of a course run; the addresses and text of sent e-mails.
RETENTION_CONTACT_DAYS = env.int("RETENTION_CONTACT_DAYS", default=365)
RETENTION_UNPLACED_DAYS = env.int("RETENTION_UNPLACED_DAYS", default=365)
RETENTION_MAIL_DAYS = env.int("RETENTION_MAIL_DAYS", default=90)
# Every app that holds personal data, by its handler (verbindend.personal_data): a
# person's data, their erasure and retention ask each of them, in this order
# (the order of the sections of the own-data download).
PERSONAL_DATA_HANDLERS = [
    "cohorts.personal_data.CohortsHandler",
    "registry.personal_data.RegistryHandler",
    "materials.personal_data.MaterialsHandler",
    "billing.personal_data.BillingHandler",
    "evaluations.personal_data.EvaluationsHandler",
    "mail.personal_data.MailHandler",
    "privacy.personal_data.PrivacyHandler",
    "audit.personal_data.AuditHandler",
]
# Days an offer can be accepted, from the day it is made (billing.services.offers).
OFFER_VALID_DAYS = env.int("OFFER_VALID_DAYS", default=30)
# Weeks before day 1 at which a course run below its minimum raises the alarm.
GO_NO_GO_WEEKS = env.int("GO_NO_GO_WEEKS", default=6)
# Evaluations: days after the form went out that those who have not answered are reminded; days a link stays
# open; how many must have answered before a board sees its run's results (fewer could be recognised); how many
# days back the beat task still sends a day's form (so that switching it on does not mail old runs).
EVALUATION_REMINDER_DAYS = env.int("EVALUATION_REMINDER_DAYS", default=3)
EVALUATION_LINK_DAYS = env.int("EVALUATION_LINK_DAYS", default=21)
EVALUATION_MIN_RESPONSES = env.int("EVALUATION_MIN_RESPONSES", default=5)
EVALUATION_SEND_WITHIN_DAYS = env.int("EVALUATION_SEND_WITHIN_DAYS", default=7)
# Below this share of answers, once the reminder has gone, a run's evaluation is a to-do on the start page.
EVALUATION_LOW_RESPONSE_PERCENT = env.int("EVALUATION_LOW_RESPONSE_PERCENT", default=60)
# Days before a course day that participants get a reminder.
REMINDER_DAYS_BEFORE = env.list("REMINDER_DAYS_BEFORE", cast=int, default=[7, 1])
# Days after an invoice's due date that it may still be paid before its one reminder goes.
PAYMENT_REMINDER_GRACE_DAYS = env.int("PAYMENT_REMINDER_GRACE_DAYS", default=7)
# Days after a run's last course day by which its presentie is to be entered in PE-online.
PRESENTIE_DUE_DAYS = env.int("PRESENTIE_DUE_DAYS", default=14)

# Public forms: at most this many submissions per client address and hour.
REGISTRATION_RATE_LIMIT = env.int("REGISTRATION_RATE_LIMIT", default=10)
ENROLMENT_RATE_LIMIT = env.int("ENROLMENT_RATE_LIMIT", default=30)
# The reverse proxies in front of gunicorn, by their own addresses or networks (127.0.0.1,10.0.0.0/8): only a
# request from one of them has its X-Forwarded-For read (verbindend/ratelimit.py). Empty: none is trusted.
RATELIMIT_TRUSTED_PROXIES = env.list("RATELIMIT_TRUSTED_PROXIES", default=[])
for _proxy in RATELIMIT_TRUSTED_PROXIES:
    # It once took a number of hops: "1" must not silently become the address 0.0.0.1.
    try:
        if _proxy.strip().isdigit():
            raise ValueError("a number of hops; list the proxies' addresses")
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"RATELIMIT_TRUSTED_PROXIES lists addresses or networks, e.g. 127.0.0.1,10.0.0.0/8: {_proxy!r} ({_error})"
        ) from None
