"""Retention for the front door: remove what identifies anyone from referrals that are
past their retention period, keeping what monitoring counts (area, route, source, tier,
statuses and their dates). Called by `pathways apply-retention` (core.retention)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import (
    Child,
    Notification,
    Referral,
    ReferralStatus,
    StatusChange,
    VictimSurvivor,
)

# Statuses in which a referral is finished with at the front door without a case.
ENDED_WITHOUT_CASE = (
    ReferralStatus.SIGNPOSTED,
    ReferralStatus.WITHDRAWN,
    ReferralStatus.NO_SUITABLE_SERVICE,
)
# Blanked on anonymisation: every field that holds a person's details or free text.
IDENTIFYING_BLANK = (
    "person_name",
    "person_postcode",
    "contact_phone",
    "contact_email",
    "safe_times",
    "safe_word",
    "account",
    "accessibility_needs",
    "risk_known",
    "consent_reason",
    "tier_override_reason",
    "decline_reason",
    "signpost_note",
    "idempotency_key",
    "idempotency_fingerprint",
)


def referrals_due(*, ended_before: dt.datetime, case_anonymised: bool = True) -> Q:
    """Referrals past retention: ended without a case before the date, or accepted with a
    case that retention has already anonymised."""
    due = Q(status__in=ENDED_WITHOUT_CASE, status_changed_at__lt=ended_before)
    if case_anonymised:
        due |= Q(status=ReferralStatus.ACCEPTED, perpetrator_case__anonymised_at__isnull=False)
    return due & Q(anonymised_at__isnull=True)


@transaction.atomic
def referrals_anonymise(*, ended_before: dt.datetime, dry_run: bool = False) -> int:
    """Anonymise every referral past retention; returns how many. One transaction."""
    ids = list(
        Referral.objects.filter(referrals_due(ended_before=ended_before)).values_list(
            "id", flat=True
        )
    )
    if dry_run or not ids:
        return len(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        VictimSurvivor.objects.filter(referral_id__in=chunk).delete()
        Child.objects.filter(referral_id__in=chunk).delete()
        StatusChange.objects.filter(referral_id__in=chunk).update(reason="")
        Referral.objects.filter(id__in=chunk).update(
            **dict.fromkeys(IDENTIFYING_BLANK, ""),
            person_date_of_birth=None,
            risk_answers={},
            computed_explanation=[],
            anonymised_at=timezone.now(),
        )
    return len(ids)


@transaction.atomic
def notifications_delete(*, sent_before: dt.datetime, dry_run: bool = False) -> int:
    """Delete notification records older than the date; returns how many."""
    qs = Notification.objects.filter(created_at__lt=sent_before)
    count = qs.count()
    if not dry_run and count:
        qs.delete()
    return count
