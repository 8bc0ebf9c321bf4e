"""Alerts and risk events (/cases/alerts/): each person sees only alerts delivered to them
and risk events they may read; a risk event raised on one side is on the other side's list
at once; only the support side (or the statutory lead) records that the person at risk was
told of a threat; reading a risk event is audited."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.cases.models import Alert, RiskEvent
from pathways.cases.services.perpetrator import perpetrator_case_assign, perpetrator_case_update
from pathways.cases.services.risk import alert_acknowledge, risk_event_raise
from pathways.cases.services.support import support_case_request

ALERTS = "/cases/alerts/"


def event_url(event) -> str:
    return f"{ALERTS}risk-events/{event.pk}/"


def told_url(event) -> str:
    return event_url(event) + "victim-told/"


def ack_url(alert) -> str:
    return f"{ALERTS}{alert.pk}/acknowledge/"


def _raise(actor, case, *, kind="specific_threat", threat_to="victim_survivor", summary=None):
    return risk_event_raise(
        actor=actor,
        case=case,
        kind=kind,
        summary=summary or "Threatened to follow her home",
        threat_to=threat_to,
    )


# The alert list ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_risk_event_from_the_perpetrator_side_is_on_the_support_workers_list_at_once(
    ready_case, perp_worker, support_worker, client_for
):
    case, support = ready_case()
    event = _raise(perp_worker, case)
    response = client_for(support_worker).get(ALERTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert case.reference in html
    assert Alert.objects.get(recipient=support_worker, risk_event=event).message in html
    assert event_url(event) in html
    # And on the support record, flagged for the victim-survivor to be told.
    record = client_for(support_worker).get(f"/support/{support.reference}/").content.decode()
    assert "Threatened to follow her home" in record and "Not told yet" in record


@pytest.mark.django_db
def test_alert_list_shows_only_the_users_own_alerts(
    ready_case, perp_worker, support_worker, client_for, manager
):
    case, _ = ready_case()
    _raise(perp_worker, case)
    assert Alert.objects.filter(recipient=support_worker).exists()
    html = client_for(manager).get(ALERTS).content.decode()
    assert case.reference not in html
    assert "You have no alerts." in html


@pytest.mark.django_db
def test_alert_list_puts_unacknowledged_alerts_first_and_filters_open_ones(
    ready_case, perp_worker, support_worker, client_for
):
    first_case, _ = ready_case("First")
    second_case, _ = ready_case("Second")
    _raise(perp_worker, first_case)
    _raise(perp_worker, second_case)
    newest = Alert.objects.get(recipient=support_worker, case=second_case)
    alert_acknowledge(actor=support_worker, alert=newest)
    client = client_for(support_worker)
    html = client.get(ALERTS).content.decode()
    assert html.index(first_case.reference) < html.index(second_case.reference)
    assert html.count('data-alert="') == 2
    assert "Acknowledged" in html
    open_only = client.get(ALERTS + "?show=open").content.decode()
    assert open_only.count('data-alert="') == 1
    assert first_case.reference in open_only and second_case.reference not in open_only


@pytest.mark.django_db
def test_alert_list_has_an_empty_state_for_open_alerts(
    ready_case, perp_worker, support_worker, client_for
):
    case, _ = ready_case()
    _raise(perp_worker, case)
    alert_acknowledge(actor=support_worker, alert=Alert.objects.get(recipient=support_worker))
    html = client_for(support_worker).get(ALERTS + "?show=open").content.decode()
    assert "You have acknowledged every alert." in html


@pytest.mark.django_db
def test_alert_list_is_paginated(ready_case, perp_worker, support_worker, client_for, monkeypatch):
    monkeypatch.setattr("pathways.cases.views.alerts.PAGE_SIZE", 2)
    case, _ = ready_case()
    for _ in range(3):
        _raise(perp_worker, case, kind="new_incident", threat_to="")
    client = client_for(support_worker)
    assert client.get(ALERTS).content.decode().count('data-alert="') == 2
    assert client.get(ALERTS + "?page=2").content.decode().count('data-alert="') == 1


@pytest.mark.django_db
def test_alert_list_query_count_does_not_grow_with_rows(
    ready_case, perp_worker, support_worker, client_for
):
    case, _ = ready_case("One")
    _raise(perp_worker, case)
    client = client_for(support_worker)
    client.get(ALERTS)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert client.get(ALERTS).status_code == 200
    for name in ("Two", "Three"):
        more, _ = ready_case(name)
        _raise(perp_worker, more)
    with CaptureQueriesContext(connection) as three:
        response = client.get(ALERTS)
    assert response.content.decode().count('data-alert="') == 3
    assert len(three) == len(one)


# Acknowledging ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_acknowledging_an_alert(ready_case, perp_worker, support_worker, client_for):
    case, _ = ready_case()
    _raise(perp_worker, case)
    alert = Alert.objects.get(recipient=support_worker)
    client = client_for(support_worker)
    assert client.get(ack_url(alert)).status_code == 405
    response = client.post(ack_url(alert))
    assert response.status_code == 302
    assert response["Location"] == ALERTS
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert AuditEvent.objects.filter(action="risk_event.acknowledged").exists()
    assert f"Alert about {case.reference} acknowledged" in client.get(ALERTS).content.decode()


@pytest.mark.django_db
def test_acknowledging_someone_elses_alert_is_404_and_changes_nothing(
    ready_case, perp_worker, support_worker, client_for, role_users
):
    case, _ = ready_case()
    _raise(perp_worker, case)
    alert = Alert.objects.get(recipient=support_worker)
    for user in (perp_worker, role_users[Role.PROVIDER_MANAGER], role_users[Role.ANALYST]):
        assert client_for(user).post(ack_url(alert)).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


# Risk event pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_risk_event_page_shows_the_event_to_both_sides_and_is_audited(
    ready_case, perp_worker, support_worker, client_for
):
    case, _ = ready_case()
    event = _raise(perp_worker, case)
    for user in (perp_worker, support_worker):
        response = client_for(user).get(event_url(event))
        html = response.content.decode()
        assert response.status_code == 200
        for text in (
            "Specific threat",
            "Threatened to follow her home",
            "By the perpetrator side",
            "To the victim-survivor",
            "Not told yet",
        ):
            assert text in html, text
    reads = AuditEvent.objects.filter(object_type="risk_event", object_id=str(event.pk))
    assert {e.actor for e in reads.filter(action="risk_event.viewed")} == {
        perp_worker,
        support_worker,
    }
    assert "Threatened" not in str([e.detail for e in reads])


@pytest.mark.django_db
def test_risk_event_page_is_404_to_anyone_who_may_not_read_it(
    ready_case, perp_worker, client_for, role_users, make_user, other_provider_org
):
    case, _ = ready_case()
    event = _raise(perp_worker, case)
    outsiders = [
        role_users[Role.ANALYST],
        role_users[Role.REFERRER],
        make_user("elsewhere-perp", Role.PERPETRATOR_WORKER, other_provider_org),
        make_user("elsewhere-support", Role.SUPPORT_WORKER, other_provider_org),
    ]
    for user in outsiders:
        client = client_for(user)
        assert client.get(event_url(event)).status_code == 404, user
        assert client.get(told_url(event)).status_code == 404, user
        assert client.post(told_url(event)).status_code == 404, user
    event.refresh_from_db()
    assert event.victim_told_at is None
    assert not AuditEvent.objects.filter(
        object_type="risk_event", action="risk_event.viewed"
    ).exists()


@pytest.mark.django_db
def test_risk_event_raised_by_the_support_side_is_on_the_perpetrator_workers_list(
    ready_case, perp_worker, support_worker, client_for
):
    case, support = ready_case()
    event = risk_event_raise(
        actor=support_worker,
        support_case=support,
        kind="change_in_circumstances",
        summary="She has moved to a refuge",
    )
    html = client_for(perp_worker).get(ALERTS).content.decode()
    assert case.reference in html and event_url(event) in html
    page = client_for(perp_worker).get(event_url(event)).content.decode()
    assert "She has moved to a refuge" in page
    assert "By the victim-survivor support side" in page
    assert "Partner" not in page


# Telling the victim-survivor -------------------------------------------------------------------


@pytest.mark.django_db
def test_support_worker_records_that_the_victim_survivor_was_told(
    ready_case, perp_worker, support_worker, client_for
):
    case, support = ready_case()
    event = _raise(perp_worker, case)
    client = client_for(support_worker)
    assert "Record that they were told" in client.get(event_url(event)).content.decode()
    assert client.get(told_url(event)).status_code == 200
    response = client.post(told_url(event), {"note": "By phone at a safe time"})
    assert response.status_code == 302
    assert response["Location"] == event_url(event)
    event.refresh_from_db()
    assert (event.victim_told_by, event.victim_told_note) == (
        support_worker,
        "By phone at a safe time",
    )
    page = client.get(event_url(event)).content.decode()
    assert "Told" in page and "Not told yet" not in page
    # The support list no longer flags it, and the perpetrator side sees it is done.
    support_list = client.get("/support/").content.decode()
    assert support.reference in support_list
    assert "Threat: tell the victim-survivor" not in support_list
    perp_page = client_for(perp_worker).get(event_url(event)).content.decode()
    assert "Told" in perp_page and "Not told yet" not in perp_page


@pytest.mark.django_db
def test_recording_told_twice_shows_an_error(ready_case, perp_worker, support_worker, client_for):
    case, _ = ready_case()
    event = _raise(perp_worker, case)
    client = client_for(support_worker)
    client.post(told_url(event), {"note": ""})
    again = client.post(told_url(event), {"note": ""})
    assert again.status_code == 400
    assert "There is a problem" in again.content.decode()
    assert "Already recorded" in again.content.decode()


@pytest.mark.django_db
def test_recording_told_on_an_event_with_no_threat_shows_an_error(
    ready_case, perp_worker, support_worker, client_for
):
    case, _ = ready_case()
    event = _raise(perp_worker, case, kind="new_incident", threat_to="")
    client = client_for(support_worker)
    assert "names no threat" in client.get(told_url(event)).content.decode()
    response = client.post(told_url(event), {"note": ""})
    assert response.status_code == 400
    assert "This risk event names no threat to a person" in response.content.decode()


@pytest.mark.django_db
def test_the_perpetrator_side_cannot_record_that_the_victim_survivor_was_told(
    ready_case, perp_worker, manager, client_for
):
    case, _ = ready_case()
    event = _raise(perp_worker, case)
    for user in (perp_worker, manager):
        client = client_for(user)
        page = client.get(event_url(event))
        assert page.status_code == 200
        assert told_url(event) not in page.content.decode()
        assert client.get(told_url(event)).status_code == 404
        assert client.post(told_url(event), {"note": "x"}).status_code == 404
    event.refresh_from_db()
    assert event.victim_told_at is None


@pytest.mark.django_db
def test_the_statutory_lead_can_record_that_they_were_told(
    ready_case, perp_worker, client_for, make_user, partnership_org
):
    lead = make_user("statutory-lead", Role.COMMISSIONER, partnership_org)
    case, _ = ready_case()
    perpetrator_case_update(actor=perp_worker, case=case, statutory_lead=lead)
    event = _raise(perp_worker, case, threat_to="child")
    client = client_for(lead)
    assert Alert.objects.filter(recipient=lead, risk_event=event).exists()
    assert client.get(event_url(event)).status_code == 200
    assert (
        client.post(told_url(event), {"note": "Social worker told the family"}).status_code == 302
    )
    event.refresh_from_db()
    assert event.victim_told_by == lead


@pytest.mark.django_db
def test_dual_role_worker_on_the_perpetrator_case_cannot_record_told(
    open_case, perp_worker, dual_worker, support_worker, client_for
):
    case = open_case()
    perpetrator_case_assign(actor=perp_worker, case=case, worker=dual_worker)
    support_case_request(actor=perp_worker, case=case, victim_name="Partner")
    event = _raise(dual_worker, case)
    client = client_for(dual_worker)
    assert client.get(event_url(event)).status_code == 200  # their own case's event
    assert client.get(told_url(event)).status_code == 404
    assert client.post(told_url(event), {"note": "x"}).status_code == 404
    assert RiskEvent.objects.get(pk=event.pk).victim_told_at is None
    # The organisation's other support worker received it and can record it.
    assert Alert.objects.filter(recipient=support_worker, risk_event=event).exists()
    assert client_for(support_worker).get(told_url(event)).status_code == 200
