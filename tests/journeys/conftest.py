"""Real-browser journeys: Playwright drives Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
import time
from base64 import b32decode
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium")
AXE = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "pathways"
    / "static"
    / "vendor"
    / "axe-core"
    / "axe.min.js"
)
ARTIFACTS = Path(
    os.environ.get(
        "PATHWAYS_SCREENSHOTS",
        Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots",
    )
)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    """Journeys sign in as in production: with a security code for every case role."""
    settings.MFA_REQUIRED = True


def totp_code(secret_base32: str, *, after_step: int = -1, tolerance: int = 1) -> str:
    """The code an authenticator app holding this secret shows now. The server never takes
    a code twice: `after_step` is the last time step it took, so the code is the next
    step's when this one is used (within the one step of drift the server allows)."""
    from django_otp.oath import TOTP

    totp = TOTP(b32decode(secret_base32))
    now = time.time()
    totp.time = now
    current = totp.t()
    step = max(current, after_step + 1)
    if step > current + tolerance:
        raise ValueError("every code the server would take now has been used")
    totp.time = now + (step - current) * totp.step
    return f"{totp.token():06d}"


def sign_in(page, user, *, wait_for: str | None = "**/work/") -> None:
    """Sign in through the real pages: username and password, then, for a role that must use
    MFA, the code from an authenticator holding the demo secret (as the demo users' does)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from pathways.accounts.mfa import secret_base32
    from pathways.accounts.policies import must_use_mfa
    from pathways.accounts.services import mfa_demo_device_ensure
    from tests.conftest import TEST_PASSWORD

    if must_use_mfa(user):
        mfa_demo_device_ensure(user=user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    page.goto("/accounts/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        page.wait_for_url("**/accounts/mfa/verify/**")
        device.refresh_from_db()
        try:
            code = totp_code(secret_base32(device), after_step=device.last_t)
        except ValueError:
            # Signed in more often than the codes change: let the server take this step's.
            TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
            code = totp_code(secret_base32(device))
        page.get_by_label("Security code").fill(code)
        page.get_by_role("button", name="Continue").click()
    if wait_for:
        page.wait_for_url(wait_for)


def _chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


@pytest.fixture(scope="session")
def browser():
    if not _chromium_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run should install it")
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    requests_elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: None
        if request.url.startswith(live_server.url) or request.url.startswith("data:")
        else requests_elsewhere.append(request.url),
    )
    yield page
    context.close()
    assert requests_elsewhere == [], f"the page asked another site for {requests_elsewhere}"


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page at WCAG 2.2 A and AA; return the violations."""
    # Loaded from our own static files so the page's strict CSP (no inline scripts) still applies.
    assert AXE.exists(), "run scripts/build-assets.sh to vendor axe-core"
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
