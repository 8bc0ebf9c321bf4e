"""Writes about users and memberships."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from rest_framework.authtoken.models import Token

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from . import idle, lockout
from .models import Membership, User


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
            },
            request=request,
        )
        return SignInAttempt(None, True, state)
    return SignInAttempt(None)


def user_sign_in(*, request: Any, user: User) -> None:
    """Start a session for a user whose credentials were checked; audited.

    Clears the failed attempts counted against this username (not those of other usernames
    from the same address: see AXES_RESET_ON_SUCCESS in settings). Logging in starts the
    idle clock (`idle.start_idle_clock`).
    """
    login(request, user)
    AxesProxyHandler.reset_attempts(username=user.get_username())
    audit_record(
        actor=user,
        action=AuditAction.SIGN_IN,
        object_type="user",
        object_id=user.pk,
        request=request,
    )


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
