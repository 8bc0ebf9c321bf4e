"""Questionable claims: the agreed risk-tier definition where one applies, evidence otherwise.

Engine tests build the definition checks by hand (plain data); database tests record a
definition through the standards service layer and map areas under and above it.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.mapping import engine, exports, selectors
from pathways.mapping.engine import CountingRule
from pathways.standards import services as standards_services

from .builders import compute, service

ORIGINAL_KEYS = {
    "service": str,
    "name": str,
    "organisation": str,
    "claim": str,
    "value": str,
    "evidence_level": str,
    "reason": str,
}
WY_TIERS = engine.TierDefinition(
    area="west-yorkshire",
    area_name="West Yorkshire",
    title="WY risk tiers",
    updated_at=dt.datetime(2025, 5, 1, 9, 30, tzinfo=dt.UTC),
)
ICM = engine.CriterionCheck(
    "requires_intensive_case_management",
    "Intensive case management",
    True,
    "Intervention type: intensive_case_management",
)
NOT_ICM = engine.CriterionCheck(
    "requires_intensive_case_management",
    "Intensive case management",
    False,
    "Intervention type: behaviour_change",
)
ROUTES = engine.CriterionCheck(
    "requires_multi_agency_links",
    "Multi-agency links",
    True,
    "Multi-agency referral routes: police",
)
NO_ROUTES = engine.CriterionCheck(
    "requires_multi_agency_links",
    "Multi-agency links",
    None,
    "Multi-agency referral routes: none",
)


def check(tier: str, result: str, *criteria: engine.CriterionCheck, definition=WY_TIERS):
    return engine.TierClaimCheck(tier, result, tuple(criteria), definition)


# --------------------------------------------------------------------------------------
# Engine: plain data
# --------------------------------------------------------------------------------------


def test_a_claim_meeting_the_definition_is_not_questionable_even_if_self_reported():
    s = service(
        "Meets",
        claims={"risk_high": "yes"},
        tier_checks=(check("high", "meets", ICM, ROUTES),),
    )
    assert compute([s]).questionable_claims == []


def test_a_claim_failing_a_criterion_names_the_definition_the_criterion_and_its_data():
    s = service(
        "Weak",
        claims={"risk_high": ("yes", "verified")},  # verified, yet the data contradicts it
        tier_checks=(check("high", "does_not_meet", NOT_ICM, ROUTES),),
    )
    [found] = compute([s]).questionable_claims
    assert found["claim"] == "risk_high" and found["value"] == "yes"
    assert found["evidence_level"] == "verified"
    assert found["reason"] == "does_not_meet_definition"
    assert found["basis"] == "definition" and found["tier"] == "high"
    assert found["definition"] == {
        "area": "west-yorkshire",
        "area_name": "West Yorkshire",
        "title": "WY risk tiers",
        "updated_at": "2025-05-01T09:30:00+00:00",
    }
    assert found["definition_result"] == "does_not_meet"
    assert found["failed_criteria"] == [
        {
            "criterion": "requires_intensive_case_management",
            "label": "Intensive case management",
            "met": False,
            "detail": "Intervention type: behaviour_change",
        }
    ]
    assert [c["criterion"] for c in found["criteria"]] == [
        "requires_intensive_case_management",
        "requires_multi_agency_links",
    ]


def test_without_a_definition_the_fallback_is_a_claim_without_evidence():
    bare = service("Bare", claims={"risk_medium": "yes"})
    evidenced = service("Evidenced", claims={"risk_high": ("yes", "evidenced")})
    [found] = compute([bare, evidenced]).questionable_claims
    assert (found["name"], found["claim"], found["reason"]) == (
        "Bare",
        "risk_medium",
        "no_evidence",
    )
    assert found["basis"] == "evidence" and found["tier"] == "medium"
    assert found["definition"] is None and found["definition_result"] is None
    assert found["failed_criteria"] == [] and found["criteria"] == []


def test_a_definition_not_covering_a_tier_leaves_that_tier_to_the_fallback():
    s = service(
        "Both",
        claims={"risk_high": "yes", "risk_medium": "yes"},
        tier_checks=(check("high", "meets", ICM),),
    )
    found = compute([s]).questionable_claims
    assert [(q["claim"], q["reason"], q["definition"]) for q in found] == [
        ("risk_medium", "no_evidence", None)
    ]


def test_cannot_tell_falls_back_to_evidence_and_says_what_could_not_be_checked():
    self_reported = service(
        "Unchecked",
        claims={"risk_high": "yes"},
        tier_checks=(check("high", "cannot_tell", ICM, NO_ROUTES),),
    )
    evidenced = service(
        "Unchecked but evidenced",
        claims={"risk_high": ("yes", "evidenced")},
        tier_checks=(check("high", "cannot_tell", ICM, NO_ROUTES),),
    )
    [found] = compute([self_reported, evidenced]).questionable_claims
    assert found["name"] == "Unchecked"
    assert found["reason"] == "no_evidence" and found["basis"] == "evidence"
    assert found["definition"]["title"] == "WY risk tiers"
    assert found["definition_result"] == "cannot_tell"
    assert found["failed_criteria"] == []
    assert [c["criterion"] for c in found["criteria"] if c["met"] is None] == [
        "requires_multi_agency_links"
    ]


def test_checks_for_a_claim_the_record_does_not_make_are_ignored():
    """A check for a tier the service does not claim (stale or inconsistent input) flags
    nothing: only a claim of yes is ever questioned."""
    s = service(
        "Said no",
        claims={"risk_high": "no"},
        tier_checks=(check("high", "does_not_meet", NOT_ICM),),
    )
    assert compute([s]).questionable_claims == []


def test_standard_risk_checks_are_not_questioned():
    s = service(
        "Standard",
        claims={"risk_standard": "yes"},
        tier_checks=(check("standard", "does_not_meet", NOT_ICM),),
    )
    assert compute([s]).questionable_claims == []


def test_each_failing_definition_is_its_own_finding():
    other = engine.TierDefinition("llr", "LLR", "LLR tiers", None)
    s = service(
        "Two partnerships",
        claims={"risk_high": "yes"},
        tier_checks=(
            check("high", "does_not_meet", NOT_ICM),
            check("high", "meets", ICM, definition=other),
        ),
    )
    found = compute([s]).questionable_claims
    assert [q["definition"]["area"] for q in found] == ["west-yorkshire"]


def test_a_suite_tier_with_no_claim_is_still_tested_for_evidence_under_a_definition():
    s = service("Tier only", suite_tier="high_harm", tier_checks=())
    [found] = compute([s], tier_definition=WY_TIERS).questionable_claims
    assert found["claim"] == "suite_tier:high_harm" and found["tier"] == "high"
    assert found["reason"] == "no_evidence" and found["definition"] is None


def test_json_keeps_the_original_fields_and_types_and_names_the_definition_in_force():
    s = service(
        "Weak", claims={"risk_high": "yes"}, tier_checks=(check("high", "does_not_meet", NOT_ICM),)
    )
    with_definition = json.loads(json.dumps(compute([s], tier_definition=WY_TIERS).to_json()))
    without = json.loads(json.dumps(compute([service(claims={"risk_high": "yes"})]).to_json()))
    for payload in (with_definition, without):
        assert isinstance(payload["questionable_claims"], list)
        for q in payload["questionable_claims"]:
            for key, kind in ORIGINAL_KEYS.items():
                assert isinstance(q[key], kind), key
    assert with_definition["risk_tier_definition"]["title"] == "WY risk tiers"
    assert without["risk_tier_definition"] is None


VERDICTS = st.sampled_from(["meets", "does_not_meet", "cannot_tell", None])
LEVELS = st.sampled_from(["self_reported", "evidenced", "verified"])
VALUES = st.sampled_from(["yes", "no", "unknown", None])


@settings(max_examples=200, deadline=None)
@given(value=VALUES, level=LEVELS, verdict=VERDICTS, tier=st.sampled_from(["high", "medium"]))
def test_property_a_claim_is_flagged_exactly_when_the_rules_say(value, level, verdict, tier):
    dimension = f"risk_{tier}"
    claims = {} if value is None else {dimension: (value, level)}
    checks = (
        ()
        if verdict is None
        else (check(tier, verdict, NOT_ICM if verdict == "does_not_meet" else ICM),)
    )
    found = [q for q in compute([service(claims=claims, tier_checks=checks)]).questionable_claims]
    if value != "yes":
        expected = None
    elif verdict == "does_not_meet":
        expected = "does_not_meet_definition"
    elif verdict == "meets":
        expected = None
    else:  # cannot tell, or no definition: the evidence test
        expected = "no_evidence" if level == "self_reported" else None
    assert [q["reason"] for q in found] == ([expected] if expected else [])
    for q in found:
        assert q["claim"] == dimension
        assert (q["definition"] is None) == (verdict is None)
        assert bool(q["failed_criteria"]) == (verdict == "does_not_meet")


def test_exports_print_the_definition_and_the_failed_criterion_with_its_data():
    s = service(
        "Weak", claims={"risk_high": "yes"}, tier_checks=(check("high", "does_not_meet", NOT_ICM),)
    )
    result = compute([s], tier_definition=WY_TIERS)
    title, header, rows = exports.questionable_table(result, exports.Labels(result))
    assert "Checked against WY risk tiers (West Yorkshire)" in title
    assert header[-2:] == ["Definition", "Criteria (directory data)"]
    [row] = rows
    assert row[4] == "Does not meet the agreed risk-tier definition"
    assert row[5].startswith("WY risk tiers (West Yorkshire), high risk, as changed 01 May 2025")
    assert row[6] == "Not met: Intensive case management (Intervention type: behaviour_change)"
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(result)))["Questionable claims"]
    values = [v for r in sheet.iter_rows(values_only=True) for v in r if v]
    assert row[6] in values and row[5] in values
    pdf = exports.to_pdf(result, compress=False).decode("latin-1").replace(") Tj (", "")
    for words in ("Not met: Intensive", "behaviour_change", "WY risk tiers", "Does not meet"):
        assert words in pdf, words


def test_fallback_export_says_no_definition_applies():
    result = compute([service(claims={"risk_high": "yes"})])
    title, _header, [row] = exports.questionable_table(result, exports.Labels(result))
    assert "No agreed risk-tier definition is recorded" in title
    assert row[5] == "No agreed risk-tier definition applies" and row[6] == ""


# --------------------------------------------------------------------------------------
# From the database: the definition recorded in standards
# --------------------------------------------------------------------------------------

HIGH = {"risk_high": {"value": "yes"}}


def _define(area_slug: str, user, title: str, **high) -> None:
    standards_services.tier_definition_save(
        actor=user,
        area=Area.objects.get(slug=area_slug),
        title=title,
        criteria={"high": high or {"requires_intensive_case_management": True}},
    )


def _questionable(area: str) -> dict[str, list[dict]]:
    result = selectors.mapping_compute_for_area(area_slug=area, rule=CountingRule())
    found: dict[str, list[dict]] = {}
    for q in result.questionable_claims:
        found.setdefault(q["name"], []).append(q)
    return found


@pytest.fixture
def wy_definition(role_users):
    _define(
        "west-yorkshire",
        role_users[Role.COMMISSIONER],
        "WY tiers",
        requires_intensive_case_management=True,
        requires_multi_agency_links=True,
    )


def test_mapping_an_area_below_a_definition_uses_it(make_service, wy_definition):
    make_service(
        "Good",
        claims=HIGH,
        intervention_type="intensive_case_management",
        terms=("abuse-types:DA", "referral-routes:police"),
    )
    make_service(
        "Weak",
        claims=HIGH,
        intervention_type="behaviour_change",
        terms=("abuse-types:DA", "referral-routes:police"),
    )
    for area in ("west-yorkshire", "leeds"):
        found = _questionable(area)
        assert "Good" not in found, area
        [weak] = found["Weak"]
        assert weak["reason"] == "does_not_meet_definition"
        assert weak["definition"]["area"] == "west-yorkshire"
        assert weak["definition"]["title"] == "WY tiers"
        assert weak["definition"]["updated_at"]
        assert [(c["criterion"], c["detail"]) for c in weak["failed_criteria"]] == [
            ("requires_intensive_case_management", "Intervention type: behaviour_change")
        ]
    result = selectors.mapping_compute_for_area(area_slug="leeds", rule=CountingRule())
    assert result.to_json()["risk_tier_definition"]["area"] == "west-yorkshire"


def test_mapping_above_or_beside_a_definition_falls_back(make_service, wy_definition):
    """England is above West Yorkshire and Leicester is elsewhere: neither mapping uses the
    West Yorkshire definition, so an unevidenced claim is a claim without evidence."""
    make_service("Weak", claims=HIGH, intervention_type="behaviour_change")
    make_service("Leicester weak", areas=("leicester",), claims=HIGH)
    england = _questionable("england")
    assert england["Weak"][0]["reason"] == "no_evidence"
    assert england["Weak"][0]["definition"] is None
    assert _questionable("leicester")["Leicester weak"][0]["reason"] == "no_evidence"
    assert (
        selectors.mapping_compute_for_area(area_slug="england", rule=CountingRule()).tier_definition
        is None
    )


def test_the_nearest_definition_wins_and_equal_ones_go_by_slug(make_service, role_users):
    user = role_users[Role.COMMISSIONER]
    make_service("Weak", claims=HIGH, intervention_type="behaviour_change")
    _define("west-yorkshire-police", user, "Police tiers")
    _define("west-yorkshire", user, "WY tiers")
    # Leeds sits under both, equally near: the first by slug decides.
    assert _questionable("leeds")["Weak"][0]["definition"]["title"] == "WY tiers"
    _define("leeds", user, "Leeds tiers", min_duration_weeks=10)
    [weak] = _questionable("leeds")["Weak"]
    assert weak["definition"]["title"] == "Leeds tiers"
    assert [c["criterion"] for c in weak["criteria"]] == ["min_duration_weeks"]
    assert weak["reason"] == "no_evidence"  # duration not recorded: cannot tell
    assert _questionable("west-yorkshire-police")["Weak"][0]["definition"]["title"] == (
        "Police tiers"
    )


def _queries(area: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        selectors.mapping_compute_for_area(area_slug=area, rule=CountingRule())
    return len(ctx.captured_queries)


def test_query_count_with_a_definition_does_not_grow_with_the_directory(
    make_service, wy_definition
):
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_service(
                f"Service {i}",
                areas=("leeds",) if i % 2 else ("west-yorkshire",),
                claims={"risk_high": {"value": "yes"}, "risk_medium": {"value": "yes"}},
                intervention_type="behaviour_change" if i % 3 else "intensive_case_management",
                terms=("abuse-types:DA", "referral-routes:police", "referral-routes:self"),
            )

    add(2, 0)
    small = _queries("west-yorkshire")
    add(18, 2)
    large = _queries("west-yorkshire")
    found = _questionable("west-yorkshire")
    assert sum(len(v) for v in found.values()) > 0
    assert small == large


def test_provider_manager_sees_the_definition_their_claim_fails(
    client_for, make_service, role_users, wy_definition
):
    make_service("Our programme", claims=HIGH, intervention_type="behaviour_change")
    place = selectors.mapping_for_provider(
        user=role_users[Role.PROVIDER_MANAGER], rule=CountingRule()
    )
    [q] = place.place["questionable_claims"]
    assert q["reason"] == "does_not_meet_definition"
    assert q["definition"]["title"] == "WY tiers"
    html = (
        client_for(role_users[Role.PROVIDER_MANAGER])
        .get(reverse("mapping:your-services"))
        .content.decode()
    )
    assert "does not meet WY tiers (West Yorkshire), high risk" in html
    assert "Not met: Intensive case management (Intervention type: behaviour_change)" in html


def test_area_page_and_json_download_show_the_definition_and_failed_criterion(
    client_for, make_service, role_users, wy_definition
):
    make_service("Weak", claims=HIGH, intervention_type="behaviour_change")
    client = client_for(role_users[Role.COMMISSIONER])
    html = client.get(reverse("mapping:area", args=["leeds"])).content.decode()
    assert "Checked against WY tiers, agreed for West Yorkshire" in html
    assert "Not met: Intensive case management (Intervention type: behaviour_change)" in html
    body = json.loads(client.get(reverse("mapping:export", args=["leeds", "json"])).content)
    [q] = body["questionable_claims"]
    assert q["failed_criteria"][0]["criterion"] == "requires_intensive_case_management"
    html = client.get(reverse("mapping:area", args=["leicester"])).content.decode()
    assert "No agreed risk-tier definition is recorded for this area" in html
