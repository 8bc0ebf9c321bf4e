"""Scoped reads of case work (standard 2.2): perpetrator-side staff never read the
victim-survivor support record, each side sees only its own organisation's cases, only
safeguarding information crosses (as risk events), and another organisation's object is a
404. List selectors keep a constant query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from pathways.accounts.models import Role
from pathways.cases.models import RiskEventKind, SupportCase, ThreatTo
from pathways.cases.policies import can_view_case, can_view_risk_event, can_view_support_case
from pathways.cases.selectors.cases import (
    alert_get_for_user,
    alert_list_for_user,
    case_get_for_user,
    case_list_for_user,
    caseloads_for_organisation,
    risk_event_get_for_user,
    risk_event_list_for_user,
    risk_events_for_case,
    risk_events_for_support_case,
    support_case_get_for_user,
    support_case_list_for_user,
    threats_awaiting_victim_told,
)
from pathways.cases.services.perpetrator import perpetrator_case_assign, perpetrator_case_update
from pathways.cases.services.records import case_assessment_record
from pathways.cases.services.risk import risk_event_raise
from pathways.cases.services.sharing import sharing_agreement_save
from pathways.cases.services.support import (
    support_case_assign,
    support_case_open,
    support_case_request,
)

PERPETRATOR_SIDE_AND_OTHERS = [
    Role.PERPETRATOR_WORKER,
    Role.PROVIDER_MANAGER,
    Role.ADMIN,
    Role.COMMISSIONER,
    Role.ANALYST,
    Role.TRIAGE,
    Role.REFERRER,
    Role.PANEL_CHAIR,
    Role.PANEL_MEMBER,
]


@pytest.fixture
def partner(make_organisation):
    return make_organisation("Partner Support Service")


@pytest.fixture
def partner_worker(make_user, partner):
    return make_user("partner-support", Role.SUPPORT_WORKER, partner)


@pytest.fixture
def agreement(role_users, provider_org, partner):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return sharing_agreement_save(
        actor=role_users[Role.COMMISSIONER],
        name="Integrated support",
        parties=[provider_org, partner],
        purpose="Integrated victim-survivor support",
        lawful_basis="public_task",
        categories=["risk", "contact_details"],
        starts_on=today,
        review_on=today + dt.timedelta(days=365),
        status="active",
    )


@pytest.fixture
def two_victims(ready_case, perp_worker, agreement, partner, partner_worker):
    """A case with two victim-survivors: one supported in provider_org (support_worker), one
    by a partner organisation (partner_worker)."""
    case, first = ready_case()
    second = support_case_request(
        actor=perp_worker, case=case, victim_name="Former partner", organisation=partner
    )
    support_case_assign(actor=partner_worker, support_case=second, worker=partner_worker)
    return case, first, second


# --- Perpetrator-side users cannot read the support record --------------------------------


@pytest.mark.parametrize("role", PERPETRATOR_SIDE_AND_OTHERS)
@pytest.mark.django_db
def test_nobody_but_the_support_side_reads_a_support_case(ready_case, role_users, role):
    _, support = ready_case()
    user = role_users[role]
    assert not support_case_list_for_user(user=user).exists()
    with pytest.raises(Http404):
        support_case_get_for_user(user=user, reference=support.reference)
    assert not can_view_support_case(user, support)


@pytest.mark.django_db
def test_the_support_worker_reads_their_organisations_support_case(ready_case, support_worker):
    _, support = ready_case()
    assert list(support_case_list_for_user(user=support_worker)) == [support]
    found = support_case_get_for_user(user=support_worker, reference=support.reference.lower())
    assert found == support


@pytest.mark.django_db
def test_the_perpetrators_worker_with_a_support_role_cannot_read_the_linked_support_case(
    open_case, perp_worker, dual_worker, support_worker, provider_org
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    linked = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    support_case_assign(actor=support_worker, support_case=linked, worker=support_worker)
    unrelated = support_case_open(
        actor=support_worker, organisation=provider_org, victim_name="Someone else"
    )
    assert list(support_case_list_for_user(user=dual_worker)) == [unrelated]
    with pytest.raises(Http404):
        support_case_get_for_user(user=dual_worker, reference=linked.reference)
    assert support_case_get_for_user(user=dual_worker, reference=unrelated.reference) == unrelated


@pytest.mark.django_db
def test_a_support_worker_of_another_organisation_gets_a_404(
    ready_case, make_user, other_provider_org
):
    _, support = ready_case()
    outsider = make_user("outsider-support", Role.SUPPORT_WORKER, other_provider_org)
    assert not support_case_list_for_user(user=outsider).exists()
    with pytest.raises(Http404):
        support_case_get_for_user(user=outsider, reference=support.reference)


@pytest.mark.django_db
def test_a_guessed_or_malformed_reference_is_a_404(ready_case, support_worker, perp_worker):
    ready_case()
    for reference in ("SC-0000-0000", "", "'; DROP TABLE", "PC-AAAA-AAAA"):
        with pytest.raises(Http404):
            support_case_get_for_user(user=support_worker, reference=reference)
        with pytest.raises(Http404):
            case_get_for_user(user=perp_worker, reference=reference)


# --- The perpetrator case: its service's perpetrator side only ------------------------------


@pytest.mark.django_db
def test_the_perpetrator_case_is_read_by_its_services_perpetrator_side(
    ready_case, perp_worker, manager
):
    case, _ = ready_case()
    for user in (perp_worker, manager):
        assert list(case_list_for_user(user=user)) == [case]
        assert case_get_for_user(user=user, reference=case.reference) == case


@pytest.mark.parametrize(
    "role",
    [Role.SUPPORT_WORKER, Role.ADMIN, Role.COMMISSIONER, Role.ANALYST, Role.REFERRER],
)
@pytest.mark.django_db
def test_nobody_else_reads_the_perpetrator_case(ready_case, role_users, role):
    case, _ = ready_case()
    user = role_users[role]
    assert not case_list_for_user(user=user).exists()
    with pytest.raises(Http404):
        case_get_for_user(user=user, reference=case.reference)


@pytest.mark.django_db
def test_staff_of_another_provider_get_a_404_for_the_case(
    ready_case, make_user, other_provider_org
):
    case, _ = ready_case()
    outsider = make_user("outsider-worker", Role.PERPETRATOR_WORKER, other_provider_org)
    assert not case_list_for_user(user=outsider).exists()
    with pytest.raises(Http404):
        case_get_for_user(user=outsider, reference=case.reference)


@pytest.mark.django_db
def test_named_contacts_read_the_cases_risk_events_but_not_the_case(
    ready_case, perp_worker, role_users
):
    case, _ = ready_case()
    lead = role_users[Role.REFERRER]
    perpetrator_case_update(actor=perp_worker, case=case, statutory_lead=lead)
    event = risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk")
    assert list(risk_event_list_for_user(user=lead)) == [event]
    assert risk_event_get_for_user(user=lead, event_id=event.pk) == event
    with pytest.raises(Http404):
        case_get_for_user(user=lead, reference=case.reference)
    assert not can_view_case(lead, case)


# --- Only safeguarding information crosses, as risk events -----------------------------------


@pytest.mark.django_db
def test_a_support_case_shows_no_other_victim_survivors_risk_events(
    two_victims, perp_worker, support_worker, partner_worker
):
    case, first, second = two_victims
    from_perpetrator_side = risk_event_raise(
        actor=perp_worker, case=case, kind="escalation", summary="Risk up"
    )
    from_first = risk_event_raise(
        actor=support_worker, support_case=first, kind="new_incident", summary="First's account"
    )
    from_second = risk_event_raise(
        actor=partner_worker, support_case=second, kind="new_incident", summary="Second's account"
    )
    assert set(risk_events_for_support_case(support_case=first)) == {
        from_perpetrator_side,
        from_first,
    }
    assert set(risk_events_for_support_case(support_case=second)) == {
        from_perpetrator_side,
        from_second,
    }
    # The perpetrator side holds all the risk raised on the case.
    assert set(risk_events_for_case(case=case)) == {from_perpetrator_side, from_first, from_second}
    # Across organisations the lists and the by-id read agree.
    assert set(risk_event_list_for_user(user=partner_worker)) == {
        from_perpetrator_side,
        from_second,
    }
    with pytest.raises(Http404):
        risk_event_get_for_user(user=partner_worker, event_id=from_first.pk)


@pytest.mark.django_db
def test_threats_awaiting_the_victim_survivor_show_only_threats_that_worker_may_see(
    two_victims, support_worker, partner_worker
):
    _case, first, _second = two_victims
    threat = risk_event_raise(
        actor=support_worker,
        support_case=first,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.VICTIM_SURVIVOR,
        summary="Threat reported by the first victim-survivor",
    )
    assert list(threats_awaiting_victim_told(user=support_worker)) == [threat]
    # The partner organisation's worker supports someone else and may not read this event.
    visible = set(risk_event_list_for_user(user=partner_worker))
    assert threat not in visible
    assert not threats_awaiting_victim_told(user=partner_worker).filter(pk=threat.pk).exists()


@pytest.mark.django_db
def test_only_the_threatened_victim_survivors_support_side_records_them_told(
    two_victims, support_worker, partner_worker
):
    from django.core.exceptions import PermissionDenied

    from pathways.cases.models import RiskEvent
    from pathways.cases.services.risk import can_record_victim_told, risk_event_victim_told

    _case, first, _second = two_victims
    threat = risk_event_raise(
        actor=support_worker,
        support_case=first,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.VICTIM_SURVIVOR,
        summary="Threat reported by the first victim-survivor",
    )
    # The partner's worker cannot read this event, so cannot say its victim-survivor was told.
    assert not can_record_victim_told(partner_worker, threat)
    with pytest.raises(PermissionDenied):
        risk_event_victim_told(actor=partner_worker, event=threat, note="Told")
    assert RiskEvent.objects.get(pk=threat.pk).victim_told_at is None


@pytest.mark.django_db
def test_a_support_case_not_linked_to_a_perpetrator_case_has_no_risk_events(
    support_worker, provider_org, reference
):
    support = support_case_open(actor=support_worker, organisation=provider_org, victim_name="V")
    assert not risk_events_for_support_case(support_case=support).exists()


@pytest.mark.django_db
def test_the_perpetrators_worker_reads_risk_from_the_support_side_but_not_the_record(
    ready_case, perp_worker, support_worker
):
    case, support = ready_case()
    event = risk_event_raise(
        actor=support_worker, support_case=support, kind="new_incident", summary="Incident"
    )
    assert risk_event_get_for_user(user=perp_worker, event_id=event.pk) == event
    assert can_view_risk_event(perp_worker, event)
    with pytest.raises(Http404):
        support_case_get_for_user(user=perp_worker, reference=support.reference)


@pytest.mark.parametrize("role", [Role.ANALYST, Role.COMMISSIONER, Role.ADMIN, Role.TRIAGE])
@pytest.mark.django_db
def test_people_with_no_part_in_a_case_read_none_of_its_risk_events(
    ready_case, perp_worker, role_users, role
):
    case, _ = ready_case()
    event = risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk")
    user = role_users[role]
    assert not risk_event_list_for_user(user=user).exists()
    for guess in (event.pk, None):
        with pytest.raises(Http404):
            risk_event_get_for_user(user=user, event_id=guess)


@pytest.mark.django_db
def test_a_malformed_risk_event_id_is_a_404(ready_case, perp_worker):
    case, _ = ready_case()
    risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk")
    for guess in ("not-a-uuid", "1", 12):
        with pytest.raises(Http404):
            risk_event_get_for_user(user=perp_worker, event_id=guess)


@pytest.mark.django_db
def test_each_person_reads_only_their_own_alerts(ready_case, perp_worker, support_worker):
    case, _ = ready_case()
    event = risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk")
    alert = alert_list_for_user(user=support_worker).get()
    assert alert.risk_event == event
    assert not alert_list_for_user(user=perp_worker).exists()
    with pytest.raises(Http404):
        alert_get_for_user(user=perp_worker, alert_id=alert.pk)
    for guess in ("abc", None, 10**9):
        with pytest.raises(Http404):
            alert_get_for_user(user=support_worker, alert_id=guess)


# --- Constant query counts --------------------------------------------------------------------


def _count_queries(fn) -> int:
    fn()  # warm the per-user role caches, which are read once per request
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_case_list_keeps_a_constant_query_count(ready_case, perp_worker):
    def read():
        for case in case_list_for_user(user=perp_worker):
            _ = (case.service.organisation.name, case.worker and case.worker.username)
            _ = [a.assessed_on for a in case.assessments.all()]

    case, _ = ready_case("One")
    case_assessment_record(
        actor=perp_worker, case=case, kind="intake", tool="Tool", tier="medium_risk"
    )
    one = _count_queries(read)
    for n in range(4):
        more, _ = ready_case(f"More {n}")
        case_assessment_record(
            actor=perp_worker, case=more, kind="intake", tool="Tool", tier="medium_risk"
        )
    assert _count_queries(read) == one


@pytest.mark.django_db
def test_the_support_case_list_keeps_a_constant_query_count(ready_case, support_worker):
    def read():
        for support in support_case_list_for_user(user=support_worker):
            _ = (support.organisation.name, support.worker and support.worker.username)
            _ = support.perpetrator_case and support.perpetrator_case.service.name

    ready_case("One")
    one = _count_queries(read)
    for n in range(4):
        ready_case(f"More {n}")
    assert SupportCase.objects.count() == 5
    assert _count_queries(read) == one


@pytest.mark.django_db
def test_the_risk_event_and_alert_lists_keep_a_constant_query_count(
    ready_case, perp_worker, support_worker
):
    def read():
        for event in risk_event_list_for_user(user=perp_worker):
            _ = (event.case.service.name, event.raised_by, event.support_case)
        for alert in alert_list_for_user(user=support_worker):
            _ = (alert.case.reference, alert.risk_event and alert.risk_event.kind)

    case, _ = ready_case("One")
    risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk")
    one = _count_queries(read)
    for n in range(4):
        more, _ = ready_case(f"More {n}")
        risk_event_raise(actor=perp_worker, case=more, kind="escalation", summary="Risk")
    assert _count_queries(read) == one


@pytest.mark.django_db
def test_caseloads_count_open_cases_in_one_query(ready_case, provider_org, perp_worker):
    ready_case("One")
    ready_case("Two")
    with CaptureQueriesContext(connection) as ctx:
        loads = {
            row["user"].username: row
            for row in caseloads_for_organisation(organisation_id=provider_org.pk)
        }
    assert len(ctx.captured_queries) == 1
    assert loads[perp_worker.username]["open_cases"] == 2
    assert loads["user-support_worker"]["open_support"] == 2
