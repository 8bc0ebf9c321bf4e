"""Risk events: the only information that crosses between the perpetrator side and the
victim-survivor support side (standard 2.2), delivered at once to the other side's worker
and the named statutory lead (1.1, 1.4); alerts and their acknowledgement; recording that
a victim-survivor was told of a specific threat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.audit.models import AuditAction

from ..models import (
    OPEN_SUPPORT_STATUSES,
    Alert,
    AlertKind,
    DeliveryRole,
    PerpetratorCase,
    RiskEvent,
    RiskEventKind,
    Side,
    SupportCase,
    ThreatTo,
)
from ..policies import (
    MANAGER_ROLES,
    SUPPORT_SIDE_ROLES,
    can_view_case,
    can_view_support_case,
    is_named_contact,
)
from .common import alerts_deliver, audit, lock_case, lock_support_case


def _users_with_role(organisation_id: Any, roles: tuple[str, ...]) -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation_id=organisation_id,
            memberships__role__in=roles,
        )
        .distinct()
        .order_by("pk")
    )


def _recipients(event: RiskEvent) -> list[tuple[Any, str]]:
    """The other side's worker(s) and the named statutory lead. Where nobody is allocated
    yet, the other side's organisation (its support workers, or the service's managers)
    receives it so it never lands nowhere."""
    case = event.case
    out: list[tuple[Any, str]] = []
    if event.raised_side == Side.PERPETRATOR:
        linked = [
            sc
            for sc in case.support_cases.select_related("worker").all()
            if sc.status in OPEN_SUPPORT_STATUSES
        ]
        for sc in linked:
            if sc.worker_id:
                out.append((sc.worker, DeliveryRole.OTHER_SIDE))
            else:
                out += [
                    (u, DeliveryRole.OTHER_SIDE)
                    for u in _users_with_role(sc.organisation_id, SUPPORT_SIDE_ROLES)
                    if u.pk != case.worker_id
                ]
    else:
        if case.worker_id:
            out.append((case.worker, DeliveryRole.OTHER_SIDE))
        else:
            out += [
                (u, DeliveryRole.MANAGER)
                for u in _users_with_role(case.service.organisation_id, MANAGER_ROLES)
            ]
    out.append((case.statutory_lead, DeliveryRole.STATUTORY_LEAD))
    raiser = event.raised_by_id
    return [(u, role) for u, role in out if u is not None and u.pk != raiser]


def risk_event_create(
    *,
    actor: Any,
    case: PerpetratorCase,
    support_case: SupportCase | None,
    side: str,
    kind: str,
    occurred_on: dt.date,
    summary: str,
    threat_to: str,
    request: Any = None,
) -> RiskEvent:
    """Create and deliver a risk event inside the caller's transaction (no access check:
    callers have made it)."""
    errors: dict[str, list[str]] = {}
    summary = (summary or "").strip()
    if kind not in RiskEventKind.values:
        errors["kind"] = ["Choose what kind of risk event this is"]
    if not summary:
        errors["summary"] = ["Enter what happened (safeguarding information only)"]
    if threat_to not in ThreatTo.values:
        errors["threat_to"] = ["Choose who the threat is to"]
    if kind == RiskEventKind.SPECIFIC_THREAT and not threat_to:
        errors["threat_to"] = ["Say who the specific threat is to"]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = ["The date must be today or in the past"]
    if errors:
        raise ValidationError(errors)
    event = RiskEvent.objects.create(
        case=case,
        support_case=support_case,
        raised_side=side,
        raised_by=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        occurred_on=occurred_on,
        summary=summary,
        threat_to=threat_to,
    )
    recipients = _recipients(event)
    threat = f" Specific threat to {ThreatTo(threat_to).label.lower()}." if threat_to else ""
    alerts = alerts_deliver(
        recipients=recipients,
        kind=AlertKind.RISK_EVENT,
        case=case,
        risk_event=event,
        message=f"{event.get_kind_display()} on {case.reference}, raised by the "
        f"{Side(side).label.lower()}.{threat}",
    )
    audit(
        actor=actor,
        action=AuditAction.RISK_EVENT_RAISED,
        object_type="risk_event",
        object_id=str(event.pk),
        detail={
            "case": case.reference,
            "support_case": support_case.reference if support_case else "",
            "side": side,
            "kind": kind,
            "threat_to": threat_to,
            "delivered_to": [a.recipient_id for a in alerts],
        },
        request=request,
    )
    return event


@transaction.atomic
def risk_event_raise(
    *,
    actor: Any,
    kind: str,
    summary: str,
    occurred_on: dt.date | None = None,
    threat_to: str = "",
    case: PerpetratorCase | None = None,
    support_case: SupportCase | None = None,
    request: Any = None,
) -> RiskEvent:
    """Raise a risk event from either side: from a perpetrator case (its perpetrator-side
    staff) or from a support case linked to one (its support workers). Delivered at once."""
    if (case is None) == (support_case is None):
        raise ValidationError("Raise a risk event from one case: perpetrator or support")
    occurred_on = occurred_on or timezone.localdate()
    if support_case is not None:
        sc = lock_support_case(support_case)
        if not can_view_support_case(actor, sc):
            raise PermissionDenied("Only the victim-survivor's support workers can raise this")
        if sc.perpetrator_case_id is None:
            raise ValidationError(
                "This support case is not linked to a perpetrator case: share the risk "
                "through MARAC or the agency holding it"
            )
        parent = lock_case(sc.perpetrator_case)  # type: ignore[arg-type]
        return risk_event_create(
            actor=actor,
            case=parent,
            support_case=sc,
            side=Side.SUPPORT,
            kind=kind,
            occurred_on=occurred_on,
            summary=summary,
            threat_to=threat_to,
            request=request,
        )
    if case is None:  # unreachable: checked above
        raise ValueError("case is required")
    locked = lock_case(case)
    if not can_view_case(actor, locked):
        raise PermissionDenied("Only the case's perpetrator-side staff can raise this")
    return risk_event_create(
        actor=actor,
        case=locked,
        support_case=None,
        side=Side.PERPETRATOR,
        kind=kind,
        occurred_on=occurred_on,
        summary=summary,
        threat_to=threat_to,
        request=request,
    )


@transaction.atomic
def alert_acknowledge(*, actor: Any, alert: Alert, request: Any = None) -> Alert:
    """The person an alert was delivered to acknowledges it."""
    if alert.recipient_id != actor.pk:
        raise PermissionDenied("Only the person the alert was delivered to can acknowledge it")
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.acknowledged_at is None:
        locked.acknowledged_at = timezone.now()
        locked.save(update_fields=["acknowledged_at", "updated_at"])
        audit(
            actor=actor,
            action=AuditAction.RISK_EVENT_ACKNOWLEDGED,
            object_type="alert",
            object_id=str(locked.pk),
            detail={"kind": locked.kind, "case": locked.case_id and str(locked.case_id)},
            request=request,
        )
    alert.acknowledged_at = locked.acknowledged_at
    return alert


def can_record_victim_told(user: Any, event: RiskEvent) -> bool:
    """The support side of the case, or its statutory lead (who may be children's social
    care when the threat is to a child), records that the person at risk was told."""
    if is_named_contact(user, event.case) and user.pk == event.case.statutory_lead_id:
        return True
    if event.support_case_id is not None:
        # Raised from one victim-survivor's support case: only their support side.
        return can_view_support_case(user, event.support_case)
    return any(can_view_support_case(user, sc) for sc in event.case.support_cases.all())


@transaction.atomic
def risk_event_victim_told(
    *, actor: Any, event: RiskEvent, note: str = "", request: Any = None
) -> RiskEvent:
    """Record that the victim-survivor (or those responsible for the child) was told of a
    specific threat. Until then the threat stays flagged on both sides' lists."""
    locked = (
        RiskEvent.objects.select_for_update(of=("self",))
        .select_related("case", "support_case__perpetrator_case")
        .get(pk=event.pk)
    )
    if not can_record_victim_told(actor, locked):
        raise PermissionDenied("Only the support side or the statutory lead can record this")
    if not locked.threat_to:
        raise ValidationError("This risk event names no threat to a person")
    if locked.victim_told_at is not None:
        raise ValidationError("Already recorded")
    locked.victim_told_at = timezone.now()
    locked.victim_told_by = actor
    locked.victim_told_note = (note or "").strip()
    locked.save(
        update_fields=["victim_told_at", "victim_told_by", "victim_told_note", "updated_at"]
    )
    audit(
        actor=actor,
        action=AuditAction.RISK_EVENT_VICTIM_TOLD,
        object_type="risk_event",
        object_id=str(locked.pk),
        detail={"case": locked.case.reference},
        request=request,
    )
    event.victim_told_at = locked.victim_told_at
    event.victim_told_by = actor
    event.victim_told_note = locked.victim_told_note
    return event


__all__ = [
    "risk_event_view_record",
    "alert_acknowledge",
    "can_record_victim_told",
    "risk_event_create",
    "risk_event_raise",
    "risk_event_victim_told",
]


def risk_event_view_record(*, actor: Any, event: RiskEvent, request: Any = None) -> None:
    """Audit that someone read a risk event (after the scoped selector let them in)."""
    audit(
        actor=actor,
        action=AuditAction.RISK_EVENT_VIEWED,
        object_type="risk_event",
        object_id=str(event.pk),
        detail={"case": event.case.reference},
        request=request,
    )
