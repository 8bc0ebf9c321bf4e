"""Action pages on a perpetrator case: each shows its form, calls one service, and puts the
service's refusal back on the form (400, GOV.UK error summary) without changing anything.
The safety rules surface here as the messages a worker reads before anything happens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.cases.models import (
    Alert,
    CaseAssessment,
    CaseNote,
    CaseStatus,
    Consent,
    EqualityProfile,
    Handover,
    PerpetratorCase,
    RiskEvent,
    Share,
    SupportCase,
)
from pathways.cases.services.perpetrator import (
    case_no_victim_record,
    case_transition,
    perpetrator_case_assign,
    perpetrator_case_update,
)
from pathways.cases.services.records import session_record
from pathways.cases.services.settings import service_case_settings_save
from pathways.cases.services.sharing import sharing_agreement_save
from pathways.cases.services.support import support_case_assign

from .test_views_perpetrator import ACTION_PAGES, case_url


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


def errors_of(response) -> str:
    html = response.content.decode()
    assert response.status_code == 400, response.status_code
    assert "govuk-error-summary" in html
    return html


def max_caseload(manager, service, maximum: int) -> None:
    service_case_settings_save(
        actor=manager,
        service=service,
        assessment_interval_days=42,
        max_caseload=maximum,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )


@pytest.mark.django_db
def test_every_action_page_shows_its_form_to_the_services_staff(
    ready_case, perp_client, manager_client
):
    case, _ = ready_case()
    for client in (perp_client, manager_client):
        for page in ACTION_PAGES:
            url = case_url(case, page.path)
            response = client.get(url)
            if page.get:
                assert response.status_code == 200, url
                assert "<form" in response.content.decode(), url
            else:
                assert response.status_code == 405, url


# Allocation ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_assign_lists_only_the_organisations_perpetrator_workers_with_their_caseload(
    open_case, make_user, provider_org, other_provider_org, perp_client
):
    make_user("other-org-worker", Role.PERPETRATOR_WORKER, other_provider_org)
    make_user("colleague", Role.PERPETRATOR_WORKER, provider_org, first_name="Casey")
    case = open_case()
    html = perp_client.get(case_url(case, "assign/")).content.decode()
    assert "user-perpetrator_worker: 0 open cases (maximum 15)" in html
    assert "Casey" in html
    assert "other-org-worker" not in html
    assert "user-support_worker" not in html
    assert "user-provider_manager" not in html


@pytest.mark.django_db
def test_a_worker_allocates_a_case(open_case, perp_worker, perp_client):
    case = open_case()
    response = perp_client.post(case_url(case, "assign/"), {"worker": str(perp_worker.pk)})
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    case.refresh_from_db()
    assert case.worker == perp_worker
    assert "is now the case worker" in perp_client.get(case_url(case)).content.decode()


@pytest.mark.django_db
def test_allocating_above_the_maximum_needs_a_managers_override(
    open_case, make_user, provider_org, manager, case_service, perp_client, manager_client
):
    busy = make_user("busy-worker", Role.PERPETRATOR_WORKER, provider_org)
    max_caseload(manager, case_service, 1)
    first = open_case("First")
    perpetrator_case_assign(actor=manager, case=first, worker=busy)
    second = open_case("Second")
    url = case_url(second, "assign/")
    assert "override_reason" not in perp_client.get(url).content.decode()
    assert "override_reason" in manager_client.get(url).content.decode()

    html = errors_of(perp_client.post(url, {"worker": str(busy.pk)}))
    assert "a manager must agree" in html
    html = errors_of(manager_client.post(url, {"worker": str(busy.pk)}))
    assert "Enter why this worker can take a case above the maximum" in html
    second.refresh_from_db()
    assert second.worker is None

    response = manager_client.post(
        url, {"worker": str(busy.pk), "override_reason": "Covering sick leave for a month"}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.worker == busy
    assert second.allocation_override_reason == "Covering sick leave for a month"


@pytest.mark.django_db
def test_the_victim_survivors_support_worker_cannot_be_allocated_the_perpetrator_case(
    open_case, perp_worker, dual_worker, support_worker, perp_client
):
    from pathways.cases.services.support import support_case_request

    case = open_case()
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    html = errors_of(perp_client.post(case_url(case, "assign/"), {"worker": str(dual_worker.pk)}))
    assert "a different worker must hold the perpetrator case" in html
    case.refresh_from_db()
    assert case.worker is None


@pytest.mark.django_db
def test_assigning_someone_not_in_the_list_is_refused(
    open_case, make_user, other_provider_org, perp_client
):
    stranger = make_user("stranger", Role.PERPETRATOR_WORKER, other_provider_org)
    case = open_case()
    html = errors_of(perp_client.post(case_url(case, "assign/"), {"worker": str(stranger.pk)}))
    assert "Choose a perpetrator-side worker" in html


# Status ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_activating_without_a_support_case_shows_the_blocker_and_changes_nothing(
    open_case, perp_worker, perp_client
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    case_transition(actor=perp_worker, case=case, to_status=CaseStatus.ASSESSMENT)
    url = case_url(case, "status/")
    assert "Link a victim-survivor support case" in perp_client.get(url).content.decode()
    html = errors_of(perp_client.post(url, {"to_status": "active"}))
    assert "Link a victim-survivor support case" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT
    assert not AuditEvent.objects.filter(action="case.status_changed", detail__to="active")


@pytest.mark.django_db
def test_a_ready_case_becomes_active(ready_case, perp_worker, perp_client):
    case, _ = ready_case()
    case_transition(actor=perp_worker, case=case, to_status=CaseStatus.ASSESSMENT)
    response = perp_client.post(case_url(case, "status/"), {"to_status": "active"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert "is now active" in perp_client.get(case_url(case)).content.decode()


@pytest.mark.django_db
def test_closing_at_high_risk_needs_a_handover_and_a_named_police_contact(
    ready_case, perp_worker, perp_client, make_user, partnership_org
):
    case, _ = ready_case(tier="high_risk")
    url = case_url(case, "status/")
    html = errors_of(perp_client.post(url, {"to_status": "closed", "reason": "Moved away"}))
    assert "record a handover to the agency that holds the risk" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED

    response = perp_client.post(
        case_url(case, "handover/"),
        {
            "to_agency": "Police public protection unit",
            "to_contact": "DS Example",
            "summary": "Risk and current address handed over",
            "handed_over_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Handover.objects.filter(case=case).count() == 1
    html = errors_of(perp_client.post(url, {"to_status": "closed", "reason": "Moved away"}))
    assert "name the police contact who must be told" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED

    police = make_user("police-contact", Role.REFERRER, partnership_org)
    perpetrator_case_update(actor=perp_worker, case=case, police_contact=police)
    response = perp_client.post(url, {"to_status": "closed", "reason": "Moved away"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED


@pytest.mark.django_db
def test_ending_without_a_reason_is_refused(open_case, perp_client):
    case = open_case()
    html = errors_of(perp_client.post(case_url(case, "status/"), {"to_status": "closed"}))
    assert "Enter the reason" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED


@pytest.mark.django_db
def test_an_illegal_move_is_refused(open_case, perp_client):
    case = open_case()
    html = errors_of(perp_client.post(case_url(case, "status/"), {"to_status": "completed"}))
    assert "Choose a status this case can move to" in html
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED


@pytest.mark.django_db
def test_a_closed_case_offers_no_moves(open_case, perp_worker, perp_client):
    case = open_case()
    case_transition(actor=perp_worker, case=case, to_status=CaseStatus.CLOSED, reason="Done")
    html = perp_client.get(case_url(case, "status/")).content.decode()
    assert "It cannot move to another status" in html
    errors_of(perp_client.post(case_url(case, "status/"), {"to_status": "referred"}))


# Records ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recording_an_assessment_sets_the_current_risk(open_case, perp_client):
    case = open_case(tier="medium_risk")
    response = perp_client.post(
        case_url(case, "assessment/"),
        {
            "kind": "intake",
            "assessed_on": timezone.localdate().isoformat(),
            "tool": "Structured tool",
            "tier": "high_risk",
            "needs": ["substance_use"],
            "responsibility": "minimises",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.current_risk == "high_risk"
    assessment = CaseAssessment.objects.get(case=case)
    assert assessment.needs == ["substance_use"]


@pytest.mark.django_db
def test_an_assessment_in_the_future_or_without_a_tool_is_refused(open_case, perp_client):
    case = open_case()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    html = errors_of(
        perp_client.post(
            case_url(case, "assessment/"),
            {"kind": "review", "assessed_on": future, "tier": "high_risk"},
        )
    )
    assert "Enter the assessment tool used" in html
    html = errors_of(
        perp_client.post(
            case_url(case, "assessment/"),
            {
                "kind": "review",
                "assessed_on": future,
                "tool": "Tool",
                "tier": "high_risk",
                "responsibility": "partial",
            },
        )
    )
    assert "The assessment date must be today or in the past" in html
    assert not CaseAssessment.objects.exists()


@pytest.mark.django_db
def test_adding_a_note(open_case, perp_worker, perp_client):
    case = open_case()
    errors_of(perp_client.post(case_url(case, "note/"), {"text": "   "}))
    response = perp_client.post(case_url(case, "note/"), {"text": "Phoned about session times"})
    assert response.status_code == 302
    note = CaseNote.objects.get(case=case)
    assert note.author == perp_worker
    assert "Phoned about session times" in perp_client.get(case_url(case)).content.decode()


@pytest.mark.django_db
def test_working_without_consent_needs_a_safeguarding_reason(open_case, perp_client):
    case = open_case()
    url = case_url(case, "consent/")
    html = errors_of(perp_client.post(url, {"state": "without_consent"}))
    assert "Enter the safeguarding reason to proceed without consent" in html
    assert not Consent.objects.exists()
    response = perp_client.post(
        url, {"state": "without_consent", "safeguarding_reason": "Court-mandated programme"}
    )
    assert response.status_code == 302
    page = perp_client.get(case_url(case)).content.decode()
    assert "Court-mandated programme" in page
    assert "Proceeding without consent" in page


@pytest.mark.django_db
def test_a_handover_needs_the_agency_and_who_accepted_it(open_case, perp_client):
    case = open_case()
    html = errors_of(perp_client.post(case_url(case, "handover/"), {"summary": "Risk"}))
    assert "Enter the agency that holds the risk" in html
    assert "Enter who at the agency accepted the handover" in html
    assert not Handover.objects.exists()


# No identifiable victim-survivor ------------------------------------------------------------


@pytest.mark.django_db
def test_no_victim_reason_needs_a_managers_approval_before_activation(
    open_case, perp_worker, perp_client, manager_client
):
    from pathways.cases.services.records import consent_record

    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    consent_record(actor=perp_worker, case=case, state="given")
    case_transition(actor=perp_worker, case=case, to_status=CaseStatus.ASSESSMENT)
    errors_of(perp_client.post(case_url(case, "no-victim/"), {"reason": ""}))
    response = perp_client.post(
        case_url(case, "no-victim/"), {"reason": "Online offending, no identifiable victim"}
    )
    assert response.status_code == 302
    errors_of(perp_client.post(case_url(case, "status/"), {"to_status": "active"}))

    approve = case_url(case, "no-victim/approve/")
    assert perp_client.post(approve).status_code == 403
    case.refresh_from_db()
    assert case.no_victim_approved_at is None

    response = manager_client.post(approve)
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.no_victim_approved_at is not None
    assert perp_client.post(case_url(case, "status/"), {"to_status": "active"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


@pytest.mark.django_db
def test_a_manager_cannot_approve_the_reason_on_their_own_case(
    open_case, manager, make_user, provider_org, manager_client
):
    case = open_case()
    manager.memberships.create(organisation=provider_org, role=Role.PERPETRATOR_WORKER)
    perpetrator_case_assign(actor=manager, case=case, worker=manager)
    case_no_victim_record(actor=manager, case=case, reason="No partner")
    response = manager_client.post(case_url(case, "no-victim/approve/"), follow=True)
    assert "A manager other than the case worker must approve this" in response.content.decode()
    case.refresh_from_db()
    assert case.no_victim_approved_at is None


@pytest.mark.django_db
def test_approve_is_post_only(open_case, manager_client):
    case = open_case()
    assert manager_client.get(case_url(case, "no-victim/approve/")).status_code == 405


# Across the sides ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_asking_for_support_opens_a_linked_support_case_whose_details_never_come_back(
    open_case, perp_client
):
    case = open_case()
    response = perp_client.post(
        case_url(case, "request-support/"),
        {
            "victim_name": "Jordan Partnerperson",
            "contact_phone": "07700 900111",
            "safe_times": "Mornings only",
            "voicemail_safe": "no",
            "text_safe": "yes",
            "contact_wish": "wants_contact",
        },
    )
    assert response.status_code == 302
    support = SupportCase.objects.get(perpetrator_case=case)
    assert support.contact_phone == "07700 900111"
    assert support.organisation == case.service.organisation
    html = perp_client.get(case_url(case)).content.decode()
    assert support.reference in html
    for secret in ("Jordan Partnerperson", "07700 900111", "Mornings only"):
        assert secret not in html


@pytest.mark.django_db
def test_asking_a_partner_for_support_needs_an_agreement_covering_contact_details(
    open_case, provider_org, other_provider_org, role_users, perp_client
):
    sharing_agreement_save(
        actor=role_users[Role.COMMISSIONER],
        name="Risk only",
        parties=[provider_org, other_provider_org],
        purpose="Risk",
        lawful_basis="public_task",
        categories=["risk"],
        starts_on=timezone.localdate() - dt.timedelta(days=1),
        review_on=timezone.localdate() + dt.timedelta(days=300),
        status="active",
    )
    case = open_case()
    url = case_url(case, "request-support/")
    assert "Provider Two" in perp_client.get(url).content.decode()
    html = errors_of(
        perp_client.post(
            url,
            {
                "victim_name": "Partner",
                "organisation": str(other_provider_org.pk),
                "voicemail_safe": "not_sure",
                "text_safe": "not_sure",
                "contact_wish": "not_asked",
            },
        )
    )
    assert "covers contact details" in html
    assert not SupportCase.objects.exists()


@pytest.mark.django_db
def test_raising_a_risk_event_delivers_it_to_the_support_worker(
    ready_case, support_worker, perp_client
):
    case, _ = ready_case()
    response = perp_client.post(
        case_url(case, "risk-event/"),
        {
            "kind": "specific_threat",
            "occurred_on": timezone.localdate().isoformat(),
            "summary": "Said he would wait outside her work",
            "threat_to": "victim_survivor",
        },
    )
    assert response.status_code == 302
    event = RiskEvent.objects.get(case=case)
    assert event.raised_side == "perpetrator"
    assert Alert.objects.filter(risk_event=event, recipient=support_worker).exists()
    assert "Not yet told" in perp_client.get(case_url(case)).content.decode()


@pytest.mark.django_db
def test_a_specific_threat_must_say_who_it_is_to(ready_case, perp_client):
    case, _ = ready_case()
    html = errors_of(
        perp_client.post(
            case_url(case, "risk-event/"),
            {
                "kind": "specific_threat",
                "occurred_on": timezone.localdate().isoformat(),
                "summary": "Threat made",
            },
        )
    )
    assert "Say who the specific threat is to" in html
    assert not RiskEvent.objects.exists()


@pytest.mark.django_db
def test_risk_event_page_says_safeguarding_information_only(ready_case, perp_client):
    case, _ = ready_case()
    html = perp_client.get(case_url(case, "risk-event/")).content.decode()
    assert "Safeguarding information only" in html


@pytest.mark.django_db
def test_sharing_without_an_agreement_is_refused_with_the_services_message(
    open_case, other_provider_org, perp_client
):
    case = open_case()
    html = errors_of(
        perp_client.post(
            case_url(case, "share/"),
            {
                "to_organisation": str(other_provider_org.pk),
                "category": "case_progress",
                "purpose": "Programme progress for probation",
            },
        )
    )
    assert "No sharing agreement in force with Provider Two covers" in html
    assert not Share.objects.exists()
    assert AuditEvent.objects.filter(action="share.refused", object_id=case.reference).exists()


@pytest.mark.django_db
def test_sharing_under_an_agreement_is_recorded(
    open_case, provider_org, other_provider_org, role_users, perp_client
):
    sharing_agreement_save(
        actor=role_users[Role.COMMISSIONER],
        name="Progress",
        parties=[provider_org, other_provider_org],
        purpose="Progress",
        lawful_basis="public_task",
        categories=["case_progress"],
        starts_on=timezone.localdate() - dt.timedelta(days=1),
        review_on=timezone.localdate() + dt.timedelta(days=300),
        status="active",
    )
    case = open_case()
    response = perp_client.post(
        case_url(case, "share/"),
        {
            "to_organisation": str(other_provider_org.pk),
            "category": "case_progress",
            "purpose": "Programme progress for probation",
        },
    )
    assert response.status_code == 302
    assert Share.objects.get().case == case
    assert "Programme progress for probation" in perp_client.get(case_url(case)).content.decode()


# Monitoring and details ----------------------------------------------------------------------


@pytest.mark.django_db
def test_equality_answers_are_optional_and_accept_prefer_not_to_say(open_case, perp_client):
    case = open_case()
    url = case_url(case, "equality/")
    html = perp_client.get(url).content.decode()
    assert "Prefer not to say" in html
    assert perp_client.post(url, {}).status_code == 302
    response = perp_client.post(url, {"age_band": "25_34", "religion": "prefer_not_to_say"})
    assert response.status_code == 302
    profile = EqualityProfile.objects.get(case=case)
    assert profile.age_band == "25_34"
    assert profile.religion == "prefer_not_to_say"
    assert profile.ethnic_group == ""
    page = perp_client.get(case_url(case)).content.decode()
    assert "25 to 34" in page
    errors_of(perp_client.post(url, {"sex": "unicorn"}))


@pytest.mark.django_db
def test_details_name_the_contacts_from_members_ordered_by_name(
    open_case, make_user, provider_org, role_users, perp_client
):
    make_user("zz-lead", Role.REFERRER, provider_org, first_name="Alex", last_name="Able")
    make_user("no-membership", first_name="Aaron", last_name="Aardvark")
    case = open_case()
    url = case_url(case, "details/")
    html = perp_client.get(url).content.decode()
    assert "Alex Able (zz-lead)" in html
    assert "no-membership" not in html
    select = html.split('name="statutory_lead"')[1].split("</select>")[0]
    assert select.index("Alex Able") < select.index("user-admin")

    lead = role_users[Role.PANEL_CHAIR]
    response = perp_client.post(
        url,
        {
            "intervention": "Group programme",
            "tier": "medium_risk",
            "planned_sessions": "20",
            "statutory_lead": str(lead.pk),
            "panel_chair": str(lead.pk),
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.statutory_lead == lead
    assert case.panel_chair == lead
    assert case.planned_sessions == 20


@pytest.mark.django_db
def test_the_case_worker_cannot_be_the_named_statutory_lead(open_case, perp_worker, perp_client):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    html = errors_of(
        perp_client.post(
            case_url(case, "details/"),
            {"intervention": "Programme", "statutory_lead": str(perp_worker.pk)},
        )
    )
    assert "Name someone other than the case worker" in html
    case.refresh_from_db()
    assert case.statutory_lead is None


@pytest.mark.django_db
def test_marking_the_engagement_review_done_clears_the_flag(
    ready_case, perp_worker, case_service, perp_client
):
    case, _ = ready_case()
    for days in (3, 2, 1):
        session_record(
            actor=perp_worker,
            service=case_service,
            format="group",
            held_on=timezone.localdate() - dt.timedelta(days=days),
            attendance={case: "missed"},
        )
    case.refresh_from_db()
    assert case.engagement_review_due
    response = perp_client.post(case_url(case, "engagement-review/"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert not case.engagement_review_due
    assert PerpetratorCase.objects.filter(engagement_review_due=True).count() == 0
