"""API under /api/v1/standards/: frameworks, items and the caller's assessments."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.accounts.models import Role
from pathways.standards import services

pytestmark = pytest.mark.django_db


def test_frameworks_list_the_four_current_editions(client_for, reference, manager):
    response = client_for(manager).get("/api/v1/standards/frameworks/")
    assert response.status_code == 200
    body = response.json()
    assert {f["slug"] for f in body["results"]} == {"home-office", "vawdasv", "csaap", "respect"}
    vawdasv = next(f for f in body["results"] if f["slug"] == "vawdasv")
    assert {c["key"] for c in vawdasv["checklists"]} == {"full", "commissioning"}


def test_items_carry_codes_parents_and_checklist_membership(client_for, reference, manager):
    body = (
        client_for(manager).get("/api/v1/standards/frameworks/vawdasv/items/?per_page=100").json()
    )
    assert body["count"] == 64
    item = next(i for i in body["results"] if i["code"] == "4.iii.a")
    assert item["parent"] == "4.iii" and item["checklists"] == ["full"]
    assert client_for(manager).get("/api/v1/standards/frameworks/nope/items/").status_code == 404


def test_assessments_are_scoped_to_the_caller(
    client_for, submitted, role_users, make_user, other_provider_org
):
    mine = (
        client_for(role_users[Role.PROVIDER_MANAGER]).get("/api/v1/standards/assessments/").json()
    )
    assert [a["id"] for a in mine["results"]] == [str(submitted.pk)]
    assert mine["results"][0]["counts"] == {
        "green": 12,
        "amber": 1,
        "red": 0,
        "not_applicable": 0,
        "not_rated": 0,
    }
    stranger = client_for(make_user("stranger", Role.PROVIDER_MANAGER, other_provider_org))
    assert stranger.get("/api/v1/standards/assessments/").json()["count"] == 0
    detail = stranger.get(f"/api/v1/standards/assessments/{submitted.pk}/")
    assert detail.status_code == 404 and "error" in detail.json()
    analyst = client_for(role_users[Role.ANALYST]).get(
        f"/api/v1/standards/assessments/{submitted.pk}/"
    )
    assert analyst.status_code == 200 and len(analyst.json()["ratings"]) == 13


def test_bad_input_is_a_400_with_the_error_body(client_for, reference, manager):
    response = client_for(manager).get("/api/v1/standards/assessments/?status=lost&page=0")
    assert response.status_code == 400
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert {"status", "page"} <= fields
    assert client_for(manager).get("/api/v1/standards/assessments/not-a-uuid/").status_code == 404


def test_anonymous_and_other_roles_are_refused(client, role_users, reference, client_for):
    assert client.get("/api/v1/standards/frameworks/").status_code == 401
    assert (
        client_for(role_users[Role.REFERRER]).get("/api/v1/standards/frameworks/").status_code
        == 403
    )


def test_assessment_list_has_a_constant_number_of_queries(
    client_for, reference, make_service, manager, commissioning
):
    client = client_for(manager)

    def add(n):
        for i in range(n):
            service = make_service(f"API {i}-{n}")
            services.assessment_start(actor=manager, service=service, checklist=commissioning)

    add(2)
    client.get("/api/v1/standards/assessments/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/standards/assessments/")
    add(6)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/standards/assessments/").json()["count"] == 8
    assert len(many) == len(few)
