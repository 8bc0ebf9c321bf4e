import pytest
from django.urls import reverse

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from tests.conftest import TEST_PASSWORD


@pytest.mark.django_db
def test_sign_in_with_correct_password_starts_session_and_audits(client, role_users):
    user = role_users[Role.COMMISSIONER]
    response = client.post(
        reverse("accounts:sign-in"), {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN, actor=user).exists()
    assert client.get(reverse("core:dashboard")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_shows_error_summary_and_audits_failure(client, role_users):
    user = role_users[Role.COMMISSIONER]
    response = client.post(
        reverse("accounts:sign-in"), {"username": user.username, "password": "wrong"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter a correct username and password" in body
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert event.detail == {"username": user.username}
    assert "wrong" not in str(event.detail)


@pytest.mark.django_db
def test_empty_sign_in_form_names_each_missing_field(client, db):
    body = client.post(reverse("accounts:sign-in"), {}).content.decode()
    assert "Enter your username" in body
    assert "Enter your password" in body


@pytest.mark.django_db
def test_sign_in_ignores_next_pointing_off_site(client, role_users):
    user = role_users[Role.ANALYST]
    response = client.post(
        reverse("accounts:sign-in") + "?next=https://evil.example/",
        {"username": user.username, "password": TEST_PASSWORD},
    )
    assert response["Location"] == reverse("core:dashboard")


@pytest.mark.django_db
def test_sign_out_needs_post_and_ends_session(client, role_users):
    client.force_login(role_users[Role.ANALYST])
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    assert client.post(reverse("accounts:sign-out")).status_code == 302
    assert client.get(reverse("core:dashboard")).status_code == 302


@pytest.mark.django_db
def test_api_token_from_username_and_password(client, role_users):
    user = role_users[Role.REFERRER]
    response = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    again = client.post(
        "/api/v1/auth/token/", {"username": user.username, "password": TEST_PASSWORD}
    )
    assert again.json()["token"] == token


@pytest.mark.django_db
def test_api_token_refused_for_wrong_password_with_error_body(client, role_users):
    user = role_users[Role.REFERRER]
    response = client.post("/api/v1/auth/token/", {"username": user.username, "password": "nope"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["fields"][0]["message"] == "Enter a correct username and password"


@pytest.mark.django_db
def test_api_token_missing_fields_named(client, db):
    response = client.post("/api/v1/auth/token/", {}, content_type="application/json")
    assert response.status_code == 400
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"username", "password"}
