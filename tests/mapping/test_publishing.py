"""Publishing a summary for the public: administrators only, confirmed, audited, and the
public sees headline figures and gaps only, and nothing before or after."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.mapping import engine, services
from pathways.mapping.engine import CountingRule
from pathways.mapping.models import PublishedSummary

HIGH = {"risk_high": {"value": "yes"}}
LIST = "/mapping/published/"


def _public(area: str = "leeds") -> str:
    return f"/mapping/published/{area}/"


@pytest.fixture
def snapshot(make_service, role_users):
    make_service("Distinctive Leeds Programme", claims=HIGH)
    return services.snapshot_save(
        actor=role_users[Role.ANALYST], area_slug="leeds", rule=CountingRule(), label="Q1"
    )


def _events(event: str) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(object_type="mapping_published_summary")
        if e.detail.get("event") == event
    ]


def test_urls_are_the_documented_ones(reference):
    assert reverse("mapping:published-list") == LIST
    assert reverse("mapping:published", args=["leeds"]) == _public()


def test_not_public_before_publishing_public_after_and_gone_after_unpublishing(
    client, client_for, role_users, snapshot
):
    # before: nothing is public
    assert client.get(_public()).status_code == 404
    listing = client.get(LIST)
    assert listing.status_code == 200 and 'id="none-published"' in listing.content.decode()

    admin = client_for(role_users[Role.ADMIN])
    publish_url = reverse("mapping:publish", args=[snapshot.pk])
    confirm = admin.get(publish_url)
    assert confirm.status_code == 200
    assert "Publish this summary for the public?" in confirm.content.decode()
    assert not PublishedSummary.objects.exists()  # asking is not publishing
    done = admin.post(publish_url)
    assert done.status_code == 302
    assert PublishedSummary.objects.get().published_by == role_users[Role.ADMIN]
    [event] = _events("publish")
    assert event.action == AuditAction.CREATE and event.actor == role_users[Role.ADMIN]
    assert event.detail["area"] == "leeds" and event.detail["snapshot"] == str(snapshot.pk)

    # after: anyone may read it, signed in or not (`admin` is `client`, signed in)
    client.logout()
    page = client.get(_public())
    assert page.status_code == 200
    html = page.content.decode()
    assert "Exit this page" in html
    assert 'id="public-headline"' in html and 'id="public-gaps-none"' in html
    assert "Distinctive Leeds Programme" not in html  # no provider-level detail
    for word in ("Rated", "evidence rating", "Questionable", "Sources disagree"):
        assert word not in html
    assert _public() in client.get(LIST).content.decode()

    # unpublish: confirmation, then gone
    admin = client_for(role_users[Role.ADMIN])
    unpublish_url = reverse("mapping:unpublish", args=["leeds"])
    assert admin.get(unpublish_url).status_code == 200
    assert client.get(_public()).status_code == 200  # still public until confirmed
    assert admin.post(unpublish_url).status_code == 302
    [event] = _events("unpublish")
    assert event.action == AuditAction.UPDATE and event.actor == role_users[Role.ADMIN]
    client.logout()
    assert client.get(_public()).status_code == 404
    assert _public() not in client.get(LIST).content.decode()
    withdrawn = PublishedSummary.objects.get()
    assert withdrawn.withdrawn_reason == PublishedSummary.Withdrawn.UNPUBLISHED
    admin = client_for(role_users[Role.ADMIN])  # the same test client, signed in again
    assert admin.post(unpublish_url).status_code == 404  # nothing left to unpublish


def test_only_administrators_publish_or_unpublish(client_for, role_users, snapshot):
    for role in (Role.COMMISSIONER, Role.ANALYST, Role.PROVIDER_MANAGER):
        user = role_users[role]
        with pytest.raises(PermissionDenied):
            services.summary_publish(actor=user, snapshot_id=snapshot.pk)
        web = client_for(user)
        assert web.get(reverse("mapping:publish", args=[snapshot.pk])).status_code == 403
        assert web.post(reverse("mapping:publish", args=[snapshot.pk])).status_code == 403
    assert not PublishedSummary.objects.exists()
    services.summary_publish(actor=role_users[Role.ADMIN], snapshot_id=snapshot.pk)
    for role in (Role.COMMISSIONER, Role.ANALYST):
        with pytest.raises(PermissionDenied):
            services.summary_unpublish(actor=role_users[role], area_slug="leeds")
        web = client_for(role_users[role])
        assert web.post(reverse("mapping:unpublish", args=["leeds"])).status_code == 403
    assert PublishedSummary.objects.get().is_live


def test_snapshot_page_offers_publishing_to_administrators_only(client_for, role_users, snapshot):
    url = reverse("mapping:snapshot", args=[snapshot.pk])
    publish_url = reverse("mapping:publish", args=[snapshot.pk])
    assert publish_url not in client_for(role_users[Role.COMMISSIONER]).get(url).content.decode()
    assert publish_url in client_for(role_users[Role.ADMIN]).get(url).content.decode()


def test_a_newer_summary_replaces_the_live_one(role_users, snapshot):
    admin = role_users[Role.ADMIN]
    first = services.summary_publish(actor=admin, snapshot_id=snapshot.pk)
    later = services.snapshot_save(actor=admin, area_slug="leeds", rule=CountingRule())
    second = services.summary_publish(actor=admin, snapshot_id=later.pk)
    first.refresh_from_db()
    assert first.withdrawn_reason == PublishedSummary.Withdrawn.REPLACED
    assert list(PublishedSummary.objects.filter(withdrawn_at__isnull=True)) == [second]
    assert _events("publish")[-1].detail["replaced"] == str(first.pk)


def test_public_summary_keeps_only_figures_and_gaps(snapshot):
    content = engine.public_summary(snapshot.payload, abuse_type_names={"DA": "Domestic abuse"})
    assert set(content) == {
        "area",
        "area_name",
        "as_of",
        "data_as_of",
        "counting_rule",
        "districts",
        "columns",
        "summary",
        "abuse_type_names",
        "gaps",
    }
    assert set(content["summary"]) <= set(engine.PUBLIC_SUMMARY_FIGURES)
    assert content["abuse_type_names"] == {"DA": "Domestic abuse"}
    assert "Distinctive Leeds Programme" not in str(content)
    assert all(set(g) == {"district", "component", "kind"} for g in content["gaps"])


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_public_pages_keep_a_constant_query_count(client, make_service, role_users):
    admin, analyst = role_users[Role.ADMIN], role_users[Role.ANALYST]
    make_service("One", claims=HIGH)
    small = services.snapshot_save(actor=analyst, area_slug="leeds", rule=CountingRule())
    services.summary_publish(actor=admin, snapshot_id=small.pk)
    page_small, list_small = _queries(client, _public()), _queries(client, LIST)
    for i in range(20):
        make_service(f"More {i}", areas=("west-yorkshire",), claims=HIGH)
    for area in ("leeds", "wakefield", "west-yorkshire"):
        snap = services.snapshot_save(actor=analyst, area_slug=area, rule=CountingRule())
        services.summary_publish(actor=admin, snapshot_id=snap.pk)
    assert _queries(client, _public()) == page_small
    assert _queries(client, _public("west-yorkshire")) == page_small
    assert _queries(client, LIST) == list_small
