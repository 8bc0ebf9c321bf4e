"""The referral status machine: every move is checked, timestamped and audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.audit.services import audit_record

from ..models import TRANSITIONS, Referral, ReferralStatus, StatusChange


def lock_referral(referral: Referral) -> Referral:
    """The referral's row, locked for this transaction, with what the services read of it."""
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("area", "sent_service__organisation", "referrer")
        .get(pk=referral.pk)
    )


def copy_fields(target: Referral, source: Referral) -> None:
    """Keep a caller's referral object current after a service saved a locked copy."""
    for f in source._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


def status_error(referral: Referral, action: str) -> ValidationError:
    """The message for an action the referral's status does not allow."""
    label = ReferralStatus(referral.status).label.lower()
    return ValidationError({"status": [f"This referral is {label}, so you cannot {action} it"]})


def can_transition(from_status: str, to_status: str) -> bool:
    """True when the status machine allows the move."""
    return to_status in TRANSITIONS.get(from_status, frozenset())


@transaction.atomic
def referral_transition(
    *,
    actor: Any,
    referral: Referral,
    to_status: str,
    reason: str = "",
    note: str = "",
    request: Any = None,
    changes: dict[str, Any] | None = None,
) -> Referral:
    """Move a referral to a new status, with any field `changes` saved alongside.

    Callers (triage, routing services) check who may make the move; this refuses moves
    the status machine does not allow, locks the row so two workers cannot race, and
    records the change and an audit event. `reason` is a fixed phrase that goes in the
    audit trail too; `note` is the worker's own free text, which may name people, so it is
    kept on the status history only."""
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if not can_transition(locked.status, to_status):
        raise ValidationError(
            {
                "status": [
                    f"A referral that is {ReferralStatus(locked.status).label.lower()} "
                    f"cannot become {ReferralStatus(to_status).label.lower()}"
                ]
            }
        )
    now = timezone.now()
    from_status = locked.status
    for name, value in (changes or {}).items():
        setattr(locked, name, value)
    locked.status = to_status
    locked.status_changed_at = now
    locked.save()
    StatusChange.objects.create(
        referral=locked,
        from_status=from_status,
        to_status=to_status,
        at=now,
        by=actor if getattr(actor, "is_authenticated", False) else None,
        reason=note or reason,
    )
    audit_record(
        actor=actor,
        action="referral.status_changed",
        object_type="referral",
        object_id=locked.reference,
        detail={"from": from_status, "to": to_status, "reason": reason[:500]},
        request=request,
    )
    copy_fields(referral, locked)
    return referral
