"""Pieces every case service shares: references, row locks, status history, workload,
and sending alerts. Free text (notes, reasons, summaries) may name people, so it stays
on the case; the audit trail gets codes, references and fixed phrases."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from ..models import (
    OPEN_CASE_STATUSES,
    OPEN_SUPPORT_STATUSES,
    Alert,
    CaseStatusChange,
    PerpetratorCase,
    ServiceCaseSettings,
    SupportCase,
)

log = logging.getLogger(__name__)

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_case_reference(prefix: str) -> str:
    """A reference such as PC-7K3M-Q9XD (perpetrator case) or SC-… (support case)."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def lock_case(case: PerpetratorCase) -> PerpetratorCase:
    """The case's row, locked for this transaction, with what the services read of it."""
    return (
        PerpetratorCase.objects.select_for_update(of=("self",))
        .select_related("service__organisation", "worker", "referral")
        .get(pk=case.pk)
    )


def lock_support_case(support_case: SupportCase) -> SupportCase:
    """The support case's row, locked for this transaction."""
    return (
        SupportCase.objects.select_for_update(of=("self",))
        .select_related("organisation", "perpetrator_case__service", "worker")
        .get(pk=support_case.pk)
    )


def copy_fields(target: Any, source: Any) -> None:
    """Keep a caller's object current after a service saved a locked copy."""
    for f in source._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def history_add(
    *,
    actor: Any,
    case: PerpetratorCase | None = None,
    support_case: SupportCase | None = None,
    from_status: str,
    to_status: str,
    reason: str = "",
    at: Any = None,
) -> CaseStatusChange:
    return CaseStatusChange.objects.create(
        case=case,
        support_case=support_case,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        at=at or timezone.now(),
        by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def case_settings_for(service: Any) -> ServiceCaseSettings:
    """The service's case settings, or the defaults (unsaved) when it has set none."""
    found = ServiceCaseSettings.objects.filter(service=service).first()
    return found or ServiceCaseSettings(service=service)


def assessment_intervals(service_ids: Iterable[Any]) -> dict[Any, int]:
    """Each service's assessment interval in days (the default where it set none), in one
    query: the bulk form of `case_settings_for`, for any caller holding the services' ids."""
    wanted = set(service_ids)
    found = dict(
        ServiceCaseSettings.objects.filter(service_id__in=wanted).values_list(
            "service_id", "assessment_interval_days"
        )
    )
    default = ServiceCaseSettings._meta.get_field("assessment_interval_days").default
    return {sid: found.get(sid, default) for sid in wanted}


def worker_caseload(user: Any) -> int:
    """Open perpetrator and support cases the worker holds."""
    return (
        PerpetratorCase.objects.filter(worker=user, status__in=OPEN_CASE_STATUSES).count()
        + SupportCase.objects.filter(worker=user, status__in=OPEN_SUPPORT_STATUSES).count()
    )


def audit(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
    request: Any = None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail or {},
        request=request,
    )


def alerts_deliver(
    *,
    recipients: Iterable[tuple[Any, str]],
    kind: str,
    case: PerpetratorCase,
    message: str,
    risk_event: Any = None,
) -> list[Alert]:
    """Put an alert on each recipient's list now (same transaction as the cause), and email
    each a nudge after commit. `recipients` is (user, delivery role) pairs; a user named
    twice gets one alert, under the first role."""
    seen: set[Any] = set()
    alerts = []
    for user, role in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        alerts.append(
            Alert(
                recipient=user,
                kind=kind,
                role=role,
                case=case,
                risk_event=risk_event,
                message=message[:300],
            )
        )
    Alert.objects.bulk_create(alerts)
    emails = [a.recipient.email for a in alerts if a.recipient.email]
    if emails:
        transaction.on_commit(lambda: _email_alerts(emails, case.reference, kind))
    return alerts


def _email_alerts(addresses: list[str], reference: str, kind: str) -> None:
    """Email a nudge with the case reference and a link, never anyone's details."""
    from pathways.referrals.notifications import get_backend

    base = getattr(settings, "PATHWAYS_BASE_URL", "").rstrip("/")
    subject = f"Pathways: a new alert about {reference}"
    body = (
        f"There is a new alert ({kind.replace('_', ' ')}) about {reference} on your alert list."
        f"\n\nSign in to read it: {base}/cases/alerts/"
    )
    backend = get_backend()
    for address in addresses:
        try:
            backend.send(address=address, subject=subject, body=body)
        except Exception:  # noqa: BLE001 - the alert is already on the list; email is a nudge
            log.exception("Could not email an alert about %s", reference)


def case_list_view_record(
    *, actor: Any, object_type: str, references: list[str], request: Any = None
) -> None:
    """Audit that someone read a list page naming people on cases: one event with the
    references shown (never names). Views and the API call it after the scoped selector."""
    if not references:
        return
    audit(
        actor=actor,
        action=AuditAction.READ,
        object_type=object_type,
        object_id="",
        detail={"list": True, "references": references},
        request=request,
    )
