"""Perpetrator cases on the API: every rule the case pages enforce holds through this second
door too. Each test tries to break one: another organisation's case, activation without
integrated support, ending at high risk without a handover, working without consent, the
same worker on both sides, support-record fields leaking to the perpetrator side."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.cases.models import (
    Alert,
    AlertKind,
    CaseStatus,
    Consent,
    ConsentState,
    DeliveryRole,
    RiskEvent,
    ServiceCaseSettings,
    SupportCase,
)
from pathways.cases.services.perpetrator import (
    CaseInput,
    case_transition,
    perpetrator_case_assign,
    perpetrator_case_open,
)
from pathways.cases.services.records import case_assessment_record, case_note_add
from pathways.cases.services.support import support_case_assign, support_case_update_contact

CASES = "/api/v1/cases/"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def fields_of(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


def messages_of(response, field: str) -> list[str]:
    """Every message on one field (a refused move can break several rules at once)."""
    return [f["message"] for f in response.json()["error"]["fields"] if f["field"] == field]


def queries(client, url: str) -> int:
    """Queries one GET makes, after a first GET has warmed per-user caches (roles)."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def audit_events(action: str, object_id: str = "") -> list[AuditEvent]:
    qs = AuditEvent.objects.filter(action=action)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return list(qs)


@pytest.fixture
def perp_api(perp_worker):
    return api_for(perp_worker)


@pytest.fixture
def other_case(make_user, make_service, other_provider_org):
    """A case on a service of another provider organisation, opened by its own worker."""
    worker = make_user("other-worker", Role.PERPETRATOR_WORKER, other_provider_org)
    service = make_service("Elsewhere", organisation=other_provider_org)
    return perpetrator_case_open(
        actor=worker,
        service=service,
        data=CaseInput(person_name="Other Person", intervention="Programme"),
    )


def move(api, case, to_status, reason=""):
    return api.post(
        f"{CASES}{case.reference}/status/",
        {"to_status": to_status, "reason": reason},
        format="json",
    )


# --- Lists ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_list_shows_only_the_organisations_cases_and_filters(
    perp_api, perp_worker, open_case, other_case
):
    mine = open_case("Mine Person")
    perpetrator_case_assign(actor=perp_worker, case=mine, worker=perp_worker)
    unallocated = open_case("Unallocated Person")
    body = perp_api.get(CASES).json()
    references = {row["reference"] for row in body["results"]}
    assert references == {mine.reference, unallocated.reference}
    assert other_case.reference not in json.dumps(body)
    mine_only = perp_api.get(CASES, {"mine": "true"}).json()["results"]
    assert [row["reference"] for row in mine_only] == [mine.reference]
    assert perp_api.get(CASES, {"status": "active"}).json()["count"] == 0
    assert perp_api.get(CASES, {"status": "referred"}).json()["count"] == 2
    row = mine_only[0]
    assert row["worker"]["id"] == perp_worker.pk
    assert row["assessment_due_on"] == timezone.localdate().isoformat()
    assert row["url"] == f"{CASES}{mine.reference}/"


@pytest.mark.django_db
def test_case_list_rejects_a_bad_filter_with_the_error_body(perp_api):
    response = perp_api.get(CASES, {"status": "flying"})
    assert response.status_code == 400
    assert "status" in fields_of(response)


@pytest.mark.django_db
def test_case_list_query_count_does_not_grow_with_cases(
    perp_api, perp_worker, open_case, make_service
):
    second = make_service("Second Service")
    ServiceCaseSettings.objects.create(service=second, assessment_interval_days=28)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            extra = {"service": second} if n % 2 else {}
            case = open_case(f"Counted {n}", **extra)
            perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
            case_assessment_record(
                actor=perp_worker, case=case, kind="intake", tool="Tool", tier="medium_risk"
            )

    add(1, 0)
    url = f"{CASES}?per_page=100"
    one = queries(perp_api, url)
    add(6, 1)
    assert perp_api.get(url).json()["count"] == 7
    assert queries(perp_api, url) == one


@pytest.mark.django_db
def test_reading_the_case_list_is_audited(perp_api, open_case):
    case = open_case()
    perp_api.get(CASES)
    (event,) = [e for e in audit_events(AuditAction.READ) if e.object_type == "perpetrator_case"]
    assert event.detail["references"] == [case.reference]


@pytest.mark.django_db
def test_people_outside_the_perpetrator_side_cannot_list_cases(role_users):
    for role in (Role.SUPPORT_WORKER, Role.REFERRER, Role.COMMISSIONER, Role.ANALYST):
        response = api_for(role_users[role]).get(CASES)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_anonymous_callers_get_401_with_the_error_body(client, open_case):
    case = open_case()
    for url in (CASES, f"{CASES}{case.reference}/", "/api/v1/alerts/"):
        response = APIClient().get(url)
        assert response.status_code == 401
        assert response.json()["error"]["status"] == 401


# --- Opening a case ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_worker_opens_a_case_directly_on_their_service(perp_api, case_service):
    response = perp_api.post(
        CASES,
        {
            "service": str(case_service.pk),
            "person_name": "Direct Person",
            "intervention": "Group programme",
            "tier": "medium_risk",
            "planned_sessions": 24,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "referred"
    assert response["Location"] == body["url"]
    assert audit_events(AuditAction.CASE_OPENED, body["reference"])


@pytest.mark.django_db
def test_a_case_cannot_be_opened_on_another_organisations_service(
    perp_api, make_service, other_provider_org
):
    elsewhere = make_service("Elsewhere", organisation=other_provider_org)
    response = perp_api.post(
        CASES,
        {"service": str(elsewhere.pk), "person_name": "X", "intervention": "Y"},
        format="json",
    )
    assert response.status_code == 400
    assert fields_of(response) == {"service": "Choose one of your organisation's services"}


@pytest.mark.django_db
def test_opening_a_case_without_a_name_answers_with_the_services_message(perp_api, case_service):
    response = perp_api.post(
        CASES,
        {"service": str(case_service.pk), "person_name": "  ", "intervention": "Programme"},
        format="json",
    )
    assert response.status_code == 400
    assert fields_of(response) == {"person_name": "Enter the person's name"}


# --- Reading a case ------------------------------------------------------------------------


@pytest.mark.django_db
def test_reading_a_case_is_audited(perp_api, perp_worker, open_case):
    case = open_case()
    response = perp_api.get(f"{CASES}{case.reference}/")
    assert response.status_code == 200
    (event,) = audit_events(AuditAction.CASE_VIEWED, case.reference)
    assert event.actor == perp_worker


@pytest.mark.django_db
def test_a_linked_support_case_shows_only_its_reference_and_status(
    perp_api, support_worker, ready_case
):
    case, support = ready_case()
    support_case_update_contact(
        actor=support_worker,
        support_case=support,
        contact_phone="07700 900999",
        safe_address="1 Refuge Row",
        contact_wish_notes="Only call on Tuesdays",
    )
    case_note_add(actor=support_worker, support_case=support, text="Confidential support note")
    response = perp_api.get(f"{CASES}{case.reference}/")
    assert response.status_code == 200
    body = response.json()
    assert body["support_cases"] == [{"reference": support.reference, "status": "open"}]
    text = json.dumps(body)
    for secret in (
        "Partner",  # the victim-survivor's name
        "07700 900999",
        "1 Refuge Row",
        "Only call on Tuesdays",
        "Confidential support note",
    ):
        assert secret not in text


@pytest.mark.django_db
def test_another_organisations_case_is_404_for_reading_and_every_action(perp_api, other_case):
    base = f"{CASES}{other_case.reference}/"
    assert perp_api.get(base).status_code == 404
    for suffix in ("assessments/", "notes/", "risk-events/"):
        assert perp_api.get(base + suffix).status_code == 404, suffix
    for suffix in (
        "assign/",
        "status/",
        "details/",
        "assessments/",
        "notes/",
        "consents/",
        "handovers/",
        "no-victim/",
        "no-victim/approve/",
        "engagement-review/",
        "support-requests/",
        "risk-events/",
        "equality/",
        "shares/",
    ):
        response = perp_api.post(base + suffix, {}, format="json")
        assert response.status_code == 404, suffix
        assert response.json()["error"]["code"] == "not_found"
    assert not audit_events(AuditAction.CASE_VIEWED, other_case.reference)


@pytest.mark.django_db
def test_a_support_worker_asking_for_a_perpetrator_case_gets_404(support_worker, ready_case):
    case, _ = ready_case()
    api = api_for(support_worker)
    assert api.get(f"{CASES}{case.reference}/").status_code == 404
    assert (
        api.post(f"{CASES}{case.reference}/notes/", {"text": "x"}, format="json").status_code == 404
    )


# --- Activation: integrated support first (1.2) --------------------------------------------


@pytest.mark.django_db
def test_case_cannot_activate_without_a_support_case_through_the_api(
    perp_api, perp_worker, open_case
):
    case = open_case()
    perp_api.post(f"{CASES}{case.reference}/assign/", {"worker": perp_worker.pk}, format="json")
    perp_api.post(f"{CASES}{case.reference}/consents/", {"state": "given"}, format="json")
    assert move(perp_api, case, "assessment").status_code == 200
    response = move(perp_api, case, "active")
    assert response.status_code == 400
    assert any(
        m.startswith("Link a victim-survivor support case")
        for m in messages_of(response, "to_status")
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSESSMENT


@pytest.mark.django_db
def test_case_activates_once_a_support_case_is_linked(perp_api, ready_case):
    case, _ = ready_case()
    assert move(perp_api, case, "assessment").status_code == 200
    response = move(perp_api, case, "active")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"


@pytest.mark.django_db
def test_no_victim_reason_needs_a_manager_other_than_the_worker(
    perp_api, perp_worker, manager, open_case
):
    case = open_case()
    base = f"{CASES}{case.reference}/"
    perp_api.post(f"{base}assign/", {"worker": perp_worker.pk}, format="json")
    perp_api.post(f"{base}consents/", {"state": "given"}, format="json")
    move(perp_api, case, "assessment")
    blank = perp_api.post(f"{base}no-victim/", {"reason": " "}, format="json")
    assert blank.status_code == 400
    assert "reason" in fields_of(blank)
    recorded = perp_api.post(
        f"{base}no-victim/", {"reason": "Online offending; no known victim"}, format="json"
    )
    assert recorded.status_code == 200
    assert move(perp_api, case, "active").status_code == 400  # not yet approved
    # A perpetrator-side worker is not a manager.
    assert perp_api.post(f"{base}no-victim/approve/").status_code == 403
    approved = api_for(manager).post(f"{base}no-victim/approve/")
    assert approved.status_code == 200
    assert approved.json()["no_victim_approved_at"]
    assert move(perp_api, case, "active").status_code == 200


@pytest.mark.django_db
def test_an_illegal_move_is_refused_with_the_rule(perp_api, open_case):
    case = open_case()
    response = move(perp_api, case, "completed")
    assert response.status_code == 400
    assert fields_of(response) == {"to_status": "A case that is referred cannot become completed"}


# --- Ending at high risk (2.4) -------------------------------------------------------------


@pytest.mark.django_db
def test_high_risk_case_cannot_close_without_a_handover_through_the_api(
    perp_api, role_users, ready_case
):
    case, _ = ready_case(tier="high_risk")
    police, chair = role_users[Role.REFERRER], role_users[Role.PANEL_CHAIR]
    details = perp_api.post(
        f"{CASES}{case.reference}/details/",
        {"police_contact": police.pk, "panel_chair": chair.pk},
        format="json",
    )
    assert details.status_code == 200
    refused = move(perp_api, case, "closed", reason="Moved away")
    assert refused.status_code == 400
    assert any("record a handover" in m for m in messages_of(refused, "to_status"))
    case.refresh_from_db()
    assert case.status == CaseStatus.REFERRED

    handover = perp_api.post(
        f"{CASES}{case.reference}/handovers/",
        {"to_agency": "Probation", "to_contact": "Duty officer", "summary": "Risk handed over"},
        format="json",
    )
    assert handover.status_code == 201, handover.content
    assert move(perp_api, case, "closed", reason="Moved away").status_code == 200
    told = set(
        Alert.objects.filter(case=case, kind=AlertKind.HIGH_RISK_ENDING).values_list(
            "recipient_id", "role"
        )
    )
    assert told == {(police.pk, DeliveryRole.POLICE), (chair.pk, DeliveryRole.PANEL_CHAIR)}


@pytest.mark.django_db
def test_a_handover_needs_its_fields(perp_api, open_case):
    case = open_case()
    response = perp_api.post(
        f"{CASES}{case.reference}/handovers/",
        {"to_agency": "", "to_contact": "", "summary": ""},
        format="json",
    )
    assert response.status_code == 400
    assert set(fields_of(response)) == {"to_agency", "to_contact", "summary"}


# --- Consent -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_working_without_consent_needs_a_safeguarding_reason(perp_api, open_case):
    case = open_case()
    url = f"{CASES}{case.reference}/consents/"
    refused = perp_api.post(url, {"state": "without_consent"}, format="json")
    assert refused.status_code == 400
    assert fields_of(refused) == {
        "safeguarding_reason": "Enter the safeguarding reason to proceed without consent"
    }
    assert not Consent.objects.filter(case=case).exists()
    recorded = perp_api.post(
        url,
        {"state": "without_consent", "safeguarding_reason": "Children at risk"},
        format="json",
    )
    assert recorded.status_code == 201
    assert recorded.json()["state"] == ConsentState.WITHOUT_CONSENT


# --- The same worker never on both sides (1.2) ---------------------------------------------


@pytest.mark.django_db
def test_the_victim_survivors_worker_cannot_take_the_perpetrator_case(
    perp_api, perp_worker, support_worker, dual_worker, open_case
):
    from pathways.cases.services.support import support_case_request

    case = open_case()
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    support_case_assign(actor=support_worker, support_case=support, worker=dual_worker)
    response = perp_api.post(
        f"{CASES}{case.reference}/assign/", {"worker": dual_worker.pk}, format="json"
    )
    assert response.status_code == 400
    assert fields_of(response)["worker"].startswith("This person supports the victim-survivor")
    case.refresh_from_db()
    assert case.worker_id is None


@pytest.mark.django_db
def test_a_named_contact_cannot_be_the_case_worker(perp_api, perp_worker, ready_case):
    case, _ = ready_case()
    response = perp_api.post(
        f"{CASES}{case.reference}/details/", {"statutory_lead": perp_worker.pk}, format="json"
    )
    assert response.status_code == 400
    assert fields_of(response) == {"statutory_lead": "Name someone other than the case worker"}


@pytest.mark.django_db
def test_details_need_at_least_one_field(perp_api, open_case):
    case = open_case()
    response = perp_api.post(f"{CASES}{case.reference}/details/", {}, format="json")
    assert response.status_code == 400


# --- Risk crosses as a risk event (1.1, 1.4, 2.2) ------------------------------------------


@pytest.mark.django_db
def test_a_risk_event_raised_through_the_api_reaches_the_support_worker_and_statutory_lead(
    perp_api, support_worker, role_users, ready_case
):
    case, support = ready_case()
    lead = role_users[Role.TRIAGE]
    perp_api.post(f"{CASES}{case.reference}/details/", {"statutory_lead": lead.pk}, format="json")
    response = perp_api.post(
        f"{CASES}{case.reference}/risk-events/",
        {
            "kind": "specific_threat",
            "summary": "Said he would go to her address",
            "threat_to": "victim_survivor",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    event = response.json()
    assert event["needs_victim_told"] is True
    assert event["raised_side"] == "perpetrator"
    alerts = api_for(support_worker).get("/api/v1/alerts/").json()["results"]
    assert [(a["case"], a["risk_event"], a["role"]) for a in alerts] == [
        (case.reference, event["url"], DeliveryRole.OTHER_SIDE)
    ]
    lead_alerts = api_for(lead).get("/api/v1/alerts/").json()["results"]
    assert [a["role"] for a in lead_alerts] == [DeliveryRole.STATUTORY_LEAD]
    listed = perp_api.get(f"{CASES}{case.reference}/risk-events/").json()["results"]
    assert [e["id"] for e in listed] == [event["id"]]


@pytest.mark.django_db
def test_a_specific_threat_must_say_who_it_is_to(perp_api, ready_case):
    case, _ = ready_case()
    response = perp_api.post(
        f"{CASES}{case.reference}/risk-events/",
        {"kind": "specific_threat", "summary": "Threat made"},
        format="json",
    )
    assert response.status_code == 400
    assert fields_of(response) == {"threat_to": "Say who the specific threat is to"}
    assert not RiskEvent.objects.exists()


@pytest.mark.django_db
def test_an_assessment_at_high_risk_reaches_the_support_side(perp_api, support_worker, ready_case):
    case, _ = ready_case()
    url = f"{CASES}{case.reference}/assessments/"
    response = perp_api.post(
        url,
        {"kind": "intake", "tool": "SARA", "tier": "high_risk", "needs": ["mental_health"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["tier"] == "high_risk"
    listed = perp_api.get(url).json()
    assert listed["count"] == 1
    alerts = api_for(support_worker).get("/api/v1/alerts/").json()["results"]
    assert len(alerts) == 1
    assert "Escalation" in alerts[0]["message"]


@pytest.mark.django_db
def test_an_assessment_in_the_future_is_refused(perp_api, open_case):
    case = open_case()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = perp_api.post(
        f"{CASES}{case.reference}/assessments/",
        {"kind": "intake", "tool": "SARA", "tier": "medium_risk", "assessed_on": str(tomorrow)},
        format="json",
    )
    assert response.status_code == 400
    assert "assessed_on" in fields_of(response)


# --- Notes, support requests, equality, engagement, sharing --------------------------------


@pytest.mark.django_db
def test_notes_are_added_and_read_back_and_reading_them_is_audited(perp_api, open_case):
    case = open_case()
    url = f"{CASES}{case.reference}/notes/"
    assert perp_api.post(url, {"text": ""}, format="json").status_code == 400
    assert perp_api.post(url, {"text": "First session booked"}, format="json").status_code == 201
    body = perp_api.get(url).json()
    assert [n["text"] for n in body["results"]] == ["First session booked"]
    assert audit_events(AuditAction.CASE_VIEWED, case.reference)


@pytest.mark.django_db
def test_asking_for_support_answers_with_the_support_cases_reference_and_status_only(
    perp_api, open_case
):
    case = open_case()
    response = perp_api.post(
        f"{CASES}{case.reference}/support-requests/",
        {"victim_name": "Jo Example", "contact": {"contact_phone": "07700 900111"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    support = SupportCase.objects.get(perpetrator_case=case)
    assert response.json() == {"reference": support.reference, "status": "open"}
    assert support.contact_phone == "07700 900111"


@pytest.mark.django_db
def test_support_from_a_partner_needs_a_sharing_agreement(perp_api, open_case, other_provider_org):
    case = open_case()
    response = perp_api.post(
        f"{CASES}{case.reference}/support-requests/",
        {"victim_name": "Jo Example", "organisation": str(other_provider_org.pk)},
        format="json",
    )
    assert response.status_code == 400
    assert "No active sharing agreement" in fields_of(response)["organisation"]
    assert not SupportCase.objects.exists()


@pytest.mark.django_db
def test_equality_answers_accept_prefer_not_to_say_and_refuse_unknown_answers(perp_api, open_case):
    case = open_case()
    url = f"{CASES}{case.reference}/equality/"
    bad = perp_api.post(url, {"sex": "sometimes"}, format="json")
    assert bad.status_code == 400
    good = perp_api.post(url, {"sex": "prefer_not_to_say", "age_band": "25_34"}, format="json")
    assert good.status_code == 200
    assert good.json()["sex"] == "prefer_not_to_say"
    detail = perp_api.get(f"{CASES}{case.reference}/").json()
    assert detail["equality"]["age_band"] == "25_34"


@pytest.mark.django_db
def test_engagement_review_clears_the_flag(perp_api, open_case):
    case = open_case()
    case.engagement_review_due = True
    case.save(update_fields=["engagement_review_due"])
    response = perp_api.post(f"{CASES}{case.reference}/engagement-review/")
    assert response.status_code == 200
    assert response.json()["engagement_review_due"] is False


@pytest.mark.django_db
def test_sharing_without_an_agreement_is_refused_and_the_refusal_audited(
    perp_api, open_case, other_provider_org
):
    case = open_case()
    response = perp_api.post(
        f"{CASES}{case.reference}/shares/",
        {"to_organisation": str(other_provider_org.pk), "category": "risk", "purpose": "MARAC"},
        format="json",
    )
    assert response.status_code == 400
    assert "No sharing agreement in force" in fields_of(response)["to_organisation"]
    assert audit_events(AuditAction.SHARE_REFUSED, case.reference)


@pytest.mark.django_db
def test_sharing_under_an_agreement_in_force_is_logged(
    perp_api, open_case, other_provider_org, role_users, provider_org
):
    from pathways.cases.services.sharing import sharing_agreement_save

    today = timezone.localdate()
    sharing_agreement_save(
        actor=role_users[Role.COMMISSIONER],
        name="Partnership ISA",
        parties=[provider_org, other_provider_org],
        purpose="Safeguarding",
        lawful_basis="public_task",
        categories=["risk"],
        starts_on=today,
        review_on=today + dt.timedelta(days=365),
        status="active",
    )
    case = open_case()
    response = perp_api.post(
        f"{CASES}{case.reference}/shares/",
        {"to_organisation": str(other_provider_org.pk), "category": "risk", "purpose": "MARAC"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["to_organisation"]["id"] == str(other_provider_org.pk)


# --- Sessions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_missed_sessions_recorded_through_the_api_alert_the_worker(
    perp_api, perp_worker, case_service, open_case
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    for days_ago in (2, 1):
        response = perp_api.post(
            "/api/v1/sessions/",
            {
                "service": str(case_service.pk),
                "format": "one_to_one",
                "held_on": str(timezone.localdate() - dt.timedelta(days=days_ago)),
                "attendance": [{"case_reference": case.reference, "status": "missed"}],
            },
            format="json",
        )
        assert response.status_code == 201, response.content
    assert response.json()["attendance"] == [{"case_reference": case.reference, "status": "missed"}]
    assert Alert.objects.filter(
        case=case, kind=AlertKind.ENGAGEMENT, recipient=perp_worker
    ).exists()


@pytest.mark.django_db
def test_a_session_cannot_name_another_organisations_case(
    perp_api, case_service, other_case, open_case
):
    mine = open_case()
    response = perp_api.post(
        "/api/v1/sessions/",
        {
            "service": str(case_service.pk),
            "format": "group",
            "held_on": str(timezone.localdate()),
            "attendance": [
                {"case_reference": mine.reference, "status": "attended"},
                {"case_reference": other_case.reference, "status": "attended"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert fields_of(response) == {
        "attendance[1].case_reference": "No case you work on has this reference"
    }


@pytest.mark.django_db
def test_a_case_that_ended_cannot_get_a_session(perp_api, perp_worker, case_service, open_case):
    case = open_case()
    case_transition(actor=perp_worker, case=case, to_status="closed", reason="Not suitable")
    response = perp_api.post(
        "/api/v1/sessions/",
        {
            "service": str(case_service.pk),
            "format": "group",
            "held_on": str(timezone.localdate()),
            "attendance": [{"case_reference": case.reference, "status": "attended"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Not an open case on this service" in fields_of(response)["attendance"]


@pytest.mark.django_db
def test_ids_that_are_not_ids_are_field_errors_not_server_errors(perp_api, open_case):
    bad_service = perp_api.post(
        CASES, {"service": "not-a-uuid", "person_name": "X", "intervention": "Y"}, format="json"
    )
    assert bad_service.status_code == 400
    assert "service" in fields_of(bad_service)
    case = open_case()
    bad_worker = perp_api.post(
        f"{CASES}{case.reference}/assign/", {"worker": "someone"}, format="json"
    )
    assert fields_of(bad_worker) == {"worker": "Give the person's user id, a number"}
    bad_org = perp_api.post(
        f"{CASES}{case.reference}/shares/",
        {"to_organisation": "nowhere", "category": "risk", "purpose": "x"},
        format="json",
    )
    assert bad_org.status_code == 400
    assert "to_organisation" in fields_of(bad_org)
    not_json = perp_api.post(
        f"{CASES}{case.reference}/notes/", "text=hi", content_type="text/plain"
    )
    assert not_json.status_code == 415
    assert "error" in not_json.json()


@pytest.mark.django_db
def test_a_cases_own_lists_keep_a_constant_query_count(perp_api, perp_worker, ready_case):
    from pathways.cases.services.risk import risk_event_raise

    case, _ = ready_case()

    def add(count: int) -> None:
        for _ in range(count):
            case_note_add(actor=perp_worker, case=case, text="Note")
            case_assessment_record(
                actor=perp_worker, case=case, kind="review", tool="Tool", tier="medium_risk"
            )
            risk_event_raise(actor=perp_worker, case=case, kind="new_incident", summary="Seen")

    add(1)
    urls = [f"{CASES}{case.reference}/{name}/" for name in ("notes", "assessments", "risk-events")]
    before = [queries(perp_api, url) for url in urls]
    add(6)
    assert [perp_api.get(url).json()["count"] for url in urls] == [7, 7, 7]
    assert [queries(perp_api, url) for url in urls] == before
