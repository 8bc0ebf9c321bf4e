"""Retention for case work: remove what identifies anyone from cases closed longer ago
than the retention period, keeping what monitoring and outcomes count (service, statuses,
dates, tiers, attendance, equality answers). Called by `pathways apply-retention`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import (
    Alert,
    CaseAssessment,
    CaseNote,
    CaseStatusChange,
    Consent,
    Handover,
    PerpetratorCase,
    RiskEvent,
    SupportCase,
    SupportNote,
)


def _chunks(ids: list, size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@transaction.atomic
def cases_anonymise(*, closed_before: dt.datetime, dry_run: bool = False) -> int:
    """Anonymise perpetrator cases closed before the date (and not yet anonymised): the
    person's details and every free-text record; returns how many."""
    ids = list(
        PerpetratorCase.objects.filter(
            closed_at__lt=closed_before, anonymised_at__isnull=True
        ).values_list("id", flat=True)
    )
    if dry_run or not ids:
        return len(ids)
    now = timezone.now()
    for chunk in _chunks(ids):
        CaseNote.objects.filter(case_id__in=chunk).delete()
        Alert.objects.filter(case_id__in=chunk).delete()
        CaseAssessment.objects.filter(case_id__in=chunk).update(summary="")
        Consent.objects.filter(case_id__in=chunk).update(safeguarding_reason="", scope="")
        Handover.objects.filter(case_id__in=chunk).update(summary="", to_contact="")
        RiskEvent.objects.filter(case_id__in=chunk).update(summary="", victim_told_note="")
        CaseStatusChange.objects.filter(case_id__in=chunk).update(reason="")
        PerpetratorCase.objects.filter(id__in=chunk).update(
            person_name="",
            person_date_of_birth=None,
            no_victim_reason="",
            ending_reason="",
            allocation_override_reason="",
            anonymised_at=now,
        )
    return len(ids)


@transaction.atomic
def support_cases_anonymise(*, closed_before: dt.datetime, dry_run: bool = False) -> int:
    """Anonymise support cases closed before the date: the victim-survivor's name, contact
    details, wishes and notes; returns how many."""
    ids = list(
        SupportCase.objects.filter(
            closed_at__lt=closed_before, anonymised_at__isnull=True
        ).values_list("id", flat=True)
    )
    if dry_run or not ids:
        return len(ids)
    now = timezone.now()
    for chunk in _chunks(ids):
        SupportNote.objects.filter(support_case_id__in=chunk).delete()
        Consent.objects.filter(support_case_id__in=chunk).update(safeguarding_reason="", scope="")
        CaseStatusChange.objects.filter(support_case_id__in=chunk).update(reason="")
        SupportCase.objects.filter(id__in=chunk).update(
            victim_name="",
            contact_phone="",
            contact_email="",
            safe_address="",
            safe_times="",
            contact_wish_notes="",
            referral_victim=None,
            anonymised_at=now,
        )
    return len(ids)


@transaction.atomic
def alerts_delete(*, acknowledged_before: dt.datetime, dry_run: bool = False) -> int:
    """Delete alerts acknowledged before the date; returns how many."""
    qs = Alert.objects.filter(acknowledged_at__lt=acknowledged_before)
    count = qs.count()
    if not dry_run and count:
        qs.delete()
    return count
