"""Real browser: the public library, an approach where sources disagree, and a service page."""

import pytest

from pathways.evidence import services
from pathways.evidence.models import Approach
from tests.journeys.conftest import axe_violations, screenshot

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def test_read_the_library_and_see_disagreement(page, reference, make_service):
    service = make_service("Drive here")
    services.service_approach_set(
        actor=None, service=service, approach=Approach.objects.get(slug="drive")
    )
    page.goto("/evidence/")
    assert axe_violations(page) == []
    page.get_by_label("Agreement between sources").select_option("disagree")
    page.get_by_role("button", name="Apply filters").click()
    page.get_by_role(
        "link", name="Drive (intensive case management for high-harm perpetrators)"
    ).click()
    warning = page.locator('[data-agreement="disagree"]')
    assert warning.is_visible() and "Sources disagree" in warning.inner_text()
    assert axe_violations(page) == []
    screenshot(page, "evidence-approach-disagree")
    page.get_by_role("link", name="Drive here").click()
    assert page.get_by_text("These sources disagree").is_visible()
    assert axe_violations(page) == []
    page.goto("/evidence/?focus=nonsense")
    assert page.get_by_text("There is a problem").is_visible()
    assert axe_violations(page) == []
