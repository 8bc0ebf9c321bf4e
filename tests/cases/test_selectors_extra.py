"""The selectors the case pages and the API read through (`selectors.cases` and
`selectors.directory`): each returns only what its caller may see, another organisation's
rows never come back, a guessed or malformed id is a 404, and lists keep a constant query
count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.cases.models import (
    AttendanceStatus,
    CaseStatus,
    ConsentState,
    RiskEventKind,
    SessionFormat,
    SharingCategory,
    SupportStatus,
    ThreatTo,
)
from pathways.cases.selectors.cases import (
    active_users,
    allocation_override_counts,
    assessments_for_case,
    attendance_for_case,
    case_list_filtered_for_user,
    case_list_for_user,
    case_page_for_user,
    case_sort_facts,
    case_with_record,
    cases_awaiting_no_victim_approval,
    cases_by_reference_for_user,
    consents_for_case,
    consents_for_support_case,
    equality_profile_for_case,
    equality_profile_for_support_case,
    handovers_for_case,
    member_get_for_organisation,
    members_of_organisation,
    notes_for_case,
    notes_for_support_case,
    open_cases_on_service_for_user,
    perpetrator_worker_caseloads,
    risk_event_list_for_user,
    risk_events_for_case,
    session_attendance_count,
    session_with_attendance,
    shares_for_case,
    staff_record_for_member,
    status_history_for_case,
    status_history_for_support_case,
    support_case_list_filtered_for_user,
    support_case_list_with_threats_for_user,
    support_case_with_record,
    support_links_for_case,
    support_worker_caseloads_for_support_case,
)
from pathways.cases.selectors.directory import (
    case_services_for_user,
    managed_organisations_for_user,
    managed_services_with_settings,
    organisations_any,
    organisations_other_than_case,
    sharing_partner_choices_for_support_case,
    sharing_partner_get_for_support_case,
    sharing_partners_for_case,
    support_organisation_choices_for_user,
    support_organisation_get_for_user,
    support_service_choices_for_user,
    support_service_get_for_user,
    support_services_for_user,
)
from pathways.cases.services.common import assessment_intervals
from pathways.cases.services.perpetrator import (
    case_handover_record,
    case_no_victim_approve,
    case_no_victim_record,
    case_transition,
    perpetrator_case_assign,
)
from pathways.cases.services.records import (
    case_assessment_record,
    case_note_add,
    consent_record,
    equality_record,
    session_record,
)
from pathways.cases.services.risk import risk_event_raise
from pathways.cases.services.settings import service_case_settings_save
from pathways.cases.services.sharing import share_record, sharing_agreement_save
from pathways.cases.services.staff import staff_record_save
from pathways.cases.services.support import (
    support_case_open,
    support_case_request,
)

# --- Fixtures: a second provider with its own staff, service and case ------------------------


@pytest.fixture
def other_service(make_service, other_provider_org):
    return make_service("Other Provider Service", organisation=other_provider_org)


@pytest.fixture
def other_worker(make_user, other_provider_org):
    return make_user("other-perp", Role.PERPETRATOR_WORKER, other_provider_org)


@pytest.fixture
def other_manager(make_user, other_provider_org):
    return make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org)


@pytest.fixture
def other_support_worker(make_user, other_provider_org):
    return make_user("other-support", Role.SUPPORT_WORKER, other_provider_org)


@pytest.fixture
def other_case(open_case, other_service, other_worker):
    """A case of the other provider, allocated to its own worker."""
    from pathways.cases.services.perpetrator import CaseInput, perpetrator_case_open

    case = perpetrator_case_open(
        actor=other_worker,
        service=other_service,
        data=CaseInput(person_name="Other Person", intervention="Programme", tier="medium_risk"),
    )
    perpetrator_case_assign(actor=other_worker, case=case, worker=other_worker)
    return case


@pytest.fixture
def partner(make_organisation):
    return make_organisation("Partner Support Service")


@pytest.fixture
def agreement(role_users, provider_org, partner):
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


def _count_queries(fn) -> int:
    fn()  # warm the per-user role caches, which are read once per request
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _assess(actor, case, on: dt.date | None = None, tier: str = "medium_risk"):
    return case_assessment_record(
        actor=actor, case=case, kind="intake", tool="Tool", tier=tier, assessed_on=on
    )


# --- The directory: services and organisations ------------------------------------------------


@pytest.mark.django_db
def test_case_services_are_the_users_perpetrator_side_organisations_only(
    case_service, other_service, perp_worker, support_worker, other_worker, make_service
):
    later = make_service("A Later Service")
    assert list(case_services_for_user(user=perp_worker)) == [later, case_service]
    assert list(case_services_for_user(user=other_worker)) == [other_service]
    assert not case_services_for_user(user=support_worker).exists()
    assert not case_services_for_user(user=None).exists()


@pytest.mark.django_db
def test_support_services_are_the_users_support_side_organisations_only(
    case_service, other_service, support_worker, perp_worker, other_support_worker
):
    assert list(support_services_for_user(user=support_worker)) == [case_service]
    assert support_service_choices_for_user(user=support_worker) == [
        (case_service.pk, case_service.name)
    ]
    assert not support_services_for_user(user=perp_worker).exists()
    assert support_service_choices_for_user(user=other_support_worker) == [
        (other_service.pk, other_service.name)
    ]


@pytest.mark.django_db
def test_another_organisations_service_is_a_404_for_support_work(
    case_service, other_service, support_worker
):
    assert support_service_get_for_user(user=support_worker, service_id=str(case_service.pk))
    for guess in (other_service.pk, "not-a-uuid", None):
        with pytest.raises(Http404):
            support_service_get_for_user(user=support_worker, service_id=guess)


@pytest.mark.django_db
def test_managed_services_come_with_their_settings_in_one_query(
    case_service, other_service, manager, make_service
):
    second = make_service("Second Service")
    service_case_settings_save(
        actor=manager,
        service=case_service,
        assessment_interval_days=30,
        max_caseload=10,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )
    with CaptureQueriesContext(connection) as ctx:
        services = managed_services_with_settings(
            user=manager, organisation_id=case_service.organisation_id
        )
        assert services == [case_service, second]
        assert services[0].case_settings.max_caseload == 10
        assert services[0].organisation.name == "Provider One"
    # One for the services; the user's role lookups are cached after the first read.
    assert len([q for q in ctx.captured_queries if "directory_service" in q["sql"]]) == 1
    # A manager asking for another organisation's services gets none.
    assert (
        managed_services_with_settings(user=manager, organisation_id=other_service.organisation_id)
        == []
    )


@pytest.mark.django_db
def test_managed_organisations_are_only_those_the_user_manages(
    manager, perp_worker, provider_org, other_provider_org, other_manager
):
    assert managed_organisations_for_user(user=manager) == [provider_org]
    assert managed_organisations_for_user(user=other_manager) == [other_provider_org]
    assert managed_organisations_for_user(user=perp_worker) == []


@pytest.mark.django_db
def test_support_organisations_are_only_the_users_own(
    support_worker, perp_worker, provider_org, other_provider_org
):
    assert support_organisation_choices_for_user(user=support_worker) == [
        (provider_org.pk, provider_org.name)
    ]
    assert support_organisation_choices_for_user(user=perp_worker) == []
    # The form posts the id as text.
    found = support_organisation_get_for_user(
        user=support_worker, organisation_id=str(provider_org.pk)
    )
    assert found == provider_org
    for guess in (other_provider_org.pk, str(other_provider_org.pk), "nonsense", None):
        with pytest.raises(Http404):
            support_organisation_get_for_user(user=support_worker, organisation_id=guess)
    with pytest.raises(Http404):
        support_organisation_get_for_user(user=perp_worker, organisation_id=provider_org.pk)


@pytest.mark.django_db
def test_handover_organisations_leave_out_the_cases_own(
    open_case, provider_org, other_provider_org
):
    case = open_case()
    ids = list(organisations_other_than_case(case=case).values_list("pk", flat=True))
    assert provider_org.pk not in ids
    assert other_provider_org.pk in ids
    assert set(organisations_any()) >= {provider_org, other_provider_org}


@pytest.mark.django_db
def test_sharing_partners_are_organisations_with_an_agreement_in_force(
    ready_case, agreement, partner, provider_org, other_provider_org
):
    case, support = ready_case()
    assert list(sharing_partners_for_case(case=case)) == [partner]
    assert sharing_partner_choices_for_support_case(support_case=support) == [
        (partner.pk, partner.name)
    ]
    assert (
        sharing_partner_get_for_support_case(support_case=support, organisation_id=partner.pk)
        == partner
    )
    for guess in (other_provider_org.pk, provider_org.pk, "nonsense"):
        with pytest.raises(Http404):
            sharing_partner_get_for_support_case(support_case=support, organisation_id=guess)


@pytest.mark.django_db
def test_without_an_agreement_there_are_no_sharing_partners(ready_case):
    case, support = ready_case()
    assert not sharing_partners_for_case(case=case).exists()
    assert sharing_partner_choices_for_support_case(support_case=support) == []


# --- Assessment intervals ---------------------------------------------------------------------


@pytest.mark.django_db
def test_assessment_intervals_use_the_default_where_a_service_set_none(
    case_service, other_service, manager, django_assert_num_queries
):
    service_case_settings_save(
        actor=manager,
        service=case_service,
        assessment_interval_days=30,
        max_caseload=15,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )
    with django_assert_num_queries(1):
        intervals = assessment_intervals([case_service.pk, other_service.pk])
    assert intervals == {case_service.pk: 30, other_service.pk: 42}
    with django_assert_num_queries(0):
        assert assessment_intervals(set()) == {}


# --- The perpetrator case list ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_callers_chained_assessment_query_works_on_the_listed_case(ready_case, perp_worker):
    case, _ = ready_case()
    _assess(perp_worker, case)
    listed = case_list_for_user(user=perp_worker).get(pk=case.pk)
    # Chaining on the prefetched assessments once failed: the prefetch deferred assessed_by.
    chained = list(listed.assessments.select_related("assessed_by"))
    assert [a.assessed_by for a in chained] == [perp_worker]
    assert [a.assessed_on for a in listed.assessments.all()] == [timezone.localdate()]


@pytest.mark.django_db
def test_the_filtered_case_list_narrows_and_never_reaches_another_organisation(
    open_case, perp_worker, manager, other_case, make_service
):
    mine = open_case("Mine")
    perpetrator_case_assign(actor=perp_worker, case=mine, worker=perp_worker)
    unallocated = open_case("Unallocated", tier="high_risk")
    elsewhere = open_case("Elsewhere", service=make_service("Second Service"))
    _assess(perp_worker, unallocated, tier="high_risk")
    assert set(case_list_filtered_for_user(user=manager)) == {mine, unallocated, elsewhere}
    assert list(case_list_filtered_for_user(user=perp_worker, mine=True)) == [mine]
    assert list(case_list_filtered_for_user(user=manager, risk="high_risk")) == [unallocated]
    assert list(case_list_filtered_for_user(user=manager, service_id=elsewhere.service_id)) == [
        elsewhere
    ]
    assert not case_list_filtered_for_user(user=manager, statuses=[CaseStatus.CLOSED]).exists()
    # The other provider's case matches every filter but is never returned.
    assert other_case not in case_list_filtered_for_user(
        user=manager, service_id=other_case.service_id
    )
    assert not case_list_filtered_for_user(user=manager, service_id=other_case.service_id).exists()


@pytest.mark.django_db
def test_case_sort_facts_carry_the_latest_assessment_in_one_query(
    open_case, perp_worker, other_case
):
    case = open_case()
    earlier = timezone.localdate() - dt.timedelta(days=10)
    _assess(perp_worker, case, on=earlier)
    _assess(perp_worker, case)
    second = open_case("Not assessed")
    cases = case_list_for_user(user=perp_worker)
    list(cases)  # warm the role cache
    with CaptureQueriesContext(connection) as ctx:
        facts = {f.id: f for f in case_sort_facts(cases=case_list_for_user(user=perp_worker))}
    assert len(ctx.captured_queries) == 1
    assert set(facts) == {case.pk, second.pk}
    assert facts[case.pk].latest_assessed_on == timezone.localdate()
    assert facts[second.pk].latest_assessed_on is None
    assert facts[case.pk].service_id == case.service_id


@pytest.mark.django_db
def test_a_page_of_cases_keeps_its_order_and_drops_another_organisations_ids(
    ready_case, open_case, perp_worker, other_case
):
    linked, _ = ready_case("Linked")
    bare = open_case("Bare")
    page = case_page_for_user(user=perp_worker, ids=[bare.pk, other_case.pk, linked.pk])
    assert page == [bare, linked]
    assert (page[0].has_open_support, page[0].consent_state) == (False, None)
    assert (page[1].has_open_support, page[1].consent_state) == (True, ConsentState.GIVEN)
    assert case_page_for_user(user=perp_worker, ids=[]) == []


@pytest.mark.django_db
def test_a_page_of_cases_keeps_a_constant_query_count(open_case, perp_worker):
    def read(ids):
        for case in case_page_for_user(user=perp_worker, ids=ids):
            _ = (case.service.organisation.name, case.worker, case.has_open_support)
            _ = [a.assessed_on for a in case.assessments.all()]

    first = open_case("One")
    _assess(perp_worker, first)
    one = _count_queries(lambda: read([first.pk]))
    more = [first.pk]
    for n in range(4):
        case = open_case(f"More {n}")
        _assess(perp_worker, case)
        more.append(case.pk)
    assert _count_queries(lambda: read(more)) == one


@pytest.mark.django_db
def test_cases_by_reference_leave_out_another_organisations(open_case, perp_worker, other_case):
    case = open_case()
    found = cases_by_reference_for_user(
        user=perp_worker, references=[case.reference, other_case.reference, "PC-0000-0000"]
    )
    assert found == {case.reference: case}


@pytest.mark.django_db
def test_open_cases_on_a_service_are_the_users_open_ones_by_name(
    open_case, perp_worker, case_service, other_case
):
    zed = open_case("Zed")
    alice = open_case("Alice")
    closed = open_case("Closed")
    case_transition(actor=perp_worker, case=closed, to_status=CaseStatus.CLOSED, reason="Ended")
    assert open_cases_on_service_for_user(user=perp_worker, service=case_service) == [alice, zed]
    assert open_cases_on_service_for_user(user=perp_worker, service=other_case.service) == []


# --- One perpetrator case's record --------------------------------------------------------------


@pytest.mark.django_db
def test_support_links_give_only_reference_status_and_whether_allocated(ready_case, open_case):
    case, support = ready_case()
    assert support_links_for_case(case=case) == [
        {"reference": support.reference, "status": support.status, "worker_id": support.worker_id}
    ]
    assert support_links_for_case(case=open_case("Unlinked")) == []


@pytest.mark.django_db
def test_a_cases_records_are_its_own_and_not_another_cases(
    ready_case, perp_worker, support_worker, agreement, partner, django_assert_num_queries
):
    case, support = ready_case("This")
    other, _ = ready_case("Another")
    for target in (case, other):
        _assess(perp_worker, target)
        case_note_add(actor=perp_worker, case=target, text=f"Note on {target.person_name}")
        case_handover_record(
            actor=perp_worker, case=target, to_agency="Probation", to_contact="Duty", summary="S"
        )
        share_record(
            actor=perp_worker,
            case=target,
            to_organisation=partner,
            category=SharingCategory.RISK,
            purpose="Safety planning",
        )
        equality_record(actor=perp_worker, case=target, answers={"age_band": "25_34"})
    session_record(
        actor=perp_worker,
        service=case.service,
        format=SessionFormat.ONE_TO_ONE,
        held_on=timezone.localdate(),
        attendance={case: AttendanceStatus.ATTENDED},
    )
    with django_assert_num_queries(1):
        assert [a.assessed_by for a in assessments_for_case(case=case)] == [perp_worker]
    with django_assert_num_queries(1):
        assert [n.author for n in notes_for_case(case=case)] == [perp_worker]
    with django_assert_num_queries(1):
        handovers = list(handovers_for_case(case=case))
        assert [(h.case_id, h.recorded_by) for h in handovers] == [(case.pk, perp_worker)]
    with django_assert_num_queries(1):
        assert [(s.to_organisation, s.shared_by) for s in shares_for_case(case=case)] == [
            (partner, perp_worker)
        ]
    with django_assert_num_queries(1):
        consents = list(consents_for_case(case=case))
        assert [(c.state, c.recorded_by) for c in consents] == [(ConsentState.GIVEN, perp_worker)]
    with django_assert_num_queries(1):
        assert [a.session.held_on for a in attendance_for_case(case=case)] == [timezone.localdate()]
    assert attendance_for_case(case=other).count() == 0
    with django_assert_num_queries(1):
        history = list(status_history_for_case(case=case))
        assert all(change.case_id == case.pk for change in history)
        _ = [change.by for change in history]
    assert equality_profile_for_case(case=case).case_id == case.pk
    assert equality_profile_for_case(case=ready_case("Unanswered")[0]) is None


@pytest.mark.django_db
def test_the_full_record_reload_reads_its_related_rows_up_front(
    ready_case, perp_worker, django_assert_num_queries
):
    case, _ = ready_case()
    _assess(perp_worker, case)
    full = case_with_record(case=case)
    with django_assert_num_queries(0):
        _ = (full.service.name, full.worker, full.statutory_lead, full.panel_chair)
        _ = [(h.to_status, h.by) for h in full.history.all()]
        _ = [(c.state, c.recorded_by) for c in full.consents.all()]
        _ = [a.assessed_on for a in full.assessments.all()]


@pytest.mark.django_db
def test_a_risk_event_on_the_case_reads_only_the_support_cases_reference(
    ready_case, support_worker, django_assert_num_queries
):
    case, support = ready_case()
    risk_event_raise(actor=support_worker, support_case=support, kind="new_incident", summary="S")
    with django_assert_num_queries(1):
        (event,) = list(risk_events_for_case(case=case))
        assert event.support_case.reference == support.reference
        assert event.raised_by == support_worker
    deferred = event.support_case.get_deferred_fields()
    assert {"victim_name", "contact_phone", "safe_address", "worker_id"} <= deferred
    assert "reference" not in deferred


@pytest.mark.django_db
def test_the_recorded_session_comes_back_with_its_attendance(
    open_case, perp_worker, case_service, django_assert_num_queries
):
    case = open_case()
    session = session_record(
        actor=perp_worker,
        service=case_service,
        format=SessionFormat.GROUP,
        held_on=timezone.localdate(),
        attendance={case: AttendanceStatus.ATTENDED},
    )
    # The session with its service, its attendance, and the attendance's cases.
    with django_assert_num_queries(3):
        loaded = session_with_attendance(session=session)
        assert loaded.service == case_service
        assert [a.case.reference for a in loaded.attendance.all()] == [case.reference]
    assert session_attendance_count(session=session) == 1


# --- Managing an organisation -------------------------------------------------------------------


@pytest.mark.django_db
def test_override_counts_are_per_worker_of_the_organisation_only(
    open_case,
    case_service,
    manager,
    perp_worker,
    other_case,
    other_service,
    other_manager,
    other_worker,
):
    service_case_settings_save(
        actor=manager,
        service=case_service,
        assessment_interval_days=42,
        max_caseload=1,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )
    perpetrator_case_assign(actor=manager, case=open_case("First"), worker=perp_worker)
    perpetrator_case_assign(
        actor=manager, case=open_case("Second"), worker=perp_worker, override_reason="Cover"
    )
    assert allocation_override_counts(organisation_id=case_service.organisation_id) == {
        perp_worker.pk: 1
    }
    assert allocation_override_counts(organisation_id=other_service.organisation_id) == {}


@pytest.mark.django_db
def test_cases_awaiting_no_victim_approval_are_unapproved_open_ones_of_the_organisation(
    open_case, perp_worker, manager, other_case, other_worker, other_manager, provider_org
):
    waiting = open_case("Waiting")
    approved = open_case("Approved")
    open_case("No reason")
    for case in (waiting, approved):
        case_no_victim_record(actor=perp_worker, case=case, reason="No identifiable partner")
    case_no_victim_approve(actor=manager, case=approved)
    case_no_victim_record(actor=other_worker, case=other_case, reason="No partner")
    awaiting = cases_awaiting_no_victim_approval(user=manager, organisation_id=provider_org.pk)
    assert list(awaiting) == [waiting]
    # Another organisation's case never comes back, whoever asks for which organisation.
    assert not cases_awaiting_no_victim_approval(
        user=manager, organisation_id=other_case.service.organisation_id
    ).exists()
    assert list(
        cases_awaiting_no_victim_approval(
            user=other_manager, organisation_id=other_case.service.organisation_id
        )
    ) == [other_case]


@pytest.mark.django_db
def test_members_are_the_organisations_own_with_their_roles_there(
    role_users, provider_org, other_worker, dual_worker, make_user
):
    gone = make_user("gone-worker", Role.PERPETRATOR_WORKER, provider_org, is_active=False)
    members = list(members_of_organisation(organisation_id=provider_org.pk))
    assert other_worker not in members
    assert gone not in members
    assert role_users[Role.PROVIDER_MANAGER] in members
    dual = next(m for m in members if m.pk == dual_worker.pk)
    assert sorted(m.role for m in dual.roles_here) == sorted(
        [Role.PERPETRATOR_WORKER, Role.SUPPORT_WORKER]
    )
    assert member_get_for_organisation(organisation_id=provider_org.pk, user_id=dual_worker.pk)
    for guess in (other_worker.pk, gone.pk, 10**9, "abc"):
        with pytest.raises(Http404):
            member_get_for_organisation(organisation_id=provider_org.pk, user_id=guess)


@pytest.mark.django_db
def test_members_keep_a_constant_query_count(provider_org, make_user):
    def read():
        for member in members_of_organisation(organisation_id=provider_org.pk):
            _ = [m.get_role_display() for m in member.roles_here]

    make_user("first-member", Role.PERPETRATOR_WORKER, provider_org)
    one = _count_queries(read)
    for n in range(4):
        make_user(f"member-{n}", Role.SUPPORT_WORKER, provider_org)
    assert _count_queries(read) == one == 2


@pytest.mark.django_db
def test_a_staff_record_is_found_only_at_its_organisation(
    manager, perp_worker, provider_org, other_provider_org
):
    assert staff_record_for_member(organisation_id=provider_org.pk, user_id=perp_worker.pk) is None
    record = staff_record_save(
        actor=manager,
        user=perp_worker,
        organisation=provider_org,
        induction_completed_on=timezone.localdate(),
        last_supervision_on=None,
        dbs_checked_on=None,
    )
    found = staff_record_for_member(organisation_id=provider_org.pk, user_id=perp_worker.pk)
    assert found == record
    assert (
        staff_record_for_member(organisation_id=other_provider_org.pk, user_id=perp_worker.pk)
        is None
    )


@pytest.mark.django_db
def test_perpetrator_worker_caseloads_are_the_organisations_perpetrator_workers(
    perp_worker, support_worker, dual_worker, other_worker, provider_org
):
    users = [row["user"] for row in perpetrator_worker_caseloads(organisation_id=provider_org.pk)]
    assert perp_worker in users and dual_worker in users
    assert support_worker not in users
    assert other_worker not in users


@pytest.mark.django_db
def test_support_worker_caseloads_never_offer_the_perpetrators_worker(
    open_case, perp_worker, support_worker, dual_worker, other_support_worker
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    users = [row["user"] for row in support_worker_caseloads_for_support_case(support_case=support)]
    assert users == [support_worker]
    assert other_support_worker not in users


# --- The support side ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_filtered_support_list_narrows_and_never_reaches_another_organisation(
    ready_case, support_worker, provider_org, other_provider_org, other_support_worker
):
    _, allocated = ready_case()
    unallocated = support_case_open(
        actor=support_worker, organisation=provider_org, victim_name="Not allocated"
    )
    elsewhere = support_case_open(
        actor=other_support_worker, organisation=other_provider_org, victim_name="Elsewhere"
    )
    assert set(support_case_list_filtered_for_user(user=support_worker)) == {
        allocated,
        unallocated,
    }
    assert list(support_case_list_filtered_for_user(user=support_worker, mine=True)) == [allocated]
    assert list(support_case_list_filtered_for_user(user=support_worker, unallocated=True)) == [
        unallocated
    ]
    assert unallocated in support_case_list_filtered_for_user(
        user=support_worker, status=SupportStatus.OPEN
    )
    assert not support_case_list_filtered_for_user(
        user=support_worker, status=SupportStatus.CLOSED
    ).exists()
    assert elsewhere not in support_case_list_filtered_for_user(user=support_worker)
    assert elsewhere in support_case_list_filtered_for_user(user=other_support_worker)


@pytest.mark.django_db
def test_support_cases_with_a_threat_awaiting_come_first_when_asked(
    ready_case, support_worker, perp_worker
):
    _, older = ready_case("Older")
    _, newer = ready_case("Newer")
    risk_event_raise(
        actor=support_worker,
        support_case=older,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.VICTIM_SURVIVOR,
        summary="Threat",
    )
    by_date = list(support_case_list_with_threats_for_user(user=support_worker))
    assert by_date == [newer, older]
    assert [sc.threat_awaiting for sc in by_date] == [False, True]
    threats_first = list(
        support_case_list_with_threats_for_user(user=support_worker, threats_first=True)
    )
    assert threats_first == [older, newer]


@pytest.mark.django_db
def test_the_support_list_with_threats_keeps_a_constant_query_count(ready_case, support_worker):
    def read():
        for sc in support_case_list_with_threats_for_user(user=support_worker, threats_first=True):
            _ = (sc.threat_awaiting, sc.worker, sc.perpetrator_case and sc.perpetrator_case.status)

    ready_case("One")
    one = _count_queries(read)
    for n in range(4):
        ready_case(f"More {n}")
    assert _count_queries(read) == one


@pytest.mark.django_db
def test_a_support_cases_records_are_its_own(ready_case, support_worker, django_assert_num_queries):
    _, support = ready_case("This")
    _, other = ready_case("Another")
    for target in (support, other):
        case_note_add(actor=support_worker, support_case=target, text="Note")
        consent_record(actor=support_worker, support_case=target, state=ConsentState.GIVEN)
    equality_record(actor=support_worker, support_case=support, answers={"age_band": "25_34"})
    with django_assert_num_queries(1):
        notes = list(notes_for_support_case(support_case=support))
        assert [(n.support_case_id, n.author) for n in notes] == [(support.pk, support_worker)]
    with django_assert_num_queries(1):
        consents = list(consents_for_support_case(support_case=support))
        assert [(c.support_case_id, c.recorded_by) for c in consents] == [
            (support.pk, support_worker)
        ]
    assert all(
        c.support_case_id == support.pk
        for c in status_history_for_support_case(support_case=support)
    )
    assert equality_profile_for_support_case(support_case=support).support_case_id == support.pk
    assert equality_profile_for_support_case(support_case=other) is None


@pytest.mark.django_db
def test_the_full_support_record_reload_reads_its_related_rows_up_front(
    ready_case, support_worker, django_assert_num_queries
):
    case, support = ready_case()
    full = support_case_with_record(support_case=support)
    with django_assert_num_queries(0):
        _ = (full.organisation.name, full.worker, full.perpetrator_case.reference)
        _ = [(h.to_status, h.by) for h in full.history.all()]
        _ = [(c.state, c.recorded_by) for c in full.consents.all()]


@pytest.mark.django_db
def test_risk_events_needing_the_victim_survivor_told_are_untold_threats_only(
    ready_case, support_worker, perp_worker, other_case, other_worker
):
    case, support = ready_case()
    threat = risk_event_raise(
        actor=support_worker,
        support_case=support,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.VICTIM_SURVIVOR,
        summary="Threat",
    )
    risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Not a threat")
    risk_event_raise(
        actor=other_worker,
        case=other_case,
        kind=RiskEventKind.SPECIFIC_THREAT,
        threat_to=ThreatTo.VICTIM_SURVIVOR,
        summary="Another organisation's threat",
    )
    assert risk_event_list_for_user(user=perp_worker).count() == 2
    assert list(risk_event_list_for_user(user=perp_worker, needs_victim_told=True)) == [threat]


@pytest.mark.django_db
def test_active_users_leave_out_deactivated_accounts(make_user, perp_worker):
    gone = make_user("deactivated", is_active=False)
    assert perp_worker in active_users()
    assert gone not in active_users()
