"""Pathways settings: one module, configured by environment variables.

See `.env.example` for every variable. PATHWAYS_ENV chooses the mode:
`development` (the default, also used by `make run` and the tests), `demo`
(a shared demonstration server) or `production`. Outside development and demo,
required secrets must be set or the app refuses to start.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int, *, minimum: int = 1) -> int:
    """A whole number from the environment; a bad value stops start-up with a clear message."""
    value = env(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


PATHWAYS_ENV = env("PATHWAYS_ENV", "development")
if PATHWAYS_ENV not in {"development", "demo", "production"}:
    raise ImproperlyConfigured(
        f"PATHWAYS_ENV must be development, demo or production, not {PATHWAYS_ENV!r}"
    )
DEMO_MODE = PATHWAYS_ENV in {"development", "demo"}

DEBUG = env_bool("PATHWAYS_DEBUG", PATHWAYS_ENV == "development")

_DEV_SECRET = "insecure-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env("PATHWAYS_SECRET_KEY")
if SECRET_KEY is None:
    if not DEMO_MODE:
        raise ImproperlyConfigured("PATHWAYS_SECRET_KEY must be set in production")
    SECRET_KEY = _DEV_SECRET
if PATHWAYS_ENV == "production":
    if DEBUG:
        raise ImproperlyConfigured("PATHWAYS_DEBUG must be off in production")
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured("PATHWAYS_SECRET_KEY must be a long random value in production")

_hosts = env("PATHWAYS_ALLOWED_HOSTS")
if _hosts:
    ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()]
elif DEMO_MODE:
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    raise ImproperlyConfigured("PATHWAYS_ALLOWED_HOSTS must be set in production")

# Password for the demo users made by `pathways load_demo` (demo modes only).
DEMO_PASSWORD = env("PATHWAYS_DEMO_PASSWORD", "pathways-demo" if DEMO_MODE else None)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_htmx",
    "csp",
    "axes",
    # Multi-factor sign-in: django-otp's framework and its TOTP device. Recovery codes are
    # Pathways' own device (hashed), in accounts.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pathways.core",
    "pathways.areas",
    "pathways.accounts",
    "pathways.audit",
    "pathways.directory",
    "pathways.standards",
    "pathways.evidence",
    "pathways.mapping",
    "pathways.referrals",
    "pathways.cases",
    "pathways.panels",
    "pathways.public",
    "pathways.synth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Gives request.user.is_verified(): has this session passed the second factor?
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pathways.core.middleware.SecurityHeadersMiddleware",
    "pathways.accounts.middleware.IdleTimeoutMiddleware",
    # Before the policy check: a session still owing its second factor is sent to give it.
    "pathways.accounts.middleware.SecondFactorMiddleware",
    "pathways.accounts.middleware.PolicyMiddleware",
    # Last, as django-axes asks: turns a lockout on any other sign-in form (the admin's)
    # into the GOV.UK lockout page. Pathways' own sign-in page and token API answer
    # lockouts themselves.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pathways.urls"
WSGI_APPLICATION = "pathways.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "pathways.core.context_processors.pathways",
            ],
            "builtins": [
                "django.templatetags.i18n",
                "django.templatetags.static",
                "pathways.core.templatetags.govuk",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{PROJECT_DIR / 'var' / 'pathways.sqlite3'}"),
        conn_max_age=int(env("PATHWAYS_DB_CONN_MAX_AGE", "0") or 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "public:home"

# The lockout backend comes first: it refuses a locked-out username or address before any
# password is checked. See docs/security.md.
AUTHENTICATION_BACKENDS = [
    "pathways.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Passwords follow the NCSC's advice: long, not on a deny-list of common passwords, and no
# composition rules (no "one capital, one digit") and no forced expiry. Argon2 first; older
# hashes are upgraded on the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_MIN_LENGTH = env_int("PATHWAYS_PASSWORD_MIN_LENGTH", 12, minimum=8)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Sign-in lockout (django-axes). After SIGN_IN_FAILURE_LIMIT failed attempts for one username,
# or from one address, sign-in is refused for SIGN_IN_LOCKOUT_MINUTES (counted from the last
# failure). Failures are counted in the database, so every worker shares the count.
SIGN_IN_FAILURE_LIMIT = env_int("PATHWAYS_SIGN_IN_FAILURE_LIMIT", 10)
SIGN_IN_LOCKOUT_MINUTES = env_int("PATHWAYS_SIGN_IN_LOCKOUT_MINUTES", 15)
# Proxies in front of Pathways that append to X-Forwarded-For (0: use the connection's address).
TRUSTED_PROXY_COUNT = env_int("PATHWAYS_TRUSTED_PROXY_COUNT", 0, minimum=0)
# Who a locked-out person should contact, shown on the sign-in page.
ACCOUNT_SUPPORT_CONTACT = (
    env("PATHWAYS_ACCOUNT_SUPPORT_CONTACT", "the Pathways administrator in your organisation") or ""
)
AXES_ENABLED = True
AXES_FAILURE_LIMIT = SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=SIGN_IN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
# A lockout lasts its full time from the failure that caused it; further tries while locked
# are refused (and audited) without extending it, so the time shown to the person is true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Off on purpose: axes would clear every failure from the signing-in address too, so someone
# with an account could wipe the count against another person's username by signing in to
# their own between guesses. `user_sign_in` clears only the signing-in username's failures.
AXES_RESET_ON_SUCCESS = False
# Sign-ins are in the audit trail already; axes keeps only the failure counters.
AXES_DISABLE_ACCESS_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "pathways.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "pathways.accounts.lockout.client_ip_address"
AXES_VERBOSE = False
# axes keeps the form fields of a failed attempt; never the security codes typed.
AXES_SENSITIVE_PARAMETERS = ["code", "otp"]

# Idle sign-out. Roles that can read identifiable case or referral data are signed out after
# IDLE_TIMEOUT_MINUTES without a request; people whose every role sees only aggregates
# (commissioners, analysts) after IDLE_TIMEOUT_AGGREGATE_MINUTES. With JavaScript a warning
# appears IDLE_WARNING_MINUTES before, offering to stay signed in.
IDLE_TIMEOUT_MINUTES = env_int("PATHWAYS_IDLE_TIMEOUT_MINUTES", 30)
IDLE_TIMEOUT_AGGREGATE_MINUTES = env_int("PATHWAYS_IDLE_TIMEOUT_AGGREGATE_MINUTES", 120)
IDLE_WARNING_MINUTES = env_int("PATHWAYS_IDLE_WARNING_MINUTES", 2)
if IDLE_WARNING_MINUTES >= min(IDLE_TIMEOUT_MINUTES, IDLE_TIMEOUT_AGGREGATE_MINUTES):
    raise ImproperlyConfigured(
        "PATHWAYS_IDLE_WARNING_MINUTES must be shorter than the idle timeouts"
    )

# Multi-factor sign-in (TOTP, django-otp). Every role that can read identifiable case data
# must use it (accounts.policies.must_use_mfa); others may. Production refuses to start with
# it off; the test suite turns it off (tests/conftest.py) and the MFA tests turn it back on.
MFA_REQUIRED = env_bool("PATHWAYS_MFA_REQUIRED", True)
if PATHWAYS_ENV == "production" and not MFA_REQUIRED:
    raise ImproperlyConfigured("PATHWAYS_MFA_REQUIRED cannot be turned off in production")
# The name authenticator apps show next to the username.
OTP_TOTP_ISSUER = env("PATHWAYS_MFA_ISSUER", "Pathways")

LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env("PATHWAYS_MEDIA_ROOT", str(PROJECT_DIR / "var" / "media")) or "")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEMO_MODE
CSRF_COOKIE_SECURE = not DEMO_MODE
# Shared and borrowed computers: the session cookie goes when the browser closes, and the
# server forgets a session 12 hours after it was last used (idle sign-out ends it sooner).
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60
if not DEMO_MODE:
    # The __Host- prefix makes browsers refuse these cookies unless Secure, host-only and
    # path=/, so a sibling subdomain cannot plant or overwrite them.
    SESSION_COOKIE_NAME = "__Host-pathways_session"
    CSRF_COOKIE_NAME = "__Host-pathways_csrf"
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on form posts,
# which Django's CSRF origin check rightly refuses. Nothing is sent to other sites either way.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEMO_MODE:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("PATHWAYS_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A strict Content Security Policy: nothing inline, nothing from another site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Open Referral UK feeds are open data: any origin may read them. Nothing else is CORS-enabled.
CORS_URLS_REGEX = r"^/api/oruk/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "OPTIONS"]
CORS_ALLOW_CREDENTIALS = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["pathways.accounts.api_permissions.PolicyPermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "pathways.core.api.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "pathways.core.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pathways API",
    "DESCRIPTION": (
        "Internal API of Pathways. Authenticate with a session or with a token from "
        "POST /api/v1/auth/token/. The open directory feed is published separately "
        "under /api/oruk/ in the Open Referral UK shape."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Background work (imports, reports). In tests and when PATHWAYS_TASKS_EAGER is set the work
# runs inline, so a test sees the finished job.
TASKS_EAGER = env_bool("PATHWAYS_TASKS_EAGER", False)

# Upload limits: CSV/XLSX/JSON directory imports.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PATHWAYS_IMPORT_MAX_BYTES = 10 * 1024 * 1024

# A directory record not confirmed for this many days is stale.
DIRECTORY_STALE_AFTER_DAYS = int(env("PATHWAYS_DIRECTORY_STALE_AFTER_DAYS", "365") or 365)
# Soft-deleted services can be restored for this many days.
DIRECTORY_RESTORE_WINDOW_DAYS = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("PATHWAYS_LOG_LEVEL", "INFO")},
}

# One Front Door.
# Notifications: console in development; the email backend elsewhere unless set.
PATHWAYS_NOTIFY_BACKEND = env(
    "PATHWAYS_NOTIFY_BACKEND",
    "pathways.referrals.notifications.ConsoleBackend"
    if DEMO_MODE
    else "pathways.referrals.notifications.EmailBackend",
)
PATHWAYS_BASE_URL = env("PATHWAYS_BASE_URL", "http://127.0.0.1:8000" if DEMO_MODE else "") or ""
DEFAULT_FROM_EMAIL = env("PATHWAYS_FROM_EMAIL", "pathways@localhost") or "pathways@localhost"
EMAIL_BACKEND = env(
    "PATHWAYS_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("PATHWAYS_EMAIL_HOST", "localhost") or "localhost"
EMAIL_PORT = int(env("PATHWAYS_EMAIL_PORT", "25") or 25)
# Timers: a referral is overdue when it waits longer than these many days at each stage.
REFERRAL_TRIAGE_DUE_DAYS = int(env("PATHWAYS_REFERRAL_TRIAGE_DUE_DAYS", "2") or 2)
REFERRAL_RESPONSE_DUE_DAYS = int(env("PATHWAYS_REFERRAL_RESPONSE_DUE_DAYS", "5") or 5)
REFERRAL_FIRST_CONTACT_DUE_DAYS = int(env("PATHWAYS_REFERRAL_FIRST_CONTACT_DUE_DAYS", "7") or 7)
# Public self-referral: at most this many submissions per address per hour.
SELF_REFERRAL_RATE_PER_HOUR = int(env("PATHWAYS_SELF_REFERRAL_RATE_PER_HOUR", "5") or 5)

# The cache holds the public self-referral rate-limit counters. It lives in the database so
# every worker and server shares one count (`pathways createcachetable` makes the table;
# `make migrate` runs it). PATHWAYS_CACHE=memory keeps it per process (single-process only).
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if env("PATHWAYS_CACHE", "database") == "memory"
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "pathways_cache",
        }
    )
}
