"""Standards fixtures: frameworks come with `reference`; assessments are made through services."""

from __future__ import annotations

import datetime as dt

import pytest

from pathways.accounts.models import Role
from pathways.standards import services
from pathways.standards.models import Checklist, Rating


@pytest.fixture
def commissioning(reference):
    """The VAWDASV 2018 commissioning checklist (13 questions)."""
    return Checklist.objects.get(framework__slug="vawdasv", key="commissioning")


@pytest.fixture
def manager(role_users):
    return role_users[Role.PROVIDER_MANAGER]


@pytest.fixture
def commissioner(role_users):
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def service(make_service):
    return make_service(
        "Change Programme",
        intervention_type="behaviour_change",
        duration_weeks=24,
        integrated_victim_support="partner",
        victim_support_partner="Safe Partners",
    )


@pytest.fixture
def other_service(make_service, other_provider_org):
    return make_service("Elsewhere Programme", organisation=other_provider_org)


FUTURE = dt.date(2099, 1, 31)


def rate_all(assessment, actor, *, status=Rating.GREEN, overrides=None):
    """Rate every question (green unless overridden by question key)."""
    overrides = overrides or {}
    for rating in assessment.ratings.select_related("question"):
        value = overrides.get(rating.question.key, status)
        services.rating_update(
            actor=actor,
            rating=rating,
            status=value,
            finding="Seen in the documents." if value != Rating.GREEN else "",
            evidence_sources=["documents"],
            review_date=FUTURE if value == Rating.AMBER else None,
        )


def agree_all(assessment, actor):
    for rating in assessment.ratings.all():
        services.rating_review(actor=actor, rating=rating, decision="agreed")


@pytest.fixture
def submitted(service, commissioning, manager):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rate_all(assessment, manager, overrides={"value-for-money": Rating.AMBER})
    return services.assessment_submit(actor=manager, assessment=assessment)
