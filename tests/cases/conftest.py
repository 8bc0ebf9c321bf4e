"""Fixtures for case work: a service, workers on both sides, and cases opened through the
services (never by creating rows directly), so every test starts from a real state."""

from __future__ import annotations

import pytest

from pathways.accounts.models import Role
from pathways.cases.models import ConsentState
from pathways.cases.services.perpetrator import (
    CaseInput,
    perpetrator_case_assign,
    perpetrator_case_open,
)
from pathways.cases.services.records import consent_record
from pathways.cases.services.support import support_case_assign, support_case_request


@pytest.fixture
def case_service(make_service):
    """A perpetrator intervention service of provider_org."""
    return make_service("Case Service")


@pytest.fixture
def manager(role_users):
    return role_users[Role.PROVIDER_MANAGER]


@pytest.fixture
def perp_worker(role_users):
    return role_users[Role.PERPETRATOR_WORKER]


@pytest.fixture
def support_worker(role_users):
    return role_users[Role.SUPPORT_WORKER]


@pytest.fixture
def dual_worker(make_user, provider_org):
    """Someone holding both a perpetrator-side and a support role in provider_org."""
    user = make_user("dual-worker", Role.PERPETRATOR_WORKER, provider_org)
    user.memberships.create(organisation=provider_org, role=Role.SUPPORT_WORKER)
    return user


@pytest.fixture
def open_case(case_service, perp_worker):
    """Make a perpetrator case on case_service, opened by the perpetrator-side worker."""

    def make(name: str = "Case Person", tier: str = "medium_risk", **kw):
        return perpetrator_case_open(
            actor=perp_worker,
            service=kw.pop("service", case_service),
            data=CaseInput(person_name=name, intervention="Programme", tier=tier, **kw),
        )

    return make


@pytest.fixture
def ready_case(open_case, perp_worker, support_worker):
    """A case allocated to the perpetrator-side worker, with consent and a linked support
    case allocated to the support worker: everything activation needs."""

    def make(name: str = "Ready Person", tier: str = "medium_risk"):
        case = open_case(name, tier=tier)
        perpetrator_case_assign(actor=perp_worker, case=case, worker=perp_worker)
        consent_record(actor=perp_worker, case=case, state=ConsentState.GIVEN)
        support = support_case_request(actor=perp_worker, case=case, victim_name="Partner")
        support_case_assign(actor=support_worker, support_case=support, worker=support_worker)
        case.refresh_from_db()
        return case, support

    return make
