"""Mapping pages: access, the rule on the page, heatmap and table agree, bad input, audit."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.mapping import selectors
from pathways.mapping.engine import CountingRule
from pathways.mapping.models import MappingSnapshot

HIGH = {"risk_high": {"value": "yes"}}


@pytest.fixture
def commissioner(client_for, role_users):
    return client_for(role_users[Role.COMMISSIONER])


def _url(area: str = "west-yorkshire", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("mapping:area", args=[area]) + (f"?{query}" if query else "")


def test_who_may_see_the_area_page(client, client_for, role_users, reference):
    url = _url("leeds")
    assert client.get(url).status_code == 302  # anonymous: sign in first
    for role in (Role.COMMISSIONER, Role.ANALYST, Role.ADMIN):
        client.logout()
        assert client_for(role_users[role]).get(url).status_code == 200, role
    for role in (Role.PROVIDER_MANAGER, Role.REFERRER, Role.SUPPORT_WORKER, Role.PANEL_CHAIR):
        client.logout()
        assert client_for(role_users[role]).get(url).status_code == 403, role


def test_page_prints_the_rule_and_shows_the_same_figures_in_heatmap_and_table(
    commissioner, make_service, role_users
):
    make_service("Leeds high risk", claims=HIGH)
    make_service("Area-wide", areas=("west-yorkshire",), claims={"risk_medium": {"value": "yes"}})
    response = commissioner.get(_url())
    html = response.content.decode()
    rule = CountingRule()
    assert rule.describe() in html
    result = selectors.mapping_compute_for_area(area_slug="west-yorkshire", rule=rule)
    svg = html[html.index("<svg") : html.index("</svg>")]
    table = html[html.index('id="coverage-table"') :]
    table = table[: table.index("</table>")]
    svg_numbers = re.findall(r'text-anchor="middle" fill="#[0-9a-f]{6}">(\d+)</text></g>', svg)
    table_numbers = re.findall(r'font-weight-bold">(\d+)</span>', table)
    expected = [str(cell.total) for _d, cells in result.rows() for cell in cells]
    assert svg_numbers == table_numbers == expected
    assert "1 for the whole area" in table


def test_switching_the_rule_changes_the_totals_and_the_printed_rule(commissioner, make_service):
    make_service("Maybe high risk", claims={"risk_high": {"value": "unknown"}})
    default = commissioner.get(_url("leeds")).content.decode()
    counted = commissioner.get(_url("leeds", count_unknown="yes")).content.decode()
    assert "Unknown or not-stated claims are shown but not counted." in default
    assert "Unknown or not-stated claims are counted." in counted
    assert "High risk or high harm: 0 counted" in default
    assert "High risk or high harm: 1 counted" in counted


def test_bad_counting_rule_is_a_gov_uk_error_not_a_mapping(commissioner, reference):
    response = commissioner.get(_url("leeds", count_unknown="perhaps"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert "Select yes if unknown claims should be counted" in html
    assert "<svg" not in html


def test_unknown_area_is_not_found(commissioner, reference):
    assert commissioner.get(_url("atlantis")).status_code == 404


def test_index_redirects_a_valid_choice_and_explains_a_bad_one(commissioner, reference):
    ok = commissioner.get(reverse("mapping:index") + "?area=cardiff&wider_areas=no")
    assert ok.status_code == 302
    assert ok["Location"].startswith(_url("cardiff"))
    assert "wider_areas=no" in ok["Location"]
    bad = commissioner.get(reverse("mapping:index") + "?area=atlantis")
    assert bad.status_code == 400
    assert "Select an area from the list" in bad.content.decode()
    empty = commissioner.get(reverse("mapping:index") + "?area=")
    assert empty.status_code == 400
    assert "Select an area" in empty.content.decode()
    assert commissioner.get(reverse("mapping:index")).status_code == 200


def _page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_page_query_count_is_constant_as_services_grow(commissioner, make_service):
    for i in range(3):
        make_service(f"Service {i}", claims=HIGH, funding_ends="2020-01-01")
    small = _page_queries(commissioner, _url())
    for i in range(3, 30):
        make_service(
            f"Service {i}",
            areas=("west-yorkshire",) if i % 3 else ("bradford",),
            claims=HIGH,
            intervention_type="behaviour_change",
        )
    large = _page_queries(commissioner, _url())
    assert small == large


def test_downloads_are_audited_and_carry_the_rule(commissioner, role_users, make_service):
    make_service("Leeds high risk", claims=HIGH)
    for fmt, content_type in (
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", "application/pdf"),
        ("json", "application/json"),
    ):
        response = commissioner.get(
            reverse("mapping:export", args=["leeds", fmt]) + "?gap_threshold=evidenced"
        )
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        assert "attachment" in response["Content-Disposition"]
        event = AuditEvent.objects.order_by("-sequence").first()
        assert event.action == AuditAction.EXPORT and event.object_id == "leeds"
        assert event.actor == role_users[Role.COMMISSIONER]
        assert event.detail["format"] == fmt
        assert event.detail["rule"]["gap_threshold"] == "evidenced"


def test_bad_download_format_or_rule_is_a_400_page_and_audits_nothing(commissioner, reference):
    before = AuditEvent.objects.count()
    bad_format = commissioner.get(reverse("mapping:export", args=["leeds", "docx"]))
    assert bad_format.status_code == 400
    assert "Choose a download format" in bad_format.content.decode()
    bad_rule = commissioner.get(
        reverse("mapping:export", args=["leeds", "pdf"]) + "?synthetic=sometimes"
    )
    assert bad_rule.status_code == 400
    assert commissioner.get(reverse("mapping:export", args=["atlantis", "pdf"])).status_code == 404
    assert AuditEvent.objects.count() == before


def test_save_snapshots_and_compare_them_after_the_directory_changes(
    commissioner, make_service, role_users
):
    kept = make_service("Kept", claims=HIGH)
    assert kept
    save = reverse("mapping:snapshots", args=["leeds"])
    first = commissioner.post(save, {"label": "Before", "gap_threshold": "self_reported"})
    assert first.status_code == 302
    before = MappingSnapshot.objects.get(label="Before")
    assert before.counting_rule["gap_threshold"] == "self_reported"
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="mapping_snapshot", object_id=str(before.pk)
    ).exists()
    make_service("New medium", claims={"risk_medium": {"value": "yes"}})
    commissioner.post(save, {"label": "After", "gap_threshold": "self_reported"})
    after = MappingSnapshot.objects.get(label="After")
    page = commissioner.get(
        reverse("mapping:compare", args=["leeds"]) + f"?before={before.pk}&after={after.pk}"
    )
    html = page.content.decode()
    assert page.status_code == 200
    closed = html[html.index('id="gaps-closed"') : html.index('id="gaps-opened"')]
    assert "Leeds: Medium risk" in closed
    added = html[html.index('id="services-added"') : html.index('id="services-lost"')]
    assert "New medium" in added
    detail = commissioner.get(reverse("mapping:snapshot", args=[before.pk]))
    assert detail.status_code == 200 and "Before" in detail.content.decode()


def test_snapshot_with_a_bad_rule_or_long_label_is_refused(commissioner, reference):
    save = reverse("mapping:snapshots", args=["leeds"])
    assert commissioner.post(save, {"count_unknown": "maybe"}).status_code == 400
    assert commissioner.post(save, {"label": "x" * 201}).status_code == 400
    assert not MappingSnapshot.objects.exists()


def test_comparing_another_areas_snapshot_is_refused(commissioner, reference, role_users):
    from pathways.mapping import services

    analyst = role_users[Role.ANALYST]
    leeds = services.snapshot_save(actor=analyst, area_slug="leeds", rule=CountingRule())
    cardiff = services.snapshot_save(actor=analyst, area_slug="cardiff", rule=CountingRule())
    response = commissioner.get(
        reverse("mapping:compare", args=["leeds"]) + f"?before={leeds.pk}&after={cardiff.pk}"
    )
    assert response.status_code == 400
    assert "Select a snapshot from the list" in response.content.decode()


def test_provider_manager_page_shows_own_services_and_not_other_providers(
    client_for, role_users, make_service, other_provider_org
):
    make_service("Our programme", claims=HIGH)
    make_service("Their programme", organisation=other_provider_org, claims=HIGH)
    client = client_for(role_users[Role.PROVIDER_MANAGER])
    response = client.get(reverse("mapping:your-services"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Our programme" in html and "Their programme" not in html
    assert CountingRule().describe() in html
    assert "Works with high-risk perpetrators" in html  # its claim has no evidence yet


def test_provider_page_is_only_for_provider_managers(client, client_for, role_users, reference):
    url = reverse("mapping:your-services")
    for role in (Role.COMMISSIONER, Role.ANALYST, Role.REFERRER):
        client.logout()
        assert client_for(role_users[role]).get(url).status_code == 403


def test_dashboard_links_to_mapping_for_those_who_may_use_it(client_for, role_users, reference):
    assert (
        reverse("mapping:index")
        in client_for(role_users[Role.ANALYST]).get(reverse("core:dashboard")).content.decode()
    )
