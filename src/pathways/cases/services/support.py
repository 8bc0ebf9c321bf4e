"""Victim-survivor support cases (integrated support, IVSS): opening, allocation, linking
to a perpetrator case, safe contact details and wishes, status. Only the support side
writes here, except that a perpetrator case accepted from a referral opens a support case
for each victim-survivor the referral names."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction

from ..models import (
    SUPPORT_TRANSITIONS,
    CaseStatus,
    ContactWish,
    PerpetratorCase,
    SharingCategory,
    SupportCase,
    SupportStatus,
)
from ..policies import can_view_support_case, is_perpetrator_side_for, support_side_org_ids
from ..selectors.sharing import agreement_covering
from .common import (
    audit,
    copy_fields,
    history_add,
    lock_case,
    lock_support_case,
    new_case_reference,
)
from .perpetrator import _check_allocation

OBJECT = "support_case"
CONTACT_FIELDS = (
    "contact_phone",
    "contact_email",
    "safe_address",
    "safe_times",
    "voicemail_safe",
    "text_safe",
    "contact_wish",
    "contact_wish_notes",
)


def _require_support_side(actor: Any, support_case: SupportCase) -> None:
    if not can_view_support_case(actor, support_case):
        raise PermissionDenied("Only the victim-survivor's support workers can do this")


def _open(
    *,
    actor: Any,
    organisation: Any,
    victim_name: str,
    perpetrator_case: PerpetratorCase | None,
    referral_victim: Any = None,
    contact: dict[str, Any] | None = None,
    service: Any = None,
    is_synthetic: bool = False,
    request: Any = None,
) -> SupportCase:
    now = timezone.now()
    contact = contact or {}
    unknown = set(contact) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError(f"Not a contact field: {', '.join(sorted(unknown))}")
    if contact.get("contact_wish") and contact["contact_wish"] not in ContactWish.values:
        raise ValidationError({"contact_wish": ["Choose what the victim-survivor wants"]})
    if not (victim_name or "").strip():
        raise ValidationError({"victim_name": ["Enter the victim-survivor's name"]})
    support_case = SupportCase.objects.create(
        reference=new_case_reference("SC"),
        organisation=organisation,
        service=service,
        perpetrator_case=perpetrator_case,
        referral_victim=referral_victim,
        victim_name=victim_name.strip(),
        status=SupportStatus.OPEN,
        status_changed_at=now,
        current_risk=perpetrator_case.current_risk if perpetrator_case else "",
        opened_at=now,
        is_synthetic=is_synthetic,
        **contact,
    )
    history_add(
        actor=actor, support_case=support_case, from_status="", to_status=SupportStatus.OPEN, at=now
    )
    audit(
        actor=actor,
        action=AuditAction.SUPPORT_CASE_OPENED,
        object_type=OBJECT,
        object_id=support_case.reference,
        detail={
            "organisation": organisation.pk,
            "perpetrator_case": perpetrator_case.reference if perpetrator_case else "",
        },
        request=request,
    )
    return support_case


def support_case_create_for_victim(
    *, actor: Any, case: PerpetratorCase, victim: Any, request: Any = None
) -> SupportCase:
    """A support case for a victim-survivor named on the case's referral, held by the
    case's organisation until a support worker takes it. Called inside the caller's
    transaction by `perpetrator_case_open_from_referral`."""
    return _open(
        actor=actor,
        organisation=case.service.organisation,
        victim_name=victim.name,
        perpetrator_case=case,
        referral_victim=victim,
        contact={
            "contact_phone": victim.contact_phone,
            "contact_email": victim.contact_email,
            "safe_times": victim.safe_times,
            "voicemail_safe": victim.voicemail_safe,
            # The referrer's notes on making contact safely reach only the support side.
            "contact_wish_notes": victim.contact_notes,
        },
        is_synthetic=case.is_synthetic,
        request=request,
    )


@transaction.atomic
def support_case_request(
    *,
    actor: Any,
    case: PerpetratorCase,
    victim_name: str,
    organisation: Any = None,
    contact: dict[str, Any] | None = None,
    request: Any = None,
) -> SupportCase:
    """The perpetrator side asks for integrated support for a victim-survivor: a linked
    support case held by the case's organisation, or by a partner organisation under an
    active sharing agreement that covers contact details and risk."""
    locked = lock_case(case)
    if not is_perpetrator_side_for(actor, locked.service.organisation_id):
        raise PermissionDenied("Only the case's perpetrator-side staff can ask for support")
    if not locked.is_open:
        raise ValidationError("Support cannot be requested on a closed case")
    organisation = organisation or locked.service.organisation
    if organisation.pk != locked.service.organisation_id:
        for category in (SharingCategory.CONTACT_DETAILS, SharingCategory.RISK):
            if (
                agreement_covering(
                    from_org=locked.service.organisation_id,
                    to_org=organisation.pk,
                    category=category,
                )
                is None
            ):
                raise ValidationError(
                    {
                        "organisation": [
                            f"No active sharing agreement with {organisation.name} covers "
                            f"{SharingCategory(category).label.lower()}"
                        ]
                    }
                )
    return _open(
        actor=actor,
        organisation=organisation,
        victim_name=victim_name,
        perpetrator_case=locked,
        contact=contact,
        is_synthetic=locked.is_synthetic,
        request=request,
    )


@transaction.atomic
def support_case_open(
    *,
    actor: Any,
    organisation: Any,
    victim_name: str,
    contact: dict[str, Any] | None = None,
    service: Any = None,
    request: Any = None,
) -> SupportCase:
    """A support worker opens a support case directly (for example when the victim-survivor
    came to the service first); it can be linked to a perpetrator case later."""
    if organisation.pk not in support_side_org_ids(actor):
        raise PermissionDenied("You can only open support cases for your organisation")
    if service is not None and service.organisation_id != organisation.pk:
        raise ValidationError({"service": ["Choose one of your organisation's services"]})
    return _open(
        actor=actor,
        organisation=organisation,
        victim_name=victim_name,
        perpetrator_case=None,
        contact=contact,
        service=service,
        request=request,
    )


@transaction.atomic
def support_case_assign(
    *,
    actor: Any,
    support_case: SupportCase,
    worker: Any,
    override_reason: str = "",
    request: Any = None,
) -> SupportCase:
    """Allocate the support worker: a support worker of the organisation, never the worker
    on the linked perpetrator case (1.2); above the maximum caseload only with a manager's
    override."""
    locked = lock_support_case(support_case)
    if locked.organisation_id not in support_side_org_ids(actor):
        raise PermissionDenied("Only the organisation's support workers can allocate this")
    if locked.status == SupportStatus.CLOSED:
        raise ValidationError("A closed support case cannot be allocated")
    linked = locked.perpetrator_case
    if linked is not None and linked.worker_id == worker.pk:
        raise ValidationError(
            {
                "worker": [
                    "This person works with the perpetrator on the linked case; a different "
                    "worker must support the victim-survivor"
                ]
            }
        )
    if linked is not None and linked.worker_id == actor.pk:
        raise PermissionDenied("The perpetrator's worker cannot allocate the support case")
    kept = ""
    if locked.worker_id != worker.pk:
        from .common import case_settings_for

        maximum = case_settings_for(locked.service).max_caseload if locked.service_id else 15
        kept = _check_allocation(
            actor=actor,
            worker=worker,
            organisation_id=locked.organisation_id,
            role=Role.SUPPORT_WORKER,
            max_caseload=maximum,
            override_reason=override_reason,
        )
    previous = locked.worker_id
    locked.worker = worker
    locked.save(update_fields=["worker", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.CASE_ASSIGNED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"worker": worker.pk, "previous": previous, "over_maximum": bool(kept)},
        request=request,
    )
    copy_fields(support_case, locked)
    return support_case


@transaction.atomic
def support_case_link(
    *,
    actor: Any,
    support_case: SupportCase,
    case_reference: str,
    request: Any = None,
) -> SupportCase:
    """A support worker links a support case to a perpetrator case by its reference. The
    two workers must differ; across organisations an active sharing agreement must cover
    risk. An unknown reference and one the worker may not link give the same answer."""
    locked = lock_support_case(support_case)
    _require_support_side(actor, locked)
    if locked.perpetrator_case_id:
        raise ValidationError({"case_reference": ["This support case is already linked"]})
    not_found = ValidationError(
        {"case_reference": ["No open perpetrator case with that reference can be linked"]}
    )
    case = (
        PerpetratorCase.objects.select_related("service")
        .filter(reference=(case_reference or "").strip().upper())
        .exclude(status=CaseStatus.CLOSED)
        .first()
    )
    if case is None:
        raise not_found
    case_org = case.service.organisation_id
    if case_org != locked.organisation_id and (
        agreement_covering(
            from_org=locked.organisation_id, to_org=case_org, category=SharingCategory.RISK
        )
        is None
    ):
        raise not_found
    if case.worker_id and case.worker_id in (locked.worker_id, actor.pk):
        raise ValidationError(
            {"case_reference": ["The perpetrator's worker cannot also support the victim-survivor"]}
        )
    locked.perpetrator_case = case
    locked.current_risk = case.current_risk
    locked.save(update_fields=["perpetrator_case", "current_risk", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.SUPPORT_CASE_LINKED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"perpetrator_case": case.reference},
        request=request,
    )
    copy_fields(support_case, locked)
    return support_case


@transaction.atomic
def support_case_update_contact(
    *, actor: Any, support_case: SupportCase, request: Any = None, **changes: Any
) -> SupportCase:
    """Change the victim-survivor's safe contact details and wishes about contact."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValidationError(f"Cannot change: {', '.join(sorted(unknown))}")
    locked = lock_support_case(support_case)
    _require_support_side(actor, locked)
    if changes.get("contact_wish") and changes["contact_wish"] not in ContactWish.values:
        raise ValidationError({"contact_wish": ["Choose what the victim-survivor wants"]})
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.save()
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"record": "contact", "fields": sorted(changes)},
        request=request,
    )
    copy_fields(support_case, locked)
    return support_case


@transaction.atomic
def support_case_transition(
    *,
    actor: Any,
    support_case: SupportCase,
    to_status: str,
    reason: str = "",
    request: Any = None,
) -> SupportCase:
    """Move a support case: open → receiving support → closed (and reopen)."""
    locked = lock_support_case(support_case)
    _require_support_side(actor, locked)
    reason = (reason or "").strip()
    if to_status not in SupportStatus.values or to_status not in SUPPORT_TRANSITIONS[locked.status]:
        raise ValidationError(
            {
                "to_status": [
                    f"A support case that is {locked.get_status_display().lower()} cannot move "
                    f"to that status"
                ]
            }
        )
    if to_status == SupportStatus.ACTIVE and not locked.worker_id:
        raise ValidationError({"to_status": ["Allocate a support worker first"]})
    if to_status == SupportStatus.CLOSED and not reason:
        raise ValidationError({"reason": ["Enter why the support case is closing"]})
    now = timezone.now()
    previous = locked.status
    locked.status = to_status
    locked.status_changed_at = now
    locked.closed_at = now if to_status == SupportStatus.CLOSED else None
    locked.save(update_fields=["status", "status_changed_at", "closed_at", "updated_at"])
    history_add(
        actor=actor,
        support_case=locked,
        from_status=previous,
        to_status=to_status,
        reason=reason,
        at=now,
    )
    audit(
        actor=actor,
        action=AuditAction.SUPPORT_CASE_STATUS_CHANGED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"from": previous, "to": to_status},
        request=request,
    )
    copy_fields(support_case, locked)
    return support_case


def support_case_view_record(*, actor: Any, support_case: SupportCase, request: Any = None) -> None:
    """Audit that someone read a support case (after the scoped selector let them in)."""
    audit(
        actor=actor,
        action=AuditAction.SUPPORT_CASE_VIEWED,
        object_type=OBJECT,
        object_id=support_case.reference,
        detail={"status": support_case.status},
        request=request,
    )


__all__ = [
    "support_case_assign",
    "support_case_create_for_victim",
    "support_case_link",
    "support_case_open",
    "support_case_request",
    "support_case_transition",
    "support_case_update_contact",
    "support_case_view_record",
]
