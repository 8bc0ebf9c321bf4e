"""Case work in a real browser: the perpetrator's worker opens the case and sees the linked
support case held by another worker (and nothing of its record), raises a risk event, the
support worker sees it arrive on their alert list and support case, and the case closes at
high risk only after a handover."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pathways.accounts.models import Role
from pathways.cases.models import CaseStatus, ConsentState, Handover, RiskEvent
from pathways.cases.services.perpetrator import (
    CaseInput,
    perpetrator_case_assign,
    perpetrator_case_open,
    perpetrator_case_update,
)
from pathways.cases.services.records import case_note_add, consent_record
from pathways.cases.services.support import support_case_assign, support_case_request
from tests.journeys.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]


def _sign_in(page, user):
    page.context.clear_cookies()
    sign_in(page, user)


def test_case_with_linked_support_risk_event_both_ways_and_high_risk_handover(
    page, role_users, make_service
):
    worker = role_users[Role.PERPETRATOR_WORKER]
    supporter = role_users[Role.SUPPORT_WORKER]
    case = perpetrator_case_open(
        actor=worker,
        service=make_service("Journey Change Programme"),
        data=CaseInput(person_name="Journey Person", intervention="Programme", tier="high_risk"),
    )
    perpetrator_case_assign(actor=worker, case=case, worker=worker)
    perpetrator_case_update(actor=worker, case=case, police_contact=role_users[Role.REFERRER])
    consent_record(actor=worker, case=case, state=ConsentState.GIVEN)
    support = support_case_request(
        actor=worker,
        case=case,
        victim_name="Journey Partner",
        contact={"contact_phone": "07700 900777"},
    )
    support_case_assign(actor=supporter, support_case=support, worker=supporter)
    case_note_add(actor=supporter, support_case=support, text="Confidential journey note")

    # The perpetrator's worker: the case, its linked support case, and none of its record.
    _sign_in(page, worker)
    page.goto("/cases/")
    assert axe_violations(page) == []
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_text("Linked support cases")).to_be_visible()
    expect(page.get_by_role("cell", name=support.reference)).to_be_visible()
    expect(page.get_by_role("cell", name="Allocated", exact=True)).to_be_visible()
    html = page.content()
    for secret in ("Confidential journey note", "07700 900777"):
        assert secret not in html
    assert axe_violations(page) == []
    screenshot(page, "case-perpetrator-side")

    page.get_by_role("link", name="Raise a risk event").click()
    page.get_by_label("Escalation in risk").check()
    page.get_by_label("What happened").fill("Made threats after the session")
    page.get_by_label("The victim-survivor", exact=True).check()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Raise risk event").click()
    expect(page.get_by_text("Made threats after the session").first).to_be_visible()
    assert RiskEvent.objects.filter(case=case).count() == 1

    # The support worker: the alert arrived at once, and the event is on the support case.
    _sign_in(page, supporter)
    page.goto("/cases/alerts/")
    expect(page.get_by_text(case.reference).first).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "case-support-alerts")
    page.goto(f"/support/{support.reference}/")
    expect(page.get_by_text("Made threats after the session").first).to_be_visible()
    expect(page.get_by_text("Confidential journey note").first).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "case-support-record")

    # Closing at high risk: refused until a handover is recorded.
    _sign_in(page, worker)
    page.goto(f"/cases/{case.reference}/status/")
    page.get_by_label("Closed", exact=True).check()
    page.get_by_label("Reason").fill("Moved out of the area")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "record a handover to the agency that holds the risk"
    )
    assert axe_violations(page) == []
    screenshot(page, "case-close-refused")

    page.goto(f"/cases/{case.reference}/handover/")
    page.get_by_label("Agency that holds the risk").fill("Police public protection unit")
    page.get_by_label("Who at the agency accepted the handover?").fill("DS Example")
    page.get_by_label("What was handed over").fill("Risk picture and current address")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save handover").click()
    assert Handover.objects.filter(case=case).count() == 1

    page.goto(f"/cases/{case.reference}/status/")
    page.get_by_label("Closed", exact=True).check()
    page.get_by_label("Reason").fill("Moved out of the area")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Closed").first).to_be_visible()
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    screenshot(page, "case-closed-with-handover")
