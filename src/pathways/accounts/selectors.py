"""Reads about accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .lockout import cool_off
from .models import RecoveryCode


@dataclass(frozen=True)
class ActiveLockout:
    scope: str  # "username" or "address"
    value: str
    failures: int
    until: datetime


def sign_in_lockouts_active() -> list[ActiveLockout]:
    """Usernames and addresses locked out now, with when each lifts. For administrators."""
    period = cool_off()
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - period)
    lockouts: list[ActiveLockout] = []
    for scope, field in (("username", "username"), ("address", "ip_address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
            .order_by(field)
        )
        lockouts.extend(
            ActiveLockout(scope, str(row[field]), row["failures"], row["last"] + period)
            for row in rows
        )
    return lockouts


@dataclass(frozen=True)
class MfaStatus:
    enrolled: bool
    enrolled_at: datetime | None
    last_used_at: datetime | None
    recovery_codes_left: int


def mfa_status_for_user(*, user: Any) -> MfaStatus:
    """What second factor a person has set up. For their own MFA page and the admin."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    return MfaStatus(
        enrolled=device is not None,
        enrolled_at=device.created_at if device is not None else None,
        last_used_at=device.last_used_at if device is not None else None,
        recovery_codes_left=RecoveryCode.objects.filter(device__user=user).count(),
    )
