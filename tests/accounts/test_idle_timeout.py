"""Idle sign-out: the server signs out a session left unused, audits it, and the sign-in
page says why; the warning's status URL does not keep a session alive by looking."""

from __future__ import annotations

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.idle import LAST_ACTIVITY_KEY
from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from tests.conftest import TEST_PASSWORD

DASHBOARD = "/work/"
SESSION = "/accounts/session/"


def _idle_for(client, minutes: float) -> None:
    """Pretend the session was last used `minutes` ago."""
    session = client.session
    session[LAST_ACTIVITY_KEY] = timezone.now().timestamp() - minutes * 60
    session.save()


def _last_activity(client) -> float:
    return client.session[LAST_ACTIVITY_KEY]


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        assert client.get(DASHBOARD).status_code == 200  # records activity
        return client

    return sign_in


@pytest.mark.django_db
def test_idle_session_is_signed_out_audited_and_the_sign_in_page_says_why(signed_in, role_users):
    user = role_users[Role.TRIAGE]
    client = signed_in(user)
    _idle_for(client, 31)
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:sign-in')}?next={DASHBOARD}"
    event = AuditEvent.objects.get(action=AuditAction.SIGN_OUT)
    assert event.actor == user
    assert event.detail == {"reason": "idle", "idle_minutes": 31}

    body = client.get(response["Location"]).content.decode()
    assert "For your security, we signed you out" in body
    assert "You had not used Pathways for 30 minutes." in body
    # Said once: the next visit to the sign-in page is an ordinary one.
    assert "we signed you out" not in client.get(reverse("accounts:sign-in")).content.decode()


@pytest.mark.django_db
def test_use_within_the_timeout_keeps_the_session_and_restarts_the_clock(signed_in, role_users):
    client = signed_in(role_users[Role.PERPETRATOR_WORKER])
    _idle_for(client, 29)
    before = _last_activity(client)
    assert client.get(DASHBOARD).status_code == 200
    assert _last_activity(client) > before + 28 * 60
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_OUT).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [
        Role.TRIAGE,
        Role.PERPETRATOR_WORKER,
        Role.SUPPORT_WORKER,
        Role.PROVIDER_MANAGER,
        Role.REFERRER,
        Role.PANEL_MEMBER,
        Role.PANEL_CHAIR,
        Role.ADMIN,
    ],
)
def test_roles_that_see_identifiable_data_time_out_after_30_minutes(signed_in, role_users, role):
    client = signed_in(role_users[role])
    _idle_for(client, 30.5)
    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.ANALYST])
def test_aggregate_only_roles_have_the_longer_timeout(signed_in, role_users, role):
    client = signed_in(role_users[role])
    _idle_for(client, 31)
    assert client.get(DASHBOARD).status_code == 200
    _idle_for(client, 121)
    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.django_db
def test_one_role_with_identifiable_data_sets_the_shorter_timeout(
    signed_in, make_user, partnership_org
):
    from pathways.accounts.services import membership_grant

    user = make_user("two-hats", Role.COMMISSIONER, partnership_org)
    membership_grant(user=user, organisation=partnership_org, role=Role.TRIAGE)
    client = signed_in(user)
    _idle_for(client, 31)
    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.django_db
def test_a_user_with_no_role_gets_the_shorter_timeout(client, make_user):
    client.force_login(make_user("no-role-yet"))
    client.get(DASHBOARD)
    _idle_for(client, 31)
    client.get(DASHBOARD)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_timeouts_come_from_settings(signed_in, role_users, settings):
    settings.IDLE_TIMEOUT_MINUTES = 5
    settings.IDLE_TIMEOUT_AGGREGATE_MINUTES = 10
    client = signed_in(role_users[Role.TRIAGE])
    _idle_for(client, 6)
    assert client.get(DASHBOARD).status_code == 302
    client = signed_in(role_users[Role.ANALYST])
    _idle_for(client, 9)
    assert client.get(DASHBOARD).status_code == 200
    _idle_for(client, 11)
    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.django_db
def test_looking_at_the_session_status_does_not_keep_it_alive(signed_in, role_users):
    client = signed_in(role_users[Role.TRIAGE])
    _idle_for(client, 20)
    before = _last_activity(client)
    status = client.get(SESSION)
    assert status.status_code == 200
    data = status.json()
    assert data["signed_in"] is True
    assert data["timeout_seconds"] == 30 * 60
    assert data["warning_seconds"] == 2 * 60
    assert 9 * 60 <= data["expires_in"] <= 10 * 60
    assert _last_activity(client) == before
    assert status["Cache-Control"] == "no-store, private"


@pytest.mark.django_db
def test_stay_signed_in_restarts_the_clock(signed_in, role_users):
    client = signed_in(role_users[Role.TRIAGE])
    _idle_for(client, 28)
    response = client.post(SESSION)
    assert response.status_code == 200
    assert response.json()["expires_in"] >= 30 * 60 - 1
    _idle_for(client, 0)  # nothing else happened; a further request is still fine
    assert client.get(DASHBOARD).status_code == 200


@pytest.mark.django_db
def test_stay_signed_in_needs_the_csrf_token(role_users):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(role_users[Role.TRIAGE])
    assert client.post(SESSION).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_timed_out_session_cannot_be_revived(signed_in, role_users, method):
    """ "Stay signed in" pressed too late, or a status look after the end: 401, signed out."""
    user = role_users[Role.TRIAGE]
    client = signed_in(user)
    _idle_for(client, 31)
    response = getattr(client, method)(SESSION)
    assert response.status_code == 401
    assert response.json() == {"signed_in": False, "sign_in_url": reverse("accounts:sign-in")}
    assert AuditEvent.objects.get(action=AuditAction.SIGN_OUT).detail["reason"] == "idle"
    assert client.get(DASHBOARD).status_code == 302
    assert "we signed you out" in client.get(reverse("accounts:sign-in")).content.decode()


@pytest.mark.django_db
def test_signing_out_after_the_timeout_records_only_the_idle_sign_out(signed_in, role_users):
    client = signed_in(role_users[Role.TRIAGE])
    _idle_for(client, 31)
    client.post(reverse("accounts:sign-out"))
    # Already signed out by the timeout: one sign-out in the trail, the idle one.
    assert list(
        AuditEvent.objects.filter(action=AuditAction.SIGN_OUT).values_list(
            "detail__reason", flat=True
        )
    ) == ["idle"]


@pytest.mark.django_db
def test_manual_sign_out_is_audited_with_its_reason(signed_in, role_users):
    client = signed_in(role_users[Role.TRIAGE])
    client.post(reverse("accounts:sign-out"))
    assert AuditEvent.objects.get(action=AuditAction.SIGN_OUT).detail == {"reason": "user"}


@pytest.mark.django_db
def test_sign_in_starts_the_clock(client, role_users):
    user = role_users[Role.TRIAGE]
    client.post(reverse("accounts:sign-in"), {"username": user.username, "password": TEST_PASSWORD})
    assert abs(_last_activity(client) - timezone.now().timestamp()) < 5


@pytest.mark.django_db
def test_token_api_requests_are_not_sessions(client, role_users):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=role_users[Role.TRIAGE])
    response = client.get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_OUT).exists()


@pytest.mark.django_db
def test_session_api_use_counts_as_activity_and_times_out_too(signed_in, role_users):
    client = signed_in(role_users[Role.TRIAGE])
    _idle_for(client, 31)
    response = client.get("/api/v1/areas/")
    assert response.status_code in (401, 403)
    assert "error" in response.json()


def _render_warning(user):
    request = RequestFactory().get("/work/")
    request.user = user
    request.session = {}
    return Template('{% include "accounts/session_timeout.html" %}').render(
        RequestContext(request, {})
    )


@pytest.mark.django_db
def test_warning_markup_is_there_for_signed_in_people_only(role_users):
    from django.contrib.auth.models import AnonymousUser

    assert _render_warning(AnonymousUser()).strip() == ""
    html = _render_warning(role_users[Role.TRIAGE])
    assert 'id="app-session-timeout"' in html
    assert 'data-expires-in="1800"' in html
    assert 'data-warning-seconds="120"' in html
    assert f'data-status-url="{SESSION}"' in html
    assert '<script type="module" src="/static/accounts/session-timeout.mjs"></script>' in html
    assert "Stay signed in" in html


@pytest.mark.django_db
def test_warning_markup_keeps_to_the_strict_content_security_policy(role_users):
    import re

    html = _render_warning(role_users[Role.TRIAGE])
    assert " style=" not in html
    assert "<style" not in html
    assert " on" not in re.sub(r'"[^"]*"', '""', html)  # no onclick= and the like
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script


@pytest.mark.django_db
def test_the_admin_login_form_starts_the_clock_too(client, role_users):
    user = role_users[Role.ADMIN]
    response = client.post("/admin/login/", {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert abs(_last_activity(client) - timezone.now().timestamp()) < 5
    _idle_for(client, 31)
    assert client.get("/admin/").status_code == 302
