"""How a service runs its case work (`ServiceCaseSettings`): the review assessment
interval, the maximum caseload per worker, and the missed-session thresholds of its
engagement rules. Kept by the provider managers of the service's organisation."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pathways.audit.models import AuditAction

from ..models import ServiceCaseSettings
from ..policies import is_manager_for
from .common import audit

OBJECT = "service_case_settings"

# Inclusive ranges each setting may take, with the words its error message uses.
LIMITS: dict[str, tuple[int, int, str]] = {
    "assessment_interval_days": (7, 365, "days"),
    "max_caseload": (1, 100, "cases"),
    "missed_sessions_warning": (1, 20, "sessions"),
    "missed_sessions_review": (1, 30, "sessions"),
}
FIELDS = tuple(LIMITS)


def _check(name: str, value: Any) -> str | None:
    low, high, unit = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int):
        return f"Enter a whole number of {unit} from {low} to {high}"
    if not low <= value <= high:
        return f"Enter a number of {unit} from {low} to {high}"
    return None


@transaction.atomic
def service_case_settings_save(
    *,
    actor: Any,
    service: Any,
    assessment_interval_days: int,
    max_caseload: int,
    missed_sessions_warning: int,
    missed_sessions_review: int,
    request: Any = None,
) -> ServiceCaseSettings:
    """A provider manager of the service's organisation sets how the service runs its case
    work (creating the settings the first time)."""
    if not is_manager_for(actor, service.organisation_id):
        raise PermissionDenied("Only the organisation's managers set how its services run cases")
    values = {
        "assessment_interval_days": assessment_interval_days,
        "max_caseload": max_caseload,
        "missed_sessions_warning": missed_sessions_warning,
        "missed_sessions_review": missed_sessions_review,
    }
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        message = _check(name, value)
        if message:
            errors[name] = [message]
    if not errors and missed_sessions_review < missed_sessions_warning:
        # The review threshold counts all missed sessions, the warning those in a row, so a
        # review threshold below the warning would put a case up for review unwarned.
        errors["missed_sessions_review"] = [
            "Missed sessions before an engagement review must be at least the number "
            "that alerts the worker"
        ]
    if errors:
        raise ValidationError(errors)
    record = ServiceCaseSettings.objects.select_for_update().filter(service=service).first()
    created = record is None
    if record is None:
        record = ServiceCaseSettings(service=service)
    changed = sorted(name for name, value in values.items() if getattr(record, name) != value)
    for name, value in values.items():
        setattr(record, name, value)
    record.save()
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type=OBJECT,
        object_id=str(service.pk),
        detail={"created": created, "changed": changed, **values},
        request=request,
    )
    return record
