"""Case work services: risk events and alerts (standards 1.1, 1.4), the audit trail of every
read and write, workload and overrides, engagement rules on missed sessions, opening a case
when a referral is accepted, staff records and equality monitoring. Each test tries to get
round the rule it names."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.cases.models import (
    Alert,
    AlertKind,
    AssessmentKind,
    AttendanceStatus,
    CaseStatus,
    ConsentState,
    DeliveryRole,
    EqualityProfile,
    PerpetratorCase,
    RiskEvent,
    RiskEventKind,
    ServiceCaseSettings,
    SessionFormat,
    Side,
    SupportCase,
    SupportStatus,
    ThreatTo,
)
from pathways.cases.selectors.cases import threats_awaiting_victim_told
from pathways.cases.services.common import case_settings_for, worker_caseload
from pathways.cases.services.perpetrator import (
    CaseInput,
    case_handover_record,
    case_no_victim_approve,
    case_no_victim_record,
    case_transition,
    case_view_record,
    perpetrator_case_assign,
    perpetrator_case_open,
    perpetrator_case_update,
)
from pathways.cases.services.records import (
    case_assessment_record,
    case_engagement_review_done,
    case_note_add,
    consent_record,
    equality_record,
    session_record,
)
from pathways.cases.services.risk import (
    alert_acknowledge,
    risk_event_raise,
    risk_event_victim_told,
)
from pathways.cases.services.sharing import share_record, sharing_agreement_save
from pathways.cases.services.staff import staff_record_overdue, staff_record_save
from pathways.cases.services.support import (
    support_case_assign,
    support_case_link,
    support_case_open,
    support_case_request,
    support_case_transition,
    support_case_update_contact,
    support_case_view_record,
)
from pathways.referrals.models import Referral, ReferralStatus
from pathways.referrals.reference import RiskTier
from pathways.referrals.services.intake import VictimInput
from pathways.referrals.services.routing import referral_accept
from pathways.referrals.services.status import referral_transition

TODAY = timezone.localdate


@pytest.fixture
def lead(role_users):
    """The named statutory lead (someone outside the provider)."""
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def linked(ready_case, perp_worker, lead):
    """A ready case with a linked, allocated support case and a named statutory lead."""
    case, support = ready_case()
    perpetrator_case_update(actor=perp_worker, case=case, statutory_lead=lead)
    return case, support


def alerts_for(event) -> set[tuple[int, str]]:
    return {(a.recipient_id, a.role) for a in Alert.objects.filter(risk_event=event)}


# --- Risk events: delivered at once to the other side and the statutory lead (1.1, 1.4) ------


@pytest.mark.django_db
def test_a_risk_event_from_the_perpetrator_side_reaches_the_support_worker_and_lead_at_once(
    linked, perp_worker, support_worker, lead, django_capture_on_commit_callbacks
):
    case, support = linked
    with django_capture_on_commit_callbacks(execute=False):
        event = risk_event_raise(
            actor=perp_worker,
            case=case,
            kind=RiskEventKind.POLICE_CALL_OUT,
            summary="Police called to the home last night",
        )
        # Delivered in the raising transaction, not after it: the alerts are already there.
        assert alerts_for(event) == {
            (support_worker.pk, DeliveryRole.OTHER_SIDE),
            (lead.pk, DeliveryRole.STATUTORY_LEAD),
        }
    assert event.raised_side == Side.PERPETRATOR and event.support_case is None


@pytest.mark.django_db
def test_a_risk_event_and_its_alerts_stand_or_fall_together(linked, perp_worker):
    case, _ = linked

    class BoomError(Exception):
        pass

    with pytest.raises(BoomError), transaction.atomic():
        risk_event_raise(
            actor=perp_worker, case=case, kind=RiskEventKind.ESCALATION, summary="Escalating"
        )
        raise BoomError
    assert not RiskEvent.objects.exists() and not Alert.objects.exists()


@pytest.mark.django_db
def test_a_risk_event_from_the_support_side_reaches_the_perpetrator_worker_and_lead(
    linked, perp_worker, support_worker, lead
):
    case, support = linked
    event = risk_event_raise(
        actor=support_worker,
        support_case=support,
        kind=RiskEventKind.NEW_INCIDENT,
        summary="She reports he came to the house",
    )
    assert event.raised_side == Side.SUPPORT and event.support_case_id == support.pk
    assert event.case_id == case.pk
    assert alerts_for(event) == {
        (perp_worker.pk, DeliveryRole.OTHER_SIDE),
        (lead.pk, DeliveryRole.STATUTORY_LEAD),
    }


@pytest.mark.django_db
def test_an_unallocated_support_case_gets_the_alert_through_its_organisations_support_workers(
    open_case, perp_worker, dual_worker, support_worker, make_user, provider_org
):
    second = make_user("support-two", Role.SUPPORT_WORKER, provider_org)
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    event = risk_event_raise(
        actor=perp_worker, case=case, kind=RiskEventKind.ESCALATION, summary="Escalating"
    )
    # Never the perpetrator's worker, even though they hold a support role too.
    assert alerts_for(event) == {
        (support_worker.pk, DeliveryRole.OTHER_SIDE),
        (second.pk, DeliveryRole.OTHER_SIDE),
    }


@pytest.mark.django_db
def test_an_unallocated_perpetrator_case_gets_the_alert_through_the_services_managers(
    open_case, perp_worker, support_worker, manager, make_user, provider_org
):
    second = make_user("manager-two", Role.PROVIDER_MANAGER, provider_org)
    case = open_case()
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    support_case_assign(actor=support_worker, support_case=support, worker=support_worker)
    event = risk_event_raise(
        actor=support_worker, support_case=support, kind=RiskEventKind.ESCALATION, summary="Risk"
    )
    assert alerts_for(event) == {
        (manager.pk, DeliveryRole.MANAGER),
        (second.pk, DeliveryRole.MANAGER),
    }


@pytest.mark.django_db
def test_a_closed_support_case_no_longer_receives_risk_events(
    linked, perp_worker, support_worker, lead
):
    case, support = linked
    support_case_transition(
        actor=support_worker, support_case=support, to_status=SupportStatus.CLOSED, reason="Ended"
    )
    event = risk_event_raise(
        actor=perp_worker, case=case, kind=RiskEventKind.ESCALATION, summary="Risk"
    )
    assert alerts_for(event) == {(lead.pk, DeliveryRole.STATUTORY_LEAD)}


@pytest.mark.django_db
def test_the_person_raising_a_risk_event_is_not_alerted_about_it(
    ready_case, perp_worker, support_worker, manager
):
    case, _ = ready_case()
    perpetrator_case_update(actor=perp_worker, case=case, statutory_lead=manager)
    event = risk_event_raise(actor=manager, case=case, kind="new_incident", summary="Risk")
    assert alerts_for(event) == {(support_worker.pk, DeliveryRole.OTHER_SIDE)}


@pytest.mark.django_db
def test_alerts_and_their_emails_carry_no_safeguarding_details(
    linked, perp_worker, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PATHWAYS_NOTIFY_BACKEND = "pathways.referrals.notifications.EmailBackend"
    case, _ = linked
    with django_capture_on_commit_callbacks(execute=True):
        event = risk_event_raise(
            actor=perp_worker,
            case=case,
            kind=RiskEventKind.SPECIFIC_THREAT,
            threat_to=ThreatTo.VICTIM_SURVIVOR,
            summary="He said he would hurt Partner at her sister's house",
        )
    messages = [a.message for a in Alert.objects.filter(risk_event=event)]
    assert messages and all("sister" not in m and case.reference in m for m in messages)
    assert len(mailoutbox) == 2
    for mail in mailoutbox:
        text = mail.subject + mail.body
        assert case.reference in text
        assert "sister" not in text and "Partner" not in text and case.person_name not in text


@pytest.mark.django_db
def test_a_specific_threat_must_say_who_it_is_to(linked, perp_worker):
    case, _ = linked
    with pytest.raises(ValidationError) as refused:
        risk_event_raise(
            actor=perp_worker, case=case, kind=RiskEventKind.SPECIFIC_THREAT, summary="Threat"
        )
    assert "threat_to" in refused.value.message_dict
    assert not RiskEvent.objects.exists() and not Alert.objects.exists()


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"summary": "  "}, "summary"),
        ({"kind": "gossip"}, "kind"),
        ({"threat_to": "neighbour"}, "threat_to"),
        ({"occurred_on": timezone.localdate() + dt.timedelta(days=1)}, "occurred_on"),
    ],
)
@pytest.mark.django_db
def test_a_risk_event_with_bad_input_is_refused_and_delivers_nothing(
    linked, perp_worker, changes, field
):
    case, _ = linked
    data = {"kind": RiskEventKind.ESCALATION, "summary": "Risk", **changes}
    with pytest.raises(ValidationError) as refused:
        risk_event_raise(actor=perp_worker, case=case, **data)
    assert field in refused.value.message_dict
    assert not RiskEvent.objects.exists() and not Alert.objects.exists()


@pytest.mark.django_db
def test_a_specific_threat_is_tracked_until_the_victim_survivor_is_told(
    linked, perp_worker, support_worker
):
    case, _ = linked
    event = risk_event_raise(
        actor=perp_worker,
        case=case,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.BOTH,
        summary="Threat to the partner and child",
    )
    assert event.needs_victim_told
    assert list(threats_awaiting_victim_told(user=support_worker)) == [event]
    with pytest.raises(PermissionDenied):
        risk_event_victim_told(actor=perp_worker, event=event, note="Told")
    assert RiskEvent.objects.get(pk=event.pk).victim_told_at is None
    risk_event_victim_told(actor=support_worker, event=event, note="Told by phone")
    stored = RiskEvent.objects.get(pk=event.pk)
    assert stored.victim_told_by == support_worker and not stored.needs_victim_told
    assert not threats_awaiting_victim_told(user=support_worker).exists()
    with pytest.raises(ValidationError):
        risk_event_victim_told(actor=support_worker, event=event)


@pytest.mark.django_db
def test_the_statutory_lead_may_record_that_the_victim_survivor_was_told(linked, perp_worker, lead):
    case, _ = linked
    event = risk_event_raise(
        actor=perp_worker,
        case=case,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.CHILD,
        summary="Threat to the child",
    )
    risk_event_victim_told(actor=lead, event=event, note="Social worker told the carer")
    assert RiskEvent.objects.get(pk=event.pk).victim_told_by == lead


@pytest.mark.django_db
def test_an_event_naming_no_threat_cannot_be_marked_as_told(linked, perp_worker, support_worker):
    case, _ = linked
    event = risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk")
    with pytest.raises(ValidationError):
        risk_event_victim_told(actor=support_worker, event=event)


@pytest.mark.django_db
def test_risk_cannot_be_raised_from_a_support_case_not_linked_to_a_perpetrator_case(
    support_worker, provider_org, reference
):
    support = support_case_open(actor=support_worker, organisation=provider_org, victim_name="V")
    with pytest.raises(ValidationError):
        risk_event_raise(actor=support_worker, support_case=support, kind="escalation", summary="R")
    assert not RiskEvent.objects.exists()


@pytest.mark.django_db
def test_each_side_raises_risk_only_from_its_own_record(linked, perp_worker, support_worker):
    case, support = linked
    with pytest.raises(PermissionDenied):
        risk_event_raise(actor=perp_worker, support_case=support, kind="escalation", summary="R")
    with pytest.raises(PermissionDenied):
        risk_event_raise(actor=support_worker, case=case, kind="escalation", summary="R")
    with pytest.raises(ValidationError):
        risk_event_raise(
            actor=perp_worker, case=case, support_case=support, kind="escalation", summary="R"
        )
    assert not RiskEvent.objects.exists()


@pytest.mark.django_db
def test_an_assessment_that_puts_risk_up_to_high_tells_the_support_side(
    linked, perp_worker, support_worker
):
    case, support = linked
    case_assessment_record(
        actor=perp_worker, case=case, kind=AssessmentKind.INTAKE, tool="Tool", tier=RiskTier.HIGH
    )
    event = RiskEvent.objects.get(case=case, kind=RiskEventKind.ESCALATION)
    assert (support_worker.pk, DeliveryRole.OTHER_SIDE) in alerts_for(event)
    assert SupportCase.objects.get(pk=support.pk).current_risk == RiskTier.HIGH
    # Assessing high again is not a new escalation.
    case_assessment_record(
        actor=perp_worker, case=case, kind=AssessmentKind.REVIEW, tool="Tool", tier=RiskTier.HIGH
    )
    assert RiskEvent.objects.filter(case=case, kind=RiskEventKind.ESCALATION).count() == 1


@pytest.mark.django_db
def test_only_the_recipient_acknowledges_an_alert(linked, perp_worker, support_worker, lead):
    case, _ = linked
    event = risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk")
    alert = Alert.objects.get(risk_event=event, recipient=support_worker)
    with pytest.raises(PermissionDenied):
        alert_acknowledge(actor=lead, alert=alert)
    assert Alert.objects.get(pk=alert.pk).acknowledged_at is None
    alert_acknowledge(actor=support_worker, alert=alert)
    first = Alert.objects.get(pk=alert.pk).acknowledged_at
    assert first is not None
    alert_acknowledge(actor=support_worker, alert=alert)
    assert Alert.objects.get(pk=alert.pk).acknowledged_at == first
    assert AuditEvent.objects.filter(action=AuditAction.RISK_EVENT_ACKNOWLEDGED).count() == 1


# --- Every read and write is audited, and no free text reaches the audit trail ----------------

SECRET = "Quillfeather"  # in every name, note, reason and summary typed below


class Audited:
    """Asserts each call writes at least one audit event with the named action."""

    def __call__(self, action, fn, *args, **kwargs):
        before = AuditEvent.objects.filter(action=action).count()
        result = fn(*args, **kwargs)
        assert AuditEvent.objects.filter(action=action).count() > before, (action, fn.__name__)
        return result


@pytest.mark.django_db
def test_every_case_read_and_write_is_audited_with_no_free_text(
    case_service,
    perp_worker,
    support_worker,
    manager,
    role_users,
    provider_org,
    other_provider_org,
    make_user,
):
    audited = Audited()
    commissioner = role_users[Role.COMMISSIONER]
    lead = role_users[Role.REFERRER]
    s = SECRET
    case = audited(
        AuditAction.CASE_OPENED,
        perpetrator_case_open,
        actor=perp_worker,
        service=case_service,
        data=CaseInput(person_name=f"{s} Person", intervention=f"{s} programme", tier="high_risk"),
    )
    audited(AuditAction.CASE_VIEWED, case_view_record, actor=perp_worker, case=case)
    audited(
        AuditAction.CASE_ASSIGNED,
        perpetrator_case_assign,
        actor=perp_worker,
        case=case,
        worker=perp_worker,
    )
    audited(
        AuditAction.CASE_RECORDED,
        perpetrator_case_update,
        actor=perp_worker,
        case=case,
        intervention=f"{s} other programme",
        statutory_lead=lead,
        police_contact=lead,
    )
    audited(
        AuditAction.CASE_RECORDED,
        case_no_victim_record,
        actor=perp_worker,
        case=case,
        reason=f"{s} no victim",
    )
    audited(AuditAction.APPROVE, case_no_victim_approve, actor=manager, case=case)
    audited(
        AuditAction.CASE_RECORDED,
        consent_record,
        actor=perp_worker,
        case=case,
        state=ConsentState.WITHOUT_CONSENT,
        safeguarding_reason=f"{s} safeguarding",
        scope=f"{s} scope",
    )
    audited(
        AuditAction.CASE_RECORDED,
        case_assessment_record,
        actor=perp_worker,
        case=case,
        kind=AssessmentKind.INTAKE,
        tool=f"{s} tool",
        tier=RiskTier.HIGH,
        summary=f"{s} assessment summary",
    )
    audited(AuditAction.CASE_RECORDED, case_note_add, actor=perp_worker, case=case, text=f"{s} n")
    support = audited(
        AuditAction.SUPPORT_CASE_OPENED,
        support_case_request,
        actor=perp_worker,
        case=case,
        victim_name=f"{s} Victim",
        contact={"safe_times": f"{s} mornings"},
    )
    audited(
        AuditAction.CASE_ASSIGNED,
        support_case_assign,
        actor=support_worker,
        support_case=support,
        worker=support_worker,
    )
    audited(
        AuditAction.SUPPORT_CASE_VIEWED,
        support_case_view_record,
        actor=support_worker,
        support_case=support,
    )
    audited(
        AuditAction.CASE_RECORDED,
        support_case_update_contact,
        actor=support_worker,
        support_case=support,
        safe_address=f"{s} Road",
        contact_wish_notes=f"{s} wishes",
    )
    audited(
        AuditAction.CASE_RECORDED,
        case_note_add,
        actor=support_worker,
        support_case=support,
        text=f"{s} her own words",
    )
    audited(
        AuditAction.CASE_RECORDED,
        consent_record,
        actor=support_worker,
        support_case=support,
        state=ConsentState.GIVEN,
        scope=f"{s} scope",
    )
    audited(
        AuditAction.CASE_RECORDED,
        equality_record,
        actor=support_worker,
        support_case=support,
        answers={"sex": "female", "religion": "prefer_not_to_say"},
    )
    audited(
        AuditAction.SUPPORT_CASE_STATUS_CHANGED,
        support_case_transition,
        actor=support_worker,
        support_case=support,
        to_status=SupportStatus.ACTIVE,
    )
    event = audited(
        AuditAction.RISK_EVENT_RAISED,
        risk_event_raise,
        actor=support_worker,
        support_case=support,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.VICTIM_SURVIVOR,
        summary=f"{s} threat summary",
    )
    alert = Alert.objects.filter(risk_event=event, recipient=perp_worker).get()
    audited(AuditAction.RISK_EVENT_ACKNOWLEDGED, alert_acknowledge, actor=perp_worker, alert=alert)
    audited(
        AuditAction.RISK_EVENT_VICTIM_TOLD,
        risk_event_victim_told,
        actor=support_worker,
        event=event,
        note=f"{s} told her",
    )
    audited(
        AuditAction.CASE_RECORDED,
        equality_record,
        actor=perp_worker,
        case=case,
        answers={"age_band": "25_34"},
    )
    audited(
        AuditAction.CASE_RECORDED,
        session_record,
        actor=perp_worker,
        service=case_service,
        format=SessionFormat.ONE_TO_ONE,
        held_on=TODAY(),
        attendance={case: AttendanceStatus.ATTENDED},
        title=f"{s} session",
    )
    audited(AuditAction.CASE_RECORDED, case_engagement_review_done, actor=perp_worker, case=case)
    audited(
        AuditAction.CASE_STATUS_CHANGED,
        case_transition,
        actor=perp_worker,
        case=case,
        to_status=CaseStatus.ASSESSMENT,
        reason=f"{s} reason",
    )
    audited(
        AuditAction.CASE_HANDOVER,
        case_handover_record,
        actor=perp_worker,
        case=case,
        to_agency=f"{s} agency",
        to_contact=f"{s} contact",
        summary=f"{s} handover",
    )
    agreement = audited(
        AuditAction.SHARING_AGREEMENT_SAVED,
        sharing_agreement_save,
        actor=commissioner,
        name=f"{s} agreement",
        parties=[provider_org, other_provider_org],
        purpose=f"{s} purpose",
        lawful_basis="public_task",
        categories=["risk"],
        starts_on=TODAY(),
        review_on=TODAY() + dt.timedelta(days=365),
        status="active",
    )
    assert agreement.pk
    audited(
        AuditAction.SHARE_RECORDED,
        share_record,
        actor=perp_worker,
        case=case,
        to_organisation=other_provider_org,
        category="risk",
        purpose=f"{s} share purpose",
    )
    with pytest.raises(ValidationError):
        audited(
            AuditAction.SHARE_REFUSED,
            share_record,
            actor=perp_worker,
            case=case,
            to_organisation=other_provider_org,
            category="identity",
            purpose=f"{s} refused purpose",
        )
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_REFUSED).count() == 1
    audited(
        AuditAction.CASE_STATUS_CHANGED,
        case_transition,
        actor=perp_worker,
        case=case,
        to_status=CaseStatus.CLOSED,
        reason=f"{s} closing",
    )
    staff = make_user("staff-member", Role.PERPETRATOR_WORKER, provider_org)
    audited(
        AuditAction.STAFF_RECORD_SAVED,
        staff_record_save,
        actor=manager,
        user=staff,
        organisation=provider_org,
        induction_completed_on=TODAY(),
        last_supervision_on=None,
        dbs_checked_on=None,
    )
    other = support_case_open(
        actor=support_worker, organisation=provider_org, victim_name=f"{s} Other"
    )
    open_case = perpetrator_case_open(
        actor=perp_worker,
        service=case_service,
        data=CaseInput(person_name=f"{s} Second", intervention="P"),
    )
    audited(
        AuditAction.SUPPORT_CASE_LINKED,
        support_case_link,
        actor=support_worker,
        support_case=other,
        case_reference=open_case.reference,
    )
    details = json.dumps(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert SECRET.lower() not in details.lower()
    # The free text is kept where it belongs, on the records themselves.
    assert PerpetratorCase.objects.get(pk=case.pk).ending_reason == f"{s} closing"


# --- Workload: above the agreed maximum only with a manager's override ------------------------


@pytest.fixture
def small_caseload(case_service):
    return ServiceCaseSettings.objects.create(service=case_service, max_caseload=2)


@pytest.mark.django_db
def test_allocating_above_the_maximum_caseload_needs_a_managers_override(
    small_caseload, open_case, perp_worker, manager
):
    for n in range(2):
        perpetrator_case_assign(actor=perp_worker, case=open_case(f"P{n}"), worker=perp_worker)
    third = open_case("Third")
    with pytest.raises(ValidationError) as refused:
        perpetrator_case_assign(actor=perp_worker, case=third, worker=perp_worker)
    assert "already holds 2 open cases" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        perpetrator_case_assign(actor=manager, case=third, worker=perp_worker, override_reason=" ")
    assert "override_reason" in refused.value.message_dict
    assert PerpetratorCase.objects.get(pk=third.pk).worker_id is None
    perpetrator_case_assign(
        actor=manager, case=third, worker=perp_worker, override_reason="Cover for sick leave"
    )
    stored = PerpetratorCase.objects.get(pk=third.pk)
    assert stored.worker_id == perp_worker.pk
    assert stored.allocation_override_reason == "Cover for sick leave"
    event = AuditEvent.objects.filter(
        action=AuditAction.CASE_ASSIGNED, object_id=third.reference
    ).get()
    assert event.detail["over_maximum"] is True
    assert "sick" not in json.dumps(event.detail)


@pytest.mark.django_db
def test_a_non_manager_cannot_override_even_with_a_reason(small_caseload, open_case, perp_worker):
    for n in range(2):
        perpetrator_case_assign(actor=perp_worker, case=open_case(f"P{n}"), worker=perp_worker)
    third = open_case("Third")
    with pytest.raises(ValidationError):
        perpetrator_case_assign(
            actor=perp_worker, case=third, worker=perp_worker, override_reason="I can manage"
        )
    assert PerpetratorCase.objects.get(pk=third.pk).worker_id is None


@pytest.mark.django_db
def test_closed_cases_do_not_count_towards_the_caseload(small_caseload, open_case, perp_worker):
    cases = [open_case(f"P{n}") for n in range(2)]
    for case in cases:
        perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    case_transition(
        actor=perp_worker, case=cases[0], to_status=CaseStatus.CLOSED, reason="Not suitable"
    )
    assert worker_caseload(perp_worker) == 1
    perpetrator_case_assign(actor=perp_worker, case=open_case("Third"), worker=perp_worker)


@pytest.mark.django_db
def test_keeping_the_same_worker_needs_no_override(small_caseload, open_case, perp_worker):
    cases = [open_case(f"P{n}") for n in range(2)]
    for case in cases:
        perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    perpetrator_case_assign(actor=perp_worker, case=cases[0], worker=perp_worker)


@pytest.mark.django_db
def test_only_a_perpetrator_side_worker_of_the_organisation_can_hold_a_case(
    open_case, perp_worker, support_worker, make_user, other_provider_org
):
    case = open_case()
    outsider = make_user("outsider", Role.PERPETRATOR_WORKER, other_provider_org)
    for worker in (support_worker, outsider):
        with pytest.raises(ValidationError) as refused:
            perpetrator_case_assign(actor=perp_worker, case=case, worker=worker)
        assert "worker" in refused.value.message_dict
    assert PerpetratorCase.objects.get(pk=case.pk).worker_id is None


@pytest.mark.django_db
def test_a_service_without_settings_uses_the_default_maximum(case_service):
    settings_ = case_settings_for(case_service)
    assert settings_.pk is None and settings_.max_caseload == 15


@pytest.mark.django_db
def test_support_allocation_above_the_maximum_needs_a_managers_override(
    small_caseload, case_service, support_worker, provider_org, make_user
):
    # A support worker who also manages: the only kind of manager who may allocate support.
    support_manager = make_user("support-manager", Role.SUPPORT_WORKER, provider_org)
    support_manager.memberships.create(organisation=provider_org, role=Role.PROVIDER_MANAGER)
    cases = [
        support_case_open(
            actor=support_worker,
            organisation=provider_org,
            victim_name=f"V{n}",
            service=case_service,
        )
        for n in range(3)
    ]
    for support in cases[:2]:
        support_case_assign(actor=support_worker, support_case=support, worker=support_worker)
    with pytest.raises(ValidationError):
        support_case_assign(actor=support_worker, support_case=cases[2], worker=support_worker)
    support_case_assign(
        actor=support_manager,
        support_case=cases[2],
        worker=support_worker,
        override_reason="Only worker who speaks the language",
    )
    assert SupportCase.objects.get(pk=cases[2].pk).worker_id == support_worker.pk


# --- Engagement rules on missed sessions -------------------------------------------------------


@pytest.fixture
def engagement(case_service):
    return ServiceCaseSettings.objects.create(
        service=case_service, missed_sessions_warning=2, missed_sessions_review=3
    )


@pytest.fixture
def attend(case_service, perp_worker):
    """Record a one-to-one session `days_ago` for the case with the given attendance."""
    counter = {"n": 30}

    def record(case, status):
        counter["n"] -= 1
        return session_record(
            actor=perp_worker,
            service=case_service,
            format=SessionFormat.ONE_TO_ONE,
            held_on=TODAY() - dt.timedelta(days=counter["n"]),
            attendance={case: status},
        )

    return record


def engagement_alerts(case, **filters):
    return Alert.objects.filter(case=case, kind=AlertKind.ENGAGEMENT, **filters)


@pytest.mark.django_db
def test_missed_sessions_in_a_row_alert_the_worker(engagement, ready_case, attend, perp_worker):
    case, _ = ready_case()
    attend(case, AttendanceStatus.MISSED)
    assert not engagement_alerts(case).exists()
    attend(case, AttendanceStatus.MISSED_NOTIFIED)
    alert = engagement_alerts(case).get()
    assert alert.recipient == perp_worker and "2 sessions in a row" in alert.message


@pytest.mark.django_db
def test_an_attended_session_breaks_the_row(engagement, ready_case, attend):
    case, _ = ready_case()
    for status in (AttendanceStatus.MISSED, AttendanceStatus.ATTENDED, AttendanceStatus.MISSED):
        attend(case, status)
    assert not engagement_alerts(case).exists()


@pytest.mark.django_db
def test_a_session_the_service_cancelled_does_not_break_the_row(engagement, ready_case, attend):
    case, _ = ready_case()
    for status in (AttendanceStatus.MISSED, AttendanceStatus.CANCELLED, AttendanceStatus.MISSED):
        attend(case, status)
    assert engagement_alerts(case).count() == 1


@pytest.mark.django_db
def test_missed_sessions_in_all_put_the_case_up_for_review_and_tell_managers(
    engagement, ready_case, attend, perp_worker, manager
):
    case, _ = ready_case()
    for status in (
        AttendanceStatus.MISSED,
        AttendanceStatus.ATTENDED,
        AttendanceStatus.MISSED,
        AttendanceStatus.ATTENDED,
    ):
        attend(case, status)
    assert not PerpetratorCase.objects.get(pk=case.pk).engagement_review_due
    attend(case, AttendanceStatus.MISSED)
    assert PerpetratorCase.objects.get(pk=case.pk).engagement_review_due
    review = engagement_alerts(case, message__contains="engagement review")
    assert {(a.recipient_id, a.role) for a in review} == {
        (perp_worker.pk, DeliveryRole.WORKER),
        (manager.pk, DeliveryRole.MANAGER),
    }


@pytest.mark.django_db
def test_attending_after_an_engagement_review_does_not_put_the_case_up_again(
    engagement, ready_case, attend, perp_worker
):
    case, _ = ready_case()
    for _ in range(3):
        attend(case, AttendanceStatus.MISSED)
    case_engagement_review_done(actor=perp_worker, case=case)
    alerts = engagement_alerts(case).count()
    attend(case, AttendanceStatus.ATTENDED)
    assert not PerpetratorCase.objects.get(pk=case.pk).engagement_review_due
    assert engagement_alerts(case).count() == alerts


@pytest.mark.django_db
def test_a_session_with_bad_attendance_is_refused_and_records_nothing(
    engagement, ready_case, open_case, case_service, perp_worker, make_service, support_worker
):
    from pathways.cases.models import Attendance, GroupSession

    case, _ = ready_case()
    other = open_case("Other")
    elsewhere = open_case("Elsewhere", service=make_service("Another service"))
    closed = open_case("Closed")
    case_transition(actor=perp_worker, case=closed, to_status=CaseStatus.CLOSED, reason="Gone")
    bad = [
        {"format": SessionFormat.ONE_TO_ONE, "attendance": {case: "attended", other: "attended"}},
        {"format": SessionFormat.GROUP, "attendance": {}},
        {"format": SessionFormat.GROUP, "attendance": {elsewhere: "attended"}},
        {"format": SessionFormat.GROUP, "attendance": {closed: "attended"}},
        {"format": SessionFormat.GROUP, "attendance": {case: "asleep"}},
        {"format": "webinar", "attendance": {case: "attended"}},
        {
            "format": SessionFormat.GROUP,
            "attendance": {case: "attended"},
            "held_on": TODAY() + dt.timedelta(days=1),
        },
    ]
    for data in bad:
        data.setdefault("held_on", TODAY())
        with pytest.raises(ValidationError):
            session_record(actor=perp_worker, service=case_service, **data)
    with pytest.raises(PermissionDenied):
        session_record(
            actor=support_worker,
            service=case_service,
            format=SessionFormat.GROUP,
            held_on=TODAY(),
            attendance={case: "attended"},
        )
    assert not GroupSession.objects.exists() and not Attendance.objects.exists()


# --- Accepting a referral opens the case and its support cases in one transaction -------------


def _send(referral, *, service, actor):
    now = timezone.now()
    referral_transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.TRIAGED,
        changes={"tier": RiskTier.HIGH, "computed_tier": RiskTier.HIGH, "triaged_at": now},
    )
    referral_transition(actor=actor, referral=referral, to_status=ReferralStatus.MATCHED)
    referral_transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.SENT,
        changes={"sent_service": service, "sent_at": now},
    )
    return referral


@pytest.fixture
def sent(make_referral, case_service, role_users):
    referral = make_referral(
        victims=[
            VictimInput(name="Alex Example", contact_phone="07700 900001", safe_times="Mornings"),
            VictimInput(name="Bo Example"),
        ]
    )
    return _send(referral, service=case_service, actor=role_users[Role.TRIAGE])


@pytest.mark.django_db
def test_accepting_a_referral_opens_a_case_and_a_support_case_per_victim_survivor(
    sent, manager, case_service, provider_org
):
    referral_accept(actor=manager, referral=sent)
    case = PerpetratorCase.objects.get(referral=sent)
    assert case.service == case_service and case.status == CaseStatus.REFERRED
    assert case.tier == RiskTier.HIGH and case.current_risk == RiskTier.HIGH
    assert case.person_name == "Sam Example"
    supports = SupportCase.objects.filter(perpetrator_case=case).order_by("victim_name")
    assert [s.victim_name for s in supports] == ["Alex Example", "Bo Example"]
    assert all(s.organisation == provider_org and s.worker_id is None for s in supports)
    assert supports[0].contact_phone == "07700 900001" and supports[0].safe_times == "Mornings"
    assert supports[0].referral_victim.referral_id == sent.pk
    assert AuditEvent.objects.filter(
        action=AuditAction.CASE_OPENED, object_id=case.reference, detail__referral=sent.reference
    ).exists()


@pytest.mark.django_db
def test_if_the_case_cannot_open_the_referral_stays_sent(sent, manager, monkeypatch):
    from pathways.cases.services import perpetrator

    def fail(**kwargs):
        raise RuntimeError("case store unavailable")

    monkeypatch.setattr(perpetrator, "perpetrator_case_open_from_referral", fail)
    with pytest.raises(RuntimeError):
        referral_accept(actor=manager, referral=sent)
    assert Referral.objects.get(pk=sent.pk).status == ReferralStatus.SENT
    assert not PerpetratorCase.objects.exists()


@pytest.mark.django_db
def test_if_a_support_case_cannot_open_nothing_of_the_acceptance_is_kept(
    sent, manager, monkeypatch
):
    from pathways.cases.services import support

    real = support.support_case_create_for_victim
    calls = {"n": 0}

    def second_fails(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("second victim-survivor failed")
        return real(**kwargs)

    monkeypatch.setattr(support, "support_case_create_for_victim", second_fails)
    with pytest.raises(RuntimeError):
        referral_accept(actor=manager, referral=sent)
    assert Referral.objects.get(pk=sent.pk).status == ReferralStatus.SENT
    assert not PerpetratorCase.objects.exists() and not SupportCase.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.CASE_OPENED).exists()


@pytest.mark.django_db
def test_a_referral_naming_no_victim_survivor_opens_a_case_with_no_support_case(
    make_referral, case_service, role_users, manager
):
    referral = _send(make_referral(victims=[]), service=case_service, actor=role_users[Role.TRIAGE])
    referral_accept(actor=manager, referral=referral)
    case = PerpetratorCase.objects.get(referral=referral)
    assert not case.support_cases.exists()


# --- Opening cases directly ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPPORT_WORKER, Role.COMMISSIONER, Role.ADMIN])
@pytest.mark.django_db
def test_only_the_services_perpetrator_side_opens_a_case_on_it(case_service, role_users, role):
    with pytest.raises(PermissionDenied):
        perpetrator_case_open(
            actor=role_users[role],
            service=case_service,
            data=CaseInput(person_name="Someone", intervention="Programme"),
        )
    assert not PerpetratorCase.objects.exists()


@pytest.mark.django_db
def test_opening_a_case_with_bad_input_is_refused(case_service, perp_worker):
    with pytest.raises(ValidationError) as refused:
        perpetrator_case_open(
            actor=perp_worker,
            service=case_service,
            data=CaseInput(
                person_name=" ",
                intervention="",
                tier="extreme",
                person_date_of_birth=TODAY() + dt.timedelta(days=1),
            ),
        )
    assert set(refused.value.message_dict) == {
        "person_name",
        "intervention",
        "tier",
        "person_date_of_birth",
    }
    assert not PerpetratorCase.objects.exists()


@pytest.mark.django_db
def test_a_named_contact_cannot_be_the_case_worker(ready_case, perp_worker):
    case, _ = ready_case()
    with pytest.raises(ValidationError):
        perpetrator_case_update(actor=perp_worker, case=case, statutory_lead=perp_worker)
    with pytest.raises(ValidationError):
        perpetrator_case_update(actor=perp_worker, case=case, status="active")
    assert PerpetratorCase.objects.get(pk=case.pk).statutory_lead_id is None


@pytest.mark.django_db
def test_support_for_a_partner_organisation_needs_a_sharing_agreement(
    open_case, perp_worker, other_provider_org
):
    case = open_case()
    with pytest.raises(ValidationError) as refused:
        support_case_request(
            actor=perp_worker, case=case, victim_name="Partner", organisation=other_provider_org
        )
    assert "organisation" in refused.value.message_dict
    assert not SupportCase.objects.exists()


# --- Staff records and equality monitoring ----------------------------------------------------


@pytest.mark.django_db
def test_only_the_organisations_managers_keep_its_staff_records(
    manager, perp_worker, provider_org, other_provider_org, make_user
):
    with pytest.raises(PermissionDenied):
        staff_record_save(
            actor=perp_worker,
            user=perp_worker,
            organisation=provider_org,
            induction_completed_on=None,
            last_supervision_on=None,
            dbs_checked_on=None,
        )
    stranger = make_user("stranger", Role.PERPETRATOR_WORKER, other_provider_org)
    with pytest.raises(ValidationError) as refused:
        staff_record_save(
            actor=manager,
            user=stranger,
            organisation=provider_org,
            induction_completed_on=None,
            last_supervision_on=None,
            dbs_checked_on=TODAY() + dt.timedelta(days=1),
        )
    assert set(refused.value.message_dict) == {"user", "dbs_checked_on"}


@pytest.mark.django_db
def test_a_staff_record_shows_what_is_missing_or_overdue(manager, perp_worker, provider_org):
    today = TODAY()
    record = staff_record_save(
        actor=manager,
        user=perp_worker,
        organisation=provider_org,
        induction_completed_on=None,
        last_supervision_on=today - dt.timedelta(days=45),
        dbs_checked_on=dt.date(today.year - 4, 1, 15),
    )
    assert staff_record_overdue(record) == [
        "Induction training not recorded",
        "Clinical supervision overdue",
        "Enhanced DBS check due for renewal",
    ]
    record = staff_record_save(
        actor=manager,
        user=perp_worker,
        organisation=provider_org,
        induction_completed_on=today - dt.timedelta(days=300),
        last_supervision_on=today - dt.timedelta(days=10),
        dbs_checked_on=today - dt.timedelta(days=100),
    )
    assert staff_record_overdue(record) == []


@pytest.mark.django_db
def test_equality_answers_are_optional_and_accept_prefer_not_to_say(ready_case, perp_worker):
    case, support = ready_case()
    profile = equality_record(
        actor=perp_worker,
        case=case,
        answers={"sex": "male", "religion": "prefer_not_to_say", "ethnic_group": ""},
    )
    assert (profile.sex, profile.religion, profile.ethnic_group) == (
        "male",
        "prefer_not_to_say",
        "",
    )
    with pytest.raises(ValidationError) as refused:
        equality_record(
            actor=perp_worker, case=case, answers={"sex": "unicorn", "star_sign": "leo"}
        )
    assert set(refused.value.message_dict) == {"sex", "star_sign"}
    with pytest.raises(PermissionDenied):
        equality_record(actor=perp_worker, support_case=support, answers={"sex": "female"})
    assert EqualityProfile.objects.count() == 1
