"""/api/v1/evidence/: approaches with every rating, for signed-in users."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.accounts.models import Role

LIST = "/api/v1/evidence/approaches/"


def detail(slug: str) -> str:
    return f"/api/v1/evidence/approaches/{slug}/"


@pytest.fixture
def api(client_for, role_users, reference):
    return client_for(role_users[Role.REFERRER])


@pytest.mark.django_db
def test_anonymous_callers_get_401_with_the_error_body(client, reference):
    response = client.get(LIST)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert "WWW-Authenticate" in response


@pytest.mark.django_db
def test_list_pages_the_library_with_ratings_in_their_own_labels(api):
    body = api.get(LIST, {"per_page": 100}).json()
    assert body["count"] == 41
    cbt = next(a for a in body["results"] if a["slug"] == "cbt-for-perpetrators")
    assert cbt["agreement"] == {"status": "disagree", "spread": 2, "sources": 4}
    crest = next(r for r in cbt["ratings"] if r["source"]["slug"] == "crest-llr-2023")
    assert (crest["evidence_rating"], crest["impact_rating"], crest["rating"]) == (
        "high",
        "moderate/low",
        "",
    )
    assert crest["band"] == 1
    cop = next(r for r in cbt["ratings"] if r["source"]["slug"] == "college-of-policing")
    assert cop["rating"] == "some_or_mixed" and cop["studies"] == [6]
    assert cop["name_as_published"] == "Cognitive Behavioural Therapy for Domestic Violence"


@pytest.mark.django_db
def test_list_filters(api):
    def slugs(**params):
        return {a["slug"] for a in api.get(LIST, {"per_page": 100, **params}).json()["results"]}

    assert slugs(prevention_level="tertiary") == {"drive", "marac", "second-responder"}
    assert "cara" in slugs(agreement="disagree")
    assert "circles-of-support-and-accountability" in slugs(source="college-of-policing")
    first = api.get(LIST, {"sort": "disagreement"}).json()["results"][0]
    assert first["agreement"]["spread"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"abuse_focus": "nope"},
        {"source": "nobody"},
        {"agreement": "maybe"},
        {"sort": "random"},
        {"page": "0"},
        {"per_page": "abc"},
    ],
)
def test_bad_parameters_are_400_with_fields(api, params):
    response = api.get(LIST, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"] and error["fields"][0]["field"] in params


@pytest.mark.django_db
def test_detail_and_unknown_slug(api):
    body = api.get(detail("drive")).json()
    assert body["name"].startswith("Drive")
    assert {r["source"]["slug"] for r in body["ratings"]} == {"drive-evaluation", "crest-llr-2023"}
    assert body["intervention_type"] == "intensive_case_management"
    missing = api.get(detail("nothing"))
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == 404


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(api):
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(LIST, {"per_page": 4}).json()["results"]) == 4
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(LIST, {"per_page": 40}).json()["results"]) == 40
    assert len(many) == len(few)
