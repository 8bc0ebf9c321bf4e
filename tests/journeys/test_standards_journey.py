"""Standards in a real browser: a provider's self-assessment reviewed and finalised by a
commissioner, compared and downloaded; a commissioner-led assessment; a send-back.

Every page visited is checked with axe-core. To keep the journeys short, the questions the
browser does not rate or review are rated or agreed through the service layer, the same
functions the pages call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pathways.accounts.models import Role
from pathways.standards import services
from pathways.standards.models import Assessment, Checklist, Rating
from tests.journeys.conftest import axe_violations, screenshot, sign_in

pytestmark = [pytest.mark.journey, pytest.mark.django_db(transaction=True)]

BROWSER_RATED = ("need", "value-for-money")
NEED = "What need does the service address?"
VALUE = "Is it value for money, and how is that shown?"


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def _accessible(page, name: str | None = None) -> None:
    assert axe_violations(page) == [], page.url
    if name:
        screenshot(page, name)


def _commissioning() -> Checklist:
    return Checklist.objects.get(framework__slug="vawdasv", key="commissioning")


def _rate_rest(assessment: Assessment, actor, skip=BROWSER_RATED) -> None:
    for rating in assessment.ratings.select_related("question"):
        if rating.question.key not in skip:
            services.rating_update(
                actor=actor,
                rating=rating,
                status=Rating.GREEN,
                finding="",
                evidence_sources=["documents"],
            )


def _agree_rest(assessment: Assessment, actor, skip=BROWSER_RATED) -> None:
    for rating in assessment.ratings.select_related("question"):
        if rating.question.key not in skip:
            services.rating_review(actor=actor, rating=rating, decision="agreed")


def _finalised_first_assessment(service, manager, commissioner) -> Assessment:
    """A finalised self-assessment from last year, to compare the new one with."""
    first = services.assessment_start(actor=manager, service=service, checklist=_commissioning())
    _rate_rest(first, manager, skip=())
    services.assessment_submit(actor=manager, assessment=first)
    _agree_rest(first, commissioner, skip=())
    return services.assessment_finalise(actor=commissioner, assessment=first)


def _rate_in_browser(page, question: str, status: str, finding: str = "", date: str = ""):
    page.get_by_role("link", name=f"Rate {question}").click()
    page.wait_for_url("**/items/*/")
    page.get_by_label(status, exact=True).check()
    if finding:
        page.get_by_label("Finding", exact=True).fill(finding)
    page.get_by_label("Documents").check()
    if date:
        page.get_by_label("Review date").fill(date)
    _accessible(page)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/assessments/*/")
    assert page.get_by_text("Rating saved").is_visible()


def test_provider_self_assesses_and_commissioner_reviews_compares_and_downloads(
    page, role_users, make_service, provider_org
):
    manager = role_users[Role.PROVIDER_MANAGER]
    commissioner = role_users[Role.COMMISSIONER]
    service = make_service("Change Programme", organisation=provider_org)
    first = _finalised_first_assessment(service, manager, commissioner)

    # The provider manager starts a self-assessment of their service.
    sign_in(page, manager)
    page.get_by_role("link", name="Frameworks, self-assessments, reviews").click()
    _accessible(page, "standards-provider-index")
    page.get_by_role("link", name="Change Programme").click()
    _accessible(page)
    page.get_by_role("link", name="Start a self-assessment").click()
    _accessible(page)
    page.get_by_label(
        "VAWDASV Perpetrator Service Standards (2018): Commissioning checklist"
    ).check()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/assessments/*/")
    assert page.get_by_text("Self-assessment started").is_visible()
    assert page.get_by_text("The provider (self-assessment").is_visible()
    _accessible(page, "standards-self-assessment-draft")
    second = Assessment.objects.get(service=service, number=2)
    _rate_rest(second, manager)

    # Two questions are rated in the browser; an incomplete amber is refused first.
    page.get_by_role("link", name=f"Rate {NEED}").click()
    page.get_by_label("Amber", exact=True).check()
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("There is a problem").is_visible()
    _accessible(page, "standards-rating-errors")
    page.get_by_role("link", name="Back to the assessment").click()
    _rate_in_browser(page, NEED, "Green")
    _rate_in_browser(page, VALUE, "Amber", "Costs not yet compared", "2099-06-30")
    page.get_by_role("button", name="Submit for review").click()
    assert page.get_by_text("Assessment submitted to the commissioners for review").is_visible()
    _accessible(page)
    _sign_out(page)

    # The commissioner reviews: agrees one rating, changes another with a reason.
    _agree_rest(second, commissioner)
    sign_in(page, commissioner)
    page.get_by_role("link", name="Frameworks, self-assessments, reviews").click()
    assert page.get_by_role("heading", name="Waiting for your review").is_visible()
    _accessible(page, "standards-commissioner-index")
    page.get_by_role("link", name="Change Programme – Commissioning checklist").click()
    _accessible(page)
    page.get_by_role("link", name=f"Review {NEED}").click()
    _accessible(page, "standards-review")
    page.get_by_label("Yes, agree").check()
    page.get_by_role("button", name="Save review").click()
    assert page.get_by_text("Review saved").is_visible()
    page.get_by_role("link", name=f"Review {VALUE}").click()
    page.get_by_label("No, change the rating").check()
    page.get_by_label("Your rating (if you change it)").select_option("red")
    page.get_by_role("button", name="Save review").click()
    assert page.get_by_text("Enter the reason for changing the rating").first.is_visible()
    _accessible(page, "standards-review-errors")
    page.get_by_label("Reason for the change").fill("No costing was provided")
    page.get_by_role("button", name="Save review").click()
    assert page.get_by_text("Review saved").is_visible()
    _accessible(page)
    page.get_by_role("button", name="Finalise the assessment").click()
    assert page.get_by_text("Assessment finalised").is_visible()
    assert page.get_by_text("Does not meet the standard: reassessment needed").is_visible()
    assert page.get_by_text("No costing was provided").is_visible()
    _accessible(page, "standards-finalised")

    # Downloads: the PDF and the spreadsheet.
    for label, fmt, magic in (("PDF", "pdf", b"%PDF"), ("spreadsheet (XLSX)", "xlsx", b"PK")):
        with page.expect_download() as info:
            page.get_by_role("link", name=label, exact=True).click()
        download = info.value
        assert download.suggested_filename == f"assessment-change-programme-commissioning-2.{fmt}"
        assert Path(download.path()).read_bytes().startswith(magic)

    # Compare this assessment with last year's.
    page.get_by_role("link", name="All assessments of this service").click()
    _accessible(page)
    page.get_by_label("First assessment").select_option(str(first.pk))
    page.get_by_label("Second assessment").select_option(str(second.pk))
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url("**first=*")
    table = page.get_by_role("table", name="Assessment #1 compared with #2")
    assert table.is_visible()
    changed = table.get_by_role("row").filter(has_text=VALUE)
    assert changed.get_by_text("Yes").is_visible() and changed.get_by_text("Red").is_visible()
    _accessible(page, "standards-compare")


def test_commissioner_leads_an_assessment_of_any_service(
    page, role_users, make_service, other_provider_org
):
    commissioner = role_users[Role.COMMISSIONER]
    make_service("Elsewhere Programme", organisation=other_provider_org)
    sign_in(page, commissioner)
    page.goto("/standards/")
    page.get_by_label("Service name").fill("Elsewhere")
    page.get_by_role("button", name="Find services").click()
    _accessible(page, "standards-find-service")
    page.get_by_role("link", name="Elsewhere Programme").click()
    _accessible(page)
    page.get_by_role("link", name="Start a commissioner assessment").click()
    _accessible(page, "standards-commissioner-start")
    page.get_by_label(
        "VAWDASV Perpetrator Service Standards (2018): Commissioning checklist"
    ).check()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/assessments/*/")
    assert page.get_by_text("Commissioner assessment started").is_visible()
    assert page.get_by_text("A commissioner (independent assessment)").is_visible()
    assert page.get_by_role("button", name="Submit for review").count() == 0
    _accessible(page, "standards-commissioner-draft")
    _rate_rest(Assessment.objects.get(service__name="Elsewhere Programme"), commissioner)
    _rate_in_browser(page, NEED, "Green")
    _rate_in_browser(page, VALUE, "Red", "No costing exists")
    page.get_by_role("button", name="Finalise the assessment").click()
    assert page.get_by_text("Assessment finalised").is_visible()
    assert page.get_by_text("Does not meet the standard: reassessment needed").is_visible()
    _accessible(page, "standards-commissioner-finalised")
    page.goto("/standards/")
    assert page.get_by_role("heading", name="Needs reassessment").is_visible()
    _accessible(page)


def test_commissioner_sends_a_self_assessment_back_and_the_provider_resubmits(
    page, role_users, make_service, provider_org
):
    manager = role_users[Role.PROVIDER_MANAGER]
    commissioner = role_users[Role.COMMISSIONER]
    service = make_service("Change Programme", organisation=provider_org)
    assessment = services.assessment_start(
        actor=manager, service=service, checklist=_commissioning()
    )
    _rate_rest(assessment, manager, skip=())
    services.assessment_submit(actor=manager, assessment=assessment)

    sign_in(page, commissioner)
    page.goto(f"/standards/assessments/{assessment.pk}/")
    page.get_by_role("link", name="Send back to the provider").click()
    page.get_by_role("button", name="Send back").click()
    assert page.get_by_text("Enter the reason for sending it back").first.is_visible()
    _accessible(page, "standards-send-back-errors")
    page.get_by_label("Why are you sending it back?").fill("Attach the costing for value for money")
    page.get_by_role("button", name="Send back").click()
    assert page.get_by_text("Self-assessment sent back to the provider").is_visible()
    _accessible(page)
    _sign_out(page)

    sign_in(page, manager)
    page.goto(f"/standards/assessments/{assessment.pk}/")
    banner = page.get_by_role("region", name="Sent back by a commissioner")
    assert banner.get_by_text("Attach the costing for value for money").is_visible()
    _accessible(page, "standards-sent-back")
    _rate_in_browser(page, VALUE, "Amber", "Costing attached, comparison due", "2099-06-30")
    page.get_by_role("button", name="Submit for review").click()
    assert page.get_by_text("Assessment submitted to the commissioners for review").is_visible()
    _accessible(page)
