"""The front door in a real browser: a triage worker triages a referral, sees the match
list with reasons and exclusions, sends it; the provider accepts; the referrer sees it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.referrals.models import Referral, ReferralStatus
from pathways.referrals.services.triage import risk_policy_load_demo
from tests.journeys.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def _sign_in(page, user):
    page.context.clear_cookies()
    sign_in(page, user)


def test_triage_match_send_accept(page, reference, role_users, make_service, make_referral):
    risk_policy_load_demo(areas=[Area.objects.get(slug="england")])
    fits = make_service(
        "Leeds Change Programme",
        claims={"risk_medium": {"value": "yes", "evidence_level": "verified"}},
        integrated_victim_support="own",
        capacity_status="open",
    )
    make_service(
        "Leeds Group Without Partner Support",
        claims={"risk_medium": {"value": "yes"}},
        integrated_victim_support="none",
    )
    referral = make_referral()

    _sign_in(page, role_users[Role.TRIAGE])
    page.goto("/referrals/front-door/")
    assert axe_violations(page) == []
    page.get_by_role("link", name=referral.reference).click()
    expect(page.get_by_role("heading", name=f"Referral {referral.reference}")).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Triage", exact=True).click()
    page.get_by_label("Has the person threatened to kill", exact=False).check()
    page.get_by_label("Is the abuse happening more often", exact=False).check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save triage").click()
    expect(page.get_by_text("Medium risk").first).to_be_visible()
    screenshot(page, "front-door-triaged")

    page.get_by_role("link", name="Find services").first.click()
    page.get_by_role("button", name="Find services").click()
    expect(page.get_by_role("heading", name="1 suitable service")).to_be_visible()
    excluded = page.locator("[data-rule=no_victim_support]")
    expect(excluded).to_be_visible()
    assert "Leeds Group Without Partner Support" in page.content()
    assert axe_violations(page) == []
    screenshot(page, "front-door-match")

    page.get_by_role("link", name="Send to Leeds Change Programme").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Send referral").click()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT and referral.sent_service == fits

    _sign_in(page, role_users[Role.PERPETRATOR_WORKER])
    page.goto("/referrals/provider/")
    assert axe_violations(page) == []
    page.get_by_role("link", name=referral.reference).click()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Accept referral").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Accept referral").click()
    expect(page.get_by_text("Accepted").first).to_be_visible()
    screenshot(page, "front-door-provider-accepted")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED

    _sign_in(page, role_users[Role.REFERRER])
    page.goto(f"/referrals/mine/{referral.reference}/")
    expect(page.get_by_text("Accepted").first).to_be_visible()
    assert axe_violations(page) == []
