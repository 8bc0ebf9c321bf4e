"""Provider pages: an organisation sees and answers only the referrals sent to its own
services, opening one is audited, and bad input gets a GOV.UK error summary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.referrals.models import Referral, ReferralStatus
from pathways.referrals.services.intake import VictimInput
from pathways.referrals.services.routing import referral_accept

from .test_routing_services import send_referral

LIST = "/referrals/provider/"


def detail(referral) -> str:
    return f"/referrals/provider/{referral.reference}/"


@pytest.fixture
def service(make_service):
    return make_service("Change Project")


@pytest.fixture
def send(make_referral, service, role_users):
    """Make a referral received `days` ago and send it to provider_org's service."""

    def make(*, days: int = 1, sent_days: int = 0, to=None, **fields):
        referral = make_referral(**fields)
        Referral.objects.filter(pk=referral.pk).update(
            created_at=timezone.now() - dt.timedelta(days=days)
        )
        referral.refresh_from_db()
        send_referral(referral, service=to or service, actor=role_users[Role.TRIAGE])
        if sent_days:
            Referral.objects.filter(pk=referral.pk).update(
                sent_at=timezone.now() - dt.timedelta(days=sent_days)
            )
            referral.refresh_from_db()
        return referral

    return make


@pytest.fixture
def manager_client(client_for, role_users):
    return client_for(role_users[Role.PROVIDER_MANAGER])


@pytest.mark.django_db
def test_inbox_lists_only_referrals_sent_to_the_organisations_services(
    send, make_service, other_provider_org, make_referral, manager_client
):
    ours = send()
    theirs = send(to=make_service("Elsewhere", organisation=other_provider_org))
    not_sent = make_referral()
    html = manager_client.get(LIST).content.decode()
    assert ours.reference in html
    assert theirs.reference not in html
    assert not_sent.reference not in html


@pytest.mark.django_db
def test_inbox_puts_waiting_referrals_first_longest_waiting_at_the_top(
    send, role_users, manager_client
):
    decided = send(sent_days=9)
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=decided)
    newer = send(sent_days=1)
    older = send(sent_days=3)
    html = manager_client.get(LIST).content.decode()
    positions = [html.index(r.reference) for r in (older, newer, decided)]
    assert positions == sorted(positions)


@pytest.mark.django_db
def test_inbox_tags_a_referral_waiting_too_long_as_overdue(send, manager_client, settings):
    settings.REFERRAL_RESPONSE_DUE_DAYS = 5
    send(sent_days=6)
    assert "Overdue" in manager_client.get(LIST).content.decode()


@pytest.mark.django_db
def test_inbox_tags_nothing_overdue_within_the_response_time(send, manager_client, settings):
    settings.REFERRAL_RESPONSE_DUE_DAYS = 5
    send(sent_days=2)
    assert "Overdue" not in manager_client.get(LIST).content.decode()


@pytest.mark.django_db
def test_inbox_query_count_does_not_grow_with_rows(send, manager_client):
    send()
    manager_client.get(LIST)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as one:
        assert manager_client.get(LIST).status_code == 200
    send()
    send()
    with CaptureQueriesContext(connection) as three:
        response = manager_client.get(LIST)
    assert response.content.decode().count('data-reference="') == 3
    assert len(three) == len(one)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REFERRER, Role.TRIAGE, Role.SUPPORT_WORKER, Role.ANALYST])
def test_inbox_is_refused_to_people_who_do_not_answer_referrals(client_for, role_users, role):
    assert client_for(role_users[role]).get(LIST).status_code == 403


@pytest.mark.django_db
def test_detail_names_the_victim_survivor_but_withholds_contact_details_and_is_audited(
    send, manager_client, role_users
):
    referral = send(
        victims=[
            VictimInput(
                name="Alex Example",
                contact_phone="07700 900456",
                safe_times="Weekdays 10 to 12",
                voicemail_safe="no",
                contact_notes="Use the work number only",
            )
        ]
    )
    response = manager_client.get(detail(referral))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Alex Example" in html
    # Safe-contact details go to the support side only (standard 2.2).
    for text in ("07700 900456", "Weekdays 10 to 12", "Use the work number only"):
        assert text not in html
    event = AuditEvent.objects.get(action="referral.viewed")
    assert event.object_id == referral.reference
    assert event.actor == role_users[Role.PROVIDER_MANAGER]
    assert "Alex Example" not in str(event.detail)


@pytest.mark.django_db
def test_staff_of_another_organisation_get_404_for_the_referral_and_its_actions(
    send, client_for, make_user, other_provider_org
):
    referral = send()
    outsider = client_for(make_user("elsewhere", Role.PROVIDER_MANAGER, other_provider_org))
    assert outsider.get(detail(referral)).status_code == 404
    assert outsider.post(detail(referral) + "accept/").status_code == 404
    assert outsider.post(detail(referral) + "decline/", {"reason": "x"}).status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT
    assert not AuditEvent.objects.filter(action="referral.viewed").exists()


@pytest.mark.django_db
def test_a_referral_not_yet_sent_is_404_to_the_provider(make_referral, manager_client):
    referral = make_referral()
    assert manager_client.get(detail(referral)).status_code == 404


@pytest.mark.django_db
def test_accepting_from_the_page(send, manager_client):
    referral = send()
    assert manager_client.get(detail(referral) + "accept/").status_code == 200
    response = manager_client.post(detail(referral) + "accept/", {"note": ""})
    assert response.status_code == 302
    assert response["Location"] == detail(referral)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


@pytest.mark.django_db
def test_accepting_twice_shows_an_error_and_changes_nothing(send, manager_client, role_users):
    referral = send()
    referral_accept(actor=role_users[Role.PERPETRATOR_WORKER], referral=referral)
    response = manager_client.post(detail(referral) + "accept/", {"note": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


@pytest.mark.django_db
def test_declining_without_a_reason_shows_the_error_summary(send, manager_client):
    referral = send()
    response = manager_client.post(detail(referral) + "decline/", {"reason": "  "})
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert 'href="#id_reason"' in html
    assert "Enter why your service cannot take this referral" in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


@pytest.mark.django_db
def test_declining_with_a_reason_sends_it_back_to_the_front_door(send, manager_client):
    referral = send()
    response = manager_client.post(detail(referral) + "decline/", {"reason": "Group is full"})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    assert referral.decline_reason == "Group is full"
    # Still visible to the provider, with its decision, until the front door routes it on.
    assert "Group is full" in manager_client.get(detail(referral)).content.decode()


@pytest.mark.django_db
def test_first_contact_page_waits_until_the_referral_is_accepted(send, manager_client):
    referral = send()
    response = manager_client.get(detail(referral) + "first-contact/")
    assert "once your service has accepted" in response.content.decode()
    today = timezone.localdate().isoformat()
    response = manager_client.post(
        detail(referral) + "first-contact/", {"date": today, "time": "00:00"}
    )
    assert response.status_code == 400
    assert Referral.objects.get(pk=referral.pk).first_contact_at is None


@pytest.mark.django_db
def test_first_contact_in_the_future_is_refused_on_the_form(send, manager_client, role_users):
    referral = send()
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = manager_client.post(
        detail(referral) + "first-contact/", {"date": tomorrow, "time": "09:00"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_date"' in html
    assert "must be in the past" in html


@pytest.mark.django_db
def test_recording_then_correcting_first_contact_from_the_page(send, manager_client, role_users):
    referral = send(days=3)
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    url = detail(referral) + "first-contact/"
    assert manager_client.post(url, {"date": yesterday, "time": "10:15"}).status_code == 302
    first = Referral.objects.get(pk=referral.pk).first_contact_at
    assert timezone.localtime(first).strftime("%H:%M") == "10:15"
    # A second save is a correction and needs its reason.
    response = manager_client.post(url, {"date": yesterday, "time": "09:15"})
    assert response.status_code == 400
    assert "Enter why you are correcting" in response.content.decode()
    response = manager_client.post(
        url, {"date": yesterday, "time": "09:15", "correction_reason": "Wrong hour"}
    )
    assert response.status_code == 302
    corrected = Referral.objects.get(pk=referral.pk).first_contact_at
    assert timezone.localtime(corrected).strftime("%H:%M") == "09:15"
