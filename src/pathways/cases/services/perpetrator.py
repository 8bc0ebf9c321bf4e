"""Perpetrator cases: opening (from an accepted referral or directly), allocation, the
status machine and its safety rules, the no-victim-survivor exception, handover."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.accounts.policies import user_organisation_ids
from pathways.audit.models import AuditAction
from pathways.referrals.reference import RiskTier

from ..models import (
    CASE_TRANSITIONS,
    ENDING_STATUSES,
    AlertKind,
    AssessmentKind,
    CaseStatus,
    ConsentState,
    DeliveryRole,
    Handover,
    PerpetratorCase,
    RiskEventKind,
    Side,
    SupportCase,
    SupportStatus,
)
from ..policies import can_view_case, is_manager_for, is_perpetrator_side_for
from .common import (
    alerts_deliver,
    audit,
    case_settings_for,
    copy_fields,
    history_add,
    lock_case,
    new_case_reference,
    worker_caseload,
)

OBJECT = "perpetrator_case"


def _require_worker_side(actor: Any, case: PerpetratorCase) -> None:
    if not can_view_case(actor, case):
        raise PermissionDenied("Only the service's perpetrator-side staff can change this case")


def _support_workers_of(case: PerpetratorCase) -> set[Any]:
    """Workers on support cases linked to the case (now)."""
    return set(
        SupportCase.objects.filter(perpetrator_case=case, worker__isnull=False).values_list(
            "worker_id", flat=True
        )
    )


@dataclass(frozen=True)
class CaseInput:
    """What opening a case directly asks for."""

    person_name: str
    intervention: str
    tier: str = ""
    person_date_of_birth: dt.date | None = None
    person_gender: str = ""
    planned_sessions: int | None = None
    planned_weeks: int | None = None


def _validate_input(data: CaseInput) -> None:
    errors: dict[str, list[str]] = {}
    if not data.person_name.strip():
        errors["person_name"] = ["Enter the person's name"]
    if not data.intervention.strip():
        errors["intervention"] = ["Enter the intervention or programme"]
    if data.tier and data.tier not in RiskTier.values:
        errors["tier"] = ["Choose a risk tier"]
    if data.person_date_of_birth and data.person_date_of_birth > timezone.localdate():
        errors["person_date_of_birth"] = ["Date of birth must be in the past"]
    if errors:
        raise ValidationError(errors)


def _create_case(
    *, actor: Any, service: Any, data: CaseInput, referral: Any = None, request: Any = None
) -> PerpetratorCase:
    now = timezone.now()
    case = PerpetratorCase.objects.create(
        reference=new_case_reference("PC"),
        service=service,
        referral=referral,
        person_name=data.person_name.strip(),
        person_date_of_birth=data.person_date_of_birth,
        person_gender=data.person_gender or "not_said",
        intervention=data.intervention.strip(),
        tier=data.tier,
        current_risk=data.tier,
        planned_sessions=data.planned_sessions,
        planned_weeks=data.planned_weeks,
        status=CaseStatus.REFERRED,
        status_changed_at=now,
        opened_at=now,
        is_synthetic=bool(getattr(referral, "is_synthetic", False)),
    )
    history_add(actor=actor, case=case, from_status="", to_status=CaseStatus.REFERRED, at=now)
    audit(
        actor=actor,
        action=AuditAction.CASE_OPENED,
        object_type=OBJECT,
        object_id=case.reference,
        detail={
            "service": str(service.pk),
            "referral": referral.reference if referral else "",
            "tier": case.tier,
        },
        request=request,
    )
    return case


@transaction.atomic
def perpetrator_case_open(
    *, actor: Any, service: Any, data: CaseInput, request: Any = None
) -> PerpetratorCase:
    """Provider staff open a case directly on one of their organisation's services."""
    if not is_perpetrator_side_for(actor, service.organisation_id):
        raise PermissionDenied("You can only open cases on your organisation's services")
    _validate_input(data)
    return _create_case(actor=actor, service=service, data=data, request=request)


def perpetrator_case_open_from_referral(
    *, actor: Any, referral: Any, request: Any = None
) -> PerpetratorCase:
    """Open the case for a referral its service has just accepted, with a support case for
    each victim-survivor it names (held by the service's organisation until allocated).
    Called by `referrals.services.routing.referral_accept` inside its transaction."""
    service = referral.sent_service
    case = _create_case(
        actor=actor,
        service=service,
        referral=referral,
        data=CaseInput(
            person_name=referral.person_name or f"Person referred ({referral.reference})",
            intervention=service.name,
            tier=referral.tier,
            person_date_of_birth=referral.person_date_of_birth,
            person_gender=referral.person_gender,
        ),
        request=request,
    )
    from .support import support_case_create_for_victim

    for victim in referral.victims.all():
        support_case_create_for_victim(actor=actor, case=case, victim=victim, request=request)
    return case


def _check_allocation(
    *,
    actor: Any,
    worker: Any,
    organisation_id: Any,
    role: str,
    max_caseload: int,
    override_reason: str,
) -> str:
    """The worker must hold `role` in the organisation; above the agreed maximum caseload a
    manager of the organisation must override with a reason. Returns the reason kept."""
    if organisation_id not in user_organisation_ids(worker, role):
        raise ValidationError({"worker": ["Choose a worker of the service's organisation"]})
    load = worker_caseload(worker)
    if load < max_caseload:
        return ""
    override_reason = (override_reason or "").strip()
    if not is_manager_for(actor, organisation_id):
        raise ValidationError(
            {
                "worker": [
                    f"{worker.get_full_name() or worker.get_username()} already holds {load} "
                    f"open cases (the agreed maximum is {max_caseload}); a manager must agree"
                ]
            }
        )
    if not override_reason:
        raise ValidationError(
            {"override_reason": ["Enter why this worker can take a case above the maximum"]}
        )
    return override_reason


@transaction.atomic
def perpetrator_case_assign(
    *,
    actor: Any,
    case: PerpetratorCase,
    worker: Any,
    override_reason: str = "",
    request: Any = None,
) -> PerpetratorCase:
    """Allocate the case's worker. Never a worker on a linked support case (1.2); above the
    service's maximum caseload only with a manager's override."""
    locked = lock_case(case)
    _require_worker_side(actor, locked)
    if not locked.is_open:
        raise ValidationError("A closed case cannot be allocated")
    if worker.pk in _support_workers_of(locked):
        raise ValidationError(
            {
                "worker": [
                    "This person supports the victim-survivor on a linked support case; "
                    "a different worker must hold the perpetrator case"
                ]
            }
        )
    settings_ = case_settings_for(locked.service)
    kept = ""
    if locked.worker_id != worker.pk:
        kept = _check_allocation(
            actor=actor,
            worker=worker,
            organisation_id=locked.service.organisation_id,
            role=Role.PERPETRATOR_WORKER,
            max_caseload=settings_.max_caseload,
            override_reason=override_reason,
        )
    previous = locked.worker_id
    locked.worker = worker
    if kept:
        locked.allocation_override_reason = kept
    locked.save(update_fields=["worker", "allocation_override_reason", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.CASE_ASSIGNED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={
            "worker": worker.pk,
            "previous": previous,
            "over_maximum": bool(kept),
        },
        request=request,
    )
    copy_fields(case, locked)
    return case


CONTACT_FIELDS = ("statutory_lead", "police_contact", "panel_chair")


@transaction.atomic
def perpetrator_case_update(
    *, actor: Any, case: PerpetratorCase, request: Any = None, **changes: Any
) -> PerpetratorCase:
    """Change the intervention, planned length and named contacts (statutory lead, police
    contact, panel chair) of a case."""
    allowed = {"intervention", "planned_sessions", "planned_weeks", "tier", *CONTACT_FIELDS}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"Cannot change: {', '.join(sorted(unknown))}")
    locked = lock_case(case)
    _require_worker_side(actor, locked)
    if "intervention" in changes and not str(changes["intervention"] or "").strip():
        raise ValidationError({"intervention": ["Enter the intervention or programme"]})
    if changes.get("tier") and changes["tier"] not in RiskTier.values:
        raise ValidationError({"tier": ["Choose a risk tier"]})
    for name in CONTACT_FIELDS:
        person = changes.get(name)
        if person is None:
            continue
        if person.pk == locked.worker_id:
            raise ValidationError({name: ["Name someone other than the case worker"]})
        # Named contacts receive the case's risk events: only active staff of a partner
        # organisation (someone with a membership) can be named.
        if not person.is_active or not person.memberships.exists():
            raise ValidationError(
                {name: ["Name an active member of staff of a partner organisation"]}
            )
    for key, value in changes.items():
        setattr(locked, key, value)
    locked.save()
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"record": "details", "fields": sorted(changes)},
        request=request,
    )
    copy_fields(case, locked)
    return case


@transaction.atomic
def case_no_victim_record(
    *, actor: Any, case: PerpetratorCase, reason: str, request: Any = None
) -> PerpetratorCase:
    """Record that there is no identifiable victim-survivor to support; a manager must
    approve before the case can start without a linked support case (1.2)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter why there is no victim-survivor to support"]})
    locked = lock_case(case)
    _require_worker_side(actor, locked)
    locked.no_victim_reason = reason
    locked.no_victim_approved_by = None
    locked.no_victim_approved_at = None
    locked.save(
        update_fields=[
            "no_victim_reason",
            "no_victim_approved_by",
            "no_victim_approved_at",
            "updated_at",
        ]
    )
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"record": "no_victim_reason"},
        request=request,
    )
    copy_fields(case, locked)
    return case


@transaction.atomic
def case_no_victim_approve(
    *, actor: Any, case: PerpetratorCase, request: Any = None
) -> PerpetratorCase:
    """A manager of the service's organisation approves the recorded no-victim reason. The
    case worker cannot approve their own case."""
    locked = lock_case(case)
    if not is_manager_for(actor, locked.service.organisation_id):
        raise PermissionDenied("Only a manager of the service can approve this")
    if not locked.no_victim_reason:
        raise ValidationError("There is no recorded reason to approve")
    if locked.worker_id and locked.worker_id == actor.pk:
        raise ValidationError("A manager other than the case worker must approve this")
    locked.no_victim_approved_by = actor
    locked.no_victim_approved_at = timezone.now()
    locked.save(update_fields=["no_victim_approved_by", "no_victim_approved_at", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.APPROVE,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"record": "no_victim_reason"},
        request=request,
    )
    copy_fields(case, locked)
    return case


def consent_in_force(case: PerpetratorCase) -> str:
    """The latest consent state on the case ('' when none recorded)."""
    latest = case.consents.order_by("-created_at", "-id").first()
    return latest.state if latest else ""


def activation_blockers(case: PerpetratorCase) -> list[str]:
    """Why the case cannot become active now (empty when it can)."""
    problems = []
    linked = SupportCase.objects.filter(perpetrator_case=case, worker__isnull=False).exclude(
        status=SupportStatus.CLOSED
    )
    # An approval counts only while its approver is not the case's worker (a manager who
    # approved and then took the case on has, in effect, approved their own case).
    approved = (
        case.no_victim_reason
        and case.no_victim_approved_at
        and case.no_victim_approved_by_id != case.worker_id
    )
    if not linked.exists() and not approved:
        problems.append(
            "Link a victim-survivor support case with a support worker allocated first, or "
            "record why there is no identifiable victim-survivor and have a manager other "
            "than the case worker approve it"
        )
    if not case.worker_id:
        problems.append("Allocate a worker first")
    if consent_in_force(case) not in (ConsentState.GIVEN, ConsentState.WITHOUT_CONSENT):
        problems.append(
            "Record the person's consent, or a safeguarding reason to proceed without it"
        )
    return problems


def ending_blockers(case: PerpetratorCase, to_status: str) -> list[str]:
    """Why the case cannot end in `to_status` now (empty when it can)."""
    problems = []
    if to_status in ENDING_STATUSES and case.is_high_risk:
        if not case.handovers.exists():
            problems.append(
                "Risk is high: record a handover to the agency that holds the risk before "
                "the case is closed, de-selected or recorded as dropped out"
            )
        if not case.police_contact_id:
            problems.append(
                "Risk is high: name the police contact who must be told when the case ends"
            )
    if (
        to_status == CaseStatus.COMPLETED
        and not case.assessments.filter(kind=AssessmentKind.CLOSURE).exists()
    ):
        problems.append("Record the closure assessment first")
    return problems


@transaction.atomic
def case_transition(
    *,
    actor: Any,
    case: PerpetratorCase,
    to_status: str,
    reason: str = "",
    request: Any = None,
) -> PerpetratorCase:
    """Move a case along its status machine, refusing illegal moves and enforcing the
    safety rules: no activation without integrated support (1.2), consent or a
    safeguarding reason, a handover before ending at high risk (2.4)."""
    locked = lock_case(case)
    _require_worker_side(actor, locked)
    reason = (reason or "").strip()
    if to_status not in CaseStatus.values:
        raise ValidationError({"to_status": ["Choose a status"]})
    if to_status not in CASE_TRANSITIONS[locked.status]:
        raise ValidationError(
            {
                "to_status": [
                    f"A case that is {locked.get_status_display().lower()} cannot become "
                    f"{CaseStatus(to_status).label.lower()}"
                ]
            }
        )
    problems = []
    if to_status == CaseStatus.ACTIVE:
        problems = activation_blockers(locked)
    problems += ending_blockers(locked, to_status)
    if to_status in (*ENDING_STATUSES, CaseStatus.SUSPENDED) and not reason:
        problems.append("Enter the reason")
    if problems:
        raise ValidationError({"to_status": problems})
    now = timezone.now()
    previous = locked.status
    locked.status = to_status
    locked.status_changed_at = now
    fields = ["status", "status_changed_at", "updated_at"]
    if to_status in ENDING_STATUSES:
        locked.ending_reason = reason
        fields.append("ending_reason")
    if to_status == CaseStatus.CLOSED:
        locked.closed_at = now
        fields.append("closed_at")
    locked.save(update_fields=fields)
    history_add(
        actor=actor, case=locked, from_status=previous, to_status=to_status, reason=reason, at=now
    )
    audit(
        actor=actor,
        action=AuditAction.CASE_STATUS_CHANGED,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={"from": previous, "to": to_status, "risk": locked.current_risk},
        request=request,
    )
    _after_transition(actor=actor, case=locked, previous=previous, request=request)
    copy_fields(case, locked)
    return case


def _after_transition(*, actor: Any, case: PerpetratorCase, previous: str, request: Any) -> None:
    """What a move means for the other side and the agencies holding risk."""
    from .risk import risk_event_create

    status = case.status
    label = case.get_status_display().lower()
    ending_now = status in ENDING_STATUSES and previous not in ENDING_STATUSES
    if ending_now and case.is_high_risk:
        alerts_deliver(
            recipients=[
                (case.police_contact, DeliveryRole.POLICE),
                (case.panel_chair, DeliveryRole.PANEL_CHAIR),
                (case.statutory_lead, DeliveryRole.STATUTORY_LEAD),
            ],
            kind=AlertKind.HIGH_RISK_ENDING,
            case=case,
            message=f"{case.reference} ({case.service.name}) has ended at high risk: {label}. "
            "A handover is recorded on the case.",
        )
    # Work stopping or pausing is safeguarding information for the victim-survivor's
    # worker: it crosses as a risk event, in a fixed phrase.
    if (ending_now or status == CaseStatus.SUSPENDED) and case.support_cases.exists():
        risk_event_create(
            actor=actor,
            case=case,
            support_case=None,
            side=Side.PERPETRATOR,
            kind=RiskEventKind.CHANGE_IN_CIRCUMSTANCES,
            occurred_on=timezone.localdate(),
            summary=f"The perpetrator case is now {label}.",
            threat_to="",
            request=request,
        )


@transaction.atomic
def case_handover_record(
    *,
    actor: Any,
    case: PerpetratorCase,
    to_agency: str,
    to_contact: str,
    summary: str,
    handed_over_on: dt.date | None = None,
    to_organisation: Any = None,
    request: Any = None,
) -> Handover:
    """Record a handover of the case's risk to the agency that holds it (2.4)."""
    locked = lock_case(case)
    _require_worker_side(actor, locked)
    errors: dict[str, list[str]] = {}
    if not (to_agency or "").strip():
        errors["to_agency"] = ["Enter the agency that holds the risk"]
    if not (to_contact or "").strip():
        errors["to_contact"] = ["Enter who at the agency accepted the handover"]
    if not (summary or "").strip():
        errors["summary"] = ["Enter what was handed over"]
    handed_over_on = handed_over_on or timezone.localdate()
    if handed_over_on > timezone.localdate():
        errors["handed_over_on"] = ["The handover date must be today or in the past"]
    if errors:
        raise ValidationError(errors)
    handover = Handover.objects.create(
        case=locked,
        to_organisation=to_organisation,
        to_agency=to_agency.strip(),
        to_contact=to_contact.strip(),
        summary=summary.strip(),
        handed_over_on=handed_over_on,
        recorded_by=actor,
    )
    audit(
        actor=actor,
        action=AuditAction.CASE_HANDOVER,
        object_type=OBJECT,
        object_id=locked.reference,
        detail={
            "handover": handover.pk,
            "to_organisation": to_organisation.pk if to_organisation else None,
            "risk": locked.current_risk,
        },
        request=request,
    )
    return handover


def case_view_record(*, actor: Any, case: PerpetratorCase, request: Any = None) -> None:
    """Audit that someone read a perpetrator case. Views and the API call it after the
    scoped selector let them in."""
    audit(
        actor=actor,
        action=AuditAction.CASE_VIEWED,
        object_type=OBJECT,
        object_id=case.reference,
        detail={"status": case.status},
        request=request,
    )
