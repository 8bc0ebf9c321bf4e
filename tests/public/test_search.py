"""Public search: filters, area hierarchy, paging, service pages, and public-page safety."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathways.directory.models import ServiceStatus


def _names(response):
    return [s.name for s in response.context["page"].object_list]


@pytest.mark.django_db
def test_district_search_includes_services_for_the_wider_area(client, make_service):
    make_service("Leeds only", areas=("leeds",))
    make_service("All of West Yorkshire", areas=("west-yorkshire",))
    make_service("Bradford only", areas=("bradford",))
    make_service("National line", areas=("england-and-wales",))
    names = _names(client.get("/", {"area": "leeds"}))
    assert sorted(names) == ["All of West Yorkshire", "Leeds only", "National line"]


@pytest.mark.django_db
def test_risk_tier_filter_counts_only_yes_claims(client, make_service):
    make_service("High yes", claims={"risk_high": {"value": "yes"}})
    make_service("High unknown", claims={"risk_high": {"value": "unknown"}})
    make_service("High no", claims={"risk_high": {"value": "no"}})
    assert _names(client.get("/", {"risk": "risk_high"})) == ["High yes"]


@pytest.mark.django_db
def test_abuse_type_cohort_route_and_self_referral_filters(client, make_service):
    make_service("SV service", terms=("abuse-types:SV",))
    make_service(
        "DA self-referral LGBTQIA+",
        terms=("abuse-types:DA", "referral-routes:self"),
        claims={"lgbtqia": {"value": "yes"}, "self_referral": {"value": "yes"}},
    )
    make_service("DA probation", terms=("abuse-types:DA", "referral-routes:probation"))
    assert _names(client.get("/", {"abuse": "SV"})) == ["SV service"]
    assert _names(client.get("/", {"cohort": "lgbtqia"})) == ["DA self-referral LGBTQIA+"]
    assert _names(client.get("/", {"route": "probation"})) == ["DA probation"]
    assert _names(client.get("/", {"self_referral": "on"})) == ["DA self-referral LGBTQIA+"]
    assert _names(client.get("/", {"abuse": "DA", "route": "self"})) == [
        "DA self-referral LGBTQIA+"
    ]


@pytest.mark.django_db
def test_closed_deleted_and_out_of_window_services_are_not_public(client, make_service):
    make_service("Visible")
    make_service("Defunct", status=ServiceStatus.DEFUNCT)
    make_service("Not yet", visible_from=timezone.localdate() + timezone.timedelta(days=3))
    make_service("Expired", visible_to=timezone.localdate() - timezone.timedelta(days=1))
    deleted = make_service("Deleted")
    type(deleted).objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    assert _names(client.get("/", {"q": ""})) == ["Visible"]
    assert client.get(reverse("public:service", args=[deleted.pk])).status_code == 404


@pytest.mark.django_db
def test_unknown_filter_value_is_a_clear_error_not_a_crash(client, make_service):
    response = client.get("/", {"area": "atlantis"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


@pytest.mark.django_db
def test_results_page_in_twenties_keeping_filters(client, make_service):
    for n in range(45):
        make_service(f"Service {n:02d}", areas=("kirklees",))
    first = client.get("/", {"area": "kirklees"})
    assert len(_names(first)) == 20
    assert first.context["page"].paginator.num_pages == 3
    body = first.content.decode()
    assert "area=kirklees&amp;page=2" in body
    third = client.get("/", {"area": "kirklees", "page": 3})
    assert len(_names(third)) == 5


@pytest.mark.django_db
def test_search_query_count_does_not_grow_with_results(client, make_service):
    for n in range(3):
        make_service(f"Few {n}", claims={"risk_high": {"value": "yes"}})
    with CaptureQueriesContext(connection) as few:
        client.get("/", {"q": "e"})
    for n in range(17):
        make_service(f"More {n}", claims={"risk_high": {"value": "yes"}})
    with CaptureQueriesContext(connection) as many:
        response = client.get("/", {"q": "e"})
    assert len(_names(response)) == 20
    assert len(many) == len(few)


@pytest.mark.django_db
def test_service_page_shows_claims_with_how_sure_we_are_and_provenance(client, make_service):
    service = make_service(
        "Change Programme",
        claims={
            "risk_medium": {"value": "yes", "evidence_level": "evidenced"},
            "lgbtqia": {"value": "unknown"},
        },
    )
    body = client.get(reverse("public:service", args=[service.pk])).content.decode()
    assert "Works with medium-risk perpetrators" in body
    assert "Evidenced" in body
    assert "Specific provision for LGBTQIA+ people" in body
    assert "Desk review" in body
    assert "Not yet confirmed by the service" in body


PUBLIC_PAGES = [
    "/",
    "/?area=leeds",
    "/privacy/",
    "/accessibility/",
    "/evidence/",
    "/mapping/published/",
]


@pytest.mark.django_db
def test_every_public_page_has_exit_this_page_and_no_third_party_assets(client, make_service):
    service = make_service("Any")
    for url in [*PUBLIC_PAGES, reverse("public:service", args=[service.pk])]:
        response = client.get(url)
        body = response.content.decode()
        assert "govuk-exit-this-page" in body, url
        assert f'href="{reverse("public:exit")}"' in body, url
        for attribute in re.findall(r'(?:src|href)="([^"]+)"', body):
            # Links to other sites are allowed only as plain anchors a person chooses to follow.
            if attribute.startswith(("http://", "https://", "//")):
                tag = body[: body.index(attribute)].rsplit("<", 1)[1].split()[0]
                assert tag == "a", f"{url} loads {attribute} from another site"
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp, url


@pytest.mark.django_db
def test_exit_page_is_neutral(client, db):
    body = client.get(reverse("public:exit")).content.decode().lower()
    for word in ("abuse", "pathways", "perpetrator", "violence", "help"):
        assert word not in body
