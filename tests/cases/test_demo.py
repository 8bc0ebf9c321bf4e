"""Case work demo data: cases in several states for the demo staff, made through the
services so every rule holds, only synthetic people, and loading twice adds nothing."""

from __future__ import annotations

import pytest

from pathways.cases.demo import AGREEMENT_NAME, DEMO_SERVICE_REF, cases_load_demo
from pathways.cases.models import (
    Alert,
    AlertKind,
    Attendance,
    CaseAssessment,
    CaseStatus,
    Consent,
    ConsentState,
    EqualityProfile,
    Handover,
    PerpetratorCase,
    RiskEvent,
    ServiceCaseSettings,
    Share,
    SharingAgreement,
    Side,
    StaffRecord,
    SupportCase,
)
from pathways.cases.selectors.cases import (
    case_list_for_user,
    support_case_list_for_user,
    threats_awaiting_victim_told,
)
from pathways.cases.selectors.sharing import agreement_covering
from pathways.cases.services.perpetrator import activation_blockers
from pathways.cases.services.staff import staff_record_overdue
from pathways.core.demo import load_demo
from pathways.referrals.models import Referral, ReferralStatus

CASE_MODELS = [
    PerpetratorCase,
    SupportCase,
    Consent,
    CaseAssessment,
    Attendance,
    RiskEvent,
    Alert,
    Handover,
    SharingAgreement,
    Share,
    StaffRecord,
    ServiceCaseSettings,
    EqualityProfile,
]


@pytest.fixture
def demo(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    return load_demo(synthetic_services=0)


def user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def demo_cases():
    return PerpetratorCase.objects.filter(service__external_ref=DEMO_SERVICE_REF)


def test_demo_cases_cover_the_lifecycle_for_the_demo_staff_with_synthetic_people(demo):
    assert demo.cases_created >= 5
    statuses = set(demo_cases().values_list("status", flat=True))
    assert {
        CaseStatus.REFERRED,
        CaseStatus.ASSESSMENT,
        CaseStatus.ACTIVE,
        CaseStatus.SUSPENDED,
        CaseStatus.CLOSED,
    } <= statuses
    worker = user("demo-perpetrator-worker")
    assert set(case_list_for_user(user=worker)) >= set(demo_cases())
    support_worker = user("demo-support-worker")
    assert SupportCase.objects.filter(worker=support_worker).count() >= 4
    assert set(support_case_list_for_user(user=support_worker)) == set(
        SupportCase.objects.filter(perpetrator_case__service__external_ref=DEMO_SERVICE_REF)
    )
    # The perpetrator side of the demo never reads the support record.
    for username in ("demo-perpetrator-worker", "demo-provider-manager", "demo-admin"):
        assert not support_case_list_for_user(user=user(username)).exists()

    # The accepted demo referral has its case, with a support case per victim-survivor.
    accepted = Referral.objects.filter(status=ReferralStatus.ACCEPTED, is_synthetic=True)
    assert accepted.exists()
    for referral in accepted:
        case = PerpetratorCase.objects.get(referral=referral)
        assert case.status == CaseStatus.REFERRED and case.is_synthetic
        assert case.support_cases.count() == referral.victims.count() >= 1
    # Only synthetic people.
    assert not PerpetratorCase.objects.filter(is_synthetic=False).exists()
    assert not SupportCase.objects.filter(is_synthetic=False).exists()
    scripted = demo_cases().filter(referral__isnull=True)
    assert all(c.person_name.endswith("(synthetic)") for c in scripted)
    assert all(
        s.victim_name.endswith("(synthetic)")
        for s in SupportCase.objects.filter(perpetrator_case__in=scripted)
    )


def test_the_active_demo_case_has_support_consent_assessment_sessions_and_risk_both_ways(demo):
    support_worker = user("demo-support-worker")
    active = [c for c in demo_cases().filter(status=CaseStatus.ACTIVE) if c.support_cases.exists()]
    assert active
    case = active[0]
    support = case.support_cases.get()
    assert support.worker == support_worker and support.worker != case.worker
    assert case.consents.filter(state=ConsentState.GIVEN).exists()
    assert case.assessments.filter(kind="intake").exists()
    assert case.attendance.count() >= 2
    sides = set(case.risk_events.values_list("raised_side", flat=True))
    assert sides == {Side.PERPETRATOR, Side.SUPPORT}
    threat = case.risk_events.get(kind="specific_threat")
    assert threat.needs_victim_told
    assert threat in threats_awaiting_victim_told(user=support_worker)
    assert Alert.objects.filter(risk_event=threat, recipient=case.worker).exists()


def test_the_demo_shows_a_high_risk_ending_a_no_victim_approval_and_keeps_the_rules(demo):
    case = demo_cases().get(status=CaseStatus.CLOSED)
    assert case.is_high_risk and case.handovers.exists()
    ending = Alert.objects.filter(case=case, kind=AlertKind.HIGH_RISK_ENDING)
    assert {a.recipient.username for a in ending} == {"demo-referrer", "demo-panel-chair"}
    case = demo_cases().exclude(no_victim_reason="").get()
    assert case.status == CaseStatus.ACTIVE and not case.support_cases.exists()
    assert case.no_victim_approved_by == user("demo-provider-manager") != case.worker
    for case in demo_cases():
        support_workers = {s.worker_id for s in case.support_cases.all() if s.worker_id}
        assert case.worker_id is None or case.worker_id not in support_workers
        if case.status == CaseStatus.ACTIVE:
            assert activation_blockers(case) == []


def test_demo_sharing_agreement_staff_records_and_settings(demo):
    agreement = SharingAgreement.objects.get(name=AGREEMENT_NAME)
    northbrook = demo_cases().first().service.organisation
    police = agreement.parties.exclude(pk=northbrook.pk).get()
    assert agreement_covering(from_org=northbrook.pk, to_org=police.pk, category="risk")
    assert Share.objects.filter(agreement=agreement).count() == 1
    overdue = [
        r for r in StaffRecord.objects.filter(organisation=northbrook) if staff_record_overdue(r)
    ]
    current = [
        r
        for r in StaffRecord.objects.filter(organisation=northbrook)
        if not staff_record_overdue(r)
    ]
    assert len(overdue) == 1 and len(current) == 1
    assert ServiceCaseSettings.objects.filter(service__external_ref=DEMO_SERVICE_REF).exists()


def test_loading_the_demo_twice_adds_no_case_work(demo):
    counts = {model.__name__: model.objects.count() for model in CASE_MODELS}
    again = load_demo(synthetic_services=0)
    assert again.cases_created == 0
    assert cases_load_demo() == 0
    assert {model.__name__: model.objects.count() for model in CASE_MODELS} == counts


def test_the_case_demo_makes_nothing_without_the_demo_provider(db):
    assert cases_load_demo() == 0
    assert not PerpetratorCase.objects.exists() and not ServiceCaseSettings.objects.exists()
