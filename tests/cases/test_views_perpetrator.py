"""Perpetrator-side case pages: the worker's list, opening a case, the case page and
recording a session. Each page is for the service's perpetrator-side staff only, another
organisation's case is a 404, reading a case is audited, and the victim-survivor's support
record never appears on any page of the case.

The action pages on a case are tested in test_views_perpetrator_actions.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.cases.models import (
    Attendance,
    CaseStatus,
    ConsentState,
    GroupSession,
    PerpetratorCase,
)
from pathways.cases.services.perpetrator import perpetrator_case_assign
from pathways.cases.services.records import (
    case_assessment_record,
    case_note_add,
    consent_record,
    session_record,
)
from pathways.cases.services.risk import risk_event_raise
from pathways.cases.services.support import (
    support_case_request,
    support_case_update_contact,
)

LIST = "/cases/"
NEW = "/cases/new/"
SESSIONS = "/cases/sessions/new/"

SUPPORT_NOTE = "She is staying with her sister in Otley until Friday"
VICTIM_PHONE = "07700 900987"
VICTIM_ADDRESS = "14 Refuge Lane"
VICTIM_WISH = "Only call after the children are asleep"
VICTIM_NAME = "Morgan Harbourne"


@dataclass(frozen=True)
class Page:
    """An action page under a case's URL; `get` is False for POST-only actions."""

    path: str
    get: bool = True


ACTION_PAGES = [
    Page("assign/"),
    Page("status/"),
    Page("assessment/"),
    Page("note/"),
    Page("consent/"),
    Page("handover/"),
    Page("no-victim/"),
    Page("no-victim/approve/", get=False),
    Page("request-support/"),
    Page("risk-event/"),
    Page("equality/"),
    Page("details/"),
    Page("engagement-review/", get=False),
    Page("share/"),
]


def case_url(case, path: str = "") -> str:
    return f"/cases/{case.reference}/{path}"


def signed_in(user) -> Client:
    """A client of its own, so a test can act as two people side by side."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def perp_client(perp_worker):
    return signed_in(perp_worker)


@pytest.fixture
def manager_client(manager):
    return signed_in(manager)


@pytest.fixture
def other_case(make_service, make_user, other_provider_org):
    """A case on another provider's service, opened by that provider's worker."""
    from pathways.cases.services.perpetrator import CaseInput, perpetrator_case_open

    worker = make_user("elsewhere-worker", Role.PERPETRATOR_WORKER, other_provider_org)
    service = make_service("Elsewhere Programme", organisation=other_provider_org)
    return perpetrator_case_open(
        actor=worker,
        service=service,
        data=CaseInput(person_name="Elsewhere Person", intervention="Programme"),
    )


@pytest.fixture
def case_with_support_record(ready_case, support_worker):
    """A ready case whose linked support case holds confidential details and a note."""
    case, support = ready_case("Record Person")
    support_case_update_contact(
        actor=support_worker,
        support_case=support,
        contact_phone=VICTIM_PHONE,
        safe_address=VICTIM_ADDRESS,
        contact_wish_notes=VICTIM_WISH,
    )
    case_note_add(actor=support_worker, support_case=support, text=SUPPORT_NOTE)
    support.victim_name = VICTIM_NAME
    support.save(update_fields=["victim_name"])
    return case, support


def rows_in(html: str) -> list[str]:
    """References of the list's rows, in order."""
    out = []
    for chunk in html.split('data-reference="')[1:]:
        out.append(chunk.split('"', 1)[0])
    return out


# The list -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_the_organisations_cases_and_not_another_organisations(
    open_case, other_case, manager_client
):
    ours = open_case("Our Person")
    html = manager_client.get(LIST).content.decode()
    assert ours.reference in html
    assert "Our Person" in html
    assert other_case.reference not in html


@pytest.mark.django_db
def test_list_for_a_worker_shows_their_own_cases_by_default_and_all_on_request(
    open_case, perp_worker, manager, perp_client
):
    mine = open_case("Mine Person")
    perpetrator_case_assign(actor=perp_worker, case=mine, worker=perp_worker)
    unallocated = open_case("Nobody Person")
    default = rows_in(perp_client.get(LIST).content.decode())
    assert default == [mine.reference]
    everything = rows_in(perp_client.get(LIST, {"scope": "all"}).content.decode())
    assert set(everything) == {mine.reference, unallocated.reference}


@pytest.mark.django_db
def test_list_filters_by_status_and_by_risk(open_case, perp_worker, manager_client):
    high = open_case("High Person", tier="high_risk")
    medium = open_case("Medium Person", tier="medium_risk")
    unassessed = open_case("Unknown Person", tier="")
    from pathways.cases.services.perpetrator import case_transition

    case_transition(actor=perp_worker, case=medium, to_status=CaseStatus.ASSESSMENT)

    def refs(**params):
        return set(rows_in(manager_client.get(LIST, {"scope": "all", **params}).content.decode()))

    assert refs(risk="high_risk") == {high.reference}
    assert refs(risk="none") == {unassessed.reference}
    assert refs(status="assessment") == {medium.reference}
    assert refs(status="referred", risk="medium_risk") == set()


@pytest.mark.django_db
def test_list_leaves_closed_cases_out_unless_asked(open_case, perp_worker, manager_client):
    from pathways.cases.services.perpetrator import case_transition

    closed = open_case("Closed Person")
    case_transition(actor=perp_worker, case=closed, to_status=CaseStatus.CLOSED, reason="Moved")
    assert closed.reference not in manager_client.get(LIST).content.decode()
    assert closed.reference in manager_client.get(LIST, {"status": "any"}).content.decode()


@pytest.mark.django_db
def test_list_puts_high_risk_then_overdue_assessments_first(open_case, perp_worker, manager_client):
    fresh = open_case("Fresh Person", tier="medium_risk")
    case_assessment_record(
        actor=perp_worker, case=fresh, kind="intake", tool="Tool", tier="medium_risk"
    )
    overdue = open_case("Overdue Person", tier="medium_risk")
    PerpetratorCase.objects.filter(pk=overdue.pk).update(
        opened_at=timezone.now() - dt.timedelta(days=10)
    )
    high = open_case("High Person", tier="high_risk")
    order = rows_in(manager_client.get(LIST).content.decode())
    assert order == [high.reference, overdue.reference, fresh.reference]


@pytest.mark.django_db
def test_list_can_be_sorted_by_name_and_by_next_assessment_due(
    open_case, perp_worker, manager_client
):
    later = open_case("Aaron Later", tier="high_risk")
    case_assessment_record(
        actor=perp_worker, case=later, kind="intake", tool="Tool", tier="high_risk"
    )
    sooner = open_case("Zed Sooner", tier="medium_risk")
    by_name = rows_in(manager_client.get(LIST, {"sort": "person"}).content.decode())
    assert by_name == [later.reference, sooner.reference]
    by_due = rows_in(manager_client.get(LIST, {"sort": "due"}).content.decode())
    assert by_due == [sooner.reference, later.reference]


@pytest.mark.django_db
def test_list_uses_the_services_assessment_interval_for_the_next_due_date(
    open_case, perp_worker, manager, case_service, manager_client
):
    from pathways.cases.services.settings import service_case_settings_save

    service_case_settings_save(
        actor=manager,
        service=case_service,
        assessment_interval_days=14,
        max_caseload=15,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )
    case = open_case("Interval Person")
    assessed_on = timezone.localdate() - dt.timedelta(days=20)
    case_assessment_record(
        actor=perp_worker,
        case=case,
        kind="intake",
        tool="Tool",
        tier="medium_risk",
        assessed_on=assessed_on,
    )
    html = manager_client.get(LIST).content.decode()
    due = assessed_on + dt.timedelta(days=14)
    assert f"{due.day} {due:%b %Y}" in html
    assert "Overdue" in html


@pytest.mark.django_db
def test_list_flags_what_needs_attention(open_case, ready_case, perp_worker, manager_client):
    bare = open_case("Bare Person")
    ready, _ = ready_case("Ready Person")
    html = manager_client.get(LIST).content.decode()
    bare_row = html.split(f'data-reference="{bare.reference}"')[1].split("</tr>")[0]
    ready_row = html.split(f'data-reference="{ready.reference}"')[1].split("</tr>")[0]
    assert "No linked support" in bare_row
    assert "No consent" in bare_row
    assert "No linked support" not in ready_row
    assert "No consent" not in ready_row
    consent_record(actor=perp_worker, case=ready, state=ConsentState.WITHDRAWN)
    html = manager_client.get(LIST).content.decode()
    ready_row = html.split(f'data-reference="{ready.reference}"')[1].split("</tr>")[0]
    assert "Consent withdrawn" in ready_row


@pytest.mark.django_db
def test_list_flags_an_engagement_review_due(ready_case, perp_worker, case_service, manager_client):
    case, _ = ready_case("Missing Person")
    for days in (3, 2, 1):
        session_record(
            actor=perp_worker,
            service=case_service,
            format="group",
            held_on=timezone.localdate() - dt.timedelta(days=days),
            attendance={case: "missed"},
        )
    html = manager_client.get(LIST).content.decode()
    row = html.split(f'data-reference="{case.reference}"')[1].split("</tr>")[0]
    assert "Engagement review due" in row


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(
    open_case, ready_case, perp_worker, make_service, manager_client
):
    open_case("First Person")
    manager_client.get(LIST)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert manager_client.get(LIST).status_code == 200
    second_service = make_service("Second Programme")
    open_case("Other Service Person", service=second_service)
    case, _ = ready_case("Ready Person")
    case_assessment_record(
        actor=perp_worker, case=case, kind="intake", tool="Tool", tier="high_risk"
    )
    open_case("Fourth Person", tier="high_risk")
    with CaptureQueriesContext(connection) as many:
        response = manager_client.get(LIST)
    assert len(rows_in(response.content.decode())) == 4
    assert len(many) == len(one)


@pytest.mark.django_db
def test_list_is_paginated(open_case, manager_client, monkeypatch):
    monkeypatch.setattr("pathways.cases.views.perpetrator.PAGE_SIZE", 2)
    made = [open_case(f"Person {n}").reference for n in range(3)]
    first = rows_in(manager_client.get(LIST, {"sort": "reference"}).content.decode())
    second = rows_in(manager_client.get(LIST, {"sort": "reference", "page": 2}).content.decode())
    assert len(first) == 2
    assert len(second) == 1
    assert sorted(first + second) == sorted(made)


@pytest.mark.django_db
def test_list_says_when_there_are_no_cases(manager_client, perp_client, case_service):
    assert "has no open cases yet" in manager_client.get(LIST).content.decode()
    assert "No open cases are allocated to you" in perp_client.get(LIST).content.decode()
    assert "No cases match these filters" in (
        manager_client.get(LIST, {"risk": "high_risk"}).content.decode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.SUPPORT_WORKER, Role.REFERRER, Role.TRIAGE, Role.COMMISSIONER, Role.ANALYST]
)
def test_case_pages_are_refused_to_people_who_do_not_work_perpetrator_cases(
    client_for, role_users, open_case, role
):
    case = open_case()
    client = client_for(role_users[role])
    for url in (LIST, NEW, SESSIONS, case_url(case)):
        assert client.get(url).status_code == 403, url


# Opening a case ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_worker_opens_a_case_on_their_organisations_service(perp_client, case_service):
    assert perp_client.get(NEW).status_code == 200
    response = perp_client.post(
        NEW,
        {
            "service": str(case_service.pk),
            "person_name": "New Person",
            "person_gender": "man",
            "intervention": "Group programme",
            "tier": "medium_risk",
            "planned_sessions": "24",
        },
    )
    case = PerpetratorCase.objects.get(person_name="New Person")
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    assert case.service == case_service
    assert case.planned_sessions == 24
    page = perp_client.get(response["Location"]).content.decode()
    assert f"Case {case.reference} opened" in page


@pytest.mark.django_db
def test_opening_a_case_without_a_name_shows_an_error_and_opens_nothing(perp_client, case_service):
    response = perp_client.post(
        NEW, {"service": str(case_service.pk), "person_gender": "man", "intervention": "X"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in html
    assert "Enter the person&#x27;s name" in html
    assert not PerpetratorCase.objects.exists()


@pytest.mark.django_db
def test_a_case_cannot_be_opened_on_another_organisations_service(
    perp_client, case_service, make_service, other_provider_org
):
    elsewhere = make_service("Not Ours", organisation=other_provider_org)
    html = perp_client.get(NEW).content.decode()
    assert "Not Ours" not in html
    response = perp_client.post(
        NEW,
        {
            "service": str(elsewhere.pk),
            "person_name": "Sneaky",
            "person_gender": "man",
            "intervention": "X",
        },
    )
    assert response.status_code == 400
    assert "Choose one of your organisation" in response.content.decode()
    assert not PerpetratorCase.objects.exists()


# The case page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_page_shows_the_case_and_is_audited(ready_case, perp_worker, perp_client):
    case, support = ready_case("Shown Person")
    case_note_add(actor=perp_worker, case=case, text="Attended the first session calmly")
    response = perp_client.get(case_url(case))
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Shown Person", "Attended the first session calmly", support.reference):
        assert text in html
    event = AuditEvent.objects.get(action="case.viewed")
    assert event.object_id == case.reference
    assert event.actor == perp_worker


@pytest.mark.django_db
def test_another_organisations_case_is_not_found_on_every_page(other_case, manager_client):
    assert manager_client.get(case_url(other_case)).status_code == 404
    for page in ACTION_PAGES:
        url = case_url(other_case, page.path)
        assert manager_client.get(url).status_code in (404, 405), url
        assert manager_client.post(url, {}).status_code == 404, url
    assert not AuditEvent.objects.filter(action="case.viewed").exists()


@pytest.mark.django_db
def test_case_page_shows_the_moves_and_what_blocks_activation_before_trying(
    open_case, perp_worker, perp_client
):
    from pathways.cases.services.perpetrator import case_transition

    case = open_case("Blocked Person")
    case_transition(actor=perp_worker, case=case, to_status=CaseStatus.ASSESSMENT)
    html = perp_client.get(case_url(case)).content.decode()
    moves = html.split("data-moves")[1].split("</dl>")[0]
    for label in ("Waiting to start", "Active", "De-selected", "Closed"):
        assert label in moves
    assert "Link a victim-survivor support case" in moves
    assert "Allocate a worker first" in moves
    assert "Record the person" in moves  # consent


@pytest.mark.django_db
def test_case_page_shows_the_handover_needed_before_ending_at_high_risk(
    ready_case, perp_worker, perp_client
):
    case, _ = ready_case("High Person", tier="high_risk")
    from pathways.cases.services.perpetrator import case_transition

    case_transition(actor=perp_worker, case=case, to_status=CaseStatus.ASSESSMENT)
    html = perp_client.get(case_url(case)).content.decode()
    assert "record a handover to the agency that holds the risk" in html


@pytest.mark.django_db
def test_case_page_shows_linked_support_only_as_reference_status_and_allocation(
    open_case, perp_worker, perp_client
):
    case = open_case()
    support_case_request(actor=perp_worker, case=case, victim_name=VICTIM_NAME)
    html = perp_client.get(case_url(case)).content.decode()
    assert "Not allocated yet" in html
    assert "Open (making contact)" in html
    assert VICTIM_NAME not in html


@pytest.mark.django_db
def test_case_page_shows_risk_events_and_whether_the_victim_survivor_was_told(
    ready_case, perp_worker, support_worker, perp_client
):
    from pathways.cases.services.risk import risk_event_victim_told

    case, support = ready_case()
    told = risk_event_raise(
        actor=support_worker,
        support_case=support,
        kind="specific_threat",
        summary="Threatened at the school gate",
        threat_to="victim_survivor",
    )
    risk_event_victim_told(actor=support_worker, event=told)
    risk_event_raise(
        actor=perp_worker,
        case=case,
        kind="specific_threat",
        summary="Said he would go to her work",
        threat_to="victim_survivor",
    )
    html = perp_client.get(case_url(case)).content.decode()
    assert "Threatened at the school gate" in html
    assert "Said he would go to her work" in html
    assert "Told on" in html
    assert "Not yet told" in html


@pytest.mark.django_db
def test_case_page_shows_the_approve_button_only_to_managers(
    open_case, perp_worker, perp_client, manager_client
):
    from pathways.cases.services.perpetrator import case_no_victim_record

    case = open_case()
    case_no_victim_record(actor=perp_worker, case=case, reason="Stranger offence, no partner")
    assert "Approve this reason" in manager_client.get(case_url(case)).content.decode()
    worker_html = perp_client.get(case_url(case)).content.decode()
    assert "Approve this reason" not in worker_html
    assert "Waiting for a manager" in worker_html


@pytest.mark.django_db
def test_case_page_shows_the_next_assessment_due_and_history(open_case, perp_worker, perp_client):
    case = open_case()
    assessed_on = timezone.localdate() - dt.timedelta(days=50)
    case_assessment_record(
        actor=perp_worker,
        case=case,
        kind="intake",
        tool="Structured tool",
        tier="medium_risk",
        assessed_on=assessed_on,
    )
    html = perp_client.get(case_url(case)).content.decode()
    assert "Structured tool" in html
    assert "Assessment overdue" in html
    assert "Status history" in html
    assert "Referred" in html


# The support record never shows -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["perp_worker", "manager"])
def test_no_page_of_the_case_shows_the_victim_survivors_support_record(
    case_with_support_record, case_service, request, client_for, who
):
    case, support = case_with_support_record
    client = client_for(request.getfixturevalue(who))
    urls = [LIST, f"{LIST}?scope=all", case_url(case), f"{SESSIONS}?service={case_service.pk}"]
    urls += [case_url(case, page.path) for page in ACTION_PAGES if page.get]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in (SUPPORT_NOTE, VICTIM_PHONE, VICTIM_ADDRESS, VICTIM_WISH, VICTIM_NAME):
            assert secret not in html, f"{secret!r} on {url}"


@pytest.mark.django_db
def test_a_dual_role_worker_on_the_case_still_never_sees_the_support_record(
    case_with_support_record, dual_worker, perp_worker, client_for
):
    case, support = case_with_support_record
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    html = client_for(dual_worker).get(case_url(case)).content.decode()
    for secret in (SUPPORT_NOTE, VICTIM_PHONE, VICTIM_ADDRESS, VICTIM_WISH, VICTIM_NAME):
        assert secret not in html


# Sessions ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_session_page_with_one_service_goes_straight_to_attendance(ready_case, perp_client):
    case, _ = ready_case("Group Person")
    html = perp_client.get(SESSIONS).content.decode()
    assert "Group Person" in html
    assert case.reference in html


@pytest.mark.django_db
def test_session_page_with_several_services_asks_which_first(open_case, make_service, perp_client):
    open_case("First Service Person")
    second = make_service("Second Programme")
    open_case("Second Service Person", service=second)
    html = perp_client.get(SESSIONS).content.decode()
    assert "Which service ran the session?" in html
    assert "First Service Person" not in html
    html = perp_client.get(SESSIONS, {"service": str(second.pk)}).content.decode()
    assert "Second Service Person" in html
    assert "First Service Person" not in html


@pytest.mark.django_db
def test_recording_a_session_saves_attendance_for_the_people_in_it(
    open_case, case_service, perp_client
):
    here = open_case("Here Person")
    missed = open_case("Missed Person")
    absent = open_case("Not In Group")
    url = f"{SESSIONS}?service={case_service.pk}"
    response = perp_client.post(
        url,
        {
            "format": "group",
            "held_on": timezone.localdate().isoformat(),
            "title": "Week 1",
            f"attendance_{here.reference}": "attended",
            f"attendance_{missed.reference}": "missed",
            f"attendance_{absent.reference}": "",
        },
    )
    assert response.status_code == 302
    session = GroupSession.objects.get()
    assert session.service == case_service
    assert dict(Attendance.objects.values_list("case__reference", "status")) == {
        here.reference: "attended",
        missed.reference: "missed",
    }
    assert "attendance for 2 people" in perp_client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_one_to_one_with_two_people_is_refused_and_records_nothing(
    open_case, case_service, perp_client
):
    first, second = open_case("One"), open_case("Two")
    response = perp_client.post(
        f"{SESSIONS}?service={case_service.pk}",
        {
            "format": "one_to_one",
            "held_on": timezone.localdate().isoformat(),
            f"attendance_{first.reference}": "attended",
            f"attendance_{second.reference}": "attended",
        },
    )
    assert response.status_code == 400
    assert "A one-to-one session is with one person" in response.content.decode()
    assert not GroupSession.objects.exists()


@pytest.mark.django_db
def test_a_session_with_nobody_in_it_is_refused(open_case, case_service, perp_client):
    open_case()
    response = perp_client.post(
        f"{SESSIONS}?service={case_service.pk}",
        {"format": "group", "held_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "Record attendance for at least one person" in response.content.decode()


@pytest.mark.django_db
def test_a_session_cannot_be_recorded_for_another_organisations_service(
    perp_client, case_service, make_service, other_provider_org
):
    elsewhere = make_service("Not Ours", organisation=other_provider_org)
    for service in (str(elsewhere.pk), "not-a-uuid"):
        response = perp_client.get(SESSIONS, {"service": service})
        assert response.status_code == 400
        assert "Choose one of your organisation" in response.content.decode()
    response = perp_client.post(
        f"{SESSIONS}?service={elsewhere.pk}",
        {"format": "group", "held_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert not GroupSession.objects.exists()


@pytest.mark.django_db
def test_missed_sessions_recorded_on_the_page_put_the_case_up_for_review(
    ready_case, case_service, perp_client
):
    case, _ = ready_case("Absent Person")
    for days in (3, 2, 1):
        perp_client.post(
            f"{SESSIONS}?service={case_service.pk}",
            {
                "format": "group",
                "held_on": (timezone.localdate() - dt.timedelta(days=days)).isoformat(),
                f"attendance_{case.reference}": "missed",
            },
        )
    case.refresh_from_db()
    assert case.engagement_review_due
    html = perp_client.get(case_url(case)).content.decode()
    assert "Mark engagement review done" in html


@pytest.mark.django_db
def test_support_worker_alone_cannot_reach_the_case_through_the_other_side(
    case_with_support_record, client_for, support_worker
):
    case, _ = case_with_support_record
    assert client_for(support_worker).get(case_url(case)).status_code == 403


@pytest.mark.django_db
def test_list_pages_naming_people_are_audited_with_references_only(
    ready_case, perp_worker, support_worker, client
):
    from pathways.audit.models import AuditEvent

    case, support = ready_case("Listed Person")
    client.force_login(perp_worker)
    assert client.get("/cases/").status_code == 200
    event = AuditEvent.objects.filter(object_type="perpetrator_case", action="read").last()
    assert event.detail == {"list": True, "references": [case.reference]}
    client.force_login(support_worker)
    assert client.get("/support/").status_code == 200
    event = AuditEvent.objects.filter(object_type="support_case", action="read").last()
    assert event.detail == {"list": True, "references": [support.reference]}
    assert "Listed Person" not in str(AuditEvent.objects.values_list("detail", flat=True))
