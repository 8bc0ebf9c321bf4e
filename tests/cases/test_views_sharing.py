"""The information sharing agreements register: commissioners and administrators keep it,
provider managers read the agreements their organisation is party to, and an agreement's
page shows the shares made under it by case reference only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.cases.models import AgreementStatus, SharingAgreement
from pathways.cases.services.sharing import share_record, sharing_agreement_save
from pathways.cases.views.common import PAGE_SIZE

pytestmark = pytest.mark.django_db

REGISTER = "/cases/sharing/"
NEW = "/cases/sharing/new/"


@pytest.fixture
def commissioner(role_users):
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def make_agreement(commissioner, provider_org, partnership_org):
    def make(name="Risk sharing", *, parties=None, status=AgreementStatus.ACTIVE, **kw):
        today = timezone.localdate()
        return sharing_agreement_save(
            actor=commissioner,
            name=name,
            parties=parties or [provider_org, partnership_org],
            purpose=kw.pop("purpose", "Keeping victim-survivors safe"),
            lawful_basis=kw.pop("lawful_basis", "public_task"),
            categories=kw.pop("categories", ["risk", "case_progress"]),
            starts_on=kw.pop("starts_on", today - dt.timedelta(days=30)),
            review_on=kw.pop("review_on", today + dt.timedelta(days=300)),
            status=status,
        )

    return make


def _row(html: str, agreement) -> str:
    match = re.search(rf'<tr[^>]*data-agreement="{agreement.pk}".*?</tr>', html, re.S)
    assert match, f"no row for {agreement.name}"
    return match.group(0)


def _valid_post(parties, **changes):
    today = timezone.localdate()
    return {
        "name": "Partnership risk agreement",
        "parties": [str(p.pk) for p in parties],
        "purpose": "Sharing risk between the perpetrator service and the police",
        "lawful_basis": "public_task",
        "categories": ["risk", "identity"],
        "starts_on": today.isoformat(),
        "review_on": (today + dt.timedelta(days=365)).isoformat(),
        "status": "active",
        **changes,
    }


# -- who may see it ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.ADMIN, Role.PROVIDER_MANAGER])
def test_register_opens_for_commissioners_admins_and_provider_managers(
    client, role_users, make_agreement, role
):
    make_agreement()
    client.force_login(role_users[role])
    response = client.get(REGISTER)
    assert response.status_code == 200
    assert "Risk sharing" in response.content.decode()


@pytest.mark.parametrize(
    "role",
    [Role.PERPETRATOR_WORKER, Role.SUPPORT_WORKER, Role.ANALYST, Role.REFERRER, Role.TRIAGE],
)
def test_register_refuses_other_roles(client, role_users, make_agreement, role):
    agreement = make_agreement()
    client.force_login(role_users[role])
    for url in (REGISTER, NEW, f"{REGISTER}{agreement.pk}/", f"{REGISTER}{agreement.pk}/edit/"):
        assert client.get(url).status_code == 403, url


def test_provider_manager_sees_only_agreements_their_organisation_is_party_to(
    client, role_users, make_agreement, partnership_org, other_provider_org
):
    ours = make_agreement("Ours")
    theirs = make_agreement("Theirs", parties=[partnership_org, other_provider_org])
    client.force_login(role_users[Role.PROVIDER_MANAGER])
    html = client.get(REGISTER).content.decode()
    assert "Ours" in html
    assert "Theirs" not in html
    assert client.get(f"{REGISTER}{ours.pk}/").status_code == 200
    assert client.get(f"{REGISTER}{theirs.pk}/").status_code == 404


def test_provider_manager_cannot_add_or_change_agreements(client, role_users, make_agreement):
    agreement = make_agreement()
    client.force_login(role_users[Role.PROVIDER_MANAGER])
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"name": "Sneaky"}).status_code == 403
    edit = f"{REGISTER}{agreement.pk}/edit/"
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"name": "Renamed"}).status_code == 403
    agreement.refresh_from_db()
    assert agreement.name == "Risk sharing"
    assert not SharingAgreement.objects.filter(name="Sneaky").exists()
    assert "Add an agreement" not in client.get(REGISTER).content.decode()


def test_unknown_agreement_is_not_found(client, commissioner):
    client.force_login(commissioner)
    assert client.get(f"{REGISTER}999999/").status_code == 404
    assert client.get(f"{REGISTER}999999/edit/").status_code == 404


# -- the register ------------------------------------------------------------------------


def test_register_tags_each_agreement_by_whether_it_covers_sharing_today(
    client, commissioner, make_agreement
):
    today = timezone.localdate()
    in_force = make_agreement("In force one")
    overdue = make_agreement(
        "Overdue one",
        starts_on=today - dt.timedelta(days=400),
        review_on=today - dt.timedelta(days=1),
    )
    draft = make_agreement("Draft one", status=AgreementStatus.DRAFT)
    ended = make_agreement("Ended one", status=AgreementStatus.ENDED)
    future = make_agreement("Future one", starts_on=today + dt.timedelta(days=10))
    client.force_login(commissioner)
    html = client.get(REGISTER).content.decode()
    assert "In force" in _row(html, in_force)
    assert "Review overdue — not covering sharing" in _row(html, overdue)
    assert "Draft" in _row(html, draft)
    assert "Ended" in _row(html, ended)
    assert "Not in force yet" in _row(html, future)
    row = _row(html, in_force)
    assert "Provider One" in row and "Partnership" in row
    assert "Public task" in row
    assert "Risk information, Case progress and attendance" in row


def test_register_sorts_by_name_review_date_and_status(client, commissioner, make_agreement):
    today = timezone.localdate()
    make_agreement("Alpha", review_on=today + dt.timedelta(days=300))
    make_agreement("Bravo", review_on=today + dt.timedelta(days=10))
    make_agreement("Charlie", review_on=today + dt.timedelta(days=100), status="draft")
    client.force_login(commissioner)

    def order(sort):
        html = client.get(REGISTER, {"sort": sort}).content.decode()
        return re.findall(r'data-agreement="\d+">\s*<td[^>]*><a[^>]*>([^<]+)<', html)

    assert order("name") == ["Alpha", "Bravo", "Charlie"]
    assert order("-name") == ["Charlie", "Bravo", "Alpha"]
    assert order("review") == ["Bravo", "Charlie", "Alpha"]
    assert order("-review") == ["Alpha", "Charlie", "Bravo"]
    assert order("status")[0] == "Bravo"  # active before draft; soonest review first
    assert order("nonsense") == ["Alpha", "Bravo", "Charlie"]


def test_register_is_paginated(client, commissioner, make_agreement):
    for i in range(PAGE_SIZE + 1):
        make_agreement(f"Agreement {i:02d}")
    client.force_login(commissioner)
    first = client.get(REGISTER).content.decode()
    assert f"{PAGE_SIZE + 1} agreements" in first
    assert first.count("data-agreement=") == PAGE_SIZE
    second = client.get(REGISTER, {"page": 2}).content.decode()
    assert second.count("data-agreement=") == 1


def _register_queries(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(REGISTER).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.PROVIDER_MANAGER])
def test_register_query_count_does_not_grow_with_agreements(
    client, role_users, make_agreement, make_organisation, role
):
    make_agreement("First")
    few = _register_queries(client, role_users[role])
    for i in range(5):
        extra = make_organisation(f"Extra party {i}")
        make_agreement(f"More {i}", parties=None).parties.add(extra)
    assert _register_queries(client, role_users[role]) == few


# -- the agreement and its share log -----------------------------------------------------


def test_agreement_page_lists_shares_by_case_reference_only(
    client, commissioner, make_agreement, perp_worker, partnership_org, open_case
):
    agreement = make_agreement()
    case = open_case("Shared Person")
    share_record(
        actor=perp_worker,
        case=case,
        to_organisation=partnership_org,
        category="risk",
        purpose="Secret purpose words",
    )
    client.force_login(commissioner)
    html = client.get(f"{REGISTER}{agreement.pk}/").content.decode()
    assert case.reference in html
    assert "Risk information" in html
    assert perp_worker.username in html
    assert "Provider One" in html and "Partnership" in html
    assert "Shared Person" not in html
    assert "Secret purpose words" not in html


def test_agreement_page_query_count_does_not_grow_with_shares(
    client, commissioner, make_agreement, perp_worker, partnership_org, open_case
):
    agreement = make_agreement()
    url = f"{REGISTER}{agreement.pk}/"

    def share():
        share_record(
            actor=perp_worker,
            case=open_case("Shared"),
            to_organisation=partnership_org,
            category="risk",
            purpose="Risk",
        )

    share()
    client.force_login(commissioner)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(4):
        share()
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


# -- adding and changing -----------------------------------------------------------------


def test_commissioner_adds_an_agreement(client, commissioner, provider_org, partnership_org):
    client.force_login(commissioner)
    form = client.get(NEW).content.decode()
    assert 'type="checkbox"' in form and "Provider One" in form
    response = client.post(NEW, _valid_post([provider_org, partnership_org]))
    assert response.status_code == 302
    agreement = SharingAgreement.objects.get(name="Partnership risk agreement")
    assert response["Location"] == reverse("cases:sharing-detail", args=[agreement.pk])
    assert set(agreement.parties.all()) == {provider_org, partnership_org}
    assert agreement.categories == ["risk", "identity"]
    assert agreement.created_by == commissioner
    assert AuditEvent.objects.filter(
        action=AuditAction.SHARING_AGREEMENT_SAVED, object_id=str(agreement.pk)
    ).exists()


def test_agreement_with_one_party_and_no_categories_is_refused_with_an_error_summary(
    client, commissioner, provider_org
):
    client.force_login(commissioner)
    response = client.post(NEW, _valid_post([provider_org], categories=[], name=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in html
    assert "Choose at least two organisations" in html
    assert "Choose the categories of data the agreement covers" in html
    assert "Enter the agreement&#x27;s name" in html
    assert 'href="#id_parties_0"' in html
    assert not SharingAgreement.objects.exists()


def test_agreement_review_date_before_start_is_refused(
    client, commissioner, provider_org, partnership_org
):
    client.force_login(commissioner)
    response = client.post(
        NEW,
        _valid_post(
            [provider_org, partnership_org], starts_on="2026-05-01", review_on="2026-04-01"
        ),
    )
    assert response.status_code == 400
    assert "The review date must be on or after the start date" in response.content.decode()
    assert not SharingAgreement.objects.exists()


def test_unknown_organisation_as_party_is_refused(client, commissioner, provider_org):
    client.force_login(commissioner)
    post = _valid_post([provider_org])
    post["parties"].append("00000000-0000-0000-0000-000000000000")
    response = client.post(NEW, post)
    assert response.status_code == 400
    assert "Choose organisations from the list" in response.content.decode()


def test_admin_changes_an_agreement_and_the_form_shows_its_current_values(
    client, role_users, make_agreement, provider_org, partnership_org
):
    agreement = make_agreement()
    client.force_login(role_users[Role.ADMIN])
    url = f"{REGISTER}{agreement.pk}/edit/"
    html = client.get(url).content.decode()
    assert f'value="{agreement.review_on.isoformat()}"' in html
    assert re.search(rf'value="{provider_org.pk}" checked', html)
    response = client.post(
        url,
        _valid_post([provider_org, partnership_org], name="Renamed", status="ended"),
    )
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert (agreement.name, agreement.status) == ("Renamed", "ended")
    assert SharingAgreement.objects.count() == 1
