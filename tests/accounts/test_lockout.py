"""Sign-in lockout: repeated failures lock a username and an address, on the sign-in page
and the token API alike; an administrator can lift it; every step is audited."""

from __future__ import annotations

import ast
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.lockout import client_ip_address
from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from tests.conftest import TEST_PASSWORD

SIGN_IN = "/accounts/sign-in/"
TOKEN = "/api/v1/auth/token/"
LIMIT = 3


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.ACCOUNT_SUPPORT_CONTACT = "the Pathways service desk (0113 496 0000)"


def _fail(client, username, address="192.0.2.10", path=SIGN_IN):
    return client.post(path, {"username": username, "password": "wrong"}, REMOTE_ADDR=address)


def _sign_in(client, username, address="192.0.2.10", password=TEST_PASSWORD):
    return client.post(SIGN_IN, {"username": username, "password": password}, REMOTE_ADDR=address)


def _is_signed_in(client) -> bool:
    return client.get(reverse("core:dashboard")).status_code == 200


@pytest.mark.django_db
def test_account_locks_after_the_limit_with_a_clear_message_and_an_audit_event(client, role_users):
    user = role_users[Role.TRIAGE]
    for _ in range(LIMIT - 1):
        assert _fail(client, user.username).status_code == 400
    response = _fail(client, user.username)
    assert response.status_code == 429
    body = response.content.decode()
    assert "There is a problem" in body
    assert "You have tried to sign in too many times." in body
    assert "You can try again in 15 minutes." in body
    assert "contact the Pathways service desk (0113 496 0000)" in body
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).count() == LIMIT
    locked = AuditEvent.objects.get(action=AuditAction.SIGN_IN_LOCKED_OUT)
    assert locked.object_id == user.username
    assert locked.detail["username"] == user.username
    assert "username" in locked.detail["locked"]
    assert locked.detail["failure_limit"] == LIMIT
    assert "wrong" not in str(locked.detail)


@pytest.mark.django_db
def test_right_password_is_refused_while_locked_out(client, role_users):
    user = role_users[Role.TRIAGE]
    for _ in range(LIMIT):
        _fail(client, user.username)
    response = _sign_in(client, user.username)
    assert response.status_code == 429
    assert "You have tried to sign in too many times." in response.content.decode()
    assert not _is_signed_in(client)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()
    refused = AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED).last()
    assert refused.detail == {"username": user.username, "reason": "locked_out"}


@pytest.mark.django_db
def test_username_stays_locked_from_another_address(client, role_users):
    """Rotating addresses does not get a guesser more tries at one account."""
    user = role_users[Role.SUPPORT_WORKER]
    for number in range(LIMIT):
        _fail(client, user.username, address=f"198.51.100.{number + 1}")
    assert _sign_in(client, user.username, address="203.0.113.99").status_code == 429
    assert not _is_signed_in(client)


@pytest.mark.django_db
def test_address_locks_after_failures_spread_over_usernames(client, role_users):
    """Trying one password against many usernames from one address locks the address."""
    for number in range(LIMIT):
        _fail(client, f"guess-{number}", address="192.0.2.66")
    victim = role_users[Role.REFERRER]
    response = _sign_in(client, victim.username, address="192.0.2.66")
    assert response.status_code == 429
    locked = AuditEvent.objects.get(action=AuditAction.SIGN_IN_LOCKED_OUT)
    assert locked.detail["locked"] == ["address"]
    # The same person elsewhere is not locked: only the address is.
    assert _sign_in(client, victim.username, address="192.0.2.67").status_code == 302


@pytest.mark.django_db
def test_unknown_usernames_lock_the_same_way(client, db):
    """The lockout says nothing about which accounts exist."""
    for _ in range(LIMIT - 1):
        _fail(client, "nobody-has-this-name")
    response = _fail(client, "nobody-has-this-name")
    assert response.status_code == 429
    assert "You have tried to sign in too many times." in response.content.decode()


@pytest.mark.django_db
def test_tries_while_locked_do_not_extend_the_lockout(client, role_users):
    user = role_users[Role.TRIAGE]
    for _ in range(LIMIT):
        _fail(client, user.username)
    before = list(AccessAttempt.objects.values_list("attempt_time", "failures_since_start"))
    for _ in range(3):
        assert _fail(client, user.username).status_code == 429
    after = list(AccessAttempt.objects.values_list("attempt_time", "failures_since_start"))
    assert after == before


@pytest.mark.django_db
def test_message_counts_down_and_lockout_lifts_after_the_cool_off(client, role_users):
    user = role_users[Role.TRIAGE]
    for _ in range(LIMIT):
        _fail(client, user.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    body = _sign_in(client, user.username).content.decode()
    assert "You can try again in 5 minutes." in body
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _sign_in(client, user.username).status_code == 302
    assert _is_signed_in(client)


@pytest.mark.django_db
def test_signing_in_clears_only_your_own_failures(client, role_users):
    user = role_users[Role.ANALYST]
    for _ in range(LIMIT - 1):
        _fail(client, user.username)
    assert _sign_in(client, user.username).status_code == 302
    client.post(reverse("accounts:sign-out"))
    # A fresh allowance: the earlier failures no longer count.
    for _ in range(LIMIT - 1):
        assert _fail(client, user.username).status_code == 400
    assert _sign_in(client, user.username).status_code == 302


@pytest.mark.django_db
def test_signing_in_to_your_own_account_does_not_reset_guesses_at_another(client, role_users):
    """An insider may not wipe the count against a colleague's username by signing in to
    their own account between guesses from the same address."""
    insider, victim = role_users[Role.PERPETRATOR_WORKER], role_users[Role.SUPPORT_WORKER]
    for _ in range(LIMIT - 1):
        _fail(client, victim.username)
    assert _sign_in(client, insider.username).status_code == 302
    client.post(reverse("accounts:sign-out"))
    assert _fail(client, victim.username).status_code == 429
    assert _sign_in(client, victim.username, address="203.0.113.7").status_code == 429


@pytest.mark.django_db
def test_token_api_is_locked_out_with_the_json_error_body(client, role_users):
    user = role_users[Role.REFERRER]
    for _ in range(LIMIT - 1):
        assert _fail(client, user.username, path=TOKEN).status_code == 400
    response = _fail(client, user.username, path=TOKEN)
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    error = response.json()["error"]
    assert error["status"] == 429
    assert error["code"] == "locked_out"
    assert "You can try again in 15 minutes." in error["message"]
    assert error["fields"] == []
    right = client.post(
        TOKEN, {"username": user.username, "password": TEST_PASSWORD}, REMOTE_ADDR="192.0.2.10"
    )
    assert right.status_code == 429
    assert "token" not in right.json()
    assert not AuditEvent.objects.filter(action=AuditAction.TOKEN).exists()
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_LOCKED_OUT).count() == 1


@pytest.mark.django_db
def test_sign_in_page_and_token_api_share_one_count(client, role_users):
    user = role_users[Role.REFERRER]
    for _ in range(LIMIT - 1):
        _fail(client, user.username, path=TOKEN)
    assert _fail(client, user.username).status_code == 429
    assert _sign_in(client, user.username).status_code == 429


@pytest.mark.django_db
def test_admin_login_form_is_locked_out_with_a_govuk_page(client, role_users):
    admin_user = role_users[Role.ADMIN]
    for _ in range(LIMIT):
        response = client.post(
            "/admin/login/", {"username": admin_user.username, "password": "wrong"}
        )
    assert response.status_code == 429
    body = response.content.decode()
    assert "You cannot sign in at the moment" in body
    assert "You have tried to sign in too many times." in body
    # The same count guards Pathways' own sign-in page.
    assert _sign_in(client, admin_user.username, address="127.0.0.1").status_code == 429


@pytest.mark.django_db
def test_command_lists_and_lifts_a_lockout_and_the_unlock_is_audited(client, role_users):
    user, admin_user = role_users[Role.TRIAGE], role_users[Role.ADMIN]
    for _ in range(LIMIT):
        _fail(client, user.username, address="192.0.2.20")
    out = StringIO()
    call_command("sign-in-unlock", "--list", stdout=out)
    assert f"username {user.username}: {LIMIT} failures" in out.getvalue()
    assert f"address 192.0.2.20: {LIMIT} failures" in out.getvalue()

    call_command(
        "sign-in-unlock", "--username", user.username, "--by", admin_user.username, stdout=out
    )
    assert "Unlocked username" in out.getvalue()
    assert _sign_in(client, user.username, address="192.0.2.21").status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_UNLOCKED)
    assert event.actor == admin_user
    assert event.object_id == user.username
    assert event.detail["via"] == "command"
    assert event.detail["cleared"] == 1


@pytest.mark.django_db
def test_unlocking_an_address_leaves_other_addresses_counted(client, role_users):
    for number in range(LIMIT):
        _fail(client, f"guess-{number}", address="192.0.2.30")
        _fail(client, f"other-{number}", address="192.0.2.31")
    call_command("sign-in-unlock", "--ip-address", "192.0.2.30", stdout=StringIO())
    user = role_users[Role.TRIAGE]
    assert _sign_in(client, user.username, address="192.0.2.30").status_code == 302
    client.post(reverse("accounts:sign-out"))
    assert _sign_in(client, user.username, address="192.0.2.31").status_code == 429


def test_command_needs_something_to_unlock():
    with pytest.raises(CommandError, match="--username or --ip-address"):
        call_command("sign-in-unlock", stdout=StringIO())


@pytest.mark.django_db
def test_command_refuses_an_unknown_unlocking_user(db):
    with pytest.raises(CommandError, match="No user"):
        call_command("sign-in-unlock", "--username", "x", "--by", "nobody", stdout=StringIO())


@pytest.mark.django_db
def test_admin_site_unlock_is_audited(client, role_users):
    user, admin_user = role_users[Role.TRIAGE], role_users[Role.ADMIN]
    for _ in range(LIMIT):
        _fail(client, user.username, address="192.0.2.40")
    client.force_login(admin_user)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert client.get(changelist).status_code == 200
    ids = [str(pk) for pk in AccessAttempt.objects.values_list("pk", flat=True)]
    response = client.post(changelist, {"action": "unlock_selected", "_selected_action": ids})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_UNLOCKED)
    assert event.actor == admin_user
    assert event.detail["via"] == "admin"
    assert event.detail["ip_address"] == "192.0.2.40"


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/sign-in/", **extra)


def test_without_trusted_proxies_a_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip_address(_request(forwarded="203.0.113.5")) == "10.0.0.1"


def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_claims(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = _request(forwarded="198.51.100.1, 203.0.113.5")  # first entry is client-made
    assert client_ip_address(request) == "203.0.113.5"


def test_behind_two_proxies_the_outer_proxys_entry_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = _request(forwarded="198.51.100.1, 203.0.113.5, 10.0.0.2")
    assert client_ip_address(request) == "203.0.113.5"


@pytest.mark.parametrize("forwarded", ["", "not-an-address", " , "])
def test_a_missing_or_malformed_forwarded_header_falls_back_to_the_connection(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip_address(_request(forwarded=forwarded)) == "10.0.0.1"


@pytest.mark.django_db
def test_spoofed_forwarded_headers_do_not_escape_an_address_lockout(client, role_users, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for number in range(LIMIT):
        client.post(
            SIGN_IN,
            {"username": f"guess-{number}", "password": "wrong"},
            REMOTE_ADDR="192.0.2.50",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}",
        )
    response = client.post(
        SIGN_IN,
        {"username": role_users[Role.TRIAGE].username, "password": TEST_PASSWORD},
        REMOTE_ADDR="192.0.2.50",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert response.status_code == 429


@pytest.mark.django_db
def test_authenticate_without_a_request_is_not_a_counted_sign_in(role_users):
    """The shell and commands may check a password; that is not a web sign-in."""
    user = role_users[Role.TRIAGE]
    for _ in range(LIMIT + 1):
        assert authenticate(username=user.username, password="wrong") is None
    assert not AccessAttempt.objects.exists()
    assert authenticate(username=user.username, password=TEST_PASSWORD) == user


def test_every_authenticate_call_in_pathways_passes_the_request():
    """A web sign-in path that called authenticate() without the request would not be
    counted or locked out. Read the source to make sure none does."""
    source = Path(__file__).resolve().parents[2] / "src" / "pathways"
    missing = []
    for path in source.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "authenticate" or isinstance(node.func, ast.Attribute):
                continue
            has_request = bool(node.args) or any(k.arg == "request" for k in node.keywords)
            if not has_request:
                missing.append(f"{path.relative_to(source)}:{node.lineno}")
    assert missing == [], f"authenticate() without a request: {missing}"
