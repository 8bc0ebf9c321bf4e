"""Writes about users and memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from django.db import transaction
from rest_framework.authtoken.models import Token

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from .models import Membership, User


def user_sign_in(*, request: Any, user: User) -> None:
    """Start a session for a user whose credentials were checked; audited."""
    login(request, user)
    audit_record(
        actor=user,
        action=AuditAction.SIGN_IN,
        object_type="user",
        object_id=user.pk,
        request=request,
    )


def user_sign_in_failed(*, request: Any, username: str) -> None:
    """Record a failed sign-in attempt (the username as typed, never the password)."""
    audit_record(
        actor=None,
        action=AuditAction.SIGN_IN_FAILED,
        object_type="user",
        detail={"username": username[:150]},
        request=request,
    )


def user_sign_out(*, request: Any) -> None:
    """End the session; audited."""
    user = request.user
    if user.is_authenticated:
        audit_record(
            actor=user,
            action=AuditAction.SIGN_OUT,
            object_type="user",
            object_id=user.pk,
            request=request,
        )
    logout(request)


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
