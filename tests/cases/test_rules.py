"""The rules that are code (DESIGN.md, Home Office 2023 standards 1.2, 2.4 and consent),
each tried through the service functions the pages and the API call. Every test tries to
get round the rule it names; a refused move must change nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.cases.models import (
    CASE_TRANSITIONS,
    Alert,
    AlertKind,
    AssessmentKind,
    CaseStatus,
    CaseStatusChange,
    Consent,
    ConsentState,
    DeliveryRole,
    PerpetratorCase,
    RiskEvent,
    RiskEventKind,
    Side,
    SupportCase,
    SupportStatus,
)
from pathways.cases.policies import can_view_support_case
from pathways.cases.selectors.cases import support_case_get_for_user
from pathways.cases.services.perpetrator import (
    case_handover_record,
    case_no_victim_approve,
    case_no_victim_record,
    case_transition,
    perpetrator_case_assign,
    perpetrator_case_update,
)
from pathways.cases.services.records import case_assessment_record, case_note_add, consent_record
from pathways.cases.services.risk import risk_event_raise
from pathways.cases.services.sharing import share_record
from pathways.cases.services.support import (
    support_case_assign,
    support_case_link,
    support_case_open,
    support_case_request,
    support_case_transition,
    support_case_update_contact,
)
from pathways.referrals.reference import RiskTier

A = CaseStatus


def status(case) -> str:
    return PerpetratorCase.objects.get(pk=case.pk).status


def move(case, to_status, *, actor, reason="Reason given by the worker"):
    return case_transition(actor=actor, case=case, to_status=to_status, reason=reason)


def walk(case, statuses, *, actor):
    for to_status in statuses:
        move(case, to_status, actor=actor)


@pytest.fixture
def unlinked_case(open_case, perp_worker):
    """A case in assessment, allocated and consented, with no support case linked."""

    def make(name: str = "Unlinked Person", tier: str = RiskTier.MEDIUM):
        case = open_case(name, tier=tier)
        perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
        consent_record(actor=perp_worker, case=case, state=ConsentState.GIVEN)
        move(case, A.ASSESSMENT, actor=perp_worker)
        return case

    return make


@pytest.fixture
def second_manager(make_user, provider_org):
    return make_user("second-manager", Role.PROVIDER_MANAGER, provider_org)


@pytest.fixture
def manager_worker(make_user, provider_org):
    """A provider manager who also works perpetrator cases."""
    user = make_user("manager-worker", Role.PROVIDER_MANAGER, provider_org)
    user.memberships.create(organisation=provider_org, role=Role.PERPETRATOR_WORKER)
    return user


@pytest.fixture
def named_contacts(role_users):
    """Users to name on a case: statutory lead, police contact, panel chair."""
    return {
        "statutory_lead": role_users[Role.COMMISSIONER],
        "police_contact": role_users[Role.REFERRER],
        "panel_chair": role_users[Role.PANEL_CHAIR],
    }


# --- 1.2: no perpetrator work without integrated support (or an approved reason) ------------


@pytest.mark.django_db
def test_case_cannot_become_active_without_a_linked_support_case(unlinked_case, perp_worker):
    case = unlinked_case()
    with pytest.raises(ValidationError) as refused:
        move(case, A.ACTIVE, actor=perp_worker)
    assert "Link a victim-survivor support case" in str(refused.value)
    assert status(case) == A.ASSESSMENT


@pytest.mark.django_db
def test_case_becomes_active_with_a_linked_open_support_case(ready_case, perp_worker):
    case, _support = ready_case()
    walk(case, [A.ASSESSMENT, A.ACTIVE], actor=perp_worker)
    assert status(case) == A.ACTIVE
    assert list(CaseStatusChange.objects.filter(case=case).values_list("to_status", flat=True)) == [
        A.REFERRED,
        A.ASSESSMENT,
        A.ACTIVE,
    ]


@pytest.mark.django_db
def test_a_no_victim_reason_without_a_managers_approval_does_not_let_a_case_start(
    unlinked_case, perp_worker
):
    case = unlinked_case()
    case_no_victim_record(
        actor=perp_worker, case=case, reason="Referred for stalking a public figure"
    )
    with pytest.raises(ValidationError):
        move(case, A.ACTIVE, actor=perp_worker)
    assert status(case) == A.ASSESSMENT


@pytest.mark.django_db
def test_an_empty_no_victim_reason_is_refused(unlinked_case, perp_worker):
    case = unlinked_case()
    with pytest.raises(ValidationError) as refused:
        case_no_victim_record(actor=perp_worker, case=case, reason="   ")
    assert "reason" in refused.value.message_dict
    assert PerpetratorCase.objects.get(pk=case.pk).no_victim_reason == ""


@pytest.mark.django_db
def test_a_perpetrator_side_worker_cannot_approve_a_no_victim_reason(unlinked_case, perp_worker):
    case = unlinked_case()
    case_no_victim_record(actor=perp_worker, case=case, reason="No identifiable person")
    with pytest.raises(PermissionDenied):
        case_no_victim_approve(actor=perp_worker, case=case)
    stored = PerpetratorCase.objects.get(pk=case.pk)
    assert stored.no_victim_approved_at is None and stored.no_victim_approved_by is None
    with pytest.raises(ValidationError):
        move(case, A.ACTIVE, actor=perp_worker)


@pytest.mark.parametrize("role", [Role.SUPPORT_WORKER, Role.COMMISSIONER, Role.ADMIN])
@pytest.mark.django_db
def test_nobody_but_a_manager_of_the_service_approves_a_no_victim_reason(
    unlinked_case, perp_worker, role_users, role
):
    case = unlinked_case()
    case_no_victim_record(actor=perp_worker, case=case, reason="No identifiable person")
    with pytest.raises(PermissionDenied):
        case_no_victim_approve(actor=role_users[role], case=case)
    assert PerpetratorCase.objects.get(pk=case.pk).no_victim_approved_at is None


@pytest.mark.django_db
def test_a_manager_of_another_organisation_cannot_approve_a_no_victim_reason(
    unlinked_case, perp_worker, make_user, other_provider_org
):
    case = unlinked_case()
    case_no_victim_record(actor=perp_worker, case=case, reason="No identifiable person")
    outsider = make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org)
    with pytest.raises(PermissionDenied):
        case_no_victim_approve(actor=outsider, case=case)
    assert PerpetratorCase.objects.get(pk=case.pk).no_victim_approved_at is None


@pytest.mark.django_db
def test_the_manager_who_works_the_case_cannot_approve_its_no_victim_reason(
    open_case, manager_worker
):
    case = open_case()
    perpetrator_case_assign(actor=manager_worker, case=case, worker=manager_worker)
    consent_record(actor=manager_worker, case=case, state=ConsentState.GIVEN)
    move(case, A.ASSESSMENT, actor=manager_worker)
    case_no_victim_record(actor=manager_worker, case=case, reason="No identifiable person")
    with pytest.raises(ValidationError) as refused:
        case_no_victim_approve(actor=manager_worker, case=case)
    assert "other than the case worker" in str(refused.value)
    assert PerpetratorCase.objects.get(pk=case.pk).no_victim_approved_at is None
    with pytest.raises(ValidationError):
        move(case, A.ACTIVE, actor=manager_worker)


@pytest.mark.django_db
def test_a_case_starts_without_support_once_another_manager_approves_the_reason(
    unlinked_case, perp_worker, manager
):
    case = unlinked_case()
    case_no_victim_record(actor=perp_worker, case=case, reason="No identifiable person")
    case_no_victim_approve(actor=manager, case=case)
    move(case, A.ACTIVE, actor=perp_worker)
    stored = PerpetratorCase.objects.get(pk=case.pk)
    assert stored.status == A.ACTIVE and stored.no_victim_approved_by == manager
    assert AuditEvent.objects.filter(
        action=AuditAction.APPROVE, object_id=case.reference, actor=manager
    ).exists()


@pytest.mark.django_db
def test_recording_a_new_no_victim_reason_needs_approving_again(
    unlinked_case, perp_worker, manager
):
    case = unlinked_case()
    case_no_victim_record(actor=perp_worker, case=case, reason="First reason")
    case_no_victim_approve(actor=manager, case=case)
    case_no_victim_record(actor=perp_worker, case=case, reason="A different reason")
    assert PerpetratorCase.objects.get(pk=case.pk).no_victim_approved_at is None
    with pytest.raises(ValidationError):
        move(case, A.ACTIVE, actor=perp_worker)


@pytest.mark.django_db
def test_approving_with_no_recorded_reason_is_refused(unlinked_case, manager):
    case = unlinked_case()
    with pytest.raises(ValidationError):
        case_no_victim_approve(actor=manager, case=case)
    assert PerpetratorCase.objects.get(pk=case.pk).no_victim_approved_at is None


@pytest.mark.django_db
def test_a_linked_support_case_that_has_closed_does_not_count_for_activation(
    ready_case, perp_worker, support_worker
):
    case, support = ready_case()
    move(case, A.ASSESSMENT, actor=perp_worker)
    support_case_transition(
        actor=support_worker,
        support_case=support,
        to_status=SupportStatus.CLOSED,
        reason="Moved out of the area",
    )
    with pytest.raises(ValidationError) as refused:
        move(case, A.ACTIVE, actor=perp_worker)
    assert "Link a victim-survivor support case" in str(refused.value)
    assert status(case) == A.ASSESSMENT


@pytest.mark.django_db
def test_a_suspended_case_cannot_restart_once_its_only_support_case_has_closed(
    ready_case, perp_worker, support_worker
):
    case, support = ready_case()
    walk(case, [A.ASSESSMENT, A.ACTIVE, A.SUSPENDED], actor=perp_worker)
    support_case_transition(
        actor=support_worker, support_case=support, to_status=SupportStatus.CLOSED, reason="Ended"
    )
    with pytest.raises(ValidationError):
        move(case, A.ACTIVE, actor=perp_worker)
    assert status(case) == A.SUSPENDED


@pytest.mark.django_db
def test_a_case_with_no_worker_cannot_start(open_case, perp_worker):
    case = open_case()
    consent_record(actor=perp_worker, case=case, state=ConsentState.GIVEN)
    support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    move(case, A.ASSESSMENT, actor=perp_worker)
    with pytest.raises(ValidationError) as refused:
        move(case, A.ACTIVE, actor=perp_worker)
    assert "Allocate a worker first" in str(refused.value)


# --- 1.2: never the same worker on both sides, now or later ---------------------------------


@pytest.mark.django_db
def test_the_perpetrator_cases_worker_cannot_be_given_the_linked_support_case(
    open_case, dual_worker, support_worker, perp_worker
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    with pytest.raises(ValidationError) as refused:
        support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    assert "different worker must support the victim-survivor" in str(refused.value)
    assert SupportCase.objects.get(pk=support.pk).worker_id is None


@pytest.mark.django_db
def test_the_support_worker_cannot_later_be_given_the_perpetrator_case(
    ready_case, perp_worker, dual_worker, support_worker, manager
):
    case, support = ready_case()
    support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    for actor in (perp_worker, manager):
        with pytest.raises(ValidationError) as refused:
            perpetrator_case_assign(actor=actor, case=case, worker=dual_worker)
        assert "a different worker must hold the perpetrator case" in str(refused.value)
    assert PerpetratorCase.objects.get(pk=case.pk).worker_id == perp_worker.pk


@pytest.mark.django_db
def test_swapping_workers_round_cannot_put_one_person_on_both_sides(
    open_case, perp_worker, dual_worker, support_worker
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    with pytest.raises(ValidationError):
        perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    assert PerpetratorCase.objects.get(pk=case.pk).worker_id == perp_worker.pk


@pytest.mark.django_db
def test_a_closed_linked_support_case_still_keeps_its_worker_off_the_perpetrator_case(
    ready_case, perp_worker, dual_worker, support_worker
):
    case, support = ready_case()
    support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    support_case_transition(
        actor=dual_worker, support_case=support, to_status=SupportStatus.CLOSED, reason="Ended"
    )
    with pytest.raises(ValidationError):
        perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)


@pytest.mark.django_db
def test_a_support_case_held_by_the_perpetrators_worker_cannot_be_linked_to_their_case(
    open_case, perp_worker, dual_worker, support_worker, provider_org
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_open(
        actor=support_worker, organisation=provider_org, victim_name="Came to us first"
    )
    support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    with pytest.raises(ValidationError) as refused:
        support_case_link(actor=support_worker, support_case=support, case_reference=case.reference)
    assert "cannot also support the victim-survivor" in str(refused.value)
    assert SupportCase.objects.get(pk=support.pk).perpetrator_case_id is None


@pytest.mark.django_db
def test_the_perpetrators_worker_cannot_link_a_support_case_to_their_own_case(
    open_case, perp_worker, dual_worker, support_worker, provider_org
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_open(
        actor=support_worker, organisation=provider_org, victim_name="Came to us first"
    )
    support_case_assign(actor=support_worker, support_case=support, worker=support_worker)
    with pytest.raises(ValidationError):
        support_case_link(actor=dual_worker, support_case=support, case_reference=case.reference)
    assert SupportCase.objects.get(pk=support.pk).perpetrator_case_id is None


@pytest.mark.django_db
def test_a_dual_role_worker_cannot_read_or_write_the_support_case_linked_to_their_case(
    open_case, perp_worker, dual_worker, support_worker, provider_org
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    support_case_assign(actor=support_worker, support_case=support, worker=support_worker)
    assert not can_view_support_case(dual_worker, support)
    from django.http import Http404

    with pytest.raises(Http404):
        support_case_get_for_user(user=dual_worker, reference=support.reference)
    attempts = [
        lambda: case_note_add(actor=dual_worker, support_case=support, text="Peek"),
        lambda: consent_record(actor=dual_worker, support_case=support, state="given"),
        lambda: support_case_update_contact(
            actor=dual_worker, support_case=support, safe_times="Any time"
        ),
        lambda: support_case_transition(
            actor=dual_worker, support_case=support, to_status=SupportStatus.ACTIVE
        ),
        lambda: support_case_assign(actor=dual_worker, support_case=support, worker=support_worker),
        lambda: risk_event_raise(
            actor=dual_worker,
            support_case=support,
            kind=RiskEventKind.NEW_INCIDENT,
            summary="Raised from the wrong side",
        ),
        lambda: share_record(
            actor=dual_worker,
            support_case=support,
            to_organisation=provider_org,
            category="risk",
            purpose="Peek",
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    stored = SupportCase.objects.get(pk=support.pk)
    assert stored.status == SupportStatus.OPEN and stored.safe_times == ""
    assert not stored.notes.exists() and not stored.consents.exists()


@pytest.mark.django_db
def test_a_dual_role_worker_may_support_a_victim_survivor_on_someone_elses_case(
    ready_case, perp_worker, dual_worker, support_worker
):
    case, support = ready_case()
    support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    assert can_view_support_case(dual_worker, support)
    assert PerpetratorCase.objects.get(pk=case.pk).worker_id == perp_worker.pk


# --- 2.4: no ending at high risk without a handover; police and panel chair told ------------

ENDINGS = {
    "dropped out": [A.ASSESSMENT, A.ACTIVE, A.DROPPED_OUT],
    "de-selected": [A.ASSESSMENT, A.ACTIVE, A.DESELECTED],
    "closed": [A.ASSESSMENT, A.ACTIVE, A.SUSPENDED, A.CLOSED],
    "closed at assessment": [A.ASSESSMENT, A.CLOSED],
}


@pytest.mark.parametrize("route", ENDINGS)
@pytest.mark.django_db
def test_a_high_risk_case_cannot_end_without_a_handover(ready_case, perp_worker, route):
    case, _ = ready_case(tier=RiskTier.HIGH)
    *before, ending = ENDINGS[route]
    walk(case, before, actor=perp_worker)
    alerts = Alert.objects.filter(kind=AlertKind.HIGH_RISK_ENDING).count()
    with pytest.raises(ValidationError) as refused:
        move(case, ending, actor=perp_worker)
    assert "record a handover" in str(refused.value)
    assert status(case) == before[-1]
    assert Alert.objects.filter(kind=AlertKind.HIGH_RISK_ENDING).count() == alerts


@pytest.mark.parametrize("route", ENDINGS)
@pytest.mark.django_db
def test_ending_a_high_risk_case_after_a_handover_alerts_police_panel_chair_and_lead(
    ready_case, perp_worker, named_contacts, route
):
    case, _ = ready_case(tier=RiskTier.HIGH)
    perpetrator_case_update(actor=perp_worker, case=case, **named_contacts)
    *before, ending = ENDINGS[route]
    walk(case, before, actor=perp_worker)
    case_handover_record(
        actor=perp_worker,
        case=case,
        to_agency="Probation (synthetic)",
        to_contact="Duty officer",
        summary="Risk held by probation from today",
    )
    move(case, ending, actor=perp_worker)
    assert status(case) == ending
    delivered = {
        (a.recipient_id, a.role)
        for a in Alert.objects.filter(case=case, kind=AlertKind.HIGH_RISK_ENDING)
    }
    assert delivered == {
        (named_contacts["police_contact"].pk, DeliveryRole.POLICE),
        (named_contacts["panel_chair"].pk, DeliveryRole.PANEL_CHAIR),
        (named_contacts["statutory_lead"].pk, DeliveryRole.STATUTORY_LEAD),
    }


@pytest.mark.django_db
def test_closing_after_dropping_out_at_high_risk_does_not_alert_twice(
    ready_case, perp_worker, named_contacts
):
    case, _ = ready_case(tier=RiskTier.HIGH)
    perpetrator_case_update(actor=perp_worker, case=case, **named_contacts)
    walk(case, [A.ASSESSMENT, A.ACTIVE], actor=perp_worker)
    case_handover_record(
        actor=perp_worker, case=case, to_agency="Police", to_contact="DS Example", summary="Held"
    )
    walk(case, [A.DROPPED_OUT, A.CLOSED], actor=perp_worker)
    assert Alert.objects.filter(case=case, kind=AlertKind.HIGH_RISK_ENDING).count() == 3


@pytest.mark.django_db
def test_risk_raised_to_high_by_an_assessment_needs_a_handover_before_ending(
    ready_case, perp_worker
):
    case, _ = ready_case(tier=RiskTier.MEDIUM)
    walk(case, [A.ASSESSMENT, A.ACTIVE], actor=perp_worker)
    case_assessment_record(
        actor=perp_worker,
        case=case,
        kind=AssessmentKind.REVIEW,
        tool="Synthetic tool",
        tier=RiskTier.HIGH,
    )
    with pytest.raises(ValidationError):
        move(case, A.DESELECTED, actor=perp_worker)
    assert status(case) == A.ACTIVE


@pytest.mark.django_db
def test_a_medium_risk_case_ends_without_a_handover(ready_case, perp_worker):
    case, _ = ready_case(tier=RiskTier.MEDIUM)
    walk(case, [A.ASSESSMENT, A.ACTIVE, A.DROPPED_OUT], actor=perp_worker)
    assert status(case) == A.DROPPED_OUT
    assert not Alert.objects.filter(kind=AlertKind.HIGH_RISK_ENDING).exists()


@pytest.mark.parametrize("ending", [A.SUSPENDED, A.DROPPED_OUT, A.DESELECTED])
@pytest.mark.django_db
def test_ending_or_pausing_a_case_tells_the_support_worker_as_a_risk_event(
    ready_case, perp_worker, support_worker, ending
):
    case, support = ready_case()
    walk(case, [A.ASSESSMENT, A.ACTIVE], actor=perp_worker)
    move(case, ending, actor=perp_worker, reason="Private reason that stays on the case")
    event = RiskEvent.objects.get(case=case, kind=RiskEventKind.CHANGE_IN_CIRCUMSTANCES)
    assert event.raised_side == Side.PERPETRATOR
    assert "Private reason" not in event.summary
    assert Alert.objects.filter(
        risk_event=event, recipient=support_worker, role=DeliveryRole.OTHER_SIDE
    ).exists()


@pytest.mark.parametrize("ending", [A.SUSPENDED, A.DROPPED_OUT, A.DESELECTED])
@pytest.mark.django_db
def test_ending_or_pausing_needs_a_reason(ready_case, perp_worker, ending):
    case, _ = ready_case()
    walk(case, [A.ASSESSMENT, A.ACTIVE], actor=perp_worker)
    with pytest.raises(ValidationError):
        move(case, ending, actor=perp_worker, reason="  ")
    assert status(case) == A.ACTIVE


@pytest.mark.django_db
def test_a_handover_with_missing_details_is_refused(ready_case, perp_worker):
    case, _ = ready_case(tier=RiskTier.HIGH)
    with pytest.raises(ValidationError) as refused:
        case_handover_record(actor=perp_worker, case=case, to_agency="", to_contact="", summary="")
    assert set(refused.value.message_dict) == {"to_agency", "to_contact", "summary"}
    assert not case.handovers.exists()


@pytest.mark.django_db
def test_completing_needs_a_closure_assessment(ready_case, perp_worker):
    case, _ = ready_case()
    walk(case, [A.ASSESSMENT, A.ACTIVE], actor=perp_worker)
    with pytest.raises(ValidationError):
        move(case, A.COMPLETED, actor=perp_worker)
    case_assessment_record(
        actor=perp_worker, case=case, kind=AssessmentKind.CLOSURE, tool="Tool", tier="medium_risk"
    )
    move(case, A.COMPLETED, actor=perp_worker)
    assert status(case) == A.COMPLETED


# --- Consent, or a recorded safeguarding reason -----------------------------------------------


@pytest.mark.django_db
def test_work_without_consent_needs_a_safeguarding_reason(open_case, perp_worker):
    case = open_case()
    with pytest.raises(ValidationError) as refused:
        consent_record(actor=perp_worker, case=case, state=ConsentState.WITHOUT_CONSENT)
    assert "safeguarding_reason" in refused.value.message_dict
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_work_without_consent_with_no_reason(open_case):
    case = open_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(case=case, state=ConsentState.WITHOUT_CONSENT)
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_consent_on_no_case_or_on_both(ready_case):
    case, support = ready_case()
    before = Consent.objects.count()
    for kwargs in ({}, {"case": case, "support_case": support}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Consent.objects.create(state=ConsentState.GIVEN, **kwargs)
    assert Consent.objects.count() == before


@pytest.mark.django_db
def test_an_unknown_consent_state_is_refused(open_case, perp_worker):
    case = open_case()
    with pytest.raises(ValidationError):
        consent_record(actor=perp_worker, case=case, state="maybe")
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_a_case_cannot_start_without_a_consent_decision(open_case, perp_worker, support_worker):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    move(case, A.ASSESSMENT, actor=perp_worker)
    with pytest.raises(ValidationError) as refused:
        move(case, A.ACTIVE, actor=perp_worker)
    assert "Record the person's consent" in str(refused.value)
    assert status(case) == A.ASSESSMENT


@pytest.mark.django_db
def test_withdrawn_consent_stops_a_case_starting(ready_case, perp_worker):
    case, _ = ready_case()
    consent_record(actor=perp_worker, case=case, state=ConsentState.WITHDRAWN)
    move(case, A.ASSESSMENT, actor=perp_worker)
    with pytest.raises(ValidationError):
        move(case, A.ACTIVE, actor=perp_worker)
    assert status(case) == A.ASSESSMENT


@pytest.mark.django_db
def test_consent_withdrawn_while_suspended_stops_the_case_restarting(ready_case, perp_worker):
    case, _ = ready_case()
    walk(case, [A.ASSESSMENT, A.ACTIVE, A.SUSPENDED], actor=perp_worker)
    consent_record(actor=perp_worker, case=case, state=ConsentState.WITHDRAWN)
    with pytest.raises(ValidationError):
        move(case, A.ACTIVE, actor=perp_worker)
    assert status(case) == A.SUSPENDED


@pytest.mark.django_db
def test_a_case_starts_without_consent_for_a_recorded_safeguarding_reason(ready_case, perp_worker):
    case, _ = ready_case()
    consent_record(actor=perp_worker, case=case, state=ConsentState.WITHDRAWN)
    consent_record(
        actor=perp_worker,
        case=case,
        state=ConsentState.WITHOUT_CONSENT,
        safeguarding_reason="Court-mandated; children at risk",
    )
    walk(case, [A.ASSESSMENT, A.ACTIVE], actor=perp_worker)
    assert status(case) == A.ACTIVE


# --- Who may move a case ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.SUPPORT_WORKER, Role.COMMISSIONER, Role.ANALYST, Role.REFERRER, Role.ADMIN]
)
@pytest.mark.django_db
def test_only_the_services_perpetrator_side_staff_move_a_case(ready_case, role_users, role):
    case, _ = ready_case()
    with pytest.raises(PermissionDenied):
        move(case, A.ASSESSMENT, actor=role_users[role])
    assert status(case) == A.REFERRED


@pytest.mark.django_db
def test_staff_of_another_provider_cannot_move_a_case(ready_case, make_user, other_provider_org):
    case, _ = ready_case()
    outsider = make_user("outsider", Role.PERPETRATOR_WORKER, other_provider_org)
    with pytest.raises(PermissionDenied):
        move(case, A.ASSESSMENT, actor=outsider)
    with pytest.raises(PermissionDenied):
        perpetrator_case_assign(actor=outsider, case=case, worker=outsider)
    assert status(case) == A.REFERRED


# --- The status machine: illegal moves are refused and change nothing --------------------------


def _snapshot(case) -> tuple:
    stored = PerpetratorCase.objects.get(pk=case.pk)
    return (
        stored.status,
        stored.status_changed_at,
        stored.ending_reason,
        stored.closed_at,
        CaseStatusChange.objects.filter(case=case).count(),
        AuditEvent.objects.count(),
        RiskEvent.objects.filter(case=case).count(),
        Alert.objects.filter(case=case).count(),
    )


ANY_STATUS = st.sampled_from([*CaseStatus.values, "archived", ""])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@pytest.mark.django_db
def test_the_status_machine_refuses_every_illegal_move_and_changes_nothing(
    ready_case, perp_worker, data
):
    # Each example runs in a savepoint rolled back at its end, so caseloads stay small.
    with transaction.atomic():
        case, _ = ready_case()
        # Everything the rules ask for is in place, so only the machine decides.
        case_assessment_record(
            actor=perp_worker, case=case, kind=AssessmentKind.CLOSURE, tool="T", tier="medium_risk"
        )
        current = A.REFERRED
        for _step in range(data.draw(st.integers(min_value=1, max_value=12), label="moves")):
            legal_targets = sorted(CASE_TRANSITIONS[current])
            # Half the moves follow the machine (so walks go deep), half are any status.
            if legal_targets and data.draw(st.booleans(), label="follow"):
                to_status = data.draw(st.sampled_from(legal_targets), label="legal")
            else:
                to_status = data.draw(ANY_STATUS, label="any")
            before = _snapshot(case)
            if to_status in CASE_TRANSITIONS[current]:
                move(case, to_status, actor=perp_worker)
                current = to_status
                assert status(case) == to_status
                assert CaseStatusChange.objects.filter(case=case).count() == before[4] + 1
            else:
                with pytest.raises(ValidationError):
                    move(case, to_status, actor=perp_worker)
                assert _snapshot(case) == before
        transaction.set_rollback(True)


def test_every_status_has_a_row_in_the_status_machine():
    assert set(CASE_TRANSITIONS) == set(CaseStatus.values)
    assert all(targets <= set(CaseStatus.values) for targets in CASE_TRANSITIONS.values())
    assert CASE_TRANSITIONS[A.CLOSED] == frozenset()
