"""The "Your work" page links each role to its case work and shows unread alerts."""

from __future__ import annotations

import pytest

from pathways.accounts.models import Role

pytestmark = pytest.mark.django_db

LINKS = {
    "/cases/": {Role.PERPETRATOR_WORKER, Role.PROVIDER_MANAGER},
    "/support/": {Role.SUPPORT_WORKER},
    "/cases/manage/": {Role.PROVIDER_MANAGER},
    "/cases/sharing/": {Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.ADMIN},
    "/cases/manage/break-glass/": {Role.ADMIN},
}


@pytest.mark.parametrize("role", Role.values)
def test_each_role_sees_links_to_the_case_work_it_may_open(client, role_users, role):
    client.force_login(role_users[role])
    html = client.get("/work/").content.decode()
    for link, roles in LINKS.items():
        assert (f'href="{link}"' in html) == (role in roles), (role, link)
    assert 'href="/cases/alerts/"' in html


def test_unread_alerts_are_counted_on_the_page(client, role_users, make_service):
    from pathways.cases.services.perpetrator import (
        CaseInput,
        perpetrator_case_assign,
        perpetrator_case_open,
    )
    from pathways.cases.services.risk import risk_event_raise
    from pathways.cases.services.support import support_case_assign, support_case_request

    worker, supporter = role_users[Role.PERPETRATOR_WORKER], role_users[Role.SUPPORT_WORKER]
    client.force_login(supporter)
    assert "new</strong>" not in client.get("/work/").content.decode()
    case = perpetrator_case_open(
        actor=worker,
        service=make_service("Dashboard service"),
        data=CaseInput(person_name="Dashboard Person", intervention="Programme"),
    )
    perpetrator_case_assign(actor=worker, case=case, worker=worker)
    support = support_case_request(actor=worker, case=case, victim_name="Dashboard Partner")
    support_case_assign(actor=supporter, support_case=support, worker=supporter)
    for kind in ("new_incident", "escalation"):
        risk_event_raise(actor=worker, case=case, kind=kind, summary="Raised for the dashboard")
    assert "2 new</strong>" in client.get("/work/").content.decode()
