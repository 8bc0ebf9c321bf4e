"""Pages: the public library and approach pages, the public service page, and linking."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pathways.accounts.models import Role
from pathways.evidence import services
from pathways.evidence.models import Approach, ServiceApproach

LIBRARY = reverse("evidence:library")


def approach_url(slug: str) -> str:
    return reverse("evidence:approach", args=[slug])


def _listed(response) -> list[str]:
    return [s.approach.slug for s in response.context["page"].object_list]


def _assert_public_page(response, url):
    body = response.content.decode()
    assert "govuk-exit-this-page" in body, url
    assert f'href="{reverse("public:exit")}"' in body, url
    for attribute in re.findall(r'(?:src|href)="([^"]+)"', body):
        if attribute.startswith(("http://", "https://", "//")):
            tag = body[: body.index(attribute)].rsplit("<", 1)[1].split()[0]
            assert tag == "a", f"{url} loads {attribute} from another site"
    assert "default-src 'self'" in response.headers.get("Content-Security-Policy", ""), url


# --- Public library ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_library_and_approach_pages_are_public_safe_pages(client, reference):
    for url in [LIBRARY, f"{LIBRARY}?agreement=disagree", approach_url("cbt-for-perpetrators")]:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_public_page(response, url)


@pytest.mark.django_db
def test_library_lists_in_pages_of_twenty_keeping_filters(client, reference):
    first = client.get(LIBRARY)
    assert len(_listed(first)) == 20
    assert first.context["total"] == 41
    assert len(_listed(client.get(LIBRARY, {"page": 3}))) == 1
    filtered = client.get(LIBRARY, {"focus": "SV", "sort": "sources"})
    assert "focus=SV&amp;sort=sources&amp;page=2" in filtered.content.decode() or (
        filtered.context["page"].paginator.num_pages == 1
    )


@pytest.mark.django_db
def test_library_filters_and_sorts(client, reference):
    disagree = _listed(client.get(LIBRARY, {"agreement": "disagree", "sort": "disagreement"}))
    assert disagree[0] == "cbt-for-perpetrators"
    assert {"cara", "drive"} <= set(disagree)
    assert _listed(client.get(LIBRARY, {"level": "tertiary"})) == [
        "drive",
        "marac",
        "second-responder",
    ]
    assert "circles-of-support-and-accountability" in _listed(
        client.get(LIBRARY, {"source": "college-of-policing"})
    )
    assert _listed(client.get(LIBRARY, {"q": "Circles"})) == [
        "circles-of-support-and-accountability"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "params",
    [
        {"focus": "atlantis"},
        {"source": "nobody"},
        {"agreement": "maybe"},
        {"sort": "random"},
        {"level": "quaternary"},
        {"q": "x" * 201},
    ],
)
def test_bad_filters_are_a_clear_error_not_a_crash(client, reference, params):
    response = client.get(LIBRARY, params)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


@pytest.mark.django_db
def test_bad_page_numbers_do_not_crash(client, reference):
    assert client.get(LIBRARY, {"page": "abc"}).status_code == 200
    assert client.get(LIBRARY, {"page": "9999"}).status_code == 200


@pytest.mark.django_db
def test_library_query_count_does_not_grow_with_approaches(
    client, make_source, make_approach, rate
):
    sources = [make_source(), make_source(scale="quality_and_impact")]

    def add(n):
        for _ in range(n):
            approach = make_approach()
            rate(approach, sources[0], rating="good")
            rate(approach, sources[1], evidence_rating="low", impact_rating="high")

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(LIBRARY)
    add(18)
    with CaptureQueriesContext(connection) as many:
        response = client.get(LIBRARY)
    assert len(_listed(response)) == 20
    assert len(many) == len(few)


# --- Approach page ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_approach_page_shows_every_rating_side_by_side_and_warns_of_disagreement(client, reference):
    body = client.get(approach_url("cbt-for-perpetrators")).content.decode()
    assert 'data-agreement="disagree"' in body and "Sources disagree" in body
    for source in (
        "college-of-policing",
        "welsh-government-2018",
        "scottish-vru-2022",
        "crest-llr-2023",
    ):
        assert f'data-source="{source}"' in body
    assert "Cognitive Behavioural Therapy for Domestic Violence" in body  # as the source names it
    assert "some or mixed" in body and "moderate/low" in body
    assert "6 studies" in body
    assert (
        "Rated ‘good’ evidence by a Welsh Government analysis from 2018 (West Yorkshire evaluation, 2023)"
        in body
    )
    assert "never averaged" in body


@pytest.mark.django_db
def test_approach_page_without_disagreement_has_no_warning(client, reference):
    agree = client.get(approach_url("restorative-justice")).content.decode()
    assert 'data-agreement="disagree"' not in agree and "govuk-warning-text" not in agree
    assert 'data-agreement="agree"' in agree
    single = client.get(approach_url("circles-of-support-and-accountability")).content.decode()
    assert 'data-agreement="disagree"' not in single and "Only one source" in single
    unrated = client.get(approach_url("change-that-lasts")).content.decode()
    assert "No source gave this approach a rating" in unrated
    assert "which gave it no rating" in unrated


@pytest.mark.django_db
def test_approach_page_lists_only_public_services_that_follow_it(client, reference, make_service):
    from pathways.directory.models import ServiceStatus

    drive = Approach.objects.get(slug="drive")
    live = make_service("Drive here")
    closed = make_service("Drive closed", status=ServiceStatus.DEFUNCT)
    for service in (live, closed):
        services.service_approach_set(actor=None, service=service, approach=drive)
    body = client.get(approach_url("drive")).content.decode()
    assert "Drive here" in body and "Drive closed" not in body


@pytest.mark.django_db
def test_unknown_approach_is_404(client, reference):
    assert client.get(approach_url("nothing-here")).status_code == 404


# --- Public service page ------------------------------------------------------------------------


@pytest.mark.django_db
def test_service_page_shows_each_sources_rating_in_its_own_words(client, reference, make_service):
    service = make_service("Circles here")
    services.service_approach_set(
        actor=None,
        service=service,
        approach=Approach.objects.get(slug="circles-of-support-and-accountability"),
    )
    body = client.get(reverse("public:service", args=[service.pk])).content.decode()
    assert (
        "Rated ‘some or mixed’ evidence by the College of Policing (West Yorkshire evaluation, 2023)."
        in body
    )
    assert "Based on 15 studies." in body
    assert "not about this service" in body
    assert "proven" not in body.lower()
    assert approach_url("circles-of-support-and-accountability") in body


@pytest.mark.django_db
def test_service_page_says_when_sources_disagree(client, reference, make_service):
    service = make_service("Drive here")
    services.service_approach_set(
        actor=None, service=service, approach=Approach.objects.get(slug="drive")
    )
    body = client.get(reverse("public:service", args=[service.pk])).content.decode()
    assert (
        "Rated ‘good’ evidence by an evaluation of Drive by the University of Bristol (West Yorkshire evaluation, 2023)"
        in body
    )
    assert (
        "Rated ‘moderate’ for quality of evidence and ‘high’ for impact by Crest Advisory" in body
    )
    assert "These sources disagree" in body


@pytest.mark.django_db
def test_service_page_without_an_approach_shows_nothing_about_evidence(client, make_service):
    body = client.get(reverse("public:service", args=[make_service("Plain").pk])).content.decode()
    assert "Research on the approach" not in body


# --- Linking a service to an approach ---------------------------------------------------------


def edit_url(service) -> str:
    return reverse("evidence:service-approach", args=[service.pk])


@pytest.mark.django_db
def test_provider_manager_links_own_service_in_the_browser(
    client_for, role_users, make_service, reference
):
    service = make_service("Our service")
    client = client_for(role_users[Role.PROVIDER_MANAGER])
    assert client.get(edit_url(service)).status_code == 200
    response = client.post(edit_url(service), {"approach": "drive", "note": "Drive licence"})
    assert response.status_code == 302
    assert response["Location"] == reverse("evidence:service-links")
    link = ServiceApproach.objects.get(service=service)
    assert link.approach.slug == "drive" and link.note == "Drive licence"
    listing = client.get(reverse("evidence:service-links")).content.decode()
    assert "Our service" in listing and "now follows" in listing
    response = client.post(edit_url(service), {"approach": "", "note": ""})
    assert response.status_code == 302
    assert not ServiceApproach.objects.filter(service=service).exists()


@pytest.mark.django_db
def test_another_organisations_service_is_not_found(
    client_for, role_users, make_service, other_provider_org, reference
):
    service = make_service("Theirs", organisation=other_provider_org)
    client = client_for(role_users[Role.PROVIDER_MANAGER])
    assert client.get(edit_url(service)).status_code == 404
    assert client.post(edit_url(service), {"approach": "drive"}).status_code == 404
    assert not ServiceApproach.objects.exists()
    assert "Theirs" not in client.get(reverse("evidence:service-links")).content.decode()


@pytest.mark.django_db
def test_commissioner_links_any_service(
    client_for, role_users, make_service, other_provider_org, reference
):
    service = make_service("Theirs", organisation=other_provider_org)
    client = client_for(role_users[Role.COMMISSIONER])
    assert client.post(edit_url(service), {"approach": "cara"}).status_code == 302
    assert ServiceApproach.objects.get(service=service).set_by == role_users[Role.COMMISSIONER]


@pytest.mark.django_db
def test_linking_pages_are_closed_to_others(
    client, client_for, role_users, make_service, reference
):
    service = make_service("Any")
    for url in (edit_url(service), reverse("evidence:service-links")):
        client.logout()
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]
        for role in (Role.ANALYST, Role.REFERRER, Role.SUPPORT_WORKER):
            assert client_for(role_users[role]).get(url).status_code == 403


@pytest.mark.django_db
def test_unknown_approach_is_an_error_summary_and_changes_nothing(
    client_for, role_users, make_service, reference
):
    service = make_service("Ours")
    client = client_for(role_users[Role.PROVIDER_MANAGER])
    response = client.post(edit_url(service), {"approach": "made-up", "note": "x" * 1001})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Select an approach from the list" in body
    assert "Note must be 1000 characters or fewer" in body
    assert not ServiceApproach.objects.exists()


@pytest.mark.django_db
def test_service_links_query_count_does_not_grow(client_for, role_users, make_service, reference):
    drive = Approach.objects.get(slug="drive")
    client = client_for(role_users[Role.COMMISSIONER])

    def add(n, prefix):
        for i in range(n):
            service = make_service(f"{prefix} {i}")
            services.service_approach_set(actor=None, service=service, approach=drive)

    add(2, "Few")
    url = reverse("evidence:service-links")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(18, "More")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["rows"]) == 20
    assert len(many) == len(few)
