"""Signing in through the real form (CSRF, origin and cookies as a browser sends them)."""

import pytest

from pathways.accounts.models import Role
from tests.journeys.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def test_provider_manager_signs_in_and_sees_their_services(
    page, role_users, make_service, provider_org
):
    make_service("Our Programme", organisation=provider_org)
    sign_in(page, role_users[Role.PROVIDER_MANAGER])
    page.wait_for_url("**/work/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Services you manage").click()
    assert page.get_by_role("link", name="Our Programme").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "provider-services")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    page.goto("/work/")
    assert "/accounts/sign-in/" in page.url


def test_wrong_password_shows_error_summary(page, role_users):
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username").fill(role_users[Role.COMMISSIONER].username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("There is a problem").is_visible()
    assert axe_violations(page) == []


def test_commissioner_review_page_is_accessible(page, role_users, make_service):
    make_service("Needs checking")
    sign_in(page, role_users[Role.COMMISSIONER])
    page.wait_for_url("**/work/")
    page.get_by_role("link", name="Unconfirmed and stale records").click()
    assert page.get_by_role("link", name="Needs checking").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "commissioner-review")
