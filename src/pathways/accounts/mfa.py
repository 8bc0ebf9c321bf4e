"""Multi-factor sign-in: who still owes a second factor, and what the pages show.

Who must use it is a policy (`policies.must_use_mfa`). The codes are django-otp's: a TOTP
device (an authenticator app) and Pathways' own recovery-code device (`models`). django-otp's
`OTPMiddleware` says whether this session has passed its second factor
(`request.user.is_verified()`); `SecondFactorMiddleware` sends a session that has not to the
code page. See docs/security.md.
"""

from __future__ import annotations

from base64 import b32decode, b32encode
from binascii import hexlify
from typing import Any

import segno
from django.utils.safestring import SafeString, mark_safe
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .policies import must_use_mfa

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
# Set in the session at sign-in when the person has an authenticator, so the code is asked
# for even when their roles do not require it (a commissioner who chose to use it).
PENDING_KEY = "pathways.mfa_pending"
STEP_VERIFY = "verify"
STEP_ENROL = "enrol"

# DEMO ONLY. Every demo user who must use MFA gets an authenticator with this secret, so a
# person trying the demo can add it to an app (or run `pathways mfa-demo-code`). Demo users
# exist only in development and demo modes (core/demo.py refuses otherwise).
DEMO_TOTP_SECRET = "PATHWAYSDEMOONLYPATHWAYSDEMOONLY"  # noqa: S105 - public by design


def totp_device(user: Any) -> TOTPDevice | None:
    """The person's confirmed authenticator, if they have set one up."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def is_enrolled(user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def step_for(user: Any) -> str | None:
    """What a person who has given the right password must do next, ignoring the session:
    STEP_VERIFY (give a code), STEP_ENROL (set up an authenticator) or None."""
    if is_enrolled(user):
        return STEP_VERIFY
    if must_use_mfa(user):
        return STEP_ENROL
    return None


def is_verified(request: Any) -> bool:
    """Has this session passed its second factor? (django-otp's OTPMiddleware.)"""
    check = getattr(request.user, "is_verified", None)
    return bool(check()) if callable(check) else False


def session_owes_second_factor(request: Any) -> bool:
    """True when a signed-in session must give a code (or set up an authenticator) before
    going on. Cheap: the roles are cached on the user and no device is read."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or is_verified(request):
        return False
    return must_use_mfa(user) or bool(request.session.get(PENDING_KEY))


def mark_pending_at_login(
    sender: Any, request: Any = None, user: Any = None, **kwargs: Any
) -> None:
    """user_logged_in receiver: a person with an authenticator owes a code, however they
    signed in (the sign-in page, the Django admin's login form, or a test's force_login)."""
    session = getattr(request, "session", None)
    if session is not None and user is not None and is_enrolled(user):
        session[PENDING_KEY] = True


def secret_base32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode("ascii").rstrip("=")


def secret_groups(device: TOTPDevice) -> list[str]:
    """The secret in groups of four, for typing into an app by hand."""
    secret = secret_base32(device)
    return [secret[i : i + 4] for i in range(0, len(secret), 4)]


def qr_svg(text: str, *, title: str) -> SafeString:
    """A QR code as inline SVG markup: no image request, no inline style or script, so the
    strict Content Security Policy holds. Dark on light with the quiet zone included."""
    svg = segno.make(text, error="m").svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title=title
    )
    return mark_safe(  # noqa: S308 - segno's own markup; segno escapes the title
        svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)
    )


def demo_key_hex() -> str:
    """The demo secret as django-otp stores keys (hex)."""
    return hexlify(b32decode(DEMO_TOTP_SECRET)).decode("ascii")


def demo_code(at: float | None = None) -> str:
    """The current 6-digit code for the demo secret (DEMO ONLY)."""
    totp = TOTP(b32decode(DEMO_TOTP_SECRET))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"
