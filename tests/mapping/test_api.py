"""GET /api/v1/mapping/: the JSON contract, errors with a body, access, audit, queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.mapping import engine

URL = "/api/v1/mapping/"
HIGH = {"risk_high": {"value": "yes"}}


@pytest.fixture
def api(client_for, role_users):
    return client_for(role_users[Role.ANALYST])


def test_anonymous_gets_401_with_the_error_body(client, reference):
    response = client.get(URL, {"area": "leeds"})
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


def test_roles_without_mapping_get_403_with_the_error_body(client_for, role_users, reference):
    for role in (Role.PROVIDER_MANAGER, Role.REFERRER, Role.TRIAGE):
        response = client_for(role_users[role]).get(URL, {"area": "leeds"})
        assert response.status_code == 403, role
        assert response.json()["error"]["code"] == "permission_denied"


def test_token_users_are_checked_by_the_same_policy(client, role_users, reference):
    token = Token.objects.create(user=role_users[Role.COMMISSIONER])
    response = client.get(URL, {"area": "leeds"}, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_answer_has_the_shape_the_issue_specifies(api, make_service):
    make_service("Leeds high risk", claims=HIGH, terms=("abuse-types:DA", "abuse-types:SV"))
    make_service("Area-wide", areas=("west-yorkshire",), claims={"lgbtqia": {"value": "yes"}})
    response = api.get(URL, {"area": "west-yorkshire", "count_unknown": "yes"})
    assert response.status_code == 200
    body = response.json()
    assert body["area"] == "west-yorkshire"
    assert body["counting_rule"]["count_unknown"] is True
    assert (
        body["counting_rule"]["description"] == engine.CountingRule(count_unknown=True).describe()
    )
    summary = body["summary"]
    assert summary["services"] == 2
    assert summary["by_district"]["leeds"] == 2 and summary["by_district"]["bradford"] == 1
    assert summary["by_abuse_type"] == {"DA": 2, "SV": 1}
    assert summary["by_tier"]["high_risk"] == 1 and summary["by_tier"]["sexual_violence"] == 1
    assert summary["by_cohort"]["lgbtqia"] == 1
    districts = {d["slug"] for d in body["districts"]}
    assert districts == {"bradford", "calderdale", "kirklees", "leeds", "wakefield"}
    cells = {(c["district"], c["column"]): c for c in body["matrix"]}
    assert len(cells) == len(districts) * len(engine.COLUMNS)
    assert cells[("leeds", "high_risk")]["counts"] == {
        "verified": 0,
        "evidenced": 0,
        "self_reported": 1,
        "unknown": 0,
    }
    assert cells[("kirklees", "lgbtqia")]["area_wide"] == 1
    assert {"district": "kirklees", "component": "high_risk"}.items() <= next(
        g for g in body["gaps"] if (g["district"], g["component"]) == ("kirklees", "high_risk")
    ).items()
    assert {"duplication", "questionable_claims", "fragility"} <= set(body)


def test_bad_input_is_a_400_with_the_error_body_never_a_500(api, reference):
    cases = [
        ({}, "area"),
        ({"area": "atlantis"}, "area"),
        ({"area": "not a slug!"}, "area"),
        ({"area": "leeds", "count_unknown": "perhaps"}, "count_unknown"),
        ({"area": "leeds", "gap_threshold": "unknown"}, "gap_threshold"),
        ({"area": "leeds", "wider_areas": "1"}, "wider_areas"),
    ]
    for params, field in cases:
        response = api.get(URL, params)
        assert response.status_code == 400, params
        error = response.json()["error"]
        assert error["status"] == 400
        assert field in {f["field"] for f in error["fields"]}, params


def test_every_answer_is_audited_as_an_export(api, role_users, reference):
    api.get(URL, {"area": "leeds"})
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == AuditAction.EXPORT
    assert event.actor == role_users[Role.ANALYST]
    assert event.detail["channel"] == "api" and event.object_id == "leeds"


def test_api_query_count_is_constant_as_services_grow(api, make_service):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(URL, {"area": "west-yorkshire"}).status_code == 200
        return len(ctx.captured_queries)

    make_service("One", claims=HIGH)
    small = queries()
    for i in range(20):
        make_service(f"More {i}", areas=("west-yorkshire",), claims=HIGH)
    assert queries() == small


def test_schema_documents_the_endpoint(client, reference):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert URL in schema.content.decode()
