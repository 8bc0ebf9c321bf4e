"""Writes about users and memberships."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import django_otp
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from . import idle, lockout, mfa, recovery_codes
from .models import Membership, RecoveryCode, RecoveryCodeDevice, User
from .policies import can_reset_mfa


@dataclass(frozen=True)
class SignInAttempt:
    """The outcome of checking a username and password."""

    user: User | None
    locked_out: bool = False
    lockout: lockout.LockoutState | None = None


def user_authenticate(*, request: Any, username: str, password: str) -> SignInAttempt:
    """Check a username and password behind the lockout; failures and lockouts are audited.

    For every web sign-in path (the sign-in page, the token API). A username or address that
    is locked out is refused without checking the password, so a right password does not
    help a guesser either. The lockout applies to any username typed, whether or not an
    account has it, so it does not reveal which accounts exist.
    """
    username = username[:150]
    if not AxesProxyHandler.is_allowed(request, {"username": username}):
        setattr(request, lockout.LOCKOUT_ANSWERED, True)
        user_sign_in_failed(request=request, username=username, reason="locked_out")
        return SignInAttempt(None, True, lockout.lockout_state(request, username))
    user = authenticate(request, username=username, password=password)
    if user is not None:
        return SignInAttempt(user)
    user_sign_in_failed(request=request, username=username)
    if getattr(request, "axes_locked_out", False):
        return SignInAttempt(None, True, _lockout_started(request=request, username=username))
    return SignInAttempt(None)


def _lockout_started(*, request: Any, username: str, **extra: Any) -> lockout.LockoutState:
    """Audit the failure that started a lockout, and say what it locks and for how long."""
    setattr(request, lockout.LOCKOUT_ANSWERED, True)
    state = lockout.lockout_state(request, username)
    audit_record(
        actor=None,
        action=AuditAction.SIGN_IN_LOCKED_OUT,
        object_type="username",
        object_id=username,
        detail={
            "username": username,
            "locked": list(state.scopes),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "lockout_minutes": state.retry_after_minutes,
            **extra,
        },
        request=request,
    )
    return state


def user_sign_in(*, request: Any, user: User) -> str | None:
    """Start a session for a user whose password was checked; audited. For the sign-in page.

    Returns the second step the session still owes: `mfa.STEP_VERIFY` (a code),
    `mfa.STEP_ENROL` (set up an authenticator) or None. Until it is done,
    SecondFactorMiddleware keeps the session to the MFA pages.

    Clears the failed attempts counted against this username (not those of other usernames
    from the same address: see AXES_RESET_ON_SUCCESS in settings), except when a code is
    still owed: then they are cleared when the code is right, so the right password alone
    cannot wipe out guesses at the code. Logging in starts the idle clock
    (`idle.start_idle_clock`) and notes an owed code (`mfa.mark_pending_at_login`).
    """
    login(request, user)
    step = mfa.step_for(user)
    if step != mfa.STEP_VERIFY:
        AxesProxyHandler.reset_attempts(username=user.get_username())
    audit_record(
        actor=user,
        action=AuditAction.SIGN_IN,
        object_type="user",
        object_id=user.pk,
        detail={"mfa": {mfa.STEP_VERIFY: "pending", mfa.STEP_ENROL: "enrol"}[step]}
        if step
        else None,
        request=request,
    )
    return step


def user_sign_in_failed(*, request: Any, username: str, reason: str = "") -> None:
    """Record a failed sign-in attempt (the username as typed, never the password).

    `reason` is "locked_out" when the attempt was refused because of a lockout.
    """
    detail = {"username": username[:150]}
    if reason:
        detail["reason"] = reason
    audit_record(
        actor=None,
        action=AuditAction.SIGN_IN_FAILED,
        object_type="user",
        detail=detail,
        request=request,
    )


def user_sign_out(*, request: Any, reason: str = "user", idle_minutes: int | None = None) -> None:
    """End the session; audited with why: "user" (they chose to) or "idle" (timed out)."""
    user = request.user
    if user.is_authenticated:
        detail: dict[str, Any] = {"reason": reason}
        if idle_minutes is not None:
            detail["idle_minutes"] = idle_minutes
        audit_record(
            actor=user,
            action=AuditAction.SIGN_OUT,
            object_type="user",
            object_id=user.pk,
            detail=detail,
            request=request,
        )
    logout(request)


def user_sign_out_idle(*, request: Any) -> None:
    """Sign out a session left unused for longer than its timeout; audited (reason idle).

    Called by IdleTimeoutMiddleware. The fresh session remembers why, so the sign-in page
    can say so.
    """
    timeout = idle.idle_timeout_minutes(request.user)
    idle_minutes = int((idle.idle_seconds(request) or 0) // 60)
    user_sign_out(request=request, reason="idle", idle_minutes=idle_minutes)
    request.session[idle.SIGNED_OUT_KEY] = {"reason": "idle", "timeout_minutes": timeout}


@transaction.atomic
def sign_in_unlock(
    *, actor: Any, username: str = "", ip_address: str = "", via: str = "command"
) -> int:
    """Lift a sign-in lockout on a username, an address, or both; audited. For administrators.

    Clears every failed attempt counted against the username (from any address) and every
    one counted against the address (for any username). Returns how many records went.
    """
    if not username and not ip_address:
        raise ValueError("Name a username or an address to unlock")
    cleared = 0
    if username:
        cleared += AxesProxyHandler.reset_attempts(username=username)
    if ip_address:
        cleared += AxesProxyHandler.reset_attempts(ip_address=ip_address)
    audit_record(
        actor=actor,
        action=AuditAction.SIGN_IN_UNLOCKED,
        object_type="username" if username else "address",
        object_id=username or ip_address,
        detail={
            "username": username,
            "ip_address": ip_address,
            "via": via,
            "cleared": cleared,
        },
    )
    return cleared


def api_token_issue(*, user: User, request: Any = None) -> Token:
    """Return the user's API token, creating it when there is none; audited."""
    token, _ = Token.objects.get_or_create(user=user)
    audit_record(
        actor=user, action=AuditAction.TOKEN, object_type="user", object_id=user.pk, request=request
    )
    return token


@transaction.atomic
def membership_grant(*, user: User, organisation: Any, role: str, actor: Any = None) -> Membership:
    """Give a user a role for an organisation (idempotent); audited."""
    membership, created = Membership.objects.get_or_create(
        user=user, organisation=organisation, role=role
    )
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="membership",
            object_id=membership.pk,
            detail={"user": user.username, "organisation": str(organisation.pk), "role": role},
        )
    return membership


# Multi-factor sign-in --------------------------------------------------------------------

MFA_TOTP = "totp"
MFA_RECOVERY_CODE = "recovery_code"


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a second-factor code.

    `reason` when refused: "wrong_code", "throttled" (too soon after a wrong code: wait
    `retry_after` seconds) or "locked_out" (the sign-in lockout: see `lockout`).
    """

    ok: bool
    reason: str = ""
    retry_after: int = 0
    lockout: lockout.LockoutState | None = None
    recovery_codes_left: int | None = None


def _throttle_wait(device: Any) -> int:
    """Seconds before django-otp's back-off lets this device check another code (0: now)."""
    allowed, info = device.verify_is_allowed()
    if allowed:
        return 0
    until = (info or {}).get("locked_until")
    if until is None:
        return 1
    return max(1, int((until - timezone.now()).total_seconds() + 0.999))


def _mfa_session_verified(*, request: Any, device: Any) -> None:
    """Mark this session as having passed its second factor with `device`, under a new
    session key (so a key fixed before the code was given is worth nothing after)."""
    django_otp.login(request, device)
    request.session.pop(mfa.PENDING_KEY, None)
    request.session.cycle_key()


def _mfa_failed(*, request: Any, username: str, method: str, reason: str) -> None:
    audit_record(
        actor=None,
        action=AuditAction.SIGN_IN_FAILED,
        object_type="user",
        detail={"username": username, "mfa": method, "reason": reason},
        request=request,
    )


def mfa_verify(
    *, request: Any, user: User, code: str, method: str, session: bool = True
) -> CodeCheck:
    """Check the second factor of a user who gave the right password; audited. For the MFA
    sign-in page (`session=True`: the session is then verified) and the token API.

    `method` is MFA_TOTP (a code from the authenticator app) or MFA_RECOVERY_CODE (used up
    when right). Behind the sign-in lockout: a locked username or address is refused without
    checking, and each wrong code counts towards the lockout like a wrong password. On top,
    django-otp backs off after each wrong code (1, 2, 4, 8… seconds) per device.
    """
    username = user.get_username()
    if not AxesProxyHandler.is_allowed(request, {"username": username}):
        setattr(request, lockout.LOCKOUT_ANSWERED, True)
        _mfa_failed(request=request, username=username, method=method, reason="locked_out")
        return CodeCheck(False, "locked_out", lockout=lockout.lockout_state(request, username))
    model = TOTPDevice if method == MFA_TOTP else RecoveryCodeDevice
    left: int | None = None
    with transaction.atomic():
        device = (
            model.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("-pk")
            .first()
        )
        wait = _throttle_wait(device) if device is not None else 0
        ok = False
        if not wait and device is not None:
            ok = device.verify_token(
                "".join(code.split()) if method == MFA_TOTP else recovery_codes.normalise(code)
            )
        if ok and method == MFA_RECOVERY_CODE:
            left = device.codes.count()
    if wait:
        _mfa_failed(request=request, username=username, method=method, reason="throttled")
        return CodeCheck(False, "throttled", retry_after=wait)
    if not ok:
        _mfa_failed(request=request, username=username, method=method, reason="wrong_code")
        # Counted by django-axes like a wrong password, against the username and the address.
        user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        if getattr(request, "axes_locked_out", False):
            state = _lockout_started(request=request, username=username, mfa=method)
            return CodeCheck(False, "locked_out", lockout=state)
        return CodeCheck(False, "wrong_code")
    detail: dict[str, Any] = {"mfa": method}
    if left is not None:
        detail["recovery_codes_left"] = left
    if not session:
        detail["via"] = "api"
    audit_record(
        actor=user,
        action=AuditAction.VERIFY,
        object_type="user",
        object_id=user.pk,
        detail=detail,
        request=request,
    )
    if session:
        _mfa_session_verified(request=request, device=device)
        AxesProxyHandler.reset_attempts(username=username)
    return CodeCheck(True, recovery_codes_left=left)


def mfa_enrolment_start(*, user: User) -> Any:
    """The authenticator a person is setting up: their unconfirmed TOTP device, made when
    there is none (so reloading the page keeps the same QR code). For the set-up page."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=mfa.TOTP_DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_replace(*, user: User) -> list[str]:
    """New recovery codes for the user, replacing any they had. Returns them, for showing once."""
    device = RecoveryCodeDevice.objects.select_for_update().filter(user=user).order_by("pk").first()
    if device is None:
        device = RecoveryCodeDevice.objects.create(user=user, name=mfa.RECOVERY_DEVICE_NAME)
    RecoveryCodeDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.codes.all().delete()
    device.throttle_reset()
    codes = [recovery_codes.generate() for _ in range(mfa.RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, digest=recovery_codes.digest(device.pk, code)) for code in codes
    )
    return codes


def mfa_enrolment_confirm(*, request: Any, user: User, code: str) -> tuple[CodeCheck, list[str]]:
    """Confirm the authenticator being set up with a code from it; audited. For the set-up page.

    When the code is right the new authenticator replaces any old one, ten new recovery codes
    replace any old ones, and the session counts as verified. Returns the check and the new
    recovery codes, which are shown once and never stored.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            return CodeCheck(False, "wrong_code"), []
        wait = _throttle_wait(device)
        if wait:
            return CodeCheck(False, "throttled", retry_after=wait), []
        if not device.verify_token("".join(code.split())):
            return CodeCheck(False, "wrong_code"), []
        others = TOTPDevice.objects.filter(user=user).exclude(pk=device.pk)
        replaced = others.filter(confirmed=True).exists()
        others.delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _recovery_codes_replace(user=user)
        audit_record(
            actor=user,
            action=AuditAction.UPDATE,
            object_type="user",
            object_id=user.pk,
            detail={"mfa": "enrolled", "replaced": replaced, "recovery_codes": len(codes)},
            request=request,
        )
    _mfa_session_verified(request=request, device=device)
    AxesProxyHandler.reset_attempts(username=user.get_username())
    return CodeCheck(True, recovery_codes_left=len(codes)), codes


@transaction.atomic
def mfa_recovery_codes_regenerate(*, request: Any, user: User) -> list[str]:
    """Give a signed-in, verified person new recovery codes; the old ones stop working;
    audited. Returns the codes, shown once. For the person's own MFA page."""
    if not mfa.is_verified(request) or request.user.pk != user.pk:
        raise PermissionDenied("Give your security code before getting new recovery codes")
    if not mfa.is_enrolled(user):
        raise ValueError("Set up an authenticator app before getting recovery codes")
    codes = _recovery_codes_replace(user=user)
    audit_record(
        actor=user,
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.pk,
        detail={"mfa": "recovery_codes_regenerated", "recovery_codes": len(codes)},
        request=request,
    )
    return codes


@transaction.atomic
def mfa_reset(*, actor: Any, user: User, via: str = "admin", request: Any = None) -> int:
    """Remove a person's authenticator and recovery codes; audited. For administrators.

    Their sessions stop counting as verified at once, and at their next sign-in they set up
    MFA again (or, for a role that does not need it, sign in with the password alone).
    Returns how many devices went. `actor` None is the command line.
    """
    if actor is not None and not can_reset_mfa(actor):
        raise PermissionDenied("Only administrators can reset two-factor authentication")
    removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
    removed += (
        RecoveryCodeDevice.objects.filter(user=user)
        .delete()[1]
        .get(RecoveryCodeDevice._meta.label, 0)
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.pk,
        detail={"mfa": "reset", "username": user.get_username(), "via": via, "devices": removed},
        request=request,
    )
    return removed


@transaction.atomic
def mfa_demo_device_ensure(*, user: User) -> bool:
    """DEMO ONLY: give a demo user an authenticator with the published demo secret, unless
    they have one; audited. Refused outside development and demo modes. For core/demo.py."""
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("The demo authenticator exists only in demo modes")
    if mfa.is_enrolled(user):
        return False
    TOTPDevice.objects.create(
        user=user, name=f"{mfa.TOTP_DEVICE_NAME} (demo)", key=mfa.demo_key_hex(), confirmed=True
    )
    audit_record(
        actor=None,
        action=AuditAction.UPDATE,
        object_type="user",
        object_id=user.pk,
        detail={"mfa": "enrolled", "via": "demo"},
    )
    return True
