"""Reads about accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from .lockout import cool_off


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
