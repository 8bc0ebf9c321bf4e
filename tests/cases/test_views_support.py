"""The victim-survivor support side (/support/): support workers of the organisation see
and work its support cases; perpetrator-side staff are refused every page and never see
the record; the worker on the linked perpetrator case cannot open it even with a support
role; reading the record is audited; bad input gets a GOV.UK error summary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.cases.models import (
    Alert,
    ConsentState,
    EqualityProfile,
    RiskEvent,
    Share,
    SupportCase,
    SupportNote,
    SupportStatus,
)
from pathways.cases.services.perpetrator import perpetrator_case_assign
from pathways.cases.services.records import case_assessment_record, case_note_add
from pathways.cases.services.risk import risk_event_raise, risk_event_victim_told
from pathways.cases.services.settings import service_case_settings_save
from pathways.cases.services.sharing import sharing_agreement_save
from pathways.cases.services.support import (
    support_case_assign,
    support_case_open,
    support_case_request,
    support_case_transition,
)

LIST = "/support/"
ACTIONS = (
    "assign",
    "link",
    "contact",
    "note",
    "consent",
    "status",
    "risk-event",
    "equality",
    "share",
)


def detail(support_case) -> str:
    return f"/support/{support_case.reference}/"


@pytest.fixture
def support_client(client_for, support_worker):
    return client_for(support_worker)


@pytest.fixture
def open_support(support_worker, provider_org):
    """A support case opened directly by the support worker (not linked, not allocated)."""

    def make(name: str = "Direct Survivor", **contact):
        return support_case_open(
            actor=support_worker, organisation=provider_org, victim_name=name, contact=contact
        )

    return make


def _threat(actor, case):
    return risk_event_raise(
        actor=actor,
        case=case,
        kind="specific_threat",
        summary="Said he would go to her workplace",
        threat_to="victim_survivor",
    )


# The list ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_support_cases_with_only_the_linked_cases_reference_and_status(
    ready_case, support_client
):
    case, support = ready_case("Ready Person")
    response = support_client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200
    for text in (support.reference, "Partner", case.reference, case.get_status_display()):
        assert text in html
    assert "Ready Person" not in html  # the perpetrator's name stays on the perpetrator side


@pytest.mark.django_db
def test_list_never_shows_another_organisations_support_cases(
    ready_case, support_client, make_user, other_provider_org
):
    ready_case()
    theirs = support_case_open(
        actor=make_user("other-support", Role.SUPPORT_WORKER, other_provider_org),
        organisation=other_provider_org,
        victim_name="Elsewhere Survivor",
    )
    html = support_client.get(LIST).content.decode()
    assert theirs.reference not in html
    assert "Elsewhere Survivor" not in html


@pytest.mark.django_db
def test_list_puts_threats_awaiting_the_victim_survivor_being_told_first(
    ready_case, perp_worker, support_client, support_worker
):
    older_case, older = ready_case("Older Person")
    _, newer = ready_case("Newer Person")
    html = support_client.get(LIST).content.decode()
    assert html.index(newer.reference) < html.index(older.reference)
    assert "Threat: tell the victim-survivor" not in html

    event = _threat(perp_worker, older_case)
    html = support_client.get(LIST).content.decode()
    assert html.index(older.reference) < html.index(newer.reference)
    assert html.count("Threat: tell the victim-survivor") == 1

    risk_event_victim_told(actor=support_worker, event=event)
    html = support_client.get(LIST).content.decode()
    assert html.index(newer.reference) < html.index(older.reference)
    assert "Threat: tell the victim-survivor" not in html


@pytest.mark.django_db
def test_list_can_be_ordered_newest_first_even_with_a_threat_waiting(
    ready_case, perp_worker, support_client
):
    older_case, older = ready_case("Older Person")
    _, newer = ready_case("Newer Person")
    _threat(perp_worker, older_case)
    html = support_client.get(LIST + "?sort=newest").content.decode()
    assert html.index(newer.reference) < html.index(older.reference)


@pytest.mark.django_db
def test_list_filters_mine_unallocated_and_status(ready_case, open_support, support_client):
    _, mine = ready_case()
    unallocated = open_support()
    html = support_client.get(LIST + "?show=mine").content.decode()
    assert mine.reference in html and unallocated.reference not in html
    html = support_client.get(LIST + "?show=unallocated").content.decode()
    assert unallocated.reference in html and mine.reference not in html
    html = support_client.get(LIST + f"?status={SupportStatus.CLOSED}").content.decode()
    assert mine.reference not in html and unallocated.reference not in html
    assert "No support cases match this filter." in html


@pytest.mark.django_db
def test_list_has_an_empty_state(support_client):
    response = support_client.get(LIST)
    assert response.status_code == 200
    assert "Your organisation has no support cases yet." in response.content.decode()


@pytest.mark.django_db
def test_list_is_paginated(open_support, support_client, monkeypatch):
    monkeypatch.setattr("pathways.cases.views.support.PAGE_SIZE", 2)
    made = [open_support(f"Survivor {i}") for i in range(3)]
    first = support_client.get(LIST).content.decode()
    second = support_client.get(LIST + "?page=2").content.decode()
    assert first.count('data-reference="') == 2
    assert second.count('data-reference="') == 1
    assert made[0].reference in second  # oldest last


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(ready_case, perp_worker, support_client):
    case, _ = ready_case("One")
    _threat(perp_worker, case)
    support_client.get(LIST)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert support_client.get(LIST).status_code == 200
    for name in ("Two", "Three"):
        more, _ = ready_case(name)
        _threat(perp_worker, more)
    with CaptureQueriesContext(connection) as three:
        response = support_client.get(LIST)
    assert response.content.decode().count('data-reference="') == 3
    assert len(three) == len(one)


# Who gets in --------------------------------------------------------------------------------


def _every_support_url(support_case) -> list[str]:
    return [LIST, LIST + "new/", detail(support_case)] + [
        f"{detail(support_case)}{action}/" for action in ACTIONS
    ]


@pytest.mark.django_db
def test_every_support_page_renders_for_the_organisations_support_worker(
    ready_case, support_client
):
    _, support = ready_case()
    for url in _every_support_url(support):
        response = support_client.get(url)
        assert response.status_code == 200, url
        assert "There is a problem" not in response.content.decode(), url


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PERPETRATOR_WORKER, Role.PROVIDER_MANAGER])
def test_perpetrator_side_staff_are_refused_every_support_page_and_see_nothing_of_it(
    ready_case, client_for, role_users, role
):
    _, support = ready_case()
    SupportCase.objects.filter(pk=support.pk).update(contact_phone="07700 900111")
    client = client_for(role_users[role])
    for url in _every_support_url(support):
        for response in (client.get(url), client.post(url, {"text": "x", "victim_name": "x"})):
            assert response.status_code in (403, 404), url
            html = response.content.decode()
            assert "Partner" not in html and "07700 900111" not in html, url
    assert not AuditEvent.objects.filter(action="support_case.viewed").exists()
    assert not SupportNote.objects.exists()
    assert SupportCase.objects.count() == 1


@pytest.mark.django_db
def test_worker_on_the_linked_perpetrator_case_cannot_open_its_support_case_but_can_others(
    open_case, perp_worker, dual_worker, support_worker, client_for, open_support
):
    case = open_case("Dual Person")
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    linked = support_case_request(actor=perp_worker, case=case, victim_name="Linked Survivor")
    other = open_support("Other Survivor")
    client = client_for(dual_worker)

    html = client.get(LIST).content.decode()
    assert linked.reference not in html and "Linked Survivor" not in html
    assert other.reference in html

    assert client.get(detail(linked)).status_code == 404
    for action in ACTIONS:
        url = f"{detail(linked)}{action}/"
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"text": "x"}).status_code == 404, url
    assert not SupportNote.objects.filter(support_case=linked).exists()
    assert client.get(detail(other)).status_code == 200
    assert support_worker  # the organisation's support worker is unaffected
    assert client_for(support_worker).get(detail(linked)).status_code == 200


@pytest.mark.django_db
def test_support_worker_of_another_organisation_gets_404_and_nothing_is_audited(
    ready_case, client_for, make_user, other_provider_org
):
    _, support = ready_case()
    outsider = client_for(make_user("other-support", Role.SUPPORT_WORKER, other_provider_org))
    for url in _every_support_url(support)[2:]:
        assert outsider.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(action="support_case.viewed").exists()


# The record ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_record_shows_the_confidential_record_and_its_read_is_audited(
    open_support, support_client, support_worker
):
    support = open_support(
        "Jo Survivor",
        contact_phone="07700 900222",
        safe_times="Weekday mornings",
        contact_wish="wants_contact",
    )
    support_client.post(detail(support) + "note/", {"text": "Wants help with housing"})
    support_client.post(detail(support) + "consent/", {"state": ConsentState.GIVEN})
    support_client.post(detail(support) + "equality/", {"age_band": "25_34"})
    response = support_client.get(detail(support))
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Jo Survivor",
        "07700 900222",
        "Weekday mornings",
        "Wants contact from the support worker",
        "Wants help with housing",
        "Consent given",
        "25 to 34",
        "Open (making contact)",
    ):
        assert text in html, text
    event = AuditEvent.objects.filter(action="support_case.viewed").latest("pk")
    assert event.object_id == support.reference
    assert event.actor == support_worker
    assert "Jo Survivor" not in str(event.detail)


@pytest.mark.django_db
def test_record_shows_only_the_linked_cases_reference_status_and_risk(
    ready_case, perp_worker, support_client
):
    case, support = ready_case("Hidden Person")
    case_note_add(actor=perp_worker, case=case, text="Perpetrator-side note text")
    case_assessment_record(
        actor=perp_worker,
        case=case,
        kind="intake",
        tool="Assessment Tool X",
        tier="high_risk",
        summary="Assessment summary text",
    )
    html = support_client.get(detail(support)).content.decode()
    assert case.reference in html
    assert "High risk" in html
    assert case.get_status_display() in html
    for secret in (
        "Hidden Person",
        "Perpetrator-side note text",
        "Assessment Tool X",
        "Assessment summary text",
        "Programme",  # the intervention
    ):
        assert secret not in html, secret


@pytest.mark.django_db
def test_record_lists_risk_events_with_an_action_to_tell_the_victim_survivor(
    ready_case, perp_worker, support_client
):
    case, support = ready_case()
    event = _threat(perp_worker, case)
    html = support_client.get(detail(support)).content.decode()
    assert "Said he would go to her workplace" in html
    assert "Not told yet" in html
    assert f"/cases/alerts/risk-events/{event.pk}/victim-told/" in html


@pytest.mark.django_db
def test_record_does_not_show_risk_events_raised_from_another_victim_survivors_case(
    ready_case, perp_worker, support_worker, client_for, make_user, provider_org
):
    case, support = ready_case()
    sibling = support_case_request(actor=perp_worker, case=case, victim_name="Second Partner")
    colleague = make_user("support-two", Role.SUPPORT_WORKER, provider_org)
    support_case_assign(actor=colleague, support_case=sibling, worker=colleague)
    risk_event_raise(
        actor=colleague,
        support_case=sibling,
        kind="new_incident",
        summary="Second partner's own incident",
    )
    html = client_for(support_worker).get(detail(support)).content.decode()
    assert "Second partner's own incident" not in html


# Opening and actions -------------------------------------------------------------------------


@pytest.mark.django_db
def test_opening_a_support_case_directly(support_client, provider_org):
    assert support_client.get(LIST + "new/").status_code == 200
    response = support_client.post(
        LIST + "new/",
        {
            "organisation": str(provider_org.pk),
            "victim_name": "New Survivor",
            "contact_phone": "07700 900333",
            "voicemail_safe": "no",
            "text_safe": "yes",
            "contact_wish": "wants_contact",
        },
    )
    support = SupportCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(support)
    assert (support.organisation, support.victim_name, support.voicemail_safe) == (
        provider_org,
        "New Survivor",
        "no",
    )
    assert support.perpetrator_case is None


@pytest.mark.django_db
def test_opening_without_a_name_shows_the_error_summary_and_opens_nothing(
    support_client, provider_org
):
    response = support_client.post(
        LIST + "new/",
        {
            "organisation": str(provider_org.pk),
            "victim_name": "",
            "contact_email": "not-an-email",
            "voicemail_safe": "not_sure",
            "text_safe": "not_sure",
            "contact_wish": "not_asked",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert 'href="#id_victim_name"' in html
    assert "Enter the victim-survivor&#x27;s name" in html
    assert "Enter an email address in the correct format" in html
    assert not SupportCase.objects.exists()


@pytest.mark.django_db
def test_opening_for_another_organisation_is_refused(support_client, other_provider_org):
    response = support_client.post(
        LIST + "new/",
        {
            "organisation": str(other_provider_org.pk),
            "victim_name": "Elsewhere",
            "voicemail_safe": "not_sure",
            "text_safe": "not_sure",
            "contact_wish": "not_asked",
        },
    )
    assert response.status_code == 400
    assert "Select one of your organisations" in response.content.decode()
    assert not SupportCase.objects.exists()


@pytest.mark.django_db
def test_allocating_a_support_worker_shows_caseloads(open_support, support_client, support_worker):
    support = open_support()
    page = support_client.get(detail(support) + "assign/")
    assert page.status_code == 200
    assert "Caseloads" in page.content.decode()
    assert "override_reason" not in page.content.decode()  # not a manager
    response = support_client.post(detail(support) + "assign/", {"worker": str(support_worker.pk)})
    assert response.status_code == 302
    assert response["Location"] == detail(support)
    support.refresh_from_db()
    assert support.worker == support_worker


@pytest.mark.django_db
def test_the_perpetrators_worker_is_never_offered_or_accepted_as_support_worker(
    open_case, perp_worker, dual_worker, support_client
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    page = support_client.get(detail(support) + "assign/").content.decode()
    assert "dual-worker" not in page
    response = support_client.post(detail(support) + "assign/", {"worker": str(dual_worker.pk)})
    assert response.status_code == 400
    assert "Select a support worker from the list" in response.content.decode()
    support.refresh_from_db()
    assert support.worker is None


@pytest.mark.django_db
def test_allocating_above_the_maximum_needs_a_support_side_managers_reason(
    case_service, manager, support_worker, support_client, client_for, make_user, provider_org
):
    service_case_settings_save(
        actor=manager,
        service=case_service,
        assessment_interval_days=42,
        max_caseload=1,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )
    held = support_case_open(
        actor=support_worker, organisation=provider_org, victim_name="Held", service=case_service
    )
    support_case_assign(actor=support_worker, support_case=held, worker=support_worker)
    support = support_case_open(
        actor=support_worker, organisation=provider_org, victim_name="Next", service=case_service
    )
    url = detail(support) + "assign/"

    refused = support_client.post(url, {"worker": str(support_worker.pk)})
    assert refused.status_code == 400
    assert "a manager must agree" in refused.content.decode()

    lead = make_user("support-lead", Role.SUPPORT_WORKER, provider_org)
    lead.memberships.create(organisation=provider_org, role=Role.PROVIDER_MANAGER)
    lead_client = client_for(lead)
    assert "override_reason" in lead_client.get(url).content.decode()
    no_reason = lead_client.post(url, {"worker": str(support_worker.pk), "override_reason": ""})
    assert no_reason.status_code == 400
    assert "Enter why this worker can take a case above the maximum" in no_reason.content.decode()
    ok = lead_client.post(
        url, {"worker": str(support_worker.pk), "override_reason": "Covering for leave"}
    )
    assert ok.status_code == 302
    support.refresh_from_db()
    assert support.worker == support_worker


@pytest.mark.django_db
def test_linking_by_reference(open_case, perp_worker, open_support, support_client):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
    support = open_support()
    bad = support_client.post(detail(support) + "link/", {"case_reference": "PC-AAAA-AAAA"})
    assert bad.status_code == 400
    assert "No open perpetrator case with that reference can be linked" in bad.content.decode()
    assert 'href="#id_case_reference"' in bad.content.decode()
    ok = support_client.post(detail(support) + "link/", {"case_reference": case.reference})
    assert ok.status_code == 302
    support.refresh_from_db()
    assert support.perpetrator_case == case


@pytest.mark.django_db
def test_changing_safe_contact_details_reads_and_saves_them(open_support, support_client):
    support = open_support(contact_phone="07700 900444")
    page = support_client.get(detail(support) + "contact/")
    assert "07700 900444" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="support_case.viewed", object_id=support.reference
    ).exists()
    data = {
        "contact_phone": "07700 900555",
        "contact_email": "bad",
        "voicemail_safe": "no",
        "text_safe": "no",
        "contact_wish": "through_agency",
    }
    bad = support_client.post(detail(support) + "contact/", data)
    assert bad.status_code == 400
    assert "There is a problem" in bad.content.decode()
    support.refresh_from_db()
    assert support.contact_phone == "07700 900444"
    data["contact_email"] = "safe@example.test"
    assert support_client.post(detail(support) + "contact/", data).status_code == 302
    support.refresh_from_db()
    assert (support.contact_phone, support.contact_wish) == ("07700 900555", "through_agency")


@pytest.mark.django_db
def test_adding_a_note(open_support, support_client):
    support = open_support()
    empty = support_client.post(detail(support) + "note/", {"text": "  "})
    assert empty.status_code == 400
    assert "Enter the note" in empty.content.decode()
    assert support_client.post(detail(support) + "note/", {"text": "Called"}).status_code == 302
    assert SupportNote.objects.get(support_case=support).text == "Called"


@pytest.mark.django_db
def test_recording_consent_without_consent_needs_a_safeguarding_reason(
    open_support, support_client
):
    support = open_support()
    url = detail(support) + "consent/"
    bad = support_client.post(url, {"state": ConsentState.WITHOUT_CONSENT})
    assert bad.status_code == 400
    assert "Enter the safeguarding reason to proceed without consent" in bad.content.decode()
    assert 'href="#id_safeguarding_reason"' in bad.content.decode()
    assert not support.consents.exists()
    ok = support_client.post(
        url, {"state": ConsentState.WITHOUT_CONSENT, "safeguarding_reason": "Child at risk"}
    )
    assert ok.status_code == 302
    assert support.consents.get().safeguarding_reason == "Child at risk"


@pytest.mark.django_db
def test_changing_status_follows_the_rules(open_support, support_client, support_worker):
    support = open_support()
    url = detail(support) + "status/"
    no_worker = support_client.post(url, {"to_status": SupportStatus.ACTIVE})
    assert no_worker.status_code == 400
    assert "Allocate a support worker first" in no_worker.content.decode()
    no_reason = support_client.post(url, {"to_status": SupportStatus.CLOSED})
    assert no_reason.status_code == 400
    assert "Enter why the support case is closing" in no_reason.content.decode()
    ok = support_client.post(url, {"to_status": SupportStatus.CLOSED, "reason": "Moved away"})
    assert ok.status_code == 302
    support.refresh_from_db()
    assert support.status == SupportStatus.CLOSED
    html = support_client.get(detail(support)).content.decode()
    assert "Moved away" in html


@pytest.mark.django_db
def test_recording_equality_monitoring(open_support, support_client):
    support = open_support()
    bad = support_client.post(detail(support) + "equality/", {"sex": "unicorn"})
    assert bad.status_code == 400
    assert "There is a problem" in bad.content.decode()
    ok = support_client.post(
        detail(support) + "equality/", {"sex": "female", "religion": "prefer_not_to_say"}
    )
    assert ok.status_code == 302
    profile = EqualityProfile.objects.get(support_case=support)
    assert (profile.sex, profile.religion, profile.age_band) == (
        "female",
        "prefer_not_to_say",
        "",
    )


@pytest.mark.django_db
def test_sharing_only_under_an_agreement_in_force(
    open_support, support_client, role_users, provider_org, partnership_org
):
    support = open_support()
    url = detail(support) + "share/"
    assert "no sharing agreement in force" in support_client.get(url).content.decode()
    sharing_agreement_save(
        actor=role_users[Role.COMMISSIONER],
        name="Partnership agreement",
        parties=[provider_org, partnership_org],
        purpose="Safeguarding",
        lawful_basis="public_task",
        categories=["risk"],
        starts_on=dt.date(2020, 1, 1),
        review_on=dt.date(2099, 1, 1),
        status="active",
    )
    data = {"to_organisation": str(partnership_org.pk), "category": "contact_details"}
    refused = support_client.post(url, {**data, "purpose": "MARAC"})
    assert refused.status_code == 400
    assert "No sharing agreement in force with Partnership covers" in refused.content.decode()
    assert AuditEvent.objects.filter(action="share.refused").exists()
    missing = support_client.post(url, {**data, "category": "risk", "purpose": ""})
    assert missing.status_code == 400
    assert "Enter why this is being shared" in missing.content.decode()
    ok = support_client.post(url, {**data, "category": "risk", "purpose": "MARAC"})
    assert ok.status_code == 302
    share = Share.objects.get()
    assert (share.support_case, share.category) == (support, "risk")


# Risk from the support side -------------------------------------------------------------------


@pytest.mark.django_db
def test_risk_event_page_says_plainly_what_crosses(ready_case, support_client):
    _, support = ready_case()
    html = support_client.get(detail(support) + "risk-event/").content.decode()
    assert "Only safeguarding information crosses to the perpetrator side." in html
    assert "They will not see the victim-survivor's contact details" in html


@pytest.mark.django_db
def test_risk_event_raised_on_the_support_page_reaches_the_perpetrators_worker_at_once(
    ready_case, support_client, client_for, perp_worker
):
    case, support = ready_case()
    SupportCase.objects.filter(pk=support.pk).update(contact_phone="07700 900666")
    response = support_client.post(
        detail(support) + "risk-event/",
        {
            "kind": "specific_threat",
            "occurred_on": timezone.localdate().isoformat(),
            "threat_to": "victim_survivor",
            "summary": "He turned up outside her new flat",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == detail(support)
    event = RiskEvent.objects.get()
    assert (event.raised_side, event.support_case) == ("support", support)
    alert = Alert.objects.get(recipient=perp_worker)
    html = client_for(perp_worker).get("/cases/alerts/").content.decode()
    assert case.reference in html
    assert alert.message in html
    assert "Partner" not in html and "07700 900666" not in html
    event_page = client_for(perp_worker).get(f"/cases/alerts/risk-events/{event.pk}/")
    assert "He turned up outside her new flat" in event_page.content.decode()
    assert "07700 900666" not in event_page.content.decode()
    assert support.reference not in event_page.content.decode()


@pytest.mark.django_db
def test_risk_event_with_a_specific_threat_must_say_who_to(ready_case, support_client):
    _, support = ready_case()
    response = support_client.post(
        detail(support) + "risk-event/",
        {
            "kind": "specific_threat",
            "occurred_on": timezone.localdate().isoformat(),
            "threat_to": "",
            "summary": "Threat",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Say who the specific threat is to" in html
    assert 'href="#id_threat_to_0"' in html
    assert not RiskEvent.objects.exists()


@pytest.mark.django_db
def test_risk_event_from_an_unlinked_support_case_is_refused_with_the_way_forward(
    open_support, support_client
):
    support = open_support()
    page = support_client.get(detail(support) + "risk-event/").content.decode()
    assert "not linked to a perpetrator case" in page
    response = support_client.post(
        detail(support) + "risk-event/",
        {"kind": "new_incident", "occurred_on": timezone.localdate().isoformat(), "summary": "x"},
    )
    assert response.status_code == 400
    assert "MARAC" in response.content.decode()
    assert not RiskEvent.objects.exists()


@pytest.mark.django_db
def test_risk_event_in_the_future_is_refused(ready_case, support_client):
    _, support = ready_case()
    tomorrow = timezone.localdate() + dt.timedelta(days=2)
    response = support_client.post(
        detail(support) + "risk-event/",
        {"kind": "new_incident", "occurred_on": tomorrow.isoformat(), "summary": "x"},
    )
    assert response.status_code == 400
    assert "The date must be today or in the past" in response.content.decode()


@pytest.mark.django_db
def test_closed_support_case_stays_readable(open_support, support_client, support_worker):
    support = open_support()
    support_case_transition(
        actor=support_worker, support_case=support, to_status="closed", reason="Done"
    )
    assert support_client.get(detail(support)).status_code == 200


# The referral a provider sees --------------------------------------------------------------------


@pytest.mark.django_db
def test_provider_referral_page_withholds_victim_contact_details_which_reach_the_support_side(
    make_referral, case_service, role_users, client_for, support_worker
):
    from pathways.referrals.services.intake import VictimInput
    from pathways.referrals.services.routing import referral_accept
    from tests.referrals.test_routing_services import send_referral

    referral = make_referral(
        victims=[
            VictimInput(
                name="Alex Example",
                contact_phone="07700 900456",
                contact_email="alex@example.test",
                safe_times="Weekdays 10 to 12",
                voicemail_safe="no",
                contact_notes="Use the work number only",
            )
        ]
    )
    send_referral(referral, service=case_service, actor=role_users[Role.TRIAGE])
    page = f"/referrals/provider/{referral.reference}/"
    for role in (Role.PERPETRATOR_WORKER, Role.PROVIDER_MANAGER):
        html = client_for(role_users[role]).get(page).content.decode()
        assert "Relationship to the person" in html
        assert "Lives with the person" in html
        assert "Knows of this referral" in html
        assert "Their contact details go to the victim-survivor support side" in html
        assert "Alex Example" in html  # named, so the perpetrator's worker knows who is at risk
        for secret in (
            "07700 900456",
            "alex@example.test",
            "Weekdays 10 to 12",
            "Use the work number only",
        ):
            assert secret not in html, (role, secret)

    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)
    support = SupportCase.objects.get(referral_victim__referral=referral)
    html = client_for(support_worker).get(detail(support)).content.decode()
    for text in ("Alex Example", "07700 900456", "alex@example.test", "Weekdays 10 to 12"):
        assert text in html, text
