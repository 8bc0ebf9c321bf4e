"""A member of the public finds a service, reads it, and leaves quickly."""

import pytest

from tests.journeys.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def services(make_service):
    make_service(
        "Leeds Change Programme",
        areas=("leeds",),
        claims={"risk_medium": {"value": "yes", "evidence_level": "verified"}},
        description="Group work for people who want to stop being abusive.",
    )
    make_service("Bradford Early Help", areas=("bradford",))


def test_find_a_service_by_area_and_open_it(page, services):
    page.goto("/")
    assert axe_violations(page) == []
    page.get_by_label("Where do you live?").select_option("leeds")
    page.get_by_role("button", name="Search").click()
    assert page.get_by_role("heading", name="1 service found").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "public-search-results")
    page.get_by_role("link", name="Leeds Change Programme").click()
    assert page.get_by_role("heading", name="Leeds Change Programme").is_visible()
    assert page.get_by_text("Commissioner-verified").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "public-service-page")


def test_unknown_area_shows_an_accessible_error(page, services):
    page.goto("/?area=atlantis")
    assert page.get_by_text("There is a problem").is_visible()
    assert axe_violations(page) == []


def test_exit_this_page_button_leaves_for_a_neutral_page(page, services):
    page.goto("/")
    page.get_by_role("button", name="Emergency Exit this page").click()
    page.wait_for_url("**/weather/")
    assert page.title() == "Weather forecast"


def test_exit_this_page_by_pressing_shift_three_times(page, services):
    page.goto("/")
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url("**/weather/")
    assert page.title() == "Weather forecast"
