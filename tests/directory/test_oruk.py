"""The Open Referral UK feed: real responses validate, paging adds up, nothing unsafe leaks.

Schemas are local copies of the ORUK profile (see oruk_schemas/README.md); `$ref`s are
resolved from that folder only, never over the network.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from pathways.directory.models import Location, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm

SCHEMA_DIR = Path(__file__).parent / "oruk_schemas"
# A base URI for the local copies. Nothing is fetched from it: the registry has no retriever.
SCHEMA_BASE = "https://oruk-schemas.invalid/"
PAGE_KEYS = (
    "total_items",
    "total_pages",
    "page_number",
    "size",
    "first_page",
    "last_page",
    "empty",
    "contents",
)

# --- Schema validation harness -------------------------------------------------------------


@functools.cache
def _registry() -> Registry:
    resources = [
        (
            SCHEMA_BASE + path.relative_to(SCHEMA_DIR).as_posix(),
            Resource.from_contents(
                json.loads(path.read_text(encoding="utf-8")), default_specification=DRAFT202012
            ),
        )
        for path in sorted(SCHEMA_DIR.rglob("*.json"))
    ]
    return Registry().with_resources(resources)


def _format_checker() -> FormatChecker:
    """The draft's own format checks plus uri and date-time, which otherwise need extra packages."""
    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)

    @checker.checks("uri")
    def is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc)

    @checker.checks("date-time", raises=ValueError)
    def is_date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return dt.datetime.fromisoformat(value).tzinfo is not None

    return checker


@functools.cache
def _validator(schema_name: str, *, paged: bool = False) -> Draft202012Validator:
    schema: dict = {"$ref": SCHEMA_BASE + schema_name}
    if paged:
        schema = {
            "allOf": [{"$ref": SCHEMA_BASE + "openapi.json#/components/schemas/Page"}],
            "required": list(PAGE_KEYS),
            "properties": {
                "contents": {"type": "array", "items": {"$ref": SCHEMA_BASE + schema_name}}
            },
        }
    return Draft202012Validator(schema, registry=_registry(), format_checker=_format_checker())


def assert_valid(document: dict, schema_name: str, *, paged: bool = False) -> None:
    errors = sorted(_validator(schema_name, paged=paged).iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


# --- Data ----------------------------------------------------------------------------------


def add_venue(
    service: Service,
    *,
    name: str,
    sensitive: bool,
    address_1: str = "",
    postcode: str = "",
    city: str = "Leeds",
    latitude: str | None = None,
    longitude: str | None = None,
) -> Location:
    # No directory service writes venues yet, so the test makes the rows itself.
    location = Location.objects.create(
        organisation=service.organisation,
        name=name,
        address_1=address_1,
        city=city,
        postcode=postcode,
        latitude=Decimal(latitude) if latitude else None,
        longitude=Decimal(longitude) if longitude else None,
        is_sensitive=sensitive,
    )
    ServiceAtLocation.objects.create(service=service, location=location)
    return location


@pytest.fixture
def full_service(make_service):
    service = make_service(
        "Respect Leeds Group",
        areas=("leeds", "west-yorkshire"),
        terms=(
            "abuse-types:DA",
            "abuse-types:stalking",
            "referral-routes:self",
            "delivery-formats:group",
        ),
        claims={"risk_medium": {"value": "yes", "evidence_level": "verified"}},
        description="A behaviour-change group.",
        url="https://example.org/respect-leeds",
        phone="0113 496 0000",
        email="group@example.org",
        accreditation="Respect accredited",
        min_age=18,
        max_age=99,
        languages=["en", "cy", "ur"],
    )
    add_venue(
        service,
        name="Civic Hall Room 2",
        sensitive=False,
        address_1="1 Park Square",
        postcode="LS1 2AB",
        latitude="53.800100",
        longitude="-1.549200",
    )
    return service


def hide(service: Service, how: str) -> None:
    today = timezone.localdate()
    if how == "deleted":
        # No soft-delete service exists yet; the column is what the public selector reads.
        Service.objects.filter(pk=service.pk).update(deleted_at=timezone.now())
    elif how == "inactive":
        Service.objects.filter(pk=service.pk).update(status="inactive")
    elif how == "not_yet_visible":
        Service.objects.filter(pk=service.pk).update(visible_from=today + dt.timedelta(days=1))
    elif how == "no_longer_visible":
        Service.objects.filter(pk=service.pk).update(
            visible_from=today - dt.timedelta(days=30), visible_to=today - dt.timedelta(days=1)
        )


def ids(page: dict) -> set[str]:
    return {item["id"] for item in page["contents"]}


def all_service_ids(client, query: str = "") -> set[str]:
    body = client.get(f"/api/oruk/services?per_page=100{query}").json()
    assert body["total_pages"] <= 1
    return ids(body)


# --- The harness itself --------------------------------------------------------------------


def test_schema_harness_rejects_a_document_that_breaks_the_profile():
    broken = {"id": "not-a-uuid", "status": "open", "last_modified": "yesterday"}
    with pytest.raises(ValidationError):
        _validator("compiled/service.json").validate(broken)
    errors = {e.validator for e in _validator("compiled/service.json").iter_errors(broken)}
    assert {"required", "enum", "format"} <= errors


# --- Schema validation of real responses ---------------------------------------------------


def test_feed_root_names_version_profile_and_openapi(client, db):
    body = client.get("/api/oruk/").json()
    assert body["version"] == "3.0"
    for key in ("profile", "openapi_url"):
        parts = urlsplit(body[key])
        assert parts.scheme == "https" and parts.netloc


def test_service_list_validates_against_the_oruk_schema(client, full_service, make_service):
    make_service("Bare minimum service")
    body = client.get("/api/oruk/services").json()
    assert_valid(body, "compiled/service_list.json", paged=True)
    assert ids(body) == {str(s.id) for s in Service.objects.all()}


def test_service_detail_validates_and_carries_the_related_records(client, full_service):
    body = client.get(f"/api/oruk/services/{full_service.id}").json()
    assert_valid(body, "compiled/service.json")
    for phone in body["phones"]:
        assert_valid(phone, "phone.json")

    assert body["organization"]["id"] == str(full_service.organisation_id)
    assert {a["name"] for a in body["service_areas"]} == {"Leeds", "West Yorkshire"}
    assert {a["taxonomy_term"]["term"] for a in body["attributes"]} == {
        "DA",
        "stalking",
        "self",
        "group",
    }
    assert all(a["link_id"] == str(full_service.id) for a in body["attributes"])
    assert [lang["code"] for lang in body["languages"]] == ["en", "cy", "ur"]
    assert [p["number"] for p in body["phones"]] == [full_service.phone]
    [venue] = body["service_at_locations"]
    assert venue["location"]["addresses"][0]["postal_code"] == "LS1 2AB"


def test_derived_ids_are_stable_between_requests(client, full_service):
    first = client.get(f"/api/oruk/services/{full_service.id}").json()
    second = client.get(f"/api/oruk/services/{full_service.id}").json()
    for key in ("languages", "phones", "attributes"):
        assert [item["id"] for item in first[key]] == [item["id"] for item in second[key]]


def test_service_without_optional_fields_still_validates(client, make_service):
    service = make_service("Nothing optional", terms=())
    body = client.get(f"/api/oruk/services/{service.id}").json()
    assert_valid(body, "compiled/service.json")
    assert "url" not in body and "minimum_age" not in body


def test_organization_list_and_detail_validate(client, full_service):
    listing = client.get("/api/oruk/organizations").json()
    assert_valid(listing, "compiled/organization_list.json", paged=True)
    assert ids(listing) == {str(full_service.organisation_id)}

    detail = client.get(f"/api/oruk/organizations/{full_service.organisation_id}").json()
    assert_valid(detail, "compiled/organization.json")
    assert [s["id"] for s in detail["services"]] == [str(full_service.id)]


def test_taxonomy_list_and_detail_validate(client, reference):
    listing = client.get("/api/oruk/taxonomies").json()
    assert_valid(listing, "taxonomy.json", paged=True)
    assert listing["total_items"] == Taxonomy.objects.count()

    taxonomy = Taxonomy.objects.get(slug="abuse-types")
    detail = client.get(f"/api/oruk/taxonomies/{taxonomy.id}").json()
    assert_valid(detail, "taxonomy.json")
    assert {t["id"] for t in detail["taxonomy_terms"]} == {str(t.id) for t in taxonomy.terms.all()}


def test_taxonomy_term_list_and_detail_validate(client, reference):
    listing = client.get("/api/oruk/taxonomy_terms?per_page=100").json()
    assert_valid(listing, "taxonomy_term.json", paged=True)
    assert listing["total_items"] == TaxonomyTerm.objects.count()

    term = TaxonomyTerm.objects.get(taxonomy__slug="referral-routes", code="police")
    detail = client.get(f"/api/oruk/taxonomy_terms/{term.id}").json()
    assert_valid(detail, "taxonomy_term.json")
    assert detail["taxonomy_id"] == str(term.taxonomy_id)


def test_taxonomy_terms_can_be_narrowed_to_one_taxonomy(client, reference):
    taxonomy = Taxonomy.objects.get(slug="delivery-formats")
    body = client.get(f"/api/oruk/taxonomy_terms?taxonomy_id={taxonomy.id}").json()
    assert ids(body) == {str(t.id) for t in taxonomy.terms.all()}


# --- Paging --------------------------------------------------------------------------------


@pytest.mark.parametrize("per_page", [3, 7])
def test_paging_envelope_counts_pages_and_marks_first_last_and_empty(
    client, make_service, per_page
):
    created = {str(make_service(f"Paged service {n}").id) for n in range(7)}
    total_pages = math.ceil(len(created) / per_page)
    seen: list[str] = []
    for page in range(1, total_pages + 2):  # one page past the end too
        body = client.get(f"/api/oruk/services?per_page={per_page}&page={page}").json()
        expected_size = max(0, min(per_page, len(created) - (page - 1) * per_page))
        assert body["total_items"] == len(created)
        assert body["total_pages"] == total_pages
        assert body["page_number"] == page
        assert body["size"] == len(body["contents"]) == expected_size
        assert body["first_page"] is (page == 1)
        assert body["last_page"] is (page >= total_pages)
        assert body["empty"] is (expected_size == 0)
        seen.extend(item["id"] for item in body["contents"])
    assert sorted(seen) == sorted(created)


def test_no_results_is_an_empty_first_and_last_page(client, reference):
    body = client.get("/api/oruk/services").json()
    assert body["total_items"] == 0
    assert body["empty"] is True and body["first_page"] is True and body["last_page"] is True
    assert body["contents"] == []


def test_per_page_defaults_to_50_and_is_capped_at_100(client, make_service):
    for n in range(101):
        make_service(f"Bulk service {n:03d}", terms=())
    default = client.get("/api/oruk/services").json()
    assert default["size"] == 50 and default["total_pages"] == 3

    capped = client.get("/api/oruk/services?per_page=1000").json()
    assert capped["size"] == 100
    assert capped["total_pages"] == 2 and capped["last_page"] is False


# --- Filters -------------------------------------------------------------------------------


def test_district_filter_matches_services_for_areas_above_it(client, make_service):
    leeds = make_service("Leeds only", areas=("leeds",))
    west_yorkshire = make_service("All of West Yorkshire", areas=("west-yorkshire",))
    make_service("Bradford only", areas=("bradford",))
    make_service("Cardiff only", areas=("cardiff",))
    assert all_service_ids(client, "&area=leeds") == {str(leeds.id), str(west_yorkshire.id)}


def test_county_filter_also_matches_services_for_its_districts(client, make_service):
    leeds = make_service("Leeds only", areas=("leeds",))
    west_yorkshire = make_service("All of West Yorkshire", areas=("west-yorkshire",))
    make_service("Cardiff only", areas=("cardiff",))
    assert all_service_ids(client, "&area=west-yorkshire") == {
        str(leeds.id),
        str(west_yorkshire.id),
    }


def test_taxonomy_term_and_text_filters(client, make_service):
    stalking = make_service("Stalking Intervention", terms=("abuse-types:stalking",))
    make_service("Domestic Abuse Group", terms=("abuse-types:DA",))
    term = TaxonomyTerm.objects.get(taxonomy__slug="abuse-types", code="stalking")
    assert all_service_ids(client, f"&taxonomy_term_id={term.id}") == {str(stalking.id)}
    assert all_service_ids(client, "&text=stalking") == {str(stalking.id)}
    assert all_service_ids(client, "&search=stalking") == {str(stalking.id)}


# --- What is never published ---------------------------------------------------------------


def test_sensitive_venue_is_never_published(client, full_service):
    secret = {
        "name": "Haven House Refuge",
        "address_1": "27 Quiet Close",
        "postcode": "LS6 9QZ",
        "latitude": "53.812345",
        "longitude": "-1.567891",
    }
    venue = add_venue(full_service, sensitive=True, **secret)
    responses = [
        client.get(f"/api/oruk/services/{full_service.id}"),
        client.get(f"/api/oruk/services/{full_service.id}/"),
        client.get("/api/oruk/services"),
        client.get(f"/api/oruk/organizations/{full_service.organisation_id}"),
    ]
    for response in responses:
        assert response.status_code == 200
        raw = response.content.decode()
        for value in (*secret.values(), str(venue.id), "53.81234", "-1.56789"):
            assert value not in raw, f"{value!r} published at {response.wsgi_request.path}"

    detail = responses[0].json()
    assert_valid(detail, "compiled/service.json")
    # The public venue is still there; the area is how a sensitive one is described.
    assert [v["location"]["name"] for v in detail["service_at_locations"]] == ["Civic Hall Room 2"]
    assert "Leeds" in {a["name"] for a in detail["service_areas"]}


def test_phone_and_online_service_publishes_no_venue(client, make_service):
    service = make_service("Helpline", is_virtual=True)
    add_venue(
        service, name="Call centre", sensitive=False, address_1="9 Dock Street", postcode="LS10 1AA"
    )
    body = client.get(f"/api/oruk/services/{service.id}").json()
    assert body["service_at_locations"] == []
    assert "9 Dock Street" not in json.dumps(body)


def test_service_email_is_not_published(client, full_service):
    # The feed shows no more contact detail than the public service page, which has no email.
    assert (
        full_service.email
        not in client.get(f"/api/oruk/services/{full_service.id}").content.decode()
    )


@pytest.mark.parametrize("how", ["deleted", "inactive", "not_yet_visible", "no_longer_visible"])
def test_services_the_public_cannot_see_are_absent(client, make_service, make_organisation, how):
    shown = make_service("Shown service")
    hidden_org = make_organisation("Only hidden services")
    hidden = make_service("Hidden service", organisation=hidden_org)
    hide(hidden, how)

    assert all_service_ids(client) == {str(shown.id)}
    response = client.get(f"/api/oruk/services/{hidden.id}")
    assert response.status_code == 404
    assert response.json()["error"]["status"] == 404
    assert ids(client.get("/api/oruk/organizations").json()) == {str(shown.organisation_id)}
    assert client.get(f"/api/oruk/organizations/{hidden_org.id}").status_code == 404
    assert (
        str(hidden.id)
        not in client.get(f"/api/oruk/organizations/{shown.organisation_id}").content.decode()
    )


# --- HTTP behaviour ------------------------------------------------------------------------


def test_feed_is_open_to_any_origin_but_the_internal_api_is_not(client, reference):
    origin = {"HTTP_ORIGIN": "https://directory.example.org"}
    feed = client.get("/api/oruk/services", **origin)
    assert feed.status_code == 200
    assert feed["Access-Control-Allow-Origin"] == "*"
    internal = client.get("/api/v1/services/", **origin)
    assert "Access-Control-Allow-Origin" not in internal


def test_feed_needs_no_sign_in_and_ignores_a_bad_token(client, full_service):
    response = client.get("/api/oruk/services", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "path",
    ["", "services", "organizations", "taxonomies", "taxonomy_terms"],
)
def test_paths_answer_with_and_without_a_trailing_slash(client, full_service, path):
    if not path:
        assert client.get("/api/oruk/").status_code == 200
        return
    bare = client.get(f"/api/oruk/{path}")
    slashed = client.get(f"/api/oruk/{path}/")
    assert bare.status_code == slashed.status_code == 200
    assert bare.json() == slashed.json()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=abc", "per_page"),
        ("area=atlantis", "area"),
        ("taxonomy_term_id=not-a-uuid", "taxonomy_term_id"),
    ],
)
def test_bad_query_gets_400_with_the_error_body(client, reference, query, field):
    response = client.get(f"/api/oruk/services?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert [f["field"] for f in error["fields"]] == [field]
    assert all(f["message"] for f in error["fields"])


@pytest.mark.parametrize("endpoint", ["taxonomies", "taxonomy_terms", "organizations"])
def test_bad_paging_on_other_lists_gets_400(client, reference, endpoint):
    response = client.get(f"/api/oruk/{endpoint}?per_page=lots")
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "per_page"


@pytest.mark.parametrize("endpoint", ["services", "organizations", "taxonomies", "taxonomy_terms"])
@pytest.mark.parametrize("missing_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_or_malformed_id_is_404_with_the_error_body(
    client, reference, endpoint, missing_id
):
    response = client.get(f"/api/oruk/{endpoint}/{missing_id}")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


# --- Query counts --------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_service_list_query_count_does_not_grow_with_services(
    client, make_service, make_organisation
):
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            make_service(
                f"Counted {n:02d}",
                organisation=make_organisation(f"Org {n:02d}"),
                areas=("leeds", "west-yorkshire"),
            )

    add(3, 0)
    url = "/api/oruk/services?area=leeds&per_page=100"
    with_three = _queries(client, url)
    add(27, 3)
    assert client.get(url).json()["total_items"] == 30
    assert _queries(client, url) == with_three


def test_service_detail_query_count_does_not_grow_with_related_records(client, make_service):
    small = make_service("Few related records", areas=("leeds",), terms=("abuse-types:DA",))
    add_venue(small, name="Hall", sensitive=False, address_1="1 Road", postcode="LS1 1AA")
    with_few = _queries(client, f"/api/oruk/services/{small.id}")

    for n in range(27):
        make_service(f"Filler {n}")
    large = make_service(
        "Many related records",
        areas=("leeds", "bradford", "calderdale", "kirklees", "wakefield"),
        terms=(
            "abuse-types:DA",
            "abuse-types:SV",
            "abuse-types:stalking",
            "referral-routes:police",
            "referral-routes:self",
            "delivery-formats:group",
        ),
        languages=["en", "cy", "ur", "pl"],
        phone="0113 496 0001",
    )
    for n in range(4):
        add_venue(
            large, name=f"Hall {n}", sensitive=n % 2 == 0, address_1=f"{n} Road", postcode="LS1 1AA"
        )
    assert _queries(client, f"/api/oruk/services/{large.id}") == with_few
