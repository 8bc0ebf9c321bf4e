"""Publishing a mapping summary in a real browser: an administrator confirms, the public
reads it (checked with axe-core), and it is gone once unpublished."""

from __future__ import annotations

import pytest

from pathways.accounts.models import Role
from pathways.mapping import services
from pathways.mapping.engine import CountingRule
from tests.journeys.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def test_administrator_publishes_and_unpublishes_a_summary(page, role_users, make_service):
    make_service("Leeds programme", claims={"risk_high": {"value": "yes"}})
    snapshot = services.snapshot_save(
        actor=role_users[Role.ANALYST], area_slug="leeds", rule=CountingRule()
    )
    assert page.goto("/mapping/published/leeds/").status == 404

    sign_in(page, role_users[Role.ADMIN])
    page.goto(f"/mapping/snapshots/{snapshot.pk}/")
    page.get_by_role("link", name="Publish a summary of this snapshot").click()
    assert page.get_by_role("heading", name="Publish this summary for the public?").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Publish this summary").click()
    page.wait_for_url(f"**/mapping/snapshots/{snapshot.pk}/")
    assert page.get_by_text("Summary published").first.is_visible()

    page.goto("/mapping/published/")
    page.get_by_role("link", name="Leeds").click()
    page.wait_for_url("**/mapping/published/leeds/")
    assert page.get_by_role("heading", name="Provision in Leeds", level=1).is_visible()
    assert page.get_by_role("button", name="Exit this page").first.is_visible()
    assert page.get_by_text("Leeds programme").count() == 0
    assert axe_violations(page) == []
    screenshot(page, "mapping-published-leeds")

    page.goto(f"/mapping/snapshots/{snapshot.pk}/")
    page.get_by_role("link", name="Unpublish the summary").click()
    page.get_by_role("button", name="Unpublish").click()
    page.wait_for_url(f"**/mapping/snapshots/{snapshot.pk}/")
    assert page.goto("/mapping/published/leeds/").status == 404
