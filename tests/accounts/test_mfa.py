"""Multi-factor sign-in: every role that can read identifiable data gives a code from an
authenticator app after the password; recovery codes work once and are stored as digests;
wrong codes count towards the lockout; administrators can reset it; all of it audited."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.messages import get_messages
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.accounts import recovery_codes
from pathways.accounts.idle import LAST_ACTIVITY_KEY
from pathways.accounts.models import RecoveryCode, RecoveryCodeDevice, Role
from pathways.accounts.policies import (
    AGGREGATE_ONLY_ROLES,
    IDENTIFIABLE_DATA_ROLES,
    must_use_mfa,
)
from pathways.audit.models import AuditAction, AuditEvent
from tests.accounts.mfa_helpers import (
    ACCOUNT,
    NEW_CODES,
    RECOVER,
    SET_UP,
    VERIFY,
    WORK,
    code_for,
    enrolled,
    forget_last_failure,
    give_code,
    recovery_codes_in,
    set_up_through_the_pages,
    sign_in_with_password,
    wrong_code_for,
)
from tests.conftest import force_login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_on")]

LIMIT = 3


@pytest.fixture
def small_lockout(settings):
    """A lockout after 3 failures, and no back-off between codes (so each wrong code is
    checked and counted; the back-off has its own test)."""
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def _goes_to_verify(response, next_url: str = WORK) -> bool:
    return response.status_code == 302 and response["Location"].startswith(VERIFY)


# Who must use it ---------------------------------------------------------------------------


def test_every_role_is_either_identifiable_or_aggregate_only():
    assert AGGREGATE_ONLY_ROLES == {Role.COMMISSIONER, Role.ANALYST}
    assert IDENTIFIABLE_DATA_ROLES | AGGREGATE_ONLY_ROLES == set(Role.values)
    assert not IDENTIFIABLE_DATA_ROLES & AGGREGATE_ONLY_ROLES


def test_every_role_that_can_read_identifiable_data_must_use_mfa(role_users, make_user):
    for role, user in role_users.items():
        assert must_use_mfa(user) is (role not in AGGREGATE_ONLY_ROLES), role
    assert must_use_mfa(make_user("no-role-yet"))


def test_nobody_is_made_to_use_mfa_when_the_setting_is_off(role_users, settings):
    settings.MFA_REQUIRED = False
    assert not any(must_use_mfa(user) for user in role_users.values())


def test_production_refuses_to_start_with_mfa_off():
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAYS_")}
    environment.update(
        PATHWAYS_ENV="production",
        PATHWAYS_SECRET_KEY="x" * 50,
        PATHWAYS_ALLOWED_HOSTS="p.example",
        PATHWAYS_MFA_REQUIRED="0",
    )
    result = subprocess.run(  # noqa: S603 - fixed interpreter and arguments
        [sys.executable, "-c", "import pathways.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "PATHWAYS_MFA_REQUIRED cannot be turned off in production" in result.stderr


# Signing in ---------------------------------------------------------------------------------


def test_the_password_alone_does_not_reach_work_for_a_case_role(client, role_users):
    user = role_users[Role.TRIAGE]
    enrolled(user)
    response = sign_in_with_password(client, user, next_url=WORK)
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fwork%2F"
    for url in (WORK, ACCOUNT, "/admin/", "/mapping/"):
        refused = client.get(url)
        assert _goes_to_verify(refused), url
    assert client.get(WORK)["Location"] == f"{VERIFY}?next=%2Fwork%2F"
    signed_in = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert signed_in.actor == user
    assert signed_in.detail == {"mfa": "pending"}


def test_the_right_code_lets_them_in_where_they_were_going_and_is_audited(client, role_users):
    user = role_users[Role.PERPETRATOR_WORKER]
    device = enrolled(user)
    sign_in_with_password(client, user, next_url=WORK)
    page = client.get(f"{VERIFY}?next=%2Fwork%2F")
    assert page.status_code == 200
    assert "Enter your security code" in page.content.decode()
    key_before = client.session.session_key

    response = give_code(client, code_for(device), next_url=WORK)
    assert response.status_code == 302
    assert response["Location"] == WORK
    assert client.get(WORK).status_code == 200
    # A new session key once verified: a key planted before the code is worth nothing.
    assert client.session.session_key != key_before
    verified = AuditEvent.objects.get(action=AuditAction.VERIFY)
    assert verified.actor == user
    assert verified.detail == {"mfa": "totp"}


def test_a_wrong_code_is_refused_audited_and_counted_towards_the_lockout(client, role_users):
    user = role_users[Role.SUPPORT_WORKER]
    device = enrolled(user)
    sign_in_with_password(client, user)
    response = give_code(client, wrong_code_for(device))
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "The security code is not right or has expired" in body
    failed = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failed.detail == {"username": user.username, "mfa": "totp", "reason": "wrong_code"}
    assert AccessAttempt.objects.get(username=user.username).failures_since_start == 1
    # The code typed is not kept anywhere axes records it.
    assert wrong_code_for(device) not in AccessAttempt.objects.get().post_data
    assert _goes_to_verify(client.get(WORK))


def test_a_code_in_the_wrong_shape_is_explained_and_not_counted(client, role_users):
    user = role_users[Role.REFERRER]
    enrolled(user)
    sign_in_with_password(client, user)
    response = give_code(client, "12ab")
    assert response.status_code == 400
    assert "Enter the security code as 6 digits" in response.content.decode()
    assert not AccessAttempt.objects.exists()


def test_repeated_wrong_codes_lock_out_and_end_the_session(client, role_users, small_lockout):
    user = role_users[Role.PANEL_CHAIR]
    device = enrolled(user)
    sign_in_with_password(client, user)
    for _ in range(LIMIT - 1):
        assert give_code(client, wrong_code_for(device)).status_code == 400
    response = give_code(client, wrong_code_for(device))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    body = response.content.decode()
    assert "You have tried to sign in too many times." in body
    assert "You can try again in 15 minutes." in body
    locked = AuditEvent.objects.get(action=AuditAction.SIGN_IN_LOCKED_OUT)
    assert locked.detail["username"] == user.username
    assert locked.detail["mfa"] == "totp"
    assert "username" in locked.detail["locked"]
    signed_out = AuditEvent.objects.get(action=AuditAction.SIGN_OUT)
    assert signed_out.detail == {"reason": "locked_out"}
    # The session is over, and the right password is refused while the lockout lasts.
    assert client.get(WORK)["Location"].startswith("/accounts/sign-in/")
    assert sign_in_with_password(client, user).status_code == 429


def test_signing_in_again_with_the_password_does_not_clear_wrong_codes(
    client, role_users, small_lockout
):
    """Otherwise the right password would buy unlimited guesses at the code."""
    user = role_users[Role.TRIAGE]
    device = enrolled(user)
    sign_in_with_password(client, user)
    for _ in range(LIMIT - 1):
        give_code(client, wrong_code_for(device))
    client.post("/accounts/sign-out/")
    assert sign_in_with_password(client, user).status_code == 302
    assert give_code(client, wrong_code_for(device)).status_code == 429


def test_the_right_code_clears_the_failures_counted_against_the_username(
    client, role_users, small_lockout
):
    user = role_users[Role.TRIAGE]
    device = enrolled(user)
    sign_in_with_password(client, user)
    give_code(client, wrong_code_for(device))
    assert AccessAttempt.objects.filter(username=user.username).exists()
    assert give_code(client, code_for(device)).status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()


def test_wrong_codes_back_off_before_the_next_is_checked(client, role_users):
    user = role_users[Role.PROVIDER_MANAGER]
    device = enrolled(user)
    sign_in_with_password(client, user)
    assert give_code(client, wrong_code_for(device)).status_code == 400
    # Straight after a wrong code even the right one waits: django-otp's back-off.
    response = give_code(client, code_for(device))
    assert response.status_code == 429
    assert "Wait 1 second, then try again" in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN_FAILED, detail__reason="throttled"
    ).exists()
    forget_last_failure(device)
    assert give_code(client, code_for(device)).status_code == 302
    assert client.get(WORK).status_code == 200


def test_a_code_is_accepted_only_once(client, role_users):
    user = role_users[Role.REFERRER]
    device = enrolled(user)
    code = code_for(device)
    sign_in_with_password(client, user)
    assert give_code(client, code).status_code == 302
    client.post("/accounts/sign-out/")
    sign_in_with_password(client, user)
    assert give_code(client, code).status_code == 400


def test_being_verified_does_not_survive_signing_out(client, role_users):
    user = role_users[Role.SUPPORT_WORKER]
    device = enrolled(user)
    sign_in_with_password(client, user)
    give_code(client, code_for(device))
    assert client.get(WORK).status_code == 200
    client.post("/accounts/sign-out/")
    sign_in_with_password(client, user)
    assert _goes_to_verify(client.get(WORK))


def test_idle_sign_out_still_works_while_a_code_is_owed(client, role_users):
    user = role_users[Role.TRIAGE]
    enrolled(user)
    sign_in_with_password(client, user)
    assert client.get("/accounts/session/").status_code == 200  # the warning script may ask
    session = client.session
    session[LAST_ACTIVITY_KEY] -= 31 * 60
    session.save()
    response = client.get(VERIFY)
    assert response["Location"].startswith("/accounts/sign-in/")
    event = AuditEvent.objects.get(action=AuditAction.SIGN_OUT)
    assert event.detail["reason"] == "idle"


def test_public_pages_and_sign_out_stay_open_while_a_code_is_owed(client, role_users):
    user = role_users[Role.TRIAGE]
    enrolled(user)
    sign_in_with_password(client, user)
    assert client.get("/").status_code == 200
    assert client.post("/accounts/sign-out/").status_code == 302
    assert client.get(WORK)["Location"].startswith("/accounts/sign-in/")


def test_an_api_call_with_a_session_that_owes_a_code_gets_the_error_body(client, role_users):
    user = role_users[Role.REFERRER]
    enrolled(user)
    sign_in_with_password(client, user)
    response = client.get("/api/v1/referrals/PW-0000/")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "mfa_required"
    assert error["status"] == 403


def test_any_login_path_owes_the_code_of_someone_who_has_an_authenticator(client, role_users):
    """The Django admin's login form, like force_login, logs in with the password alone."""
    admin = role_users[Role.ADMIN]
    enrolled(admin)
    client.force_login(admin)
    assert _goes_to_verify(client.get("/admin/"))
    commissioner = role_users[Role.COMMISSIONER]
    enrolled(commissioner)
    client.force_login(commissioner)
    assert _goes_to_verify(client.get(WORK))


def test_verified_client_fixture_is_signed_in_past_the_code(verified_client, role_users):
    client = verified_client(role_users[Role.TRIAGE])
    assert client.get(WORK).status_code == 200


# Roles that see only aggregates -------------------------------------------------------------


def test_a_commissioner_is_not_made_to_use_mfa(client, role_users):
    user = role_users[Role.COMMISSIONER]
    response = sign_in_with_password(client, user)
    assert response["Location"] == WORK
    assert client.get(WORK).status_code == 200
    assert AuditEvent.objects.get(action=AuditAction.SIGN_IN).detail == {}
    assert "Set up two-factor authentication" in client.get(ACCOUNT).content.decode()


def test_an_analyst_who_chose_mfa_is_asked_for_the_code(client, role_users):
    user = role_users[Role.ANALYST]
    client.force_login(user)
    assert client.get(SET_UP).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert give_code(client, code_for(device), path=SET_UP).status_code == 200
    client.post("/accounts/sign-out/")
    response = sign_in_with_password(client, user)
    assert response["Location"].startswith(VERIFY)
    assert _goes_to_verify(client.get(WORK))
    assert give_code(client, code_for(device)).status_code == 302
    assert client.get(WORK).status_code == 200


# Setting up an authenticator ----------------------------------------------------------------


def test_a_case_role_without_an_authenticator_is_taken_to_set_one_up(client, role_users):
    user = role_users[Role.PANEL_MEMBER]
    response = sign_in_with_password(client, user, next_url=WORK)
    assert response["Location"] == f"{VERIFY}?next=%2Fwork%2F"
    assert AuditEvent.objects.get(action=AuditAction.SIGN_IN).detail == {"mfa": "enrol"}
    to_set_up = client.get(response["Location"])
    assert to_set_up["Location"] == f"{SET_UP}?next=%2Fwork%2F"
    assert _goes_to_verify(client.get(WORK))


def test_set_up_shows_a_qr_code_and_the_key_without_inline_style_or_script(client, role_users):
    user = role_users[Role.TRIAGE]
    sign_in_with_password(client, user)
    response = client.get(SET_UP)
    assert response.status_code == 200
    body = response.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    from pathways.accounts.mfa import secret_groups

    groups = secret_groups(device)
    assert len(groups) == 8 and all(len(group) == 4 for group in groups)
    assert " ".join(groups) in body
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert 'role="img"' in svg
    assert "<title>QR code to add Pathways to your authenticator app</title>" in svg
    assert "style=" not in svg and "<script" not in svg
    assert "<style" not in body and " style=" not in body
    # Reloading keeps the same key, so a code from an app that already scanned it works.
    client.get(SET_UP)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_set_up_needs_a_code_from_the_new_authenticator(client, role_users):
    user = role_users[Role.SUPPORT_WORKER]
    sign_in_with_password(client, user)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=user)
    response = give_code(client, wrong_code_for(device), path=SET_UP)
    assert response.status_code == 400
    assert "The security code is not right or has expired" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert _goes_to_verify(client.get(WORK))
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()

    forget_last_failure(device)
    response = give_code(client, code_for(device), path=SET_UP, next_url=WORK)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your authenticator app is set up" in body
    assert "You will not be able to see these codes again." in body
    codes = recovery_codes_in(response)
    assert len(codes) == len(set(codes)) == 10
    assert f'href="{WORK}"' in body
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(WORK).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.actor == user
    assert event.detail == {"mfa": "enrolled", "replaced": False, "recovery_codes": 10}


def test_a_password_alone_cannot_add_a_second_authenticator(client, role_users):
    user = role_users[Role.TRIAGE]
    enrolled(user)
    sign_in_with_password(client, user)
    response = client.get(SET_UP)
    assert _goes_to_verify(response)
    assert give_code(client, "123456", path=SET_UP)["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_a_verified_person_can_replace_their_authenticator(client, role_users):
    user = role_users[Role.REFERRER]
    old, _codes = set_up_through_the_pages(client, user)
    assert client.get(SET_UP).status_code == 200
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    assert new.key != old.key
    response = give_code(client, code_for(new), path=SET_UP)
    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=user)) == [new]
    assert client.get(WORK).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE).last().detail["replaced"] is True


# Recovery codes -----------------------------------------------------------------------------


def test_a_recovery_code_signs_in_once(client, role_users):
    user = role_users[Role.PERPETRATOR_WORKER]
    _device, codes = set_up_through_the_pages(client, user)
    client.post("/accounts/sign-out/")

    sign_in_with_password(client, user)
    assert "Enter a recovery code" in client.get(RECOVER).content.decode()
    response = give_code(client, codes[0].upper().replace("-", " "), path=RECOVER)
    assert response.status_code == 302
    assert client.get(WORK).status_code == 200
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("You have 9 left" in m for m in messages)
    verified = AuditEvent.objects.filter(action=AuditAction.VERIFY).last()
    assert verified.detail == {"mfa": "recovery_code", "recovery_codes_left": 9}

    client.post("/accounts/sign-out/")
    sign_in_with_password(client, user)
    again = give_code(client, codes[0], path=RECOVER)
    assert again.status_code == 400
    assert "That recovery code is not right or has already been used" in again.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.SIGN_IN_FAILED, detail__mfa="recovery_code"
    ).exists()


def test_recovery_codes_are_stored_only_as_keyed_digests(client, role_users):
    user = role_users[Role.TRIAGE]
    _device, codes = set_up_through_the_pages(client, user)
    stored = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10
    for code in codes:
        compact = code.replace("-", "")
        assert all(code not in digest and compact not in digest for digest in stored)
    assert all(len(digest) == 64 for digest in stored)


def test_recovery_code_typing_forgives_case_spaces_hyphens_and_lookalike_letters():
    assert recovery_codes.normalise(" 7HQ2 xk4m-PD9W ") == "7hq2xk4mpd9w"
    assert recovery_codes.normalise("IlO0-abcd-efgh") == "1100abcdefgh"
    made = recovery_codes.generate()
    assert len(recovery_codes.normalise(made)) == recovery_codes.LENGTH
    assert recovery_codes.digest(1, made) == recovery_codes.digest(1, made.upper())
    assert recovery_codes.digest(1, made) != recovery_codes.digest(2, made)


def test_recovery_codes_survive_a_secret_key_rotation(client, role_users, settings):
    user = role_users[Role.TRIAGE]
    _device, codes = set_up_through_the_pages(client, user)
    client.post("/accounts/sign-out/")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    client.cookies.clear()
    sign_in_with_password(client, user)
    assert give_code(client, codes[3], path=RECOVER).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, role_users):
    user = role_users[Role.SUPPORT_WORKER]
    _device, old_codes = set_up_through_the_pages(client, user)
    page = client.get(ACCOUNT).content.decode()
    assert "10 unused codes" in page
    response = client.post(NEW_CODES)
    assert response.status_code == 200
    new_codes = recovery_codes_in(response)
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE).last()
    assert event.detail == {"mfa": "recovery_codes_regenerated", "recovery_codes": 10}
    # Still verified: the recovery-code device that verified a session is kept, not replaced.
    assert client.get(WORK).status_code == 200
    assert RecoveryCodeDevice.objects.filter(user=user).count() == 1

    client.post("/accounts/sign-out/")
    sign_in_with_password(client, user)
    assert give_code(client, old_codes[0], path=RECOVER).status_code == 400
    forget_last_failure(RecoveryCodeDevice.objects.get(user=user))
    assert give_code(client, new_codes[0], path=RECOVER).status_code == 302


def test_new_recovery_codes_need_a_verified_session(client, role_users):
    user = role_users[Role.TRIAGE]
    enrolled(user)
    sign_in_with_password(client, user)
    assert _goes_to_verify(client.post(NEW_CODES))
    assert not RecoveryCode.objects.exists()


# Administrators -----------------------------------------------------------------------------


def test_an_administrator_resets_mfa_from_the_admin_and_it_is_audited(client, role_users):
    user = role_users[Role.TRIAGE]
    device, _codes = set_up_through_the_pages(client, user)
    assert client.get(WORK).status_code == 200  # the person's own session, verified

    admin = role_users[Role.ADMIN]
    admin_client = force_login_verified(Client(), admin)
    changelist = reverse("admin:accounts_user_changelist")
    assert "Two-factor set up" in admin_client.get(changelist).content.decode()
    response = admin_client.post(
        changelist, {"action": "reset_two_factor", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action=AuditAction.UPDATE, detail__mfa="reset")
    assert event.actor == admin
    assert event.object_id == str(user.pk)
    assert event.detail == {"mfa": "reset", "username": user.username, "via": "admin", "devices": 2}

    # The person's open session no longer counts as verified: they set it up again.
    response = client.get(WORK)
    assert _goes_to_verify(response)
    assert client.get(response["Location"])["Location"].startswith(SET_UP)
    client.post("/accounts/sign-out/")
    response = sign_in_with_password(client, user)
    assert client.get(response["Location"])["Location"].startswith(SET_UP)
    assert device.pk not in TOTPDevice.objects.values_list("pk", flat=True)


def test_django_otp_device_admin_is_not_offered(role_users):
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)


def test_mfa_reset_command(role_users):
    user = role_users[Role.REFERRER]
    enrolled(user)
    out = StringIO()
    call_command("mfa-reset", user.username, "--by", role_users[Role.ADMIN].username, stdout=out)
    assert f"Two-factor authentication reset for {user.username}" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert event.actor == role_users[Role.ADMIN]
    assert event.detail["via"] == "command"
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("mfa-reset", "nobody")
    with pytest.raises(CommandError, match="--by"):
        call_command("mfa-reset", user.username, "--by", "nobody")


# The account page ---------------------------------------------------------------------------


def test_the_account_page_says_what_is_set_up(client, role_users):
    user = role_users[Role.PANEL_MEMBER]
    set_up_through_the_pages(client, user)
    body = client.get(ACCOUNT).content.decode()
    assert "Your role can see information that identifies people" in body
    assert "Set up on" in body
    assert "10 unused codes" in body
    assert "Get new recovery codes" in body


def test_only_an_administrator_can_reset_someone_elses_mfa(role_users):
    from django.core.exceptions import PermissionDenied

    from pathways.accounts.services import mfa_reset

    user = role_users[Role.TRIAGE]
    enrolled(user)
    with pytest.raises(PermissionDenied):
        mfa_reset(actor=role_users[Role.PROVIDER_MANAGER], user=user, via="admin")
    assert TOTPDevice.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.UPDATE).exists()
