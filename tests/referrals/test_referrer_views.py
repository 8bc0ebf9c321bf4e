"""The referrer's pages: a referrer sees only the referrals they made, with progress and
timers but none of the front door's reasoning, and can withdraw one before it is taken on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.referrals.models import Referral, ReferralStatus
from pathways.referrals.reference import RiskTier
from pathways.referrals.services.routing import referral_accept, referral_record_first_contact
from pathways.referrals.services.status import referral_transition

from .test_routing_services import send_referral

LIST = "/referrals/mine/"


def detail(referral) -> str:
    return f"/referrals/mine/{referral.reference}/"


@pytest.fixture
def referrer_client(client_for, role_users):
    return client_for(role_users[Role.REFERRER])


@pytest.fixture
def other_referrer(make_user, partnership_org):
    return make_user("other-referrer", Role.REFERRER, partnership_org)


def _backdate(referral, *, days: int):
    when = timezone.now() - dt.timedelta(days=days)
    Referral.objects.filter(pk=referral.pk).update(created_at=when, status_changed_at=when)
    referral.refresh_from_db()
    return referral


@pytest.mark.django_db
def test_list_shows_only_the_referrers_own_referrals(
    make_referral, referrer_client, other_referrer
):
    mine = make_referral()
    theirs = make_referral(actor=other_referrer)
    html = referrer_client.get(LIST).content.decode()
    assert mine.reference in html
    assert theirs.reference not in html


@pytest.mark.django_db
def test_another_referrers_referral_is_404_by_reference(make_referral, client_for, other_referrer):
    mine = make_referral()
    other = client_for(other_referrer)
    assert other.get(detail(mine)).status_code == 404
    assert other.get(detail(mine) + "withdraw/").status_code == 404
    assert other.post(detail(mine) + "withdraw/", {"reason": "Not mine"}).status_code == 404
    assert Referral.objects.get(pk=mine.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_empty_list_links_to_making_a_referral(referrer_client):
    html = referrer_client.get(LIST).content.decode()
    assert "You have not made any referrals yet" in html
    assert 'href="/referrals/new/"' in html


@pytest.mark.django_db
def test_list_filters_by_status(make_referral, referrer_client, role_users):
    kept = make_referral()
    gone = make_referral()
    referral_transition(
        actor=role_users[Role.TRIAGE], referral=gone, to_status=ReferralStatus.WITHDRAWN
    )
    html = referrer_client.get(LIST, {"status": "withdrawn"}).content.decode()
    assert gone.reference in html
    assert kept.reference not in html


@pytest.mark.django_db
def test_list_sorts_oldest_first_and_overdue_first(make_referral, referrer_client, settings):
    settings.REFERRAL_TRIAGE_DUE_DAYS = 2
    recent = make_referral()
    old_triaged = _backdate(make_referral(), days=10)
    middle = _backdate(make_referral(), days=1)
    html = referrer_client.get(LIST, {"sort": "oldest"}).content.decode()
    order = [html.index(r.reference) for r in (old_triaged, middle, recent)]
    assert order == sorted(order)
    html = referrer_client.get(LIST, {"sort": "overdue"}).content.decode()
    assert html.index(old_triaged.reference) < html.index(recent.reference)
    assert html.count("Overdue") >= 1


@pytest.mark.django_db
def test_a_bad_filter_value_falls_back_to_everything(make_referral, referrer_client):
    referral = make_referral()
    response = referrer_client.get(LIST, {"status": "nonsense", "sort": "sideways"})
    assert response.status_code == 200
    assert referral.reference in response.content.decode()


@pytest.mark.django_db
def test_list_is_paginated(make_referral, referrer_client, monkeypatch):
    monkeypatch.setattr("pathways.referrals.views.referrer.PAGE_SIZE", 2)
    for _ in range(3):
        make_referral()
    first = referrer_client.get(LIST).content.decode()
    second = referrer_client.get(LIST, {"page": 2}).content.decode()
    assert first.count('data-reference="') == 2
    assert second.count('data-reference="') == 1
    assert "govuk-pagination" in first


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(make_referral, referrer_client):
    make_referral()
    referrer_client.get(LIST)
    with CaptureQueriesContext(connection) as one:
        referrer_client.get(LIST)
    make_referral()
    make_referral()
    with CaptureQueriesContext(connection) as three:
        response = referrer_client.get(LIST)
    assert response.content.decode().count('data-reference="') == 3
    assert len(three) == len(one)


@pytest.mark.django_db
def test_list_shows_time_to_first_contact(make_referral, referrer_client, role_users):
    referral = _backdate(make_referral(), days=3)
    referral_record_first_contact(
        actor=role_users[Role.TRIAGE],
        referral=referral,
        at=referral.created_at + dt.timedelta(days=2),
    )
    html = referrer_client.get(LIST).content.decode()
    row = html[html.index(f'data-reference="{referral.reference}"') :]
    assert "2 days" in row[: row.index("</tr>")]


@pytest.mark.django_db
def test_detail_shows_tier_and_history_but_no_triage_reasoning_or_provider_reasons(
    make_referral, make_service, referrer_client, role_users
):
    referral = make_referral(person_name="Sam Example")
    triage = role_users[Role.TRIAGE]
    referral_transition(
        actor=triage,
        referral=referral,
        to_status=ReferralStatus.TRIAGED,
        reason="Lifted: prior MARAC for Alex",
        changes={
            "tier": RiskTier.HIGH,
            "computed_tier": RiskTier.MEDIUM,
            "tier_override_reason": "Escalating stalking reported by police",
            "computed_explanation": [{"code": "strangulation", "points": 5}],
        },
    )
    referral_transition(actor=triage, referral=referral, to_status=ReferralStatus.MATCHED)
    referral_transition(
        actor=triage,
        referral=referral,
        to_status=ReferralStatus.SENT,
        changes={"sent_service": make_service("Change Project"), "sent_at": timezone.now()},
    )
    response = referrer_client.get(detail(referral))
    html = response.content.decode()
    assert response.status_code == 200
    assert "High risk" in html
    assert "Sam Example" in html  # what they submitted
    for hidden in ("Escalating stalking", "strangulation", "Lifted: prior MARAC", "Medium risk"):
        assert hidden not in html
    for status in ("Received", "Triaged", "Matched", "Sent to a service"):
        assert status in html
    event = AuditEvent.objects.get(action="referral.viewed")
    assert event.detail["audience"] == "referrer"


@pytest.mark.django_db
def test_detail_does_not_show_the_providers_decline_reason(
    make_referral, make_service, referrer_client, role_users, client_for
):
    referral = send_referral(
        make_referral(), service=make_service("Change Project"), actor=role_users[Role.TRIAGE]
    )
    client_for(role_users[Role.PROVIDER_MANAGER]).post(
        f"/referrals/provider/{referral.reference}/decline/",
        {"reason": "Worker knows the family"},
    )
    referrer_client.force_login(role_users[Role.REFERRER])
    html = referrer_client.get(detail(referral)).content.decode()
    assert "Declined by the service" in html
    assert "Worker knows the family" not in html


@pytest.mark.django_db
def test_withdraw_asks_for_confirmation_then_withdraws(make_referral, referrer_client):
    referral = make_referral()
    page = referrer_client.get(detail(referral) + "withdraw/").content.decode()
    assert "Are you sure you want to withdraw" in page
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED
    response = referrer_client.post(
        detail(referral) + "withdraw/", {"reason": "Referred to the wrong area"}
    )
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.WITHDRAWN
    html = referrer_client.get(detail(referral)).content.decode()
    assert "Referred to the wrong area" in html  # their own note shows in their history


@pytest.mark.django_db
def test_withdraw_without_a_reason_shows_the_error_summary(make_referral, referrer_client):
    referral = make_referral()
    response = referrer_client.post(detail(referral) + "withdraw/", {"reason": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert "Enter why you are withdrawing this referral" in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_an_accepted_referral_cannot_be_withdrawn_from_the_page(
    make_referral, make_service, referrer_client, role_users
):
    referral = send_referral(
        make_referral(), service=make_service("Change Project"), actor=role_users[Role.TRIAGE]
    )
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)
    assert "Withdraw referral" not in referrer_client.get(detail(referral)).content.decode()
    page = referrer_client.get(detail(referral) + "withdraw/").content.decode()
    assert "can no longer be withdrawn" in page
    response = referrer_client.post(detail(referral) + "withdraw/", {"reason": "Too late"})
    assert response.status_code == 400
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PROVIDER_MANAGER, Role.SUPPORT_WORKER, Role.ANALYST])
def test_people_who_do_not_refer_are_refused(client_for, role_users, role):
    assert client_for(role_users[role]).get(LIST).status_code == 403
