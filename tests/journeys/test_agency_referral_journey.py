"""A referrer signs in through the real sign-in page and refers a person, with one
victim-survivor and one child, using a mouse and using the keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pathways.accounts.models import Role
from pathways.referrals.models import Referral
from tests.journeys.conftest import axe_violations, screenshot, sign_in
from tests.journeys.test_self_referral_journey import tab_to

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def _radio(scope, question: str, answer: str):
    return scope.get_by_role("group", name=question).get_by_label(answer, exact=True)


def test_refer_a_person_with_a_victim_survivor_and_a_child(page, reference, role_users):
    sign_in(page, role_users[Role.REFERRER])
    page.goto("/referrals/new/")
    assert page.get_by_role("heading", name="Make a referral").is_visible()
    assert axe_violations(page) == []

    page.get_by_role("button", name="Send referral").click()  # nothing filled in
    assert page.get_by_text("There is a problem").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "agency-referral-errors")

    page.get_by_label("Full name").first.fill("Sam Example")
    page.get_by_label("Date of birth").fill("27 3 1985")
    _radio(page, "Gender (optional)", "Man").check()
    page.get_by_label("Area where the person lives").select_option("leeds")
    _radio(page, "Is there a known victim-survivor?", "Yes").check()
    page.get_by_label("The person's relationship to the victim-survivor").select_option(
        "current_partner"
    )

    victim = page.locator("#victim-0")
    victim.get_by_label("Full name").fill("Alex Example")
    _radio(victim, "Do they live with the person?", "No").check()
    _radio(victim, "Do they know about this referral?", "No").check()
    victim.get_by_label("Safe phone number (optional)").fill("07700 900789")
    victim.get_by_label("Safe times to contact (optional)").fill("Tuesdays 10 to 12")
    _radio(victim, "Is it safe to leave a voicemail?", "No").check()

    # Adding a child form re-renders the page without JavaScript and keeps what was typed.
    page.get_by_role("button", name="Add another child").click()
    assert page.locator("#child-1").is_visible()
    assert page.locator("#id_victims-0-name").input_value() == "Alex Example"
    assert axe_violations(page) == []
    child = page.locator("#child-0")
    child.get_by_label("Age").fill("6")
    _radio(child, "Does the child live with the person?", "No").check()
    _radio(child, "Is children's social care involved?", "Yes").check()

    page.get_by_label("Domestic abuse").check()
    page.get_by_label("What do you know about risk? (optional)").fill("Threats since separation.")
    _radio(page, "Has this been heard at MARAC?", "No").check()
    page.get_by_label("Substance use").check()
    page.get_by_label("Referring agency").select_option("police")
    _radio(page, "Lawful basis for sharing", "Public task").check()
    _radio(page, "Has the person consented to this referral?", "Consent given").check()
    assert axe_violations(page) == []
    screenshot(page, "agency-referral-form")
    page.get_by_role("button", name="Send referral").click()

    page.wait_for_url("**/referrals/mine/PW-*/")
    referral = Referral.objects.get()
    banner = page.locator(".govuk-notification-banner--success")
    assert f"Referral {referral.reference} sent to the front door" in banner.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "agency-referral-sent")
    assert referral.victims.get().name == "Alex Example"
    assert referral.children.get().age == 6
    assert referral.referrer == role_users[Role.REFERRER]


def test_refer_with_the_keyboard_only(page, reference, role_users):
    sign_in(page, role_users[Role.REFERRER])
    page.goto("/referrals/new/")

    tab_to(page, "#id_person_name")
    page.keyboard.type("Sam Example")
    tab_to(page, "#id_person_age")
    page.keyboard.type("34")
    tab_to(page, "#id_area")
    page.keyboard.type("Leeds")
    tab_to(page, "#id_victims_known_0")
    page.keyboard.press("Space")  # Yes
    tab_to(page, "#id_victims-0-name")
    page.keyboard.type("Alex Example")
    tab_to(page, "#id_victims-0-voicemail_safe_0")
    page.keyboard.press("ArrowRight")  # No
    tab_to(page, "#id_children-0-age")
    page.keyboard.type("6")
    tab_to(page, "#id_abuse_types_0")
    page.keyboard.press("Space")
    tab_to(page, "#id_marac_heard_0")
    page.keyboard.press("ArrowRight")  # No
    tab_to(page, "#id_source")
    page.keyboard.type("Police")
    tab_to(page, "#id_lawful_basis_0")
    page.keyboard.press("Space")  # Consent
    tab_to(page, "#id_consent_status_0")
    page.keyboard.press("Space")  # Consent given
    tab_to(page, "#send")
    page.keyboard.press("Enter")

    page.wait_for_url("**/referrals/mine/PW-*/")
    referral = Referral.objects.get()
    assert referral.person_age == 34 and referral.area.slug == "leeds"
    assert referral.victims.get().voicemail_safe == "no"
    assert referral.children.get().age == 6
    assert referral.source == "police" and referral.marac_heard is False
    assert axe_violations(page) == []


def test_pressing_enter_in_a_field_sends_rather_than_adds_a_form(page, reference, role_users):
    sign_in(page, role_users[Role.REFERRER])
    page.goto("/referrals/new/")
    forms_before = page.locator("[id^=victim-]").count()
    page.get_by_label("Full name").first.fill("Sam Example")
    page.get_by_label("Full name").first.press("Enter")
    # The send button's validation ran (the rest is missing); no extra form was added.
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert page.locator("[id^=victim-]").count() == forms_before
    assert not Referral.objects.exists()
    assert axe_violations(page) == []
