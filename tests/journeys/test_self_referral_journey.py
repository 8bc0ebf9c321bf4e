"""A person worried about their own behaviour self-refers, in English and in Welsh, with a
mouse and with the keyboard alone, and can leave quickly from any page."""

from __future__ import annotations

import re

import pytest

from pathways.referrals.models import Referral
from tests.journeys.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"PW-[0-9A-Z]{4}-[0-9A-Z]{4}")


def _reference_on(page) -> str:
    text = page.get_by_test_id("reference").inner_text()
    assert REFERENCE.fullmatch(text), text
    return text


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab until `selector` has focus: proves it is reachable by keyboard."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"could not reach {selector} with the Tab key")


def test_self_refer_in_english(page, reference):
    page.goto("/self-referral/")
    assert page.get_by_role("heading", name="Ask for help to change your behaviour").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "self-referral-start")
    page.get_by_role("button", name="Start now").click()

    page.get_by_role("button", name="Send").click()  # nothing filled in
    assert page.get_by_text("There is a problem").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "self-referral-errors")

    page.get_by_label("Where do you live?").select_option("leeds")
    page.get_by_label("What should we call you? (optional)").fill("Jay")
    page.get_by_label("Phone number (optional if you give an email address)").fill("07700 900123")
    page.get_by_label("When is it safe to contact you? (optional)").fill("Weekday mornings")
    page.get_by_role("group", name="Is it safe for us to leave you a voicemail?").get_by_label(
        "No", exact=True
    ).check()
    page.get_by_role("group", name="Is it safe for us to send you a text message?").get_by_label(
        "Yes", exact=True
    ).check()
    page.get_by_label("What is happening? (optional)").fill("I lose my temper with my partner.")
    page.get_by_role(
        "group", name="Do any children live with you, even some of the time?"
    ).get_by_label("No", exact=True).check()
    assert axe_violations(page) == []
    screenshot(page, "self-referral-form")
    page.get_by_role("button", name="Send").click()

    assert page.get_by_role("heading", name="Self-referral sent").is_visible()
    reference_number = _reference_on(page)
    assert "/self-referral/done/" in page.url
    assert axe_violations(page) == []
    screenshot(page, "self-referral-done")
    referral = Referral.objects.get(reference=reference_number)
    assert (referral.voicemail_safe, referral.text_safe) == ("no", "yes")


def test_self_refer_in_welsh(page, reference):
    page.goto("/self-referral/")
    page.get_by_role("button", name="Cymraeg").click()
    page.wait_for_selector('html[lang="cy"]')
    assert page.get_by_role("heading", name="Gofyn am help i newid eich ymddygiad").is_visible()
    assert page.get_by_role("button", name="Argyfwng Gadael y dudalen hon").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "self-referral-start-cy")
    page.get_by_role("button", name="Dechrau nawr").click()

    page.get_by_role("button", name="Anfon").click()
    assert page.get_by_text("Mae problem wedi codi").is_visible()
    assert axe_violations(page) == []

    page.get_by_label("Ble rydych chi'n byw?").select_option(label="Caerdydd")
    page.get_by_label("Cyfeiriad e-bost (dewisol os ydych chi'n rhoi rhif ffôn)").fill(
        "jay@example.test"
    )
    page.get_by_role("group", name="Oes unrhyw blant yn byw gyda chi").get_by_label(
        "Ie", exact=True
    ).check()
    page.get_by_label("Pa iaith yr hoffech i ni ei defnyddio?").select_option("cy")
    assert axe_violations(page) == []
    screenshot(page, "self-referral-form-cy")
    page.get_by_role("button", name="Anfon").click()

    assert page.get_by_role("heading", name="Hunangyfeiriad wedi'i anfon").is_visible()
    reference_number = _reference_on(page)
    assert axe_violations(page) == []
    screenshot(page, "self-referral-done-cy")
    referral = Referral.objects.get(reference=reference_number)
    assert (referral.area.slug, referral.language) == ("cardiff", "cy")


def test_self_refer_with_the_keyboard_only(page, reference):
    page.goto("/self-referral/")
    tab_to(page, "a.govuk-button--start")
    page.keyboard.press("Enter")
    page.wait_for_url("**/self-referral/details/")

    tab_to(page, "#id_area")
    page.keyboard.type("Leeds")
    tab_to(page, "#id_name")
    page.keyboard.type("jay")
    tab_to(page, "#id_contact_phone")
    page.keyboard.type("07700 900123")
    tab_to(page, "#id_voicemail_safe_0")
    page.keyboard.press("ArrowRight")  # Yes -> No
    tab_to(page, "#id_text_safe_0")
    page.keyboard.press("Space")  # Yes
    tab_to(page, "#id_children_in_household_0")
    page.keyboard.press("ArrowRight")  # No
    tab_to(page, "#send")
    page.keyboard.press("Enter")

    page.wait_for_url("**/self-referral/done/")
    reference_number = _reference_on(page)
    assert axe_violations(page) == []
    referral = Referral.objects.get(reference=reference_number)
    assert referral.area.slug == "leeds"
    assert (referral.voicemail_safe, referral.text_safe) == ("no", "yes")
    assert referral.children_in_household == "no"


def test_exit_this_page_button_leaves_the_self_referral(page, reference):
    page.goto("/self-referral/details/")
    page.get_by_role("button", name="Emergency Exit this page").click()
    page.wait_for_url("**/weather/")
    assert page.title() == "Weather forecast"


def test_pressing_shift_three_times_leaves_the_self_referral(page, reference):
    page.goto("/self-referral/details/")
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url("**/weather/")
    assert page.title() == "Weather forecast"


def test_shift_three_times_works_in_welsh_too(page, reference):
    page.goto("/self-referral/")
    page.get_by_role("button", name="Cymraeg").click()
    page.wait_for_selector('html[lang="cy"]')
    page.wait_for_function("document.body.classList.contains('govuk-frontend-supported')")
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url("**/weather/")
    assert page.title() == "Weather forecast"
