"""The idle warning in a real browser: it appears before the end, "Stay signed in" keeps
the session, and doing nothing ends on the sign-in page saying why. (The server side is
tested in tests/accounts/test_idle_timeout.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from tests.journeys.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def short_timeout(settings):
    """A 16-second timeout with a 12-second warning, on pages that carry the warning."""
    settings.IDLE_TIMEOUT_MINUTES = 16 / 60
    settings.IDLE_WARNING_MINUTES = 12 / 60


def _status(page) -> dict:
    return page.evaluate(
        "async () => (await fetch('/accounts/session/', {headers: {Accept: 'application/json'}})).json()"
    )


def test_warning_offers_to_stay_signed_in_and_then_signs_out(page, role_users, short_timeout):
    user = role_users[Role.TRIAGE]
    sign_in(page, user)
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    dialog.wait_for(state="visible", timeout=15_000)
    assert "For your security, we will sign you out in" in dialog.inner_text()
    assert page.evaluate("document.activeElement.textContent.trim()") == "Stay signed in"
    assert axe_violations(page) == []
    screenshot(page, "idle-warning")

    dialog.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden")
    assert _status(page)["expires_in"] > 12

    # Doing nothing this time: the warning comes back, then the sign-in page says why.
    dialog.wait_for(state="visible", timeout=15_000)
    page.wait_for_url("**/accounts/sign-in/?next=%2Fwork%2F", timeout=30_000)
    assert page.get_by_text("For your security, we signed you out").is_visible()
    assert axe_violations(page) == []
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_OUT).get()
    assert event.actor == user
    assert event.detail["reason"] == "idle"


def test_escape_keeps_the_session_like_stay_signed_in(page, role_users, short_timeout):
    sign_in(page, role_users[Role.REFERRER])
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    dialog.wait_for(state="visible", timeout=15_000)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert _status(page)["expires_in"] > 12
    assert "/work/" in page.url


def test_sign_out_from_the_warning(page, role_users, short_timeout):
    sign_in(page, role_users[Role.TRIAGE])
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    dialog.wait_for(state="visible", timeout=15_000)
    dialog.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/")
    event = AuditEvent.objects.filter(action=AuditAction.SIGN_OUT).get()
    assert event.detail["reason"] == "user"


def test_lockout_on_the_sign_in_page_is_accessible(page, role_users, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        page.goto("/accounts/sign-in/")
        page.get_by_label("Username").fill(role_users[Role.TRIAGE].username)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    assert page.get_by_text("You have tried to sign in too many times.").is_visible()
    assert axe_violations(page) == []
    screenshot(page, "sign-in-locked-out")
