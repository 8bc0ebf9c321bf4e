"""Codes for the MFA tests, computed the way an authenticator app does (no sleeping)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import TEST_PASSWORD

SIGN_IN = "/accounts/sign-in/"
VERIFY = "/accounts/mfa/verify/"
RECOVER = "/accounts/mfa/recovery-code/"
SET_UP = "/accounts/mfa/set-up/"
ACCOUNT = "/accounts/mfa/"
NEW_CODES = "/accounts/mfa/recovery-codes/"
WORK = "/work/"


def _totp(device: TOTPDevice) -> TOTP:
    return TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)


def code_for(device: TOTPDevice) -> str:
    """The code the app shows now, or in the next time step when the device has already
    accepted this one (django-otp never accepts a code twice; it allows one step of drift)."""
    device.refresh_from_db()
    totp = _totp(device)
    now = time.time()
    totp.time = now
    ahead = max(0, device.last_t + 1 - totp.t())
    totp.time = now + ahead * device.step
    return f"{totp.token():06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A 6-digit code the device will not accept now (none of the steps it tolerates)."""
    device.refresh_from_db()
    totp = _totp(device)
    now = time.time()
    accepted = set()
    for offset in range(-device.tolerance - 1, device.tolerance + 2):
        totp.time = now + offset * device.step
        accepted.add(totp.token())
    return next(f"{n:06d}" for n in range(123456, 10**6) if n not in accepted)


def enrolled(user, *, key: str | None = None) -> TOTPDevice:
    """Give the user a confirmed authenticator (test data, as if set up earlier)."""
    extra = {"key": key} if key else {}
    return TOTPDevice.objects.create(user=user, name="Authenticator app", **extra)


def forget_last_failure(device) -> None:
    """Move the device's last wrong code into the past, so django-otp's back-off has ended."""
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(days=1)
    )


def sign_in_with_password(client, user, *, next_url: str = "", address: str = "192.0.2.10"):
    path = SIGN_IN + (f"?next={next_url}" if next_url else "")
    return client.post(
        path, {"username": user.username, "password": TEST_PASSWORD}, REMOTE_ADDR=address
    )


def give_code(client, code: str, *, next_url: str = "", path: str = VERIFY, address="192.0.2.10"):
    return client.post(path, {"code": code, "next": next_url}, REMOTE_ADDR=address)


def recovery_codes_in(response) -> list[str]:
    return re.findall(
        r"<code>([0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})</code>", response.content.decode()
    )


def set_up_through_the_pages(client, user) -> tuple[TOTPDevice, list[str]]:
    """Sign in with the password and set up an authenticator as a person would. Returns the
    device and the recovery codes shown once."""
    sign_in_with_password(client, user)
    assert client.get(SET_UP).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = give_code(client, code_for(device), path=SET_UP)
    assert response.status_code == 200, response.content.decode()[:2000]
    device.refresh_from_db()
    return device, recovery_codes_in(response)
