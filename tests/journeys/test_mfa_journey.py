"""Multi-factor sign-in in a real browser: a triage worker with no authenticator is taken to
set one up (QR code and key, under the strict CSP), confirms it with a code, is shown the
recovery codes once, and later signs in with a recovery code. Each page passes axe."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.accounts.models import Role
from tests.conftest import TEST_PASSWORD
from tests.journeys.conftest import axe_violations, screenshot, totp_code

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def _password(page, user):
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_set_up_an_authenticator_then_sign_in_with_a_recovery_code(page, role_users):
    user = role_users[Role.TRIAGE]
    csp_violations: list[str] = []
    page.on(
        "console", lambda m: csp_violations.append(m.text) if "Content Security" in m.text else None
    )

    _password(page, user)
    page.wait_for_url("**/accounts/mfa/set-up/**")
    assert page.get_by_role("heading", name="Set up your authenticator app").is_visible()
    qr = page.get_by_role("img", name="QR code to add Pathways to your authenticator app")
    assert qr.is_visible()
    assert qr.bounding_box()["width"] >= 150
    assert axe_violations(page) == []
    screenshot(page, "mfa-set-up")

    # Someone types the key into their app by hand, and the app shows a code.
    secret = re.sub(r"\s", "", page.locator("#mfa-secret").inner_text())
    page.get_by_label("Security code").fill("000000" if totp_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_role(
        "link", name="The security code is not right or has expired"
    ).is_visible()
    assert axe_violations(page) == []
    screenshot(page, "mfa-set-up-error")
    # django-otp waits a second after a wrong code; move that wrong code into the past.
    TOTPDevice.objects.filter(user=user).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=1)
    )
    page.get_by_label("Security code").fill(totp_code(secret))
    page.get_by_role("button", name="Continue").click()

    assert page.get_by_role("heading", name="Your authenticator app is set up").is_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert axe_violations(page) == []
    screenshot(page, "mfa-recovery-codes")
    page.get_by_role("button", name="I have saved my recovery codes").click()
    page.wait_for_url("**/work/")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    _password(page, user)
    page.wait_for_url("**/accounts/mfa/verify/**")
    assert page.get_by_role("heading", name="Enter your security code").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "mfa-verify")
    page.get_by_role("link", name="I cannot use my authenticator app").click()
    page.get_by_label("Recovery code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/work/")
    assert page.get_by_text("You signed in with a recovery code. You have 9 left").is_visible()
    assert csp_violations == []
