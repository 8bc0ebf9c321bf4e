"""Real-browser journeys: Playwright drives Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

import os
import shutil
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
