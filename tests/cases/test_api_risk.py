"""Risk events and alerts on the API: each person sees only the risk events of cases they work
either side of or are named on, and only their own alerts; reading a risk event is audited;
only the support side or the statutory lead records that a threatened person was told. And
the OpenAPI schema documents every case work endpoint without a warning."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction
from pathways.cases.models import Alert
from pathways.cases.services.perpetrator import (
    CaseInput,
    perpetrator_case_open,
    perpetrator_case_update,
)
from pathways.cases.services.risk import risk_event_raise

from .test_api import api_for, audit_events, queries

EVENTS = "/api/v1/risk-events/"
ALERTS = "/api/v1/alerts/"


def threat(actor, case, summary="Threat to her safety"):
    return risk_event_raise(
        actor=actor,
        case=case,
        kind="specific_threat",
        summary=summary,
        threat_to="victim_survivor",
    )


@pytest.fixture
def elsewhere_event(make_user, make_service, other_provider_org):
    worker = make_user("other-worker", Role.PERPETRATOR_WORKER, other_provider_org)
    service = make_service("Elsewhere", organisation=other_provider_org)
    case = perpetrator_case_open(
        actor=worker, service=service, data=CaseInput(person_name="Other", intervention="P")
    )
    return threat(worker, case, summary="Elsewhere threat")


# --- Risk events ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_risk_events_list_shows_only_events_the_user_may_see(
    perp_worker, support_worker, role_users, ready_case, elsewhere_event
):
    case, _ = ready_case()
    event = threat(perp_worker, case)
    for user in (perp_worker, support_worker):
        body = api_for(user).get(EVENTS).json()
        assert [e["id"] for e in body["results"]] == [str(event.pk)], user
    for role in (Role.REFERRER, Role.COMMISSIONER, Role.ANALYST, Role.PANEL_CHAIR):
        assert api_for(role_users[role]).get(EVENTS).json()["count"] == 0, role


@pytest.mark.django_db
def test_a_named_statutory_lead_sees_the_cases_risk_events(perp_worker, role_users, ready_case):
    case, _ = ready_case()
    lead = role_users[Role.TRIAGE]
    perpetrator_case_update(actor=perp_worker, case=case, statutory_lead=lead)
    event = threat(perp_worker, case)
    api = api_for(lead)
    assert [e["id"] for e in api.get(EVENTS).json()["results"]] == [str(event.pk)]
    assert api.get(f"{EVENTS}{event.pk}/").status_code == 200
    # They read the risk event, not the case.
    assert api.get(f"/api/v1/cases/{case.reference}/").status_code == 404


@pytest.mark.django_db
def test_another_organisations_risk_event_is_404(perp_worker, support_worker, elsewhere_event):
    for user in (perp_worker, support_worker):
        api = api_for(user)
        assert api.get(f"{EVENTS}{elsewhere_event.pk}/").status_code == 404
        told = api.post(f"{EVENTS}{elsewhere_event.pk}/victim-told/", {}, format="json")
        assert told.status_code == 404
    assert api_for(perp_worker).get(f"{EVENTS}{uuid.uuid4()}/").status_code == 404


@pytest.mark.django_db
def test_reading_a_risk_event_is_audited(support_worker, perp_worker, ready_case):
    case, _ = ready_case()
    event = threat(perp_worker, case)
    response = api_for(support_worker).get(f"{EVENTS}{event.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["case"] == case.reference
    assert body["can_record_victim_told"] is True
    (read,) = audit_events(AuditAction.RISK_EVENT_VIEWED, str(event.pk))
    assert (read.object_type, read.actor) == ("risk_event", support_worker)


@pytest.mark.django_db
def test_only_the_support_side_records_that_the_victim_survivor_was_told(
    perp_worker, support_worker, ready_case
):
    case, _ = ready_case()
    event = threat(perp_worker, case)
    url = f"{EVENTS}{event.pk}/victim-told/"
    perp = api_for(perp_worker)
    assert perp.get(f"{EVENTS}{event.pk}/").json()["can_record_victim_told"] is False
    refused = perp.post(url, {"note": "I told her"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    support = api_for(support_worker)
    awaiting = support.get(EVENTS, {"needs_victim_told": "true"}).json()
    assert awaiting["count"] == 1
    told = support.post(url, {"note": "Told by phone; safety plan updated"}, format="json")
    assert told.status_code == 200, told.content
    assert told.json()["needs_victim_told"] is False
    assert told.json()["victim_told_note"] == "Told by phone; safety plan updated"
    assert support.get(EVENTS, {"needs_victim_told": "true"}).json()["count"] == 0
    again = support.post(url, {}, format="json")
    assert again.status_code == 400
    # The perpetrator side sees that the threat was told, not the support worker's note.
    seen = perp.get(f"{EVENTS}{event.pk}/").json()
    assert seen["victim_told_at"] and seen["victim_told_note"] is None


@pytest.mark.django_db
def test_risk_event_list_query_count_does_not_grow_with_events(
    support_worker, perp_worker, ready_case
):
    api = api_for(support_worker)
    case, _ = ready_case()
    threat(perp_worker, case)
    url = f"{EVENTS}?per_page=100"
    one = queries(api, url)
    for n in range(2, 8):
        other, _ = ready_case(f"Person {n}")
        threat(perp_worker, other)
    assert api.get(url).json()["count"] == 7
    assert queries(api, url) == one


# --- Alerts --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_alerts_are_acknowledged_only_by_their_recipient(perp_worker, support_worker, ready_case):
    case, _ = ready_case()
    threat(perp_worker, case)
    alert = Alert.objects.get(recipient=support_worker)
    url = f"{ALERTS}{alert.pk}/acknowledge/"
    assert api_for(perp_worker).post(url).status_code == 404
    support = api_for(support_worker)
    assert support.get(ALERTS, {"open_only": "true"}).json()["count"] == 1
    response = support.post(url)
    assert response.status_code == 200
    assert response.json()["acknowledged_at"]
    assert support.get(ALERTS, {"open_only": "true"}).json()["count"] == 0
    assert audit_events(AuditAction.RISK_EVENT_ACKNOWLEDGED, str(alert.pk))


@pytest.mark.django_db
def test_alert_list_query_count_does_not_grow_with_alerts(support_worker, perp_worker, ready_case):
    api = api_for(support_worker)
    case, _ = ready_case()
    threat(perp_worker, case)
    url = f"{ALERTS}?per_page=100"
    one = queries(api, url)
    for n in range(2, 8):
        other, _ = ready_case(f"Person {n}")
        threat(perp_worker, other)
    assert api.get(url).json()["count"] == 7
    assert queries(api, url) == one


# --- The schema ----------------------------------------------------------------------------

CASE_WORK_PATHS = {
    "/api/v1/cases/": {"get", "post"},
    "/api/v1/cases/{case_reference}/": {"get"},
    "/api/v1/cases/{case_reference}/assign/": {"post"},
    "/api/v1/cases/{case_reference}/status/": {"post"},
    "/api/v1/cases/{case_reference}/details/": {"post"},
    "/api/v1/cases/{case_reference}/assessments/": {"get", "post"},
    "/api/v1/cases/{case_reference}/notes/": {"get", "post"},
    "/api/v1/cases/{case_reference}/consents/": {"post"},
    "/api/v1/cases/{case_reference}/handovers/": {"post"},
    "/api/v1/cases/{case_reference}/no-victim/": {"post"},
    "/api/v1/cases/{case_reference}/no-victim/approve/": {"post"},
    "/api/v1/cases/{case_reference}/engagement-review/": {"post"},
    "/api/v1/cases/{case_reference}/support-requests/": {"post"},
    "/api/v1/cases/{case_reference}/risk-events/": {"get", "post"},
    "/api/v1/cases/{case_reference}/equality/": {"post"},
    "/api/v1/cases/{case_reference}/shares/": {"post"},
    "/api/v1/sessions/": {"post"},
    "/api/v1/support-cases/": {"get", "post"},
    "/api/v1/support-cases/{support_reference}/": {"get"},
    "/api/v1/support-cases/{support_reference}/assign/": {"post"},
    "/api/v1/support-cases/{support_reference}/link/": {"post"},
    "/api/v1/support-cases/{support_reference}/contact/": {"post"},
    "/api/v1/support-cases/{support_reference}/status/": {"post"},
    "/api/v1/support-cases/{support_reference}/notes/": {"get", "post"},
    "/api/v1/support-cases/{support_reference}/consents/": {"post"},
    "/api/v1/support-cases/{support_reference}/risk-events/": {"get", "post"},
    "/api/v1/support-cases/{support_reference}/equality/": {"post"},
    "/api/v1/support-cases/{support_reference}/shares/": {"post"},
    "/api/v1/risk-events/": {"get"},
    "/api/v1/risk-events/{event_id}/": {"get"},
    "/api/v1/risk-events/{event_id}/victim-told/": {"post"},
    "/api/v1/alerts/": {"get"},
    "/api/v1/alerts/{alert_id}/acknowledge/": {"post"},
}


@pytest.mark.django_db
def test_the_schema_documents_every_case_work_endpoint(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, methods in CASE_WORK_PATHS.items():
        assert path in schema["paths"], path
        assert set(schema["paths"][path]) - {"parameters"} == methods, path
    transition = schema["paths"]["/api/v1/cases/{case_reference}/status/"]["post"]
    assert {"200", "400", "404"} <= set(transition["responses"])


@pytest.mark.django_db
def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    out = StringIO()
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stdout=out, stderr=out
    )
    schema = target.read_text()
    assert "/api/v1/support-cases/{support_reference}/risk-events/:" in schema
    assert "LinkedSupportCaseRef" in schema


@pytest.mark.django_db
def test_perpetrator_side_schemas_carry_no_support_record_field(client):
    """What the perpetrator side reads is documented without a support-record field."""
    components = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    support_only = {
        "victim_name",
        "contact_phone",
        "contact_email",
        "safe_address",
        "safe_times",
        "contact_wish",
        "contact_wish_notes",
        "voicemail_safe",
        "text_safe",
    }
    for name in ("Case", "CaseListItem", "CaseState", "LinkedSupportCaseRef", "RiskEvent"):
        assert not support_only & set(components[name]["properties"]), name
    assert set(components["LinkedSupportCaseRef"]["properties"]) == {"reference", "status"}
