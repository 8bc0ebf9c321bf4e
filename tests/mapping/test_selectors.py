"""Mapping from the database: what counts, the published demo data, query counts, access."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.core.demo import FIXTURES
from pathways.directory import curation
from pathways.mapping import engine, selectors, services
from pathways.mapping.engine import CountingRule

WY = "west-yorkshire"
WY_DISTRICTS = ("bradford", "calderdale", "kirklees", "leeds", "wakefield")
RISK = {"high_risk": "risk_high", "medium_risk": "risk_medium", "standard_risk": "risk_standard"}
WY_COHORTS = ("children_young_people", "ethnic_minority", "lgbtqia")


def _compute(area: str, **rule) -> engine.MappingResult:
    return selectors.mapping_compute_for_area(area_slug=area, rule=CountingRule(**rule))


def _names(result: engine.MappingResult) -> set[str]:
    return {s.name for s in result.services}


# --------------------------------------------------------------------------------------
# West Yorkshire: the summary reproduces the published table, computed from the table
# --------------------------------------------------------------------------------------


@pytest.fixture
def wy_table():
    """The published Table 6 as carried into the project (directory fixture, cell for cell)."""
    return json.loads((FIXTURES / "west_yorkshire_2023.json").read_text(encoding="utf-8"))[
        "services"
    ]


def _reaches(row: dict, district: str) -> bool:
    return district in row["areas"] or "west-yorkshire" in row["areas"]


def test_west_yorkshire_summary_reproduces_the_published_table(published, wy_table):
    """Every figure is recomputed here from the table rows, independently of the engine.

    The only West Yorkshire headline count in Pathways' reference data is the number of
    services (26, WY 2023 Table 6). The table gives 26 too, so there is no disagreement to
    record; any other headline the report prints is not in our reference data, and what
    Pathways shows is what the table gives. The table's scope is West Yorkshire and its
    districts, so national services (from the Cardiff review) are left out with the rule.
    """
    result = _compute("west-yorkshire", wider_areas=False)
    summary = result.summary
    headline = selectors.mapping_reference()["published_checks"]["west_yorkshire"]
    assert summary["services"] == len(wy_table) == headline["headline_services"]
    assert summary["by_district"] == {
        d: sum(_reaches(row, d) for row in wy_table) for d in WY_DISTRICTS
    }
    assert summary["area_wide_services"] == sum(
        row["areas"] == ["west-yorkshire"] for row in wy_table
    )
    assert summary["by_abuse_type"] == dict(
        sorted(Counter(code for row in wy_table for code in row["abuse_types"]).items())
    )
    # The published table has no tier column: risk components come from its risk claims,
    # sexual violence from its abuse types, and early intervention cannot be derived (0).
    expected_tiers = {
        component: sum(row["claims"][claim] == "yes" for row in wy_table)
        for component, claim in RISK.items()
    }
    expected_tiers["sexual_violence"] = sum("SV" in row["abuse_types"] for row in wy_table)
    expected_tiers["early_intervention"] = 0
    assert summary["by_tier"] == expected_tiers
    for cohort in WY_COHORTS:
        assert summary["by_cohort"][cohort] == sum(
            row["claims"][cohort] == "yes" for row in wy_table
        )
    for cohort in ("young_adults", "women_using_force", "disabled_neurodivergent"):
        assert summary["by_cohort"][cohort] == 0  # not a column of the published table


def test_west_yorkshire_matrix_cells_match_the_table_with_unknowns_kept_apart(published, wy_table):
    result = _compute("west-yorkshire", wider_areas=False)
    for district in WY_DISTRICTS:
        rows = [row for row in wy_table if _reaches(row, district)]
        for component, claim in RISK.items():
            cell = result.cell(district, component)
            assert cell.total == sum(row["claims"][claim] == "yes" for row in rows)
            assert cell.counts["self_reported"] == cell.total  # published = self-reported
            assert cell.counts["unknown"] == sum(
                row["claims"][claim] in ("unknown", "not_stated") for row in rows
            )
            assert cell.reach["area_wide"] == sum(
                row["claims"][claim] == "yes" and row["areas"] == ["west-yorkshire"] for row in rows
            )


def test_west_yorkshire_gaps_follow_the_table_and_the_rule(published, wy_table):
    strict = {(g["district"], g["component"]): g["kind"] for g in _compute(WY).gaps}
    # Nothing in the published table is verified, so under the default rule every
    # component in every district is a gap of one kind or the other.
    assert len(strict) == len(WY_DISTRICTS) * len(engine.COMPONENT_SLUGS)
    lenient = _compute(WY, wider_areas=False, gap_threshold="self_reported")
    found = {(g["district"], g["component"]) for g in lenient.gaps}
    expected = set()
    for district in WY_DISTRICTS:
        rows = [row for row in wy_table if _reaches(row, district)]
        for component, claim in RISK.items():
            if not any(row["claims"][claim] == "yes" for row in rows):
                expected.add((district, component))
        if not any("SV" in row["abuse_types"] for row in rows):
            expected.add((district, "sexual_violence"))
        expected.add((district, "early_intervention"))
    assert found == expected


def test_national_services_count_in_west_yorkshire_as_wider_area_provision(published, wy_table):
    cardiff = json.loads((FIXTURES / "cardiff_and_vale_2020.json").read_text(encoding="utf-8"))
    national = [
        row
        for row in cardiff["services"]
        if row["areas"] in (["england-and-wales"], ["england"])
        and row.get("delivery_status") not in ("in_development", "decommissioned", "replaced")
    ]
    result = _compute(WY)
    assert result.summary["services"] == len(wy_table) + len(national)
    assert result.summary["wider_area_services"] == len(national)


def test_counting_unknown_claims_changes_west_yorkshire_totals(published, wy_table):
    without = _compute(WY, wider_areas=False)
    with_unknown = _compute(WY, wider_areas=False, count_unknown=True)
    unknown_high = sum(row["claims"]["risk_high"] in ("unknown", "not_stated") for row in wy_table)
    assert unknown_high > 0
    assert (
        with_unknown.summary["by_tier"]["high_risk"]
        == without.summary["by_tier"]["high_risk"] + unknown_high
    )


# --------------------------------------------------------------------------------------
# Cardiff and the Vale: the gaps the published review found are shown as gaps
# --------------------------------------------------------------------------------------


def test_cardiff_and_vale_gaps_found_by_the_review_are_gaps(published):
    checks = selectors.mapping_reference()["published_checks"]["cardiff_and_vale"]
    result = _compute(checks["area"])
    gaps = {(g["district"], g["component"]): g["kind"] for g in result.gaps}
    narrow = _compute(checks["area"], wider_areas=False)
    narrow_gaps = {(g["district"], g["component"]): g["kind"] for g in narrow.gaps}
    for finding in checks["gaps"]:
        key = (finding["district"], finding["component"])
        if finding.get("local_only"):
            # The review meant local provision. Pathways counts a national university
            # bystander pilot here by default, and the cell says it is only wider-area
            # provision; leaving wider areas out shows the review's gap.
            cell = result.cell(*key)
            assert cell.total > 0 and cell.total == cell.reach["wider_area"]
            assert narrow_gaps[key] == "no_provision"
        else:
            assert gaps[key] == "no_provision", finding["finding"]


def test_cardiff_provision_the_review_found_is_not_a_gap(published):
    result = _compute("cardiff-and-vale", gap_threshold="self_reported")
    gaps = {(g["district"], g["component"]) for g in result.gaps}
    assert ("cardiff", "high_risk") not in gaps  # Drive
    assert ("cardiff", "early_intervention") not in gaps  # CLEAR
    assert ("cardiff", "sexual_violence") not in gaps  # Horizon, Kaizen
    assert "Drive (Cardiff)" in _names(result)


def test_decommissioned_and_not_in_wales_services_do_not_count_in_wales(published):
    cardiff = _names(_compute("cardiff-and-vale"))
    assert "Atal y Fro domestic violence perpetrator programme (DVPP)" not in cardiff
    assert "Inform Plus" not in cardiff
    assert "Inform Plus" in _names(_compute("west-yorkshire"))  # national, not in Wales
    assert "Building Better Relationships (BBR)" in cardiff


# --------------------------------------------------------------------------------------
# What counts
# --------------------------------------------------------------------------------------


def test_only_active_delivering_visible_services_count(make_service, role_users):
    claims = {"risk_high": {"value": "yes"}}
    make_service("Counted", claims=claims)
    make_service("Inactive", claims=claims, status="inactive")
    make_service("Temporarily closed", claims=claims, status="temporarily closed")
    make_service("In development", claims=claims, delivery_status="in_development")
    make_service("Replaced", claims=claims, delivery_status="replaced")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    make_service("Ended", claims=claims, visible_to=yesterday)
    make_service("Pilot", claims=claims, delivery_status="pilot")
    deleted = make_service("Deleted", claims=claims)
    curation.service_soft_delete(service=deleted, actor=role_users[Role.COMMISSIONER])
    assert _names(_compute("leeds")) == {"Counted", "Pilot"}


def test_unknown_area_is_a_validation_error_naming_the_area(reference):
    with pytest.raises(ValidationError) as error:
        _compute("atlantis")
    assert "atlantis" in str(error.value.message_dict["area"])


def test_a_district_maps_to_itself_and_an_area_of_no_districts_is_empty(make_service):
    make_service("Leeds service", claims={"risk_high": {"value": "yes"}})
    leeds = _compute("leeds")
    assert [d.slug for d in leeds.districts] == ["leeds"]
    assert leeds.summary["services"] == 1


def _queries(area: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _compute(area)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_directory(make_service):
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_service(
                f"Service {i}",
                areas=("leeds",) if i % 2 else ("west-yorkshire",),
                claims={"risk_high": {"value": "yes"}, "lgbtqia": {"value": "unknown"}},
                terms=("abuse-types:DA", "abuse-types:SV"),
            )

    add(2, 0)
    small = _queries("west-yorkshire")
    add(18, 2)
    large = _queries("west-yorkshire")
    assert _compute("west-yorkshire").summary["services"] == 20
    assert small == large


# --------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------


def test_mapping_is_refused_to_roles_without_the_mapping_policy(reference, role_users):
    for role in (Role.PROVIDER_MANAGER, Role.REFERRER, Role.TRIAGE, Role.PERPETRATOR_WORKER):
        with pytest.raises(PermissionDenied):
            selectors.mapping_for_area(
                user=role_users[role], area_slug="leeds", rule=CountingRule()
            )
    for role in (Role.COMMISSIONER, Role.ANALYST, Role.ADMIN):
        selectors.mapping_for_area(user=role_users[role], area_slug="leeds", rule=CountingRule())


def test_provider_manager_sees_own_services_place_and_no_other_provider(
    make_service, role_users, other_provider_org
):
    own = make_service("Our programme", claims={"risk_high": {"value": "yes"}})
    make_service(
        "Their programme",
        organisation=other_provider_org,
        claims={"risk_high": {"value": "yes"}},
    )
    make_service(
        "Their Kirklees programme",
        organisation=other_provider_org,
        areas=("kirklees",),
        claims={"risk_high": {"value": "yes"}},
    )
    place = selectors.mapping_for_provider(
        user=role_users[Role.PROVIDER_MANAGER], rule=CountingRule()
    )
    text = json.dumps(place.place)
    assert "Their programme" not in text and "Their Kirklees programme" not in text
    assert [s["service"]["id"] for s in place.place["services"]] == [str(own.pk)]
    assert set(place.district_names) == {"leeds"}
    cells = {(c["district"], c["column"]): c for c in place.place["services"][0]["cells"]}
    assert cells[("leeds", "high_risk")]["services_in_cell"] == 2
    assert cells[("leeds", "high_risk")]["only_provider"] is False
    with pytest.raises(PermissionDenied):
        selectors.mapping_for_provider(user=role_users[Role.COMMISSIONER], rule=CountingRule())


def test_snapshots_compare_only_within_one_area(reference, role_users):
    user = role_users[Role.ANALYST]
    leeds = services.snapshot_save(actor=user, area_slug="leeds", rule=CountingRule())
    leeds_again = services.snapshot_save(actor=user, area_slug="leeds", rule=CountingRule())
    wakefield = services.snapshot_save(actor=user, area_slug="wakefield", rule=CountingRule())
    with pytest.raises(ValidationError):
        selectors.snapshot_compare(user=user, before_id=leeds.pk, after_id=wakefield.pk)
    with pytest.raises(ValidationError):
        selectors.snapshot_compare(user=user, before_id=leeds.pk, after_id=leeds.pk)
    _, _, diff = selectors.snapshot_compare(user=user, before_id=leeds.pk, after_id=leeds_again.pk)
    assert diff.unchanged
    with pytest.raises(PermissionDenied):
        selectors.snapshot_get(user=role_users[Role.PROVIDER_MANAGER], snapshot_id=leeds.pk)
