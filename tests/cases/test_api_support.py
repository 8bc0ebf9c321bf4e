"""Victim-survivor support cases on the API: the confidential record stays with the support
side. Perpetrator-side staff (workers, managers, and a worker who also holds a support role
but works the linked perpetrator case) get a 404 for it by reference, through every endpoint;
the same worker never holds both sides; reads are audited; risk crosses only as a risk
event."""

from __future__ import annotations

import json

import pytest

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction
from pathways.cases.models import Alert, DeliveryRole, SupportCase, SupportNote
from pathways.cases.services.perpetrator import perpetrator_case_assign
from pathways.cases.services.records import case_note_add
from pathways.cases.services.support import (
    support_case_open,
    support_case_request,
    support_case_update_contact,
)

from .test_api import api_for, audit_events, fields_of, queries

SUPPORT = "/api/v1/support-cases/"
ACTIONS = (
    "assign/",
    "link/",
    "contact/",
    "status/",
    "notes/",
    "consents/",
    "risk-events/",
    "equality/",
    "shares/",
)


@pytest.fixture
def support_api(support_worker):
    return api_for(support_worker)


def _refused_everywhere(api, support_case) -> list[str]:
    """Every way in to the support case that did not answer 404."""
    base = f"{SUPPORT}{support_case.reference}/"
    leaks = []
    for suffix in ("", "notes/", "risk-events/"):
        response = api.get(base + suffix)
        if response.status_code != 404:
            leaks.append(f"GET {suffix} {response.status_code}")
    for suffix in ACTIONS:
        response = api.post(base + suffix, {"text": "x", "to_status": "closed"}, format="json")
        if response.status_code != 404:
            leaks.append(f"POST {suffix} {response.status_code}")
        elif response.json()["error"]["code"] != "not_found":
            leaks.append(f"POST {suffix} body {response.json()}")
    return leaks


# --- The support record stays with the support side (2.2) ----------------------------------


@pytest.mark.django_db
def test_perpetrator_side_staff_reading_a_support_case_by_reference_get_404(
    perp_worker, manager, ready_case
):
    _, support = ready_case()
    for user in (perp_worker, manager):
        assert _refused_everywhere(api_for(user), support) == [], user
    assert not audit_events(AuditAction.SUPPORT_CASE_VIEWED, support.reference)
    assert support.notes.count() == 0


@pytest.mark.django_db
def test_a_dual_role_worker_on_the_linked_perpetrator_case_gets_404_for_the_support_case(
    perp_worker, dual_worker, open_case, support_worker
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    api = api_for(dual_worker)
    assert _refused_everywhere(api, support) == []
    # Nor does it show in their list, though they hold a support role in the organisation.
    assert api.get(SUPPORT).json()["results"] == []
    # The support worker of the organisation does see it.
    assert api_for(support_worker).get(f"{SUPPORT}{support.reference}/").status_code == 200


@pytest.mark.django_db
def test_another_organisations_support_worker_gets_404(make_user, other_provider_org, ready_case):
    _, support = ready_case()
    elsewhere = make_user("other-support", Role.SUPPORT_WORKER, other_provider_org)
    assert _refused_everywhere(api_for(elsewhere), support) == []


@pytest.mark.django_db
def test_the_perpetrator_side_cannot_list_or_open_support_cases(perp_worker, manager):
    for user in (perp_worker, manager):
        api = api_for(user)
        assert api.get(SUPPORT).status_code == 403
        assert api.post(SUPPORT, {"victim_name": "X"}, format="json").status_code == 403
    assert not SupportCase.objects.exists()


@pytest.mark.django_db
def test_support_notes_never_reach_the_perpetrator_side(
    perp_worker, support_worker, support_api, ready_case
):
    case, support = ready_case()
    support_api.post(
        f"{SUPPORT}{support.reference}/notes/",
        {"text": "She is staying at her sister's"},
        format="json",
    )
    support_api.post(
        f"{SUPPORT}{support.reference}/contact/",
        {"safe_address": "2 Hidden Lane", "contact_wish": "wants_contact"},
        format="json",
    )
    support_api.post(
        f"{SUPPORT}{support.reference}/risk-events/",
        {"kind": "new_incident", "summary": "Police called to an incident"},
        format="json",
    )
    perp = api_for(perp_worker)
    seen = json.dumps(
        [
            perp.get(f"/api/v1/cases/{case.reference}/").json(),
            perp.get(f"/api/v1/cases/{case.reference}/risk-events/").json(),
            perp.get(f"/api/v1/cases/{case.reference}/notes/").json(),
            perp.get("/api/v1/risk-events/").json(),
            perp.get("/api/v1/alerts/").json(),
        ]
    )
    assert "Police called to an incident" in seen  # the risk event crosses
    assert "staying at her sister" not in seen
    assert "Hidden Lane" not in seen
    assert "Partner" not in seen


# --- Reading is audited --------------------------------------------------------------------


@pytest.mark.django_db
def test_reading_a_support_case_is_audited(support_api, support_worker, ready_case):
    _, support = ready_case()
    response = support_api.get(f"{SUPPORT}{support.reference}/")
    assert response.status_code == 200
    body = response.json()
    assert body["victim_name"] == "Partner"
    assert body["worker"]["id"] == support_worker.pk
    (event,) = audit_events(AuditAction.SUPPORT_CASE_VIEWED, support.reference)
    assert event.actor == support_worker
    support_api.get(f"{SUPPORT}{support.reference}/notes/")
    assert len(audit_events(AuditAction.SUPPORT_CASE_VIEWED, support.reference)) == 2


@pytest.mark.django_db
def test_support_case_list_is_scoped_filtered_and_audited(
    support_api, support_worker, ready_case, make_user, other_provider_org
):
    _, mine = ready_case()
    other_worker = make_user("other-support", Role.SUPPORT_WORKER, other_provider_org)
    elsewhere = support_case_open(
        actor=other_worker, organisation=other_provider_org, victim_name="Elsewhere"
    )
    body = support_api.get(SUPPORT).json()
    assert [row["reference"] for row in body["results"]] == [mine.reference]
    assert elsewhere.reference not in json.dumps(body)
    assert support_api.get(SUPPORT, {"status": "closed"}).json()["count"] == 0
    assert support_api.get(SUPPORT, {"mine": "true"}).json()["count"] == 1
    assert any(e.object_type == "support_case" for e in audit_events(AuditAction.READ))


@pytest.mark.django_db
def test_support_case_list_query_count_does_not_grow_with_cases(
    support_api, support_worker, open_case, perp_worker
):
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            case = open_case(f"Person {n}")
            support = support_case_request(actor=perp_worker, case=case, victim_name=f"V {n}")
            if n % 2:
                support_api.post(
                    f"{SUPPORT}{support.reference}/assign/",
                    {"worker": support_worker.pk},
                    format="json",
                )

    add(1, 0)
    url = f"{SUPPORT}?per_page=100"
    one = queries(support_api, url)
    add(6, 1)
    assert support_api.get(url).json()["count"] == 7
    assert queries(support_api, url) == one


# --- Opening, linking, allocating ----------------------------------------------------------


@pytest.mark.django_db
def test_a_support_worker_opens_a_case_and_links_it_to_a_perpetrator_case(support_api, open_case):
    response = support_api.post(
        SUPPORT,
        {"victim_name": "Sam Survivor", "contact": {"safe_times": "Mornings"}},
        format="json",
    )
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    assert response["Location"] == f"{SUPPORT}{reference}/"
    case = open_case()
    unknown = support_api.post(
        f"{SUPPORT}{reference}/link/", {"case_reference": "PC-ZZZZ-ZZZZ"}, format="json"
    )
    assert unknown.status_code == 400
    linked = support_api.post(
        f"{SUPPORT}{reference}/link/", {"case_reference": case.reference}, format="json"
    )
    assert linked.status_code == 200, linked.content
    assert linked.json()["linked_case"] == {"reference": case.reference}
    assert audit_events(AuditAction.SUPPORT_CASE_LINKED, reference)


@pytest.mark.django_db
def test_a_support_case_cannot_be_opened_for_another_organisation(support_api, other_provider_org):
    response = support_api.post(
        SUPPORT,
        {"victim_name": "Sam", "organisation": str(other_provider_org.pk)},
        format="json",
    )
    assert response.status_code == 400
    assert fields_of(response) == {"organisation": "Choose your organisation"}


@pytest.mark.django_db
def test_the_perpetrators_worker_cannot_be_allocated_the_support_case(
    support_api, perp_worker, dual_worker, open_case
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    response = support_api.post(
        f"{SUPPORT}{support.reference}/assign/", {"worker": dual_worker.pk}, format="json"
    )
    assert response.status_code == 400
    assert fields_of(response)["worker"].startswith("This person works with the perpetrator")
    support.refresh_from_db()
    assert support.worker_id is None


@pytest.mark.django_db
def test_linking_to_a_case_the_support_worker_works_as_perpetrator_worker_is_refused(
    make_user, provider_org, dual_worker, perp_worker, open_case
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_open(actor=dual_worker, organisation=provider_org, victim_name="Jo")
    response = api_for(dual_worker).post(
        f"{SUPPORT}{support.reference}/link/", {"case_reference": case.reference}, format="json"
    )
    assert response.status_code == 400
    assert fields_of(response) == {
        "case_reference": "The perpetrator's worker cannot also support the victim-survivor"
    }


# --- Status, contact, consent --------------------------------------------------------------


@pytest.mark.django_db
def test_closing_a_support_case_needs_a_reason(support_api, ready_case):
    _, support = ready_case()
    url = f"{SUPPORT}{support.reference}/status/"
    refused = support_api.post(url, {"to_status": "closed"}, format="json")
    assert refused.status_code == 400
    assert fields_of(refused) == {"reason": "Enter why the support case is closing"}
    closed = support_api.post(
        url, {"to_status": "closed", "reason": "Support ended"}, format="json"
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"


@pytest.mark.django_db
def test_contact_details_change_only_the_fields_sent(support_api, support_worker, ready_case):
    _, support = ready_case()
    support_case_update_contact(
        actor=support_worker, support_case=support, contact_phone="07700 900222"
    )
    response = support_api.post(
        f"{SUPPORT}{support.reference}/contact/", {"voicemail_safe": "no"}, format="json"
    )
    assert response.status_code == 200
    support.refresh_from_db()
    assert (support.contact_phone, support.voicemail_safe) == ("07700 900222", "no")
    empty = support_api.post(f"{SUPPORT}{support.reference}/contact/", {}, format="json")
    assert empty.status_code == 400


@pytest.mark.django_db
def test_support_consent_without_consent_needs_a_reason(support_api, ready_case):
    _, support = ready_case()
    response = support_api.post(
        f"{SUPPORT}{support.reference}/consents/", {"state": "without_consent"}, format="json"
    )
    assert response.status_code == 400
    assert "safeguarding_reason" in fields_of(response)


@pytest.mark.django_db
def test_support_notes_are_the_support_sides_own(support_api, support_worker, ready_case):
    case, support = ready_case()
    url = f"{SUPPORT}{support.reference}/notes/"
    assert support_api.post(url, {"text": "Safety plan made"}, format="json").status_code == 201
    assert [n["text"] for n in support_api.get(url).json()["results"]] == ["Safety plan made"]
    assert SupportNote.objects.filter(support_case=support).count() == 1
    assert case.notes.count() == 0


# --- Risk raised from the support side -----------------------------------------------------


@pytest.mark.django_db
def test_a_risk_event_raised_by_the_support_worker_reaches_the_perpetrator_worker(
    support_api, perp_worker, ready_case
):
    case, support = ready_case()
    response = support_api.post(
        f"{SUPPORT}{support.reference}/risk-events/",
        {"kind": "escalation", "summary": "Texts have become threatening"},
        format="json",
    )
    assert response.status_code == 201, response.content
    event = response.json()
    assert (event["raised_side"], event["support_case"]) == ("support", support.reference)
    alert = Alert.objects.get(recipient=perp_worker)
    assert (alert.role, str(alert.risk_event_id)) == (DeliveryRole.OTHER_SIDE, event["id"])
    listed = support_api.get(f"{SUPPORT}{support.reference}/risk-events/").json()["results"]
    assert [e["id"] for e in listed] == [event["id"]]


@pytest.mark.django_db
def test_an_unlinked_support_case_cannot_raise_a_risk_event(
    support_api, support_worker, provider_org
):
    support = support_case_open(actor=support_worker, organisation=provider_org, victim_name="Jo")
    response = support_api.post(
        f"{SUPPORT}{support.reference}/risk-events/",
        {"kind": "new_incident", "summary": "Incident"},
        format="json",
    )
    assert response.status_code == 400
    assert "not linked to a perpetrator case" in response.json()["error"]["fields"][0]["message"]


@pytest.mark.django_db
def test_support_note_added_through_a_service_is_not_on_the_case_notes_endpoint(
    perp_worker, support_worker, ready_case
):
    case, support = ready_case()
    case_note_add(actor=support_worker, support_case=support, text="Private to the survivor")
    body = api_for(perp_worker).get(f"/api/v1/cases/{case.reference}/notes/").json()
    assert body["count"] == 0


@pytest.mark.django_db
def test_a_support_cases_own_lists_keep_a_constant_query_count(
    support_api, support_worker, perp_worker, ready_case
):
    from pathways.cases.services.risk import risk_event_raise

    case, support = ready_case()

    def add(count: int) -> None:
        for n in range(count):
            case_note_add(actor=support_worker, support_case=support, text="Note")
            if n % 2:
                risk_event_raise(actor=perp_worker, case=case, kind="new_incident", summary="A")
            else:
                risk_event_raise(
                    actor=support_worker, support_case=support, kind="new_incident", summary="B"
                )

    add(1)
    urls = [f"{SUPPORT}{support.reference}/{name}/" for name in ("notes", "risk-events")]
    before = [queries(support_api, url) for url in urls]
    add(6)
    assert [support_api.get(url).json()["count"] for url in urls] == [7, 7]
    assert [queries(support_api, url) for url in urls] == before
