"""Mapping in a real browser: from the dashboard to an area's mapping, checked with axe-core."""

from __future__ import annotations

import pytest

from pathways.accounts.models import Role
from tests.journeys.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def test_commissioner_maps_an_area_and_changes_the_rule(page, role_users, make_service):
    make_service("Leeds programme", claims={"risk_high": {"value": "yes"}})
    make_service(
        "Area-wide line",
        areas=("west-yorkshire",),
        claims={"risk_medium": {"value": "unknown"}},
        intervention_type="help_seeking",
    )
    sign_in(page, role_users[Role.COMMISSIONER])
    page.get_by_role("link", name="Coverage, gaps and the recommended suite by area").click()
    assert axe_violations(page) == []
    page.get_by_label("Area").select_option("west-yorkshire")
    page.get_by_role("button", name="Show the mapping").click()
    page.wait_for_url("**/mapping/west-yorkshire/**")
    assert page.get_by_role("heading", name="West Yorkshire", level=1).is_visible()
    assert page.locator("#counting-rule").get_by_text("shown but not counted").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "mapping-west-yorkshire")
    page.get_by_text("Change the counting rule").click()
    page.locator("#id_count_unknown_1").check()
    page.get_by_role("button", name="Apply the counting rule").click()
    page.wait_for_url("**count_unknown=yes**")
    assert page.locator("#counting-rule").get_by_text("claims are counted").is_visible()
    assert axe_violations(page) == []


def test_provider_manager_sees_their_place(page, role_users, make_service):
    make_service("Our programme", claims={"risk_high": {"value": "yes"}})
    sign_in(page, role_users[Role.PROVIDER_MANAGER])
    page.goto("/mapping/your-services/")
    assert page.get_by_role("heading", name="Our programme").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "mapping-your-services")
