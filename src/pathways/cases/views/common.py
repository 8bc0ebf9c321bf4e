"""Helpers the case work pages share."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import BaseForm

from pathways.referrals.reference import RiskTier

from ..models import CaseStatus, SupportStatus

PAGE_SIZE = 25

# Keys into the component layer's tag colours (core/templatetags/govuk.py).
CASE_STATUS_TAG_KEYS: dict[str, str] = {
    CaseStatus.REFERRED: "queued",
    CaseStatus.ASSESSMENT: "running",
    CaseStatus.WAITING: "pending",
    CaseStatus.ACTIVE: "approved",
    CaseStatus.SUSPENDED: "stale",
    CaseStatus.COMPLETED: "no",
    CaseStatus.DROPPED_OUT: "failed",
    CaseStatus.DESELECTED: "rejected",
    CaseStatus.CLOSED: "withdrawn",
}
SUPPORT_STATUS_TAG_KEYS: dict[str, str] = {
    SupportStatus.OPEN: "pending",
    SupportStatus.ACTIVE: "approved",
    SupportStatus.CLOSED: "withdrawn",
}
RISK_TAG_KEYS: dict[str, str] = {
    RiskTier.HIGH: "failed",
    RiskTier.MEDIUM: "pending",
    RiskTier.STANDARD: "no",
}


def add_service_errors(form: BaseForm, exc: ValidationError, targets: dict[str, str]) -> None:
    """Put a service's ValidationError on the form, on the field it concerns where possible
    (`targets` maps service keys to form field names)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.message_dict.items():
        target = targets.get(key, key)
        form.add_error(target if target in form.fields else None, errors)


def form_status(form: BaseForm) -> int:
    """400 for a bound form with errors (so tests and clients can tell), else 200."""
    return 400 if form.is_bound and form.errors else 200
