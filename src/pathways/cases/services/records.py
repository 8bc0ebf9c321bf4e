"""What workers record on cases: consent, assessments, notes, sessions and attendance (with
the service's engagement rules), and equality monitoring."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.audit.models import AuditAction
from pathways.referrals.reference import Need, RiskTier

from ..models import (
    EQUALITY_QUESTIONS,
    MISSED_STATUSES,
    OPEN_CASE_STATUSES,
    AlertKind,
    AssessmentKind,
    Attendance,
    AttendanceStatus,
    CaseAssessment,
    CaseNote,
    Consent,
    ConsentState,
    DeliveryRole,
    EqualityProfile,
    GroupSession,
    PerpetratorCase,
    ResponsibilityTaking,
    RiskEventKind,
    SessionFormat,
    Side,
    SupportCase,
    SupportNote,
    equality_choices,
)
from ..policies import MANAGER_ROLES, can_view_case, can_view_support_case, is_perpetrator_side_for
from .common import (
    alerts_deliver,
    audit,
    case_settings_for,
    copy_fields,
    lock_case,
    lock_support_case,
)

_RISK_ORDER = {"": 0, RiskTier.STANDARD: 1, RiskTier.MEDIUM: 2, RiskTier.HIGH: 3}


def _one_case(
    actor: Any, case: PerpetratorCase | None, support_case: SupportCase | None
) -> tuple[PerpetratorCase | None, SupportCase | None, str, str]:
    """Lock whichever case was given and check the actor works it. Returns the locked
    objects, the object type and reference for the audit trail."""
    if (case is None) == (support_case is None):
        raise ValidationError("Record this on one case: perpetrator or support")
    if case is not None:
        locked = lock_case(case)
        if not can_view_case(actor, locked):
            raise PermissionDenied("Only the case's perpetrator-side staff can record this")
        return locked, None, "perpetrator_case", locked.reference
    if support_case is None:  # unreachable: checked above
        raise ValueError("support_case is required")
    sc = lock_support_case(support_case)
    if not can_view_support_case(actor, sc):
        raise PermissionDenied("Only the victim-survivor's support workers can record this")
    return None, sc, "support_case", sc.reference


@transaction.atomic
def consent_record(
    *,
    actor: Any,
    state: str,
    safeguarding_reason: str = "",
    scope: str = "",
    case: PerpetratorCase | None = None,
    support_case: SupportCase | None = None,
    request: Any = None,
) -> Consent:
    """Record consent given or withdrawn, or that work proceeds without consent for a
    recorded safeguarding reason (required then)."""
    locked, sc, object_type, reference = _one_case(actor, case, support_case)
    reason = (safeguarding_reason or "").strip()
    if state not in ConsentState.values:
        raise ValidationError({"state": ["Choose the consent decision"]})
    if state == ConsentState.WITHOUT_CONSENT and not reason:
        raise ValidationError(
            {"safeguarding_reason": ["Enter the safeguarding reason to proceed without consent"]}
        )
    consent = Consent.objects.create(
        case=locked,
        support_case=sc,
        state=state,
        safeguarding_reason=reason,
        scope=(scope or "").strip()[:300],
        recorded_by=actor,
    )
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type=object_type,
        object_id=reference,
        detail={"record": "consent", "state": state},
        request=request,
    )
    return consent


@transaction.atomic
def case_assessment_record(
    *,
    actor: Any,
    case: PerpetratorCase,
    kind: str,
    tool: str,
    tier: str,
    assessed_on: dt.date | None = None,
    needs: list[str] | None = None,
    responsibility: str = ResponsibilityTaking.NOT_ASSESSED,
    summary: str = "",
    request: Any = None,
) -> CaseAssessment:
    """Record an assessment (intake, review or closure). The case's current risk becomes the
    assessed tier; a rise to high risk is raised to the support side as a risk event."""
    locked, _, _, reference = _one_case(actor, case, None)
    if locked is None:  # unreachable: checked above
        raise ValueError("locked is required")
    assessed_on = assessed_on or timezone.localdate()
    needs = list(needs or [])
    errors: dict[str, list[str]] = {}
    if kind not in AssessmentKind.values:
        errors["kind"] = ["Choose the kind of assessment"]
    if not (tool or "").strip():
        errors["tool"] = ["Enter the assessment tool used"]
    if tier not in RiskTier.values:
        errors["tier"] = ["Choose the assessed risk tier"]
    if responsibility not in ResponsibilityTaking.values:
        errors["responsibility"] = ["Choose how far the person takes responsibility"]
    bad_needs = set(needs) - set(Need.values)
    if bad_needs:
        errors["needs"] = [f"Unknown needs: {', '.join(sorted(bad_needs))}"]
    if assessed_on > timezone.localdate():
        errors["assessed_on"] = ["The assessment date must be today or in the past"]
    if not locked.is_open:
        errors["kind"] = ["The case is closed"]
    if errors:
        raise ValidationError(errors)
    assessment = CaseAssessment.objects.create(
        case=locked,
        kind=kind,
        assessed_on=assessed_on,
        tool=tool.strip(),
        tier=tier,
        needs=needs,
        responsibility=responsibility,
        summary=(summary or "").strip(),
        assessed_by=actor,
    )
    previous = locked.current_risk
    locked.current_risk = tier
    locked.save(update_fields=["current_risk", "updated_at"])
    locked.support_cases.update(current_risk=tier)
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type="perpetrator_case",
        object_id=reference,
        detail={"record": "assessment", "kind": kind, "tier": tier, "previous_risk": previous},
        request=request,
    )
    if _RISK_ORDER[tier] > _RISK_ORDER.get(previous, 0) and tier == RiskTier.HIGH:
        if locked.support_cases.exists():
            from .risk import risk_event_create

            risk_event_create(
                actor=actor,
                case=locked,
                support_case=None,
                side=Side.PERPETRATOR,
                kind=RiskEventKind.ESCALATION,
                occurred_on=assessed_on,
                summary="A new assessment puts the perpetrator's risk at high.",
                threat_to="",
                request=request,
            )
    copy_fields(case, locked)
    return assessment


def assessment_due_on(case: PerpetratorCase, interval_days: int) -> dt.date | None:
    """When the next assessment is due: intake at opening, then every `interval_days` after
    the latest. Closed cases have none due. Uses a prefetched `assessments` if present."""
    if case.status not in OPEN_CASE_STATUSES:
        return None
    latest = None
    for a in case.assessments.all():
        if latest is None or a.assessed_on > latest:
            latest = a.assessed_on
    if latest is None:
        return timezone.localtime(case.opened_at).date()
    return latest + dt.timedelta(days=interval_days)


@transaction.atomic
def case_note_add(
    *,
    actor: Any,
    text: str,
    case: PerpetratorCase | None = None,
    support_case: SupportCase | None = None,
    request: Any = None,
) -> CaseNote | SupportNote:
    """Add a note to a perpetrator case (perpetrator side) or to the victim-survivor's own
    record (support side). Notes never cross between the sides."""
    locked, sc, object_type, reference = _one_case(actor, case, support_case)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": ["Enter the note"]})
    note: CaseNote | SupportNote
    if locked is not None:
        note = CaseNote.objects.create(case=locked, author=actor, text=text)
    elif sc is not None:
        note = SupportNote.objects.create(support_case=sc, author=actor, text=text)
    else:  # unreachable: _one_case returns one of the two
        raise ValueError("a case is required")
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type=object_type,
        object_id=reference,
        detail={"record": "note", "note": note.pk},
        request=request,
    )
    return note


@transaction.atomic
def session_record(
    *,
    actor: Any,
    service: Any,
    format: str,  # noqa: A002 - the domain's word
    held_on: dt.date,
    attendance: Mapping[PerpetratorCase, str],
    title: str = "",
    request: Any = None,
) -> GroupSession:
    """Record a session the service ran and who attended, then apply the service's
    engagement rules: missed sessions in a row alert the worker; missed sessions in all put
    the case up for an engagement review and alert the service's managers."""
    if not is_perpetrator_side_for(actor, service.organisation_id):
        raise PermissionDenied("Only the service's perpetrator-side staff can record sessions")
    errors: dict[str, list[str]] = {}
    if format not in SessionFormat.values:
        errors["format"] = ["Choose group or one-to-one"]
    if held_on > timezone.localdate():
        errors["held_on"] = ["The session date must be today or in the past"]
    if not attendance:
        errors["attendance"] = ["Record attendance for at least one person"]
    if format == SessionFormat.ONE_TO_ONE and len(attendance) > 1:
        errors["attendance"] = ["A one-to-one session is with one person"]
    bad = [c.reference for c, s in attendance.items() if s not in AttendanceStatus.values]
    if bad:
        errors["attendance"] = [f"Choose attendance for {', '.join(bad)}"]
    wrong = [
        c.reference
        for c in attendance
        if c.service_id != service.pk or c.status not in OPEN_CASE_STATUSES
    ]
    if wrong:
        errors["attendance"] = [f"Not an open case on this service: {', '.join(wrong)}"]
    if errors:
        raise ValidationError(errors)
    session = GroupSession.objects.create(
        service=service,
        format=format,
        held_on=held_on,
        title=(title or "").strip(),
        facilitator=actor,
    )
    Attendance.objects.bulk_create(
        [
            Attendance(session=session, case=case, status=status, recorded_by=actor)
            for case, status in attendance.items()
        ]
    )
    settings_ = case_settings_for(service)
    for case in attendance:
        _apply_engagement_rules(actor=actor, case=case, settings_=settings_)
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type="session",
        object_id=str(session.pk),
        detail={
            "record": "session",
            "service": str(service.pk),
            "cases": sorted(c.reference for c in attendance),
        },
        request=request,
    )
    return session


def _apply_engagement_rules(*, actor: Any, case: PerpetratorCase, settings_: Any) -> None:
    # Missed sessions count from the last engagement review, so a reviewed case is not put
    # up again until it misses more.
    attendance = Attendance.objects.filter(case=case).exclude(status=AttendanceStatus.CANCELLED)
    if case.engagement_reviewed_at is not None:
        attendance = attendance.filter(created_at__gt=case.engagement_reviewed_at)
    statuses = list(
        attendance.order_by("-session__held_on", "-id").values_list("status", flat=True)
    )
    in_a_row = 0
    for status in statuses:
        if status not in MISSED_STATUSES:
            break
        in_a_row += 1
    missed_total = sum(1 for s in statuses if s in MISSED_STATUSES)
    locked = lock_case(case)
    if settings_.missed_sessions_warning and in_a_row == settings_.missed_sessions_warning:
        alerts_deliver(
            recipients=[(locked.worker, DeliveryRole.WORKER)],
            kind=AlertKind.ENGAGEMENT,
            case=locked,
            message=f"{locked.reference} has missed {in_a_row} sessions in a row.",
        )
    if (
        settings_.missed_sessions_review
        and missed_total >= settings_.missed_sessions_review
        and not locked.engagement_review_due
    ):
        locked.engagement_review_due = True
        locked.save(update_fields=["engagement_review_due", "updated_at"])
        from .risk import _users_with_role

        managers = _users_with_role(locked.service.organisation_id, MANAGER_ROLES)
        alerts_deliver(
            recipients=[(locked.worker, DeliveryRole.WORKER)]
            + [(m, DeliveryRole.MANAGER) for m in managers],
            kind=AlertKind.ENGAGEMENT,
            case=locked,
            message=f"{locked.reference} has missed {missed_total} sessions: an engagement "
            "review is due.",
        )
    copy_fields(case, locked)


@transaction.atomic
def case_engagement_review_done(
    *, actor: Any, case: PerpetratorCase, request: Any = None
) -> PerpetratorCase:
    """Clear the engagement-review flag once the worker has reviewed engagement."""
    locked, _, _, reference = _one_case(actor, case, None)
    if locked is None:  # unreachable: checked above
        raise ValueError("locked is required")
    locked.engagement_review_due = False
    locked.engagement_reviewed_at = timezone.now()
    locked.save(update_fields=["engagement_review_due", "engagement_reviewed_at", "updated_at"])
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type="perpetrator_case",
        object_id=reference,
        detail={"record": "engagement_review"},
        request=request,
    )
    copy_fields(case, locked)
    return case


@transaction.atomic
def equality_record(
    *,
    actor: Any,
    answers: Mapping[str, str],
    case: PerpetratorCase | None = None,
    support_case: SupportCase | None = None,
    request: Any = None,
) -> EqualityProfile:
    """Record equality monitoring answers; every question is optional ("" = not asked) and
    accepts "prefer not to say"."""
    locked, sc, object_type, reference = _one_case(actor, case, support_case)
    errors: dict[str, list[str]] = {}
    for question, answer in answers.items():
        if question not in EQUALITY_QUESTIONS:
            errors[question] = ["Not an equality monitoring question"]
        elif answer and answer not in {code for code, _ in equality_choices(question)}:
            errors[question] = ["Choose one of the answers, or leave it blank"]
    if errors:
        raise ValidationError(errors)
    profile, _ = EqualityProfile.objects.get_or_create(case=locked, support_case=sc)
    for question, answer in answers.items():
        setattr(profile, question, answer or "")
    profile.save()
    audit(
        actor=actor,
        action=AuditAction.CASE_RECORDED,
        object_type=object_type,
        object_id=reference,
        detail={"record": "equality", "questions": sorted(answers)},
        request=request,
    )
    return profile
