"""Routing: what happens once the front door has sent a referral to a service.

The provider accepts or declines it, someone records the first contact with the person,
and the referrer may withdraw it before a service has taken it on. Status moves go through
`status.referral_transition`; this module checks who may make them.

Free text (an acceptance note, a decline reason, a withdrawal reason) may name people, so
it is kept on the referral and its status history, never in the audit trail: the status
move is audited with a fixed phrase instead.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.accounts.policies import user_organisation_ids
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from ..models import Referral, ReferralStatus
from ..notifications import notify_front_door, notify_provider, notify_referrer
from ..policies import PROVIDER_RESPONSE_ROLES, can_refer, can_respond_to_referrals, can_triage
from .status import copy_fields, lock_referral, referral_transition, status_error

# A referrer may withdraw while no service has taken the referral on and it is not closed.
REFERRER_WITHDRAWABLE = (
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.MATCHED,
    ReferralStatus.SENT,
    ReferralStatus.DECLINED,
    ReferralStatus.NO_SUITABLE_SERVICE,
)
# The front door may record first contact on any referral that is still live.
FIRST_CONTACT_CLOSED = (ReferralStatus.SIGNPOSTED, ReferralStatus.WITHDRAWN)


def is_provider_for(user: Any, referral: Referral) -> bool:
    """True when the user is provider staff of the organisation whose service got the referral."""
    service = referral.sent_service if referral.sent_service_id else None
    if service is None or not can_respond_to_referrals(user):
        return False
    return service.organisation_id in user_organisation_ids(user, *PROVIDER_RESPONSE_ROLES)


def can_withdraw_as_referrer(user: Any, referral: Referral) -> bool:
    """True when the user made the referral and no service has taken it on or closed it."""
    return (
        can_refer(user)
        and referral.referrer_id is not None
        and referral.referrer_id == getattr(user, "pk", None)
        and referral.status in REFERRER_WITHDRAWABLE
    )


def can_record_first_contact(user: Any, referral: Referral) -> bool:
    """Provider staff once they accepted the referral; the front door for any live referral."""
    if can_triage(user):
        return referral.status not in FIRST_CONTACT_CLOSED
    return referral.status == ReferralStatus.ACCEPTED and is_provider_for(user, referral)


@transaction.atomic
def referral_accept(
    *, actor: Any, referral: Referral, note: str = "", request: Any = None
) -> Referral:
    """Provider staff of the receiving organisation accept a referral sent to their service."""
    locked = lock_referral(referral)
    if not is_provider_for(actor, locked):
        raise PermissionDenied("Only staff of the service's organisation can accept this referral")
    if locked.status != ReferralStatus.SENT:
        raise status_error(locked, "accept")
    now = timezone.now()
    referral_transition(
        actor=actor,
        referral=locked,
        to_status=ReferralStatus.ACCEPTED,
        reason="Accepted by the service",
        note=note.strip(),
        request=request,
        changes={"decided_at": now},
    )
    # The case opens in the same transaction, so an accepted referral and its case (with a
    # support case for each victim-survivor named) are never out of step.
    from pathways.cases.services.perpetrator import perpetrator_case_open_from_referral

    perpetrator_case_open_from_referral(actor=actor, referral=locked, request=request)
    copy_fields(referral, locked)
    transaction.on_commit(lambda: _tell_accepted(locked))
    return referral


def _tell_accepted(referral: Referral) -> None:
    notify_referrer(referral=referral, kind="referral_accepted")
    notify_front_door(referral=referral, kind="referral_accepted")


@transaction.atomic
def referral_decline(
    *, actor: Any, referral: Referral, reason: str, request: Any = None
) -> Referral:
    """Provider staff of the receiving organisation decline a referral, giving a reason; the
    referral returns to the front door's triage queue."""
    reason = (reason or "").strip()
    locked = lock_referral(referral)
    if not is_provider_for(actor, locked):
        raise PermissionDenied("Only staff of the service's organisation can decline this referral")
    if not reason:
        raise ValidationError({"reason": ["Enter why your service cannot take this referral"]})
    if locked.status != ReferralStatus.SENT:
        raise status_error(locked, "decline")
    now = timezone.now()
    # The sent service is kept so the provider still sees what it decided until the front
    # door sends the referral somewhere else; DECLINED is one of the triage queue's statuses.
    referral_transition(
        actor=actor,
        referral=locked,
        to_status=ReferralStatus.DECLINED,
        reason="Declined by the service",
        note=reason,
        request=request,
        changes={"decided_at": now, "decline_reason": reason},
    )
    copy_fields(referral, locked)
    transaction.on_commit(lambda: _tell_declined(locked))
    return referral


def _tell_declined(referral: Referral) -> None:
    notify_front_door(referral=referral, kind="referral_declined")
    notify_referrer(referral=referral, kind="referral_declined")


@transaction.atomic
def referral_record_first_contact(
    *,
    actor: Any,
    referral: Referral,
    at: dt.datetime | None = None,
    correction_reason: str = "",
    request: Any = None,
) -> Referral:
    """Record when someone first made contact with the person referred: provider staff once
    they accepted, the front door for any live referral. It is recorded once; changing it
    later needs a `correction_reason`, which the audit trail keeps with both times."""
    locked = lock_referral(referral)
    if not can_record_first_contact(actor, locked):
        if can_triage(actor) or is_provider_for(actor, locked):
            raise status_error(locked, "record first contact on")
        raise PermissionDenied("You cannot record contact on this referral")
    now = timezone.now()
    at = at or now
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    correction_reason = (correction_reason or "").strip()
    if at > now:
        raise ValidationError({"at": ["The time of first contact must be in the past"]})
    if at < locked.created_at:
        raise ValidationError(
            {"at": ["The time of first contact must be after the referral was received"]}
        )
    previous = locked.first_contact_at
    if previous is not None and not correction_reason:
        raise ValidationError(
            {
                "correction_reason": [
                    "First contact is already recorded; enter why you are correcting it"
                ]
            }
        )
    locked.first_contact_at = at
    locked.save(update_fields=["first_contact_at", "updated_at"])
    detail: dict[str, Any] = {
        "change": "first_contact_corrected" if previous else "first_contact_recorded",
        "at": at.isoformat(),
        "status": locked.status,
    }
    if previous is not None:
        # Timestamps and a reason about timing; the form asks for no names or contact details.
        detail.update({"previous": previous.isoformat(), "reason": correction_reason[:300]})
    # AuditEvent.action is a 20-character code; what changed is said in the detail.
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="referral",
        object_id=locked.reference,
        detail=detail,
        request=request,
    )
    copy_fields(referral, locked)
    return referral


@transaction.atomic
def referral_withdraw_by_referrer(
    *, actor: Any, referral: Referral, reason: str, request: Any = None
) -> Referral:
    """The referrer who made a referral withdraws it, with a reason, before a service has
    accepted it and while it is still open."""
    reason = (reason or "").strip()
    locked = lock_referral(referral)
    if not (can_refer(actor) and locked.referrer_id and locked.referrer_id == actor.pk):
        raise PermissionDenied("Only the person who made this referral can withdraw it")
    if not reason:
        raise ValidationError({"reason": ["Enter why you are withdrawing this referral"]})
    if locked.status not in REFERRER_WITHDRAWABLE:
        raise status_error(locked, "withdraw")
    was_sent = locked.status == ReferralStatus.SENT
    referral_transition(
        actor=actor,
        referral=locked,
        to_status=ReferralStatus.WITHDRAWN,
        reason="Withdrawn by the referrer",
        note=reason,
        request=request,
    )
    copy_fields(referral, locked)

    def tell() -> None:
        notify_front_door(referral=locked, kind="referral_closed")
        if was_sent:
            notify_provider(referral=locked, kind="referral_closed")

    transaction.on_commit(tell)
    return referral


def referral_view_record(
    *, actor: Any, referral: Referral, audience: str, request: Any = None
) -> None:
    """Audit that someone opened a referral's identifiable details (reference and audience
    only). Views call this after the scoped selector has let them in."""
    audit_record(
        actor=actor,
        action="referral.viewed",
        object_type="referral",
        object_id=referral.reference,
        detail={"audience": audience, "status": referral.status},
        request=request,
    )
