"""The internal directory API: who gets in, what they see, and how bad input is answered."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.directory.models import Location, Organisation, Service, ServiceAtLocation
from tests.conftest import TEST_PASSWORD

ENDPOINTS = ["/api/v1/services/", "/api/v1/organisations/", "/api/v1/areas/"]


@pytest.fixture
def referrer(role_users):
    return role_users[Role.REFERRER]


@pytest.fixture
def curator(role_users):
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def api(client, referrer):
    client.force_login(referrer)
    return client


def hide(service: Service, how: str) -> None:
    today = timezone.localdate()
    if how == "deleted":
        # No soft-delete service exists yet; the column is what the selectors read.
        Service.objects.filter(pk=service.pk).update(deleted_at=timezone.now())
    elif how == "inactive":
        Service.objects.filter(pk=service.pk).update(status="inactive")
    elif how == "not_yet_visible":
        Service.objects.filter(pk=service.pk).update(visible_from=today + dt.timedelta(days=1))
    elif how == "no_longer_visible":
        Service.objects.filter(pk=service.pk).update(
            visible_from=today - dt.timedelta(days=30), visible_to=today - dt.timedelta(days=1)
        )


def result_ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["next"] is None, "test data should fit on one page"
    return {item["id"] for item in body["results"]}


# --- Who gets in ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [*ENDPOINTS, "/api/v1/services/{id}/"])
def test_anonymous_request_is_refused_with_the_error_body(client, make_service, url):
    service = make_service()
    response = client.get(url.format(id=service.id))
    assert response.status_code in (401, 403)
    error = response.json()["error"]
    assert error["status"] == response.status_code
    assert error["message"]
    assert service.name not in response.content.decode()


def test_token_from_the_token_endpoint_opens_the_api(make_user, make_service, partnership_org):
    user = make_user("agency-system", Role.REFERRER, partnership_org)
    service = make_service("Token-visible service")
    issued = Client().post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert issued.status_code == 200
    token = issued.json()["token"]

    fresh = Client()  # no session: the token alone must be enough
    response = fresh.get("/api/v1/services/", HTTP_AUTHORIZATION=f"Token {token}")
    assert result_ids(response) == {str(service.id)}
    assert fresh.get("/api/v1/services/").status_code in (401, 403)


def test_wrong_token_is_refused_with_the_error_body(client, reference):
    response = client.get("/api/v1/services/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "authentication_failed"


def test_wrong_password_gets_no_token(client, make_user, partnership_org):
    user = make_user("agency-system", Role.REFERRER, partnership_org)
    response = client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": "not-the-password"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "token" not in response.json()


@pytest.mark.parametrize("role", Role.values)
def test_every_signed_in_role_can_read(client, role_users, make_service, role):
    service = make_service()
    client.force_login(role_users[role])
    for url in [*ENDPOINTS, f"/api/v1/services/{service.id}/"]:
        assert client.get(url).status_code == 200, url


# --- What signed-in users see --------------------------------------------------------------


@pytest.mark.parametrize("how", ["deleted", "inactive", "not_yet_visible", "no_longer_visible"])
def test_services_the_public_cannot_see_are_absent(api, make_service, how):
    shown = make_service("Shown service")
    hidden = make_service("Hidden service")
    hide(hidden, how)
    assert result_ids(api.get("/api/v1/services/")) == {str(shown.id)}
    response = api.get(f"/api/v1/services/{hidden.id}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_service_detail_has_claims_with_evidence_areas_terms_and_provenance(api, make_service):
    service = make_service(
        "Detailed service",
        areas=("leeds", "west-yorkshire"),
        terms=("abuse-types:DA", "referral-routes:police"),
        claims={
            "risk_high": {"value": "yes", "evidence_level": "verified"},
            "lgbtqia": {"value": "unknown"},
        },
        source="provider_confirmed",
    )
    body = api.get(f"/api/v1/services/{service.id}/").json()

    claims = {c["dimension"]: c for c in body["claims"]}
    assert claims["risk_high"]["value"] == "yes"
    assert claims["risk_high"]["evidence_level"] == "verified"
    assert claims["lgbtqia"] == {
        "dimension": "lgbtqia",
        "label": "Specific provision for LGBTQIA+ people",
        "value": "unknown",
        "evidence_level": "self_reported",
        "verified_at": None,
    }
    assert {a["slug"] for a in body["areas"]} == {"leeds", "west-yorkshire"}
    assert {(t["taxonomy"], t["code"]) for t in body["terms"]} == {
        ("abuse-types", "DA"),
        ("referral-routes", "police"),
    }
    assert body["provenance"]["source"] == "provider_confirmed"
    assert body["confirmed_at"] is not None
    assert body["stale"] is False
    assert body["organisation"]["id"] == str(service.organisation_id)


def test_unconfirmed_service_is_reported_stale(api, make_service):
    service = make_service("Desk review only")
    body = api.get(f"/api/v1/services/{service.id}/").json()
    assert body["confirmed_at"] is None and body["stale"] is True


def test_no_venue_is_published_in_the_internal_api(api, make_service):
    service = make_service("Service with a refuge")
    location = Location.objects.create(
        organisation=service.organisation,
        name="Haven House Refuge",
        address_1="27 Quiet Close",
        postcode="LS6 9QZ",
        is_sensitive=True,
    )
    ServiceAtLocation.objects.create(service=service, location=location)
    for url in ("/api/v1/services/", f"/api/v1/services/{service.id}/"):
        raw = api.get(url).content.decode()
        for secret in ("Haven House", "27 Quiet Close", "LS6 9QZ"):
            assert secret not in raw


def test_directory_editor_can_include_inactive_services(client, curator, make_service):
    shown = make_service("Shown service")
    inactive = make_service("Inactive service")
    hide(inactive, "inactive")
    deleted = make_service("Deleted service")
    hide(deleted, "deleted")
    client.force_login(curator)

    assert result_ids(client.get("/api/v1/services/")) == {str(shown.id)}
    assert result_ids(client.get("/api/v1/services/?include_inactive=true")) == {
        str(shown.id),
        str(inactive.id),
    }
    assert client.get(f"/api/v1/services/{inactive.id}/").json()["status"] == "inactive"
    assert client.get(f"/api/v1/services/{deleted.id}/").status_code == 404


def test_other_users_cannot_include_inactive_services(api, make_service):
    inactive = make_service("Inactive service")
    hide(inactive, "inactive")
    response = api.get("/api/v1/services/?include_inactive=true")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert inactive.name not in response.content.decode()
    assert api.get(f"/api/v1/services/{inactive.id}/").status_code == 404


# --- Filters -------------------------------------------------------------------------------


def test_district_filter_matches_services_for_areas_above_it(api, make_service):
    leeds = make_service("Leeds only", areas=("leeds",))
    west_yorkshire = make_service("All of West Yorkshire", areas=("west-yorkshire",))
    make_service("Bradford only", areas=("bradford",))
    assert result_ids(api.get("/api/v1/services/?area=leeds")) == {
        str(leeds.id),
        str(west_yorkshire.id),
    }


@pytest.mark.parametrize(
    ("query", "matching_claims", "matching_terms", "matching_name"),
    [
        ("risk=risk_high", {"risk_high": {"value": "yes"}}, (), ""),
        ("cohort=women_using_force", {"women_using_force": {"value": "yes"}}, (), ""),
        ("self_referral=true", {"self_referral": {"value": "yes"}}, (), ""),
        ("abuse=stalking", {}, ("abuse-types:stalking",), ""),
        ("route=probation", {}, ("referral-routes:probation",), ""),
        ("q=fathers", {}, (), "Caring Fathers Programme"),
    ],
)
def test_filters_narrow_the_list(
    api, make_service, query, matching_claims, matching_terms, matching_name
):
    match = make_service(
        matching_name or "Matching service",
        claims=matching_claims or None,
        terms=matching_terms or ("abuse-types:DA",),
    )
    # The near miss says "no" to the claim, or has other terms, or another name.
    make_service(
        "Other service",
        claims={dim: {"value": "no"} for dim in matching_claims} or None,
        terms=("abuse-types:DA", "referral-routes:police"),
    )
    assert result_ids(api.get(f"/api/v1/services/?{query}")) == {str(match.id)}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("risk=extreme", "risk"),
        ("cohort=everyone", "cohort"),
        ("abuse=XX", "abuse"),
        ("route=pigeon", "route"),
        ("area=atlantis", "area"),
        ("self_referral=perhaps", "self_referral"),
        ("include_inactive=perhaps", "include_inactive"),
        ("page=0", "page"),
        ("page=abc", "page"),
        ("per_page=abc", "per_page"),
        ("per_page=0", "per_page"),
        ("q=" + "x" * 101, "q"),
    ],
)
def test_bad_query_gets_400_with_the_error_body(api, reference, query, field):
    response = api.get(f"/api/v1/services/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert [f["field"] for f in error["fields"]] == [field]


@pytest.mark.parametrize(
    "url", ["/api/v1/organisations/?kind=wizard", "/api/v1/areas/?kind=planet"]
)
def test_bad_kind_gets_400(api, url):
    response = api.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "kind"


@pytest.mark.parametrize("missing_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_or_malformed_service_id_is_404(api, reference, missing_id):
    response = api.get(f"/api/v1/services/{missing_id}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Paging --------------------------------------------------------------------------------


def test_services_are_paged_with_the_standard_envelope(api, make_service):
    created = {str(make_service(f"Paged {n}").id) for n in range(5)}
    first = api.get("/api/v1/services/?per_page=2").json()
    assert first["count"] == len(created)
    assert len(first["results"]) == 2 and first["previous"] is None and first["next"]
    seen = [item["id"] for item in first["results"]]
    url = first["next"]
    while url:
        body = api.get(url).json()
        seen.extend(item["id"] for item in body["results"])
        url = body["next"]
    assert sorted(seen) == sorted(created)


def test_page_past_the_end_is_404_with_the_error_body(api, make_service):
    make_service()
    response = api.get("/api/v1/services/?page=2")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404


def test_per_page_is_capped_at_100(api, make_organisation):
    for n in range(101):
        make_organisation(f"Organisation {n:03d}")
    body = api.get("/api/v1/organisations/?per_page=1000").json()
    assert body["count"] > 100
    assert len(body["results"]) == 100
    assert body["next"]


# --- Organisations and areas ---------------------------------------------------------------


def test_organisations_are_listed_and_can_be_narrowed_by_kind(api, provider_org, partnership_org):
    everyone = result_ids(api.get("/api/v1/organisations/?per_page=100"))
    assert everyone == {str(pk) for pk in Organisation.objects.values_list("pk", flat=True)}
    providers = api.get("/api/v1/organisations/?kind=provider&per_page=100").json()["results"]
    assert str(provider_org.id) in {o["id"] for o in providers}
    assert {o["kind"] for o in providers} == {"provider"}


def test_areas_list_their_parents_by_slug(api, reference):
    body = api.get("/api/v1/areas/?per_page=100").json()
    areas = {a["slug"]: a for a in body["results"]}
    leeds = Area.objects.get(slug="leeds")
    assert areas["leeds"]["code"] == leeds.code
    assert areas["leeds"]["kind"] == leeds.kind
    assert sorted(areas["leeds"]["parents"]) == sorted(leeds.parents.values_list("slug", flat=True))
    districts = api.get("/api/v1/areas/?kind=local_authority&per_page=100").json()["results"]
    assert {a["kind"] for a in districts} == {"local_authority"}


# --- Query counts --------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_service_list_query_count_does_not_grow_with_services(api, make_service, make_organisation):
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            make_service(
                f"Counted {n:02d}",
                organisation=make_organisation(f"Org {n:02d}"),
                areas=("leeds", "west-yorkshire"),
                terms=("abuse-types:DA", "referral-routes:police"),
                claims={"risk_high": {"value": "yes"}},
            )

    add(3, 0)
    url = "/api/v1/services/?per_page=100&area=leeds"
    with_three = _queries(api, url)
    add(27, 3)
    assert api.get(url).json()["count"] == 30
    assert _queries(api, url) == with_three


def test_area_list_query_count_does_not_grow_with_areas(api, reference):
    url = "/api/v1/areas/?per_page=100"
    before = _queries(api, url)
    parent = Area.objects.get(slug="west-yorkshire")
    for n in range(10):
        Area.objects.create(
            slug=f"extra-{n}", name=f"Extra {n}", kind="local_authority"
        ).parents.add(parent)
    assert _queries(api, url) == before


def test_openapi_schema_describes_the_directory_endpoints(client, db):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for path in (
        "/api/v1/services/",
        "/api/v1/services/{service_id}/",
        "/api/v1/organisations/",
        "/api/v1/areas/",
        "/api/oruk/services",
        "/api/oruk/services/{service_id}",
    ):
        assert path in paths
    # Trailing-slash twins of the feed answer requests but are not described twice.
    assert "/api/oruk/services/" not in paths
