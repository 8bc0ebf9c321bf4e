"""Demonstration data for case work, on the front door's synthetic provider (Northbrook
Change Trust) and its demo staff: perpetrator cases in several states with linked
victim-survivor support cases, consent, assessments, sessions, risk events each way, a
high-risk case closed after a handover, a case approved to run with no identifiable
victim-survivor, an information sharing agreement with the demo police, staff records and
the service's case settings.

Made through the case services, so every rule holds and every step is audited, exactly as
if staff had done it. Only synthetic people: names say "(synthetic)", phone numbers are in
Ofcom's drama range, and every case is marked synthetic. Safe to run again: each case is
looked up by its synthetic person's name and nothing is added twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from pathways.directory.models import Organisation, Service
from pathways.referrals.models import Referral, ReferralStatus
from pathways.referrals.reference import RiskTier

from .models import (
    AgreementStatus,
    AssessmentKind,
    AttendanceStatus,
    CaseStatus,
    ConsentState,
    ContactWish,
    PerpetratorCase,
    ResponsibilityTaking,
    RiskEventKind,
    ServiceCaseSettings,
    SessionFormat,
    SharingAgreement,
    SharingCategory,
    StaffRecord,
    SupportCase,
    SupportStatus,
    ThreatTo,
)
from .services.perpetrator import (
    CaseInput,
    case_handover_record,
    case_no_victim_approve,
    case_no_victim_record,
    case_transition,
    perpetrator_case_assign,
    perpetrator_case_open,
    perpetrator_case_open_from_referral,
    perpetrator_case_update,
)
from .services.records import (
    case_assessment_record,
    case_note_add,
    consent_record,
    equality_record,
    session_record,
)
from .services.risk import risk_event_raise
from .services.settings import service_case_settings_save
from .services.sharing import share_record, sharing_agreement_save
from .services.staff import staff_record_save
from .services.support import (
    support_case_assign,
    support_case_request,
    support_case_transition,
    support_case_update_contact,
)

# The front door's demo provider and service (see referrals/demo.py).
DEMO_PROVIDER_SLUG = "northbrook-change-trust"
DEMO_SERVICE_REF = "syn-front-door-demo"
DEMO_POLICE_SLUG = "demo-police"
AGREEMENT_NAME = "Northbrook Change Trust and Demo Police: risk sharing (synthetic)"
PROGRAMME = "Northbrook Change Programme (synthetic)"


class _Demo:
    """The people and places the demo cases are made with."""

    def __init__(self, service: Service, users: dict[str, Any]) -> None:
        self.service = service
        self.org = service.organisation
        self.worker = users["demo-perpetrator-worker"]
        self.support = users["demo-support-worker"]
        self.manager = users["demo-provider-manager"]
        self.commissioner = users.get("demo-commissioner")
        self.referrer = users.get("demo-referrer")
        self.panel_chair = users.get("demo-panel-chair")

    def contacts(self) -> dict[str, Any]:
        """Named contacts for a case: the demo police officer holds the statutory risk
        (the referrer stays a risk holder, standard 2.4) and is the police contact."""
        named = {
            "statutory_lead": self.referrer,
            "police_contact": self.referrer,
            "panel_chair": self.panel_chair,
        }
        return {key: user for key, user in named.items() if user is not None}


def _synthetic(case: PerpetratorCase) -> PerpetratorCase:
    """Mark a case (and its support cases) synthetic: the case services take no flag."""
    PerpetratorCase.objects.filter(pk=case.pk).update(is_synthetic=True)
    SupportCase.objects.filter(perpetrator_case=case).update(is_synthetic=True)
    case.is_synthetic = True
    return case


def _open(demo: _Demo, letter: str, tier: str, **data: Any) -> PerpetratorCase:
    case = perpetrator_case_open(
        actor=demo.worker,
        service=demo.service,
        data=CaseInput(
            person_name=_person(letter),
            intervention=PROGRAMME,
            tier=tier,
            person_gender="man",
            planned_sessions=data.pop("planned_sessions", 24),
            planned_weeks=data.pop("planned_weeks", 26),
            **data,
        ),
    )
    _synthetic(case)
    perpetrator_case_assign(actor=demo.worker, case=case, worker=demo.worker)
    contacts = demo.contacts()
    if contacts:
        perpetrator_case_update(actor=demo.worker, case=case, **contacts)
    return case


def _person(letter: str) -> str:
    return f"Example Person {letter} (synthetic)"


def _with_support(demo: _Demo, case: PerpetratorCase, letter: str, n: int) -> SupportCase:
    """Consent, and a linked support case held by the demo support worker."""
    consent_record(
        actor=demo.worker,
        case=case,
        state=ConsentState.GIVEN,
        scope="Taking part in the programme and sharing risk with partner agencies",
    )
    support = support_case_request(
        actor=demo.worker,
        case=case,
        victim_name=f"Example Victim-Survivor {letter} (synthetic)",
        contact={
            "contact_phone": f"07700 900{n:03d}",
            "safe_times": "Weekday mornings, after 9:30am",
            "voicemail_safe": "no",
            "contact_wish": ContactWish.WANTS_CONTACT,
        },
    )
    support_case_assign(actor=demo.support, support_case=support, worker=demo.support)
    return support


def _intake(demo: _Demo, case: PerpetratorCase, tier: str, days_ago: int) -> None:
    case_assessment_record(
        actor=demo.worker,
        case=case,
        kind=AssessmentKind.INTAKE,
        tool="Synthetic intake interview",
        tier=tier,
        assessed_on=timezone.localdate() - dt.timedelta(days=days_ago),
        needs=["substance_use"],
        responsibility=ResponsibilityTaking.MINIMISES,
        summary="Synthetic example: minimises the abuse, some motivation to change.",
    )


def _move(demo: _Demo, case: PerpetratorCase, *statuses: str, reason: str = "") -> None:
    for status in statuses:
        case_transition(actor=demo.worker, case=case, to_status=status, reason=reason)


def _in_assessment(demo: _Demo) -> PerpetratorCase:
    case = _open(demo, "B", RiskTier.MEDIUM)
    _with_support(demo, case, "B", 201)
    _move(demo, case, CaseStatus.ASSESSMENT)
    return case


def _active(demo: _Demo) -> PerpetratorCase:
    case = _open(demo, "C", RiskTier.MEDIUM)
    support = _with_support(demo, case, "C", 202)
    consent_record(
        actor=demo.support,
        support_case=support,
        state=ConsentState.GIVEN,
        scope="Integrated support and safety planning",
    )
    support_case_transition(
        actor=demo.support, support_case=support, to_status=SupportStatus.ACTIVE
    )
    support_case_update_contact(
        actor=demo.support,
        support_case=support,
        text_safe="yes",
        contact_wish_notes="Synthetic example: prefers a text first.",
    )
    case_note_add(
        actor=demo.support,
        support_case=support,
        text="Synthetic example: safety plan reviewed; she is staying with family.",
    )
    _intake(demo, case, RiskTier.MEDIUM, days_ago=20)
    _move(demo, case, CaseStatus.ASSESSMENT, CaseStatus.ACTIVE)
    case_note_add(
        actor=demo.worker, case=case, text="Synthetic example: engaged well in the first session."
    )
    equality_record(
        actor=demo.worker,
        case=case,
        answers={"age_band": "35_44", "sex": "male", "religion": "prefer_not_to_say"},
    )
    for days_ago, status in ((14, AttendanceStatus.ATTENDED), (7, AttendanceStatus.MISSED)):
        session_record(
            actor=demo.worker,
            service=demo.service,
            format=SessionFormat.ONE_TO_ONE,
            held_on=timezone.localdate() - dt.timedelta(days=days_ago),
            attendance={case: status},
            title="Synthetic one-to-one session",
        )
    risk_event_raise(
        actor=demo.worker,
        case=case,
        kind=RiskEventKind.POLICE_CALL_OUT,
        occurred_on=timezone.localdate() - dt.timedelta(days=3),
        summary="Synthetic example: police called to his address after an argument with a "
        "neighbour; no arrest.",
    )
    # A specific threat raised by the support side, not yet told to the victim-survivor.
    risk_event_raise(
        actor=demo.support,
        support_case=support,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.VICTIM_SURVIVOR,
        summary="Synthetic example: a message says he will come to her workplace on Friday.",
    )
    return case


def _suspended(demo: _Demo) -> PerpetratorCase:
    case = _open(demo, "D", RiskTier.STANDARD)
    _with_support(demo, case, "D", 203)
    _intake(demo, case, RiskTier.STANDARD, days_ago=40)
    _move(demo, case, CaseStatus.ASSESSMENT, CaseStatus.ACTIVE)
    _move(demo, case, CaseStatus.SUSPENDED, reason="Synthetic example: in hospital for a month.")
    return case


def _closed_at_high_risk(demo: _Demo) -> PerpetratorCase:
    case = _open(demo, "E", RiskTier.HIGH)
    _with_support(demo, case, "E", 204)
    _intake(demo, case, RiskTier.HIGH, days_ago=60)
    _move(demo, case, CaseStatus.ASSESSMENT, CaseStatus.ACTIVE)
    police = Organisation.objects.filter(slug=DEMO_POLICE_SLUG).first()
    case_handover_record(
        actor=demo.worker,
        case=case,
        to_organisation=police,
        to_agency="Demo Police (synthetic) domestic abuse team",
        to_contact="Duty sergeant (synthetic)",
        summary="Synthetic example: stopped attending; risk held by police and MARAC from today.",
    )
    _move(
        demo,
        case,
        CaseStatus.DROPPED_OUT,
        CaseStatus.CLOSED,
        reason="Synthetic example: stopped attending after three sessions.",
    )
    return case


def _no_victim(demo: _Demo) -> PerpetratorCase:
    case = _open(demo, "F", RiskTier.STANDARD)
    consent_record(actor=demo.worker, case=case, state=ConsentState.GIVEN)
    case_no_victim_record(
        actor=demo.worker,
        case=case,
        reason="Synthetic example: self-referral about controlling behaviour in past "
        "relationships; no current partner and no identifiable victim-survivor.",
    )
    case_no_victim_approve(actor=demo.manager, case=case)
    _move(demo, case, CaseStatus.ASSESSMENT, CaseStatus.ACTIVE)
    return case


SCRIPT: list[tuple[str, Callable[[_Demo], PerpetratorCase]]] = [
    ("B", _in_assessment),
    ("C", _active),
    ("D", _suspended),
    ("E", _closed_at_high_risk),
    ("F", _no_victim),
]


def _from_accepted_referrals(demo: _Demo) -> int:
    """A case for each accepted demo referral that has none (accepting opens one; this only
    fills in for demo data loaded before case work existed)."""
    made = 0
    waiting = Referral.objects.filter(
        is_synthetic=True,
        status=ReferralStatus.ACCEPTED,
        sent_service=demo.service,
        perpetrator_case__isnull=True,
    )
    for referral in waiting:
        _synthetic(perpetrator_case_open_from_referral(actor=demo.worker, referral=referral))
        made += 1
    return made


def _agreement(demo: _Demo, active: PerpetratorCase | None) -> None:
    police = Organisation.objects.filter(slug=DEMO_POLICE_SLUG).first()
    if police is None or demo.commissioner is None:
        return
    if SharingAgreement.objects.filter(name=AGREEMENT_NAME).exists():
        return
    today = timezone.localdate()
    sharing_agreement_save(
        actor=demo.commissioner,
        name=AGREEMENT_NAME,
        parties=[demo.org, police],
        purpose="Synthetic example: sharing risk and attendance so the police can hold risk "
        "and prepare MARAC.",
        lawful_basis="public_task",
        categories=[SharingCategory.RISK, SharingCategory.CASE_PROGRESS],
        starts_on=today - dt.timedelta(days=180),
        review_on=today + dt.timedelta(days=185),
        status=AgreementStatus.ACTIVE,
    )
    if active is not None:
        share_record(
            actor=demo.worker,
            case=active,
            to_organisation=police,
            category=SharingCategory.RISK,
            purpose="Synthetic example: risk update before MARAC",
        )


def _staff_records(demo: _Demo) -> None:
    today = timezone.localdate()
    records = [
        # Up to date.
        (demo.worker, today - dt.timedelta(days=400), today - dt.timedelta(days=12), 1),
        # Supervision overdue and the DBS check due for renewal.
        (demo.support, today - dt.timedelta(days=700), today - dt.timedelta(days=75), 4),
    ]
    for user, inducted, supervised, dbs_years_ago in records:
        if StaffRecord.objects.filter(user=user, organisation=demo.org).exists():
            continue
        staff_record_save(
            actor=demo.manager,
            user=user,
            organisation=demo.org,
            induction_completed_on=inducted,
            last_supervision_on=supervised,
            dbs_checked_on=today - dt.timedelta(days=365 * dbs_years_ago + 30),
        )


@transaction.atomic
def cases_load_demo() -> int:
    """Load case work's demonstration data; returns how many cases were made. Needs the
    front door's demo provider and the demo staff (`referrals_load_demo` runs first)."""
    service = (
        Service.objects.select_related("organisation")
        .filter(external_ref=DEMO_SERVICE_REF, organisation__slug=DEMO_PROVIDER_SLUG)
        .first()
    )
    usernames = [
        "demo-perpetrator-worker",
        "demo-support-worker",
        "demo-provider-manager",
        "demo-commissioner",
        "demo-referrer",
        "demo-panel-chair",
    ]
    users = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)}
    if service is None or not {
        "demo-perpetrator-worker",
        "demo-support-worker",
        "demo-provider-manager",
    } <= set(users):
        return 0
    demo = _Demo(service, users)
    if not ServiceCaseSettings.objects.filter(service=service).exists():
        service_case_settings_save(
            actor=demo.manager,
            service=service,
            assessment_interval_days=42,
            max_caseload=12,
            missed_sessions_warning=2,
            missed_sessions_review=3,
        )
    made = _from_accepted_referrals(demo)
    existing = set(
        PerpetratorCase.objects.filter(service=service, is_synthetic=True).values_list(
            "person_name", flat=True
        )
    )
    for letter, make in SCRIPT:
        if _person(letter) in existing:
            continue
        make(demo)
        made += 1
    active = PerpetratorCase.objects.filter(service=service, person_name=_person("C")).first()
    _agreement(demo, active)
    _staff_records(demo)
    return made
