"""A Welsh speaker finds a service in Cymraeg: switches language on the home page, searches,
opens a service and reads it, then goes back to English. axe-core checks every page."""

from __future__ import annotations

import pytest

from tests.journeys.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def services(make_service):
    make_service(
        "Cardiff Change Programme",
        areas=("cardiff",),
        terms=("abuse-types:DA", "referral-routes:self", "delivery-formats:group"),
        claims={
            "risk_medium": {"value": "yes", "evidence_level": "verified"},
            "self_referral": {"value": "yes"},
        },
        description="Group work for people who want to stop being abusive.",
        suite_tier="medium_risk",
        capacity_status="open",
    )
    make_service("Leeds Change Programme", areas=("leeds",))


def test_find_a_service_in_welsh(page, services):
    page.goto("/")
    page.get_by_role("button", name="Cymraeg").click()
    page.wait_for_selector('html[lang="cy"]')
    assert page.get_by_role(
        "heading", name="Dod o hyd i help i newid ymddygiad niweidiol"
    ).is_visible()
    assert page.get_by_role("button", name="Gadael y dudalen hon").first.is_visible()
    assert axe_violations(page) == []
    screenshot(page, "public-home-welsh")

    page.get_by_label("Ble rydych chi'n byw?").select_option(label="Caerdydd")
    page.get_by_label("Math o gam-drin").select_option(label="Cam-drin domestig")
    page.get_by_role("button", name="Chwilio", exact=True).click()
    assert page.get_by_role("heading", name="1 gwasanaeth wedi'i ganfod").is_visible()
    assert page.locator("html").get_attribute("lang") == "cy"
    assert axe_violations(page) == []
    screenshot(page, "public-search-results-welsh")

    page.get_by_role("link", name="Cardiff Change Programme").click()
    assert page.get_by_role("heading", name="Cardiff Change Programme").is_visible()
    summary = page.locator(".govuk-summary-list")
    assert summary.get_by_text("Caerdydd").is_visible()
    assert summary.get_by_text("Risg ganolig").is_visible()
    assert summary.get_by_text("Ar agor i atgyfeiriadau").is_visible()
    assert page.get_by_text("Yn gweithio gyda chyflawnwyr risg ganolig").is_visible()
    assert page.get_by_text("Wedi'i wirio gan gomisiynydd").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "public-service-page-welsh")

    # Back to English, on the same page.
    url = page.url
    page.get_by_role("button", name="English").click()
    page.wait_for_selector('html[lang="en"]')
    assert page.url == url
    assert page.get_by_text("Works with medium-risk perpetrators").is_visible()
