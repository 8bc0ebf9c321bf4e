"""Timers the referrer and the front door see: how long a referral has waited, how long
until first contact, and whether it is overdue at its current stage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import OPEN_FOR_TRIAGE, Referral, ReferralStatus


@dataclass(frozen=True)
class Timers:
    waiting: dt.timedelta | None  # received until accepted/closed (or now)
    to_first_contact: dt.timedelta | None  # received until first contact (None: not yet)
    overdue: bool
    overdue_reason: str


def _limits() -> tuple[dt.timedelta, dt.timedelta, dt.timedelta]:
    return (
        dt.timedelta(days=settings.REFERRAL_TRIAGE_DUE_DAYS),
        dt.timedelta(days=settings.REFERRAL_RESPONSE_DUE_DAYS),
        dt.timedelta(days=settings.REFERRAL_FIRST_CONTACT_DUE_DAYS),
    )


def referral_timers(referral: Referral, *, now: dt.datetime | None = None) -> Timers:
    """Timers for one referral (no queries: uses the referral's own timestamps)."""
    now = now or timezone.now()
    triage_due, response_due, contact_due = _limits()
    received = referral.created_at
    closed = referral.status in (ReferralStatus.SIGNPOSTED, ReferralStatus.WITHDRAWN)
    end = referral.decided_at if referral.status == ReferralStatus.ACCEPTED else None
    if closed:
        end = referral.status_changed_at
    waiting = (end or now) - received if received else None
    to_contact = referral.first_contact_at - received if referral.first_contact_at else None
    reason = ""
    if referral.status in OPEN_FOR_TRIAGE and now - referral.status_changed_at > triage_due:
        reason = f"waiting for the front door for more than {triage_due.days} days"
    elif (
        referral.status == ReferralStatus.SENT
        and referral.sent_at
        and (now - referral.sent_at > response_due)
    ):
        reason = f"waiting for the service to respond for more than {response_due.days} days"
    elif (
        referral.status == ReferralStatus.ACCEPTED
        and referral.first_contact_at is None
        and now - received > contact_due
    ):
        reason = f"no first contact within {contact_due.days} days"
    return Timers(
        waiting=waiting, to_first_contact=to_contact, overdue=bool(reason), overdue_reason=reason
    )


def overdue_q(*, now: dt.datetime | None = None) -> Q:
    """A filter matching exactly the referrals `referral_timers` calls overdue."""
    now = now or timezone.now()
    triage_due, response_due, contact_due = _limits()
    return (
        Q(status__in=OPEN_FOR_TRIAGE, status_changed_at__lt=now - triage_due)
        | Q(status=ReferralStatus.SENT, sent_at__lt=now - response_due)
        | Q(
            status=ReferralStatus.ACCEPTED,
            first_contact_at__isnull=True,
            created_at__lt=now - contact_due,
        )
    )
