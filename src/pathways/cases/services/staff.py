"""Staff records the standards ask a service to keep: induction, clinical supervision and
the enhanced DBS check. Kept by the organisation's provider managers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.accounts.policies import user_organisation_ids
from pathways.audit.models import AuditAction

from ..models import StaffRecord
from ..policies import is_manager_for
from .common import audit


@transaction.atomic
def staff_record_save(
    *,
    actor: Any,
    user: Any,
    organisation: Any,
    induction_completed_on: dt.date | None,
    last_supervision_on: dt.date | None,
    dbs_checked_on: dt.date | None,
    supervision_interval_days: int = 30,
    dbs_recheck_years: int = 3,
    request: Any = None,
) -> StaffRecord:
    """A provider manager records a member of staff's induction, supervision and DBS dates."""
    if not is_manager_for(actor, organisation.pk):
        raise PermissionDenied("Only the organisation's managers keep its staff records")
    errors: dict[str, list[str]] = {}
    if organisation.pk not in user_organisation_ids(user):
        errors["user"] = ["Choose a member of the organisation's staff"]
    today = timezone.localdate()
    for name, value in (
        ("induction_completed_on", induction_completed_on),
        ("last_supervision_on", last_supervision_on),
        ("dbs_checked_on", dbs_checked_on),
    ):
        if value is not None and value > today:
            errors[name] = ["The date must be today or in the past"]
    if not 1 <= supervision_interval_days <= 366:
        errors["supervision_interval_days"] = ["Enter a number of days from 1 to 366"]
    if not 1 <= dbs_recheck_years <= 10:
        errors["dbs_recheck_years"] = ["Enter a number of years from 1 to 10"]
    if errors:
        raise ValidationError(errors)
    record, created = StaffRecord.objects.update_or_create(
        user=user,
        organisation=organisation,
        defaults={
            "induction_completed_on": induction_completed_on,
            "last_supervision_on": last_supervision_on,
            "dbs_checked_on": dbs_checked_on,
            "supervision_interval_days": supervision_interval_days,
            "dbs_recheck_years": dbs_recheck_years,
        },
    )
    audit(
        actor=actor,
        action=AuditAction.STAFF_RECORD_SAVED,
        object_type="staff_record",
        object_id=str(record.pk),
        detail={"user": user.pk, "organisation": organisation.pk, "created": created},
        request=request,
    )
    return record


def staff_record_overdue(record: StaffRecord, *, today: dt.date | None = None) -> list[str]:
    """What is missing or overdue on a staff record, in plain words (empty when current)."""
    today = today or timezone.localdate()
    problems = []
    if record.induction_completed_on is None:
        problems.append("Induction training not recorded")
    if record.last_supervision_on is None:
        problems.append("No clinical supervision recorded")
    elif record.last_supervision_on + dt.timedelta(days=record.supervision_interval_days) < today:
        problems.append("Clinical supervision overdue")
    if record.dbs_checked_on is None:
        problems.append("No enhanced DBS check recorded")
    else:
        try:
            due = record.dbs_checked_on.replace(
                year=record.dbs_checked_on.year + record.dbs_recheck_years
            )
        except ValueError:  # 29 February
            due = record.dbs_checked_on.replace(
                year=record.dbs_checked_on.year + record.dbs_recheck_years, day=28
            )
        if due < today:
            problems.append("Enhanced DBS check due for renewal")
    return problems
