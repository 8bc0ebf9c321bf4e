"""The token API asks two-factor accounts for their code in `otp`, with the error body."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from rest_framework.authtoken.models import Token

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from tests.accounts.mfa_helpers import code_for, enrolled, set_up_through_the_pages, wrong_code_for
from tests.conftest import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_on")]

TOKEN = "/api/v1/auth/token/"


def _ask(client, user, **extra):
    return client.post(
        TOKEN,
        {"username": user.username, "password": TEST_PASSWORD, **extra},
        REMOTE_ADDR="192.0.2.5",
    )


def test_the_token_needs_the_code_for_a_two_factor_account(client, role_users):
    user = role_users[Role.REFERRER]
    enrolled(user)
    response = _ask(client, user)
    assert response.status_code == 401
    assert response["WWW-Authenticate"]
    assert response.json() == {
        "error": {
            "status": 401,
            "code": "otp_required",
            "message": "The request has errors; see fields.",
            "fields": [
                {
                    "field": "otp",
                    "message": "Enter the 6-digit code from your authenticator app "
                    "(or a recovery code)",
                }
            ],
        }
    }
    assert not Token.objects.exists()


def test_a_wrong_code_is_refused_and_counted(client, role_users):
    user = role_users[Role.REFERRER]
    device = enrolled(user)
    response = _ask(client, user, otp=wrong_code_for(device))
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "otp_invalid"
    assert error["fields"][0]["field"] == "otp"
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 1
    assert AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED).detail == {
        "username": user.username,
        "mfa": "totp",
        "reason": "wrong_code",
    }
    assert not Token.objects.exists()


def test_the_right_code_gets_the_token(client, role_users):
    user = role_users[Role.TRIAGE]
    device = enrolled(user)
    response = _ask(client, user, otp=code_for(device))
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=user).key
    verified = AuditEvent.objects.get(action=AuditAction.VERIFY)
    assert verified.detail == {"mfa": "totp", "via": "api"}
    # The token then works on its own, without a code.
    listed = client.get(
        "/api/v1/referrals/PW-0000/", HTTP_AUTHORIZATION=f"Token {response.json()['token']}"
    )
    assert listed.status_code == 404


def test_a_recovery_code_gets_the_token_once(client, role_users):
    user = role_users[Role.SUPPORT_WORKER]
    _device, codes = set_up_through_the_pages(client, user)
    client.post("/accounts/sign-out/")
    assert _ask(client, user, otp=codes[0]).status_code == 200
    assert _ask(client, user, otp=codes[0]).json()["error"]["code"] == "otp_invalid"


def test_a_role_that_must_use_mfa_but_has_not_set_it_up_is_told_how(client, role_users):
    user = role_users[Role.PANEL_CHAIR]
    response = _ask(client, user, otp="123456")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "mfa_not_set_up"
    assert "set up an authenticator app" in error["message"]
    assert not Token.objects.exists()


def test_a_commissioner_without_mfa_gets_the_token_with_the_password(client, role_users):
    assert _ask(client, role_users[Role.COMMISSIONER]).status_code == 200


def test_wrong_codes_lock_the_token_api_too(client, role_users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = role_users[Role.PROVIDER_MANAGER]
    device = enrolled(user)
    assert _ask(client, user, otp=wrong_code_for(device)).status_code == 401
    response = _ask(client, user, otp=wrong_code_for(device))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "locked_out"
    assert _ask(client, user, otp=code_for(device)).status_code == 429
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_LOCKED_OUT).count() == 1


def test_a_code_straight_after_a_wrong_one_waits(client, role_users):
    user = role_users[Role.REFERRER]
    device = enrolled(user)
    _ask(client, user, otp=wrong_code_for(device))
    response = _ask(client, user, otp=code_for(device))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "otp_throttled"
    assert response["Retry-After"] == "1"


def test_the_schema_documents_the_otp_field(client, db):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    request_body = schema["components"]["schemas"]["TokenRequestRequest"]
    assert "otp" in request_body["properties"]
    assert "otp" not in request_body.get("required", [])
    responses = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert {"200", "401", "403", "429"} <= set(responses)
