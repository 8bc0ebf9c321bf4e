"""Settings refuse unsafe production configuration loudly."""

import os
import subprocess
import sys

import pytest

LONG_SECRET = "x" * 50


def _import_settings(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    environment.update(env)
    return subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-c", "import pathways.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PATHWAYS_ENV": "production", "PATHWAYS_ALLOWED_HOSTS": "pathways.example"},
            "PATHWAYS_SECRET_KEY must be set",
        ),
        (
            {
                "PATHWAYS_ENV": "production",
                "PATHWAYS_SECRET_KEY": "short",
                "PATHWAYS_ALLOWED_HOSTS": "p.example",
            },
            "long random value",
        ),
        (
            {
                "PATHWAYS_ENV": "production",
                "PATHWAYS_SECRET_KEY": LONG_SECRET,
                "PATHWAYS_DEBUG": "1",
                "PATHWAYS_ALLOWED_HOSTS": "p.example",
            },
            "PATHWAYS_DEBUG must be off",
        ),
        (
            {"PATHWAYS_ENV": "production", "PATHWAYS_SECRET_KEY": LONG_SECRET},
            "PATHWAYS_ALLOWED_HOSTS must be set",
        ),
        ({"PATHWAYS_ENV": "staging"}, "PATHWAYS_ENV must be"),
    ],
)
def test_unsafe_configuration_refuses_to_start(env, message):
    result = _import_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


def test_safe_production_configuration_starts():
    result = _import_settings(
        PATHWAYS_ENV="production",
        PATHWAYS_SECRET_KEY=LONG_SECRET,
        PATHWAYS_ALLOWED_HOSTS="p.example",
    )
    assert result.returncode == 0, result.stderr


def test_demo_password_has_no_default_in_production():
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import pathways.settings as s; print(repr(s.DEMO_PASSWORD))"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")},
            "PATHWAYS_ENV": "production",
            "PATHWAYS_SECRET_KEY": LONG_SECRET,
            "PATHWAYS_ALLOWED_HOSTS": "p.example",
        },
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "None"


def _settings_values(names, **env):
    """Import settings in a fresh interpreter with the given environment; return values."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    environment.update(env)
    code = (
        "import json, pathways.settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-c", code],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


PRODUCTION = {
    "PATHWAYS_ENV": "production",
    "PATHWAYS_SECRET_KEY": LONG_SECRET,
    "PATHWAYS_ALLOWED_HOSTS": "p.example",
}
COOKIE_SETTINGS = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SAMESITE",
    "SESSION_COOKIE_NAME",
    "CSRF_COOKIE_NAME",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_SSL_REDIRECT",
]


def test_production_cookies_are_secure_host_only_httponly_and_lax_with_hsts():
    values = _settings_values(COOKIE_SETTINGS, **PRODUCTION)
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"
    # __Host- cookies are refused by browsers unless Secure, host-only and path=/.
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True


def test_development_cookies_work_over_plain_http_but_keep_httponly_and_lax():
    values = _settings_values(COOKIE_SETTINGS, PATHWAYS_ENV="development")
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] in (None, 0)


@pytest.mark.django_db
def test_session_cookie_sent_on_sign_in_is_httponly_and_lax(client, role_users):
    from django.conf import settings

    from pathways.accounts.models import Role
    from tests.conftest import TEST_PASSWORD

    user = role_users[Role.ANALYST]
    response = client.post(
        "/accounts/sign-in/", {"username": user.username, "password": TEST_PASSWORD}
    )
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # gone when the browser closes


def test_security_defaults():
    values = _settings_values(
        [
            "AXES_FAILURE_LIMIT",
            "AXES_LOCKOUT_PARAMETERS",
            "AXES_RESET_ON_SUCCESS",
            "SIGN_IN_LOCKOUT_MINUTES",
            "IDLE_TIMEOUT_MINUTES",
            "IDLE_TIMEOUT_AGGREGATE_MINUTES",
            "IDLE_WARNING_MINUTES",
            "PASSWORD_MIN_LENGTH",
            "AUTHENTICATION_BACKENDS",
            "PASSWORD_HASHERS",
        ],
        **PRODUCTION,
    )
    assert values["AXES_FAILURE_LIMIT"] == 10
    assert values["AXES_LOCKOUT_PARAMETERS"] == [["username"], ["ip_address"]]
    assert values["AXES_RESET_ON_SUCCESS"] is False  # see settings: user_sign_in resets
    assert values["SIGN_IN_LOCKOUT_MINUTES"] == 15
    assert values["IDLE_TIMEOUT_MINUTES"] == 30
    assert values["IDLE_TIMEOUT_AGGREGATE_MINUTES"] == 120
    assert values["IDLE_WARNING_MINUTES"] == 2
    assert values["PASSWORD_MIN_LENGTH"] == 12
    assert values["AUTHENTICATION_BACKENDS"][0] == "pathways.accounts.backends.LockoutBackend"
    assert values["PASSWORD_HASHERS"][0].endswith("Argon2PasswordHasher")


def test_security_settings_follow_the_environment():
    values = _settings_values(
        [
            "AXES_FAILURE_LIMIT",
            "AXES_COOLOFF_TIME",
            "IDLE_TIMEOUT_MINUTES",
            "AUTH_PASSWORD_VALIDATORS",
        ],
        PATHWAYS_SIGN_IN_FAILURE_LIMIT="5",
        PATHWAYS_SIGN_IN_LOCKOUT_MINUTES="60",
        PATHWAYS_IDLE_TIMEOUT_MINUTES="15",
        PATHWAYS_PASSWORD_MIN_LENGTH="16",
    )
    assert values["AXES_FAILURE_LIMIT"] == 5
    assert values["AXES_COOLOFF_TIME"] == "1:00:00"
    assert values["IDLE_TIMEOUT_MINUTES"] == 15
    lengths = [v.get("OPTIONS", {}).get("min_length") for v in values["AUTH_PASSWORD_VALIDATORS"]]
    assert 16 in lengths


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PATHWAYS_IDLE_TIMEOUT_MINUTES": "half an hour"}, "must be a whole number"),
        ({"PATHWAYS_IDLE_TIMEOUT_MINUTES": "0"}, "must be at least 1"),
        ({"PATHWAYS_IDLE_WARNING_MINUTES": "30"}, "must be shorter than the idle timeouts"),
        ({"PATHWAYS_PASSWORD_MIN_LENGTH": "6"}, "PATHWAYS_PASSWORD_MIN_LENGTH must be at least 8"),
        ({"PATHWAYS_SIGN_IN_FAILURE_LIMIT": "0"}, "must be at least 1"),
        ({"PATHWAYS_TRUSTED_PROXY_COUNT": "-1"}, "must be at least 0"),
    ],
)
def test_unsafe_security_settings_refuse_to_start(env, message):
    result = _import_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr
