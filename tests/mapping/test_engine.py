"""The mapping engine, tested without the database: rules tried, then broken on purpose."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.mapping import engine
from pathways.mapping.engine import Certainty, CountingRule

from .builders import AREA, AS_OF, COUNTRY, OTHER, WALES, compute, mapping_input, service

ALL_AREAS = (COUNTRY, AREA, OTHER, 10, 11, 12, 20)

# --------------------------------------------------------------------------------------
# Reach: local, area-wide, wider area
# --------------------------------------------------------------------------------------


def test_area_wide_service_counts_in_every_district_and_the_matrix_says_so():
    wide = service(areas=(AREA,), claims={"risk_high": "yes"})
    result = compute([wide])
    for slug in ("alpha", "beta", "gamma"):
        cell = result.cell(slug, "high_risk")
        assert cell.total == 1
        assert cell.reach == {"local": 0, "area_wide": 1, "wider_area": 0}
    assert result.summary["area_wide_services"] == 1
    assert result.summary["by_district"] == {"alpha": 1, "beta": 1, "gamma": 1}


def test_wider_area_service_counts_unless_the_rule_leaves_wider_areas_out():
    national = service(areas=(COUNTRY,), claims={"risk_medium": "yes"})
    assert compute([national]).cell("beta", "medium_risk").reach["wider_area"] == 1
    narrow = compute([national], CountingRule(wider_areas=False))
    assert narrow.cell("beta", "medium_risk").total == 0
    assert narrow.summary["services"] == 0


def test_service_for_a_district_outside_the_area_does_not_count():
    elsewhere = service(areas=(20,), claims={"risk_high": "yes"})
    assert compute([elsewhere]).summary["services"] == 0


def test_local_beats_area_wide_when_a_service_serves_both():
    both = service(areas=(AREA, 10), claims={"risk_high": "yes"})
    result = compute([both])
    assert result.cell("alpha", "high_risk").reach["local"] == 1
    assert result.cell("beta", "high_risk").reach["area_wide"] == 1
    assert result.summary["local_services"] == 1 and result.summary["area_wide_services"] == 0


def test_service_not_available_in_wales_is_left_out_of_welsh_districts_only():
    s = service(areas=(AREA,), claims={"risk_high": "yes"}, excluded_area_ids=frozenset({WALES}))
    result = compute([s])
    assert result.cell("gamma", "high_risk").total == 0
    assert result.cell("alpha", "high_risk").total == 1
    assert result.summary["by_district"]["gamma"] == 0


# --------------------------------------------------------------------------------------
# Certainty and the counting rule
# --------------------------------------------------------------------------------------


def test_certainty_follows_the_claims_evidence_level():
    levels = {"self_reported": "self_reported", "evidenced": "evidenced", "verified": "verified"}
    for level, expected in levels.items():
        s = service(claims={"risk_standard": ("yes", level)})
        assert compute([s]).cell("alpha", "standard_risk").counts[expected] == 1


def test_unknown_and_not_stated_claims_are_shown_but_not_counted_by_default():
    unknown = service(claims={"risk_high": "unknown"})
    blank = service(claims={"risk_high": "not_stated"})
    cell = compute([unknown, blank]).cell("alpha", "high_risk")
    assert cell.counts["unknown"] == 2 and cell.total == 0
    counted = compute([unknown, blank], CountingRule(count_unknown=True)).cell("alpha", "high_risk")
    assert counted.total == 2 and counted.assured == 0


def test_a_no_claim_puts_nothing_in_the_cell_even_when_verified():
    s = service(claims={"risk_high": ("no", "verified")})
    cell = compute([s], CountingRule(count_unknown=True)).cell("alpha", "high_risk")
    assert sum(cell.counts.values()) == 0


def test_best_signal_wins_a_verified_record_tier_outranks_a_self_reported_claim():
    s = service(
        suite_tier="high_harm",
        provenance_source="commissioner_verified",
        claims={"risk_high": "yes"},
    )
    assert compute([s]).cell("alpha", "high_risk").counts["verified"] == 1


def test_west_yorkshire_style_claims_alone_fill_the_risk_components():
    s = service(claims={"risk_high": "yes", "risk_medium": "yes", "risk_standard": "no"})
    result = compute([s])
    assert result.summary["by_tier"] == {
        "early_intervention": 0,
        "standard_risk": 0,
        "medium_risk": 1,
        "high_risk": 1,
        "sexual_violence": 0,
    }


def test_sexual_violence_comes_from_the_tier_or_the_sv_abuse_type():
    by_tier = service(suite_tier="sexual_violence")
    by_type = service(abuse_types=frozenset({"SV", "DA"}))
    neither = service(abuse_types=frozenset({"CSE"}))
    assert compute([by_tier, by_type, neither]).cell("alpha", "sexual_violence").total == 2


def test_early_intervention_from_preventative_tier_or_help_seeking_type():
    a = service(suite_tier="preventative")
    b = service(intervention_type="help_seeking")
    c = service(suite_tier="criminal_justice", intervention_type="behaviour_change")
    assert compute([a, b, c]).cell("alpha", "early_intervention").total == 2


def test_language_specific_from_claim_or_a_language_other_than_english():
    a = service(languages=("en", "cy"))
    b = service(languages=("en",))
    c = service(claims={"language_specific": "yes"})
    assert compute([a, b, c]).cell("alpha", "language_specific").total == 2


def test_synthetic_services_can_be_left_out():
    s = service(claims={"risk_high": "yes"}, is_synthetic=True)
    assert compute([s]).summary["services"] == 1
    assert compute([s], CountingRule(synthetic=False)).summary["services"] == 0


def test_rule_from_params_takes_defaults_and_refuses_bad_values():
    assert CountingRule.from_params({}) == CountingRule()
    rule = CountingRule.from_params(
        {"count_unknown": "YES", "gap_threshold": "evidenced", "wider_areas": "no"}
    )
    assert rule == CountingRule(
        count_unknown=True, gap_threshold=Certainty.EVIDENCED, wider_areas=False
    )
    assert CountingRule.from_params(rule.to_params()) == rule
    with pytest.raises(engine.RuleError) as bad:
        CountingRule.from_params({"count_unknown": "maybe", "gap_threshold": "unknown"})
    assert set(bad.value.errors) == {"count_unknown", "gap_threshold"}
    with pytest.raises(engine.RuleError):
        CountingRule(gap_threshold=Certainty.UNKNOWN)


def test_the_rule_in_force_is_printed_in_the_json():
    rule = CountingRule(count_unknown=True, wider_areas=False)
    payload = compute([], rule).to_json()
    assert payload["counting_rule"]["description"] == rule.describe()
    assert "Unknown or not-stated claims are counted." in rule.describe()
    assert "not counted" in CountingRule().describe()


# --------------------------------------------------------------------------------------
# Gaps, duplication, questionable claims, fragility, suite check
# --------------------------------------------------------------------------------------


def _gaps(result):
    return {(g["district"], g["component"]): g["kind"] for g in result.gaps}


def test_gap_kinds_nothing_versus_only_below_the_threshold():
    self_reported = service(areas=(10,), claims={"risk_high": "yes"})
    verified = service(areas=(11,), claims={"risk_high": ("yes", "verified")})
    gaps = _gaps(compute([self_reported, verified]))
    assert gaps[("alpha", "high_risk")] == "unverified_only"
    assert ("beta", "high_risk") not in gaps
    assert gaps[("gamma", "high_risk")] == "no_provision"
    lenient = _gaps(compute([self_reported, verified], CountingRule(gap_threshold="self_reported")))
    assert ("alpha", "high_risk") not in lenient
    assert lenient[("gamma", "high_risk")] == "no_provision"


def test_gaps_are_only_for_suite_components_not_cohorts():
    components = {g["component"] for g in compute([]).gaps}
    assert components == set(engine.COMPONENT_SLUGS)


def test_unknown_only_cell_is_no_provision_unless_unknown_claims_are_counted():
    s = service(claims={"risk_medium": "unknown"})
    assert _gaps(compute([s]))[("alpha", "medium_risk")] == "no_provision"
    counted = compute([s], CountingRule(count_unknown=True))
    assert _gaps(counted)[("alpha", "medium_risk")] == "unverified_only"


def test_duplication_needs_same_type_same_component_same_district():
    a = service("A", areas=(10,), intervention_type="behaviour_change", suite_tier="medium_risk")
    b = service("B", areas=(10,), intervention_type="behaviour_change", suite_tier="medium_risk")
    c = service("C", areas=(11,), intervention_type="behaviour_change", suite_tier="medium_risk")
    d = service("D", areas=(10,), intervention_type="early_response", suite_tier="medium_risk")
    found = compute([a, b, c, d]).duplication
    assert found == [
        {
            "district": "alpha",
            "component": "medium_risk",
            "intervention_type": "behaviour_change",
            "services": [s.ref() for s in compute([a, b]).services],
        }
    ]


def test_services_of_unstated_type_are_never_called_duplicates():
    same = [service(areas=(10,), claims={"risk_high": "yes"}) for _ in range(3)]
    assert compute(same).duplication == []


def test_an_area_wide_service_duplicates_a_local_one_in_each_district():
    local = service(areas=(10,), intervention_type="help_seeking")
    wide = service(areas=(AREA,), intervention_type="help_seeking")
    found = compute([local, wide]).duplication
    assert [(d["district"], d["component"]) for d in found] == [("alpha", "early_intervention")]


def test_questionable_claims_are_risk_claims_or_tiers_without_evidence():
    bare = service("Bare", claims={"risk_high": "yes"})
    evidenced = service("Evidenced", claims={"risk_high": ("yes", "evidenced")})
    tier_only = service("Tier only", suite_tier="medium_risk")
    verified_record = service(
        "Verified record", suite_tier="high_harm", provenance_source="commissioner_verified"
    )
    standard = service("Standard", claims={"risk_standard": "yes"})
    found = compute([bare, evidenced, tier_only, verified_record, standard]).questionable_claims
    assert [(q["name"], q["claim"]) for q in found] == [
        ("Bare", "risk_high"),
        ("Tier only", "suite_tier:medium_risk"),
    ]
    assert all(q["reason"] == "no_evidence" for q in found)


def test_tier_with_an_evidenced_matching_claim_is_not_questionable():
    s = service(suite_tier="high_harm", claims={"risk_high": ("yes", "evidenced")})
    assert compute([s]).questionable_claims == []


def test_fragility_funding_window_is_six_months_and_ended_funding_is_flagged():
    soon = service("Soon", funding_ends=AS_OF + dt.timedelta(days=183))
    later = service("Later", funding_ends=AS_OF + dt.timedelta(days=184))
    ended = service("Ended", funding_ends=AS_OF - dt.timedelta(days=1))
    funding = compute([soon, later, ended]).fragility["funding_ending"]
    assert [(f["name"], f["ended"]) for f in funding] == [("Ended", True), ("Soon", False)]


def test_fragility_unconfirmed_records_never_or_over_a_year_ago():
    never = service("Never", confirmed_on=None)
    old = service("Old", confirmed_on=AS_OF - dt.timedelta(days=366))
    fresh = service("Fresh", confirmed_on=AS_OF - dt.timedelta(days=365))
    names = [f["name"] for f in compute([never, old, fresh]).fragility["unconfirmed"]]
    assert sorted(names) == ["Never", "Old"]


def test_fragility_single_provider_is_per_district_and_component():
    a1 = service(areas=(10,), org="a", claims={"risk_high": "yes"})
    a2 = service(areas=(10,), org="a", claims={"risk_high": "yes"})
    b = service(areas=(11,), org="b", claims={"risk_high": "yes"})
    c = service(areas=(11,), org="c", claims={"risk_high": "yes"})
    single = compute([a1, a2, b, c]).fragility["single_provider"]
    assert single == [
        {"district": "alpha", "component": "high_risk", "organisation": "A", "services": 2}
    ]


def test_suite_check_recommends_approaches_only_for_missing_components():
    approach = engine.Approach("Drive-like case management", "WY", "good", "WY 2023")
    s = service(areas=(10,), claims={"risk_high": "yes"})
    result = engine.compute(mapping_input([s], approaches={"high_risk": (approach,)}))
    by_district = {entry["district"]: entry for entry in result.suite_check}
    alpha = {c["component"]: c for c in by_district["alpha"]["components"]}
    beta = {c["component"]: c for c in by_district["beta"]["components"]}
    assert alpha["high_risk"]["present"] and alpha["high_risk"]["recommended"] == []
    assert not alpha["high_risk"]["assured"]
    assert beta["high_risk"]["recommended"][0]["name"] == "Drive-like case management"
    assert by_district["alpha"]["present"] == 1 and by_district["alpha"]["of"] == 5


# --------------------------------------------------------------------------------------
# Shape, seams and extension
# --------------------------------------------------------------------------------------


def test_json_has_the_fields_the_issue_names():
    payload = compute([service(claims={"risk_high": "yes"})]).to_json()
    for key in (
        "area",
        "counting_rule",
        "summary",
        "matrix",
        "gaps",
        "duplication",
        "questionable_claims",
        "fragility",
    ):
        assert key in payload
    for key in ("services", "by_district", "by_abuse_type", "by_tier", "by_cohort"):
        assert key in payload["summary"]
    assert set(payload["summary"]["by_tier"]) == {
        "early_intervention",
        "standard_risk",
        "medium_risk",
        "high_risk",
        "sexual_violence",
    }
    cell = payload["matrix"][0]
    assert set(cell["counts"]) == {"verified", "evidenced", "self_reported", "unknown"}
    assert {"district", "column"} <= set(cell)
    assert len(payload["matrix"]) == 3 * len(engine.COLUMNS)
    json.dumps(payload)  # plain JSON all the way down


def test_unmet_need_is_null_until_recorded_then_sits_beside_supply():
    assert compute([]).to_json()["matrix"][0]["unmet_need"] is None
    need = (engine.UnmetNeed("alpha", "high_risk", 4), engine.UnmetNeed("alpha", "high_risk", 1))
    result = compute([], unmet_need=need)
    assert result.cell("alpha", "high_risk").unmet_need == 5
    assert result.cell("beta", "high_risk").unmet_need == 0
    assert result.unmet_need_recorded


def test_a_new_dimension_is_one_more_column():
    older = engine.Column(
        "older_people", "Older people", engine.COHORT, (engine.ClaimSignal("older_people"),)
    )
    s = service(claims={"older_people": "yes"})
    result = engine.compute(mapping_input([s]), columns=(*engine.COLUMNS, older))
    assert result.cell("alpha", "older_people").total == 1
    assert result.summary["by_cohort"]["older_people"] == 1


def test_provider_place_never_names_another_providers_service():
    own = service("Own service", areas=(10,), org="mine", claims={"risk_high": "yes"})
    theirs = service("Their service", areas=(10,), org="theirs", claims={"risk_high": "yes"})
    place = engine.provider_place(compute([own, theirs]), ["mine"])
    assert "Their service" not in json.dumps(place)
    cells = {(c["district"], c["column"]): c for c in place["services"][0]["cells"]}
    assert cells[("alpha", "high_risk")]["services_in_cell"] == 2
    assert cells[("alpha", "high_risk")]["only_provider"] is False
    assert [q["name"] for q in place["questionable_claims"]] == ["Own service"]


def test_compare_lists_gaps_closed_and_opened_and_services_added_and_lost():
    kept = service("Kept", areas=(10,), claims={"risk_high": ("yes", "verified")})
    lost = service("Lost", areas=(11,), claims={"risk_high": ("yes", "verified")})
    added = service("Added", areas=(12,), claims={"risk_high": ("yes", "verified")})
    before = compute([kept, lost]).to_json()
    after = compute([kept, added]).to_json()
    diff = engine.compare(before, after)
    assert {(g["district"], g["component"]) for g in diff.gaps_closed} == {("gamma", "high_risk")}
    assert {(g["district"], g["component"]) for g in diff.gaps_opened} == {("beta", "high_risk")}
    assert [s["name"] for s in diff.services_added] == ["Added"]
    assert [s["name"] for s in diff.services_lost] == ["Lost"]
    assert not diff.rule_changed and not diff.area_changed


def test_compare_notices_a_change_of_rule_and_of_gap_kind():
    s = service(claims={"risk_high": "unknown"})
    before = compute([s]).to_json()
    after = compute([s], CountingRule(count_unknown=True)).to_json()
    diff = engine.compare(before, after)
    assert diff.rule_changed
    assert {
        "district": "alpha",
        "component": "high_risk",
        "from": "no_provision",
        "to": "unverified_only",
    } in diff.gaps_changed


# --------------------------------------------------------------------------------------
# Properties over random directories
# --------------------------------------------------------------------------------------

claim_values = st.sampled_from(["yes", "no", "unknown", "not_stated"])
levels = st.sampled_from(["self_reported", "evidenced", "verified"])
dimensions = st.sampled_from(
    ["risk_high", "risk_medium", "risk_standard", "children_young_people", "lgbtqia"]
)


@st.composite
def services_strategy(draw):
    records = []
    for n in range(draw(st.integers(min_value=0, max_value=12))):
        claims = draw(st.dictionaries(dimensions, st.tuples(claim_values, levels), max_size=4))
        records.append(
            engine.ServiceRecord(
                id=f"p{n}",
                name=f"Service {n}",
                organisation_id=draw(st.sampled_from(["o1", "o2", "o3"])),
                organisation="Org",
                served_area_ids=frozenset(
                    draw(st.lists(st.sampled_from(ALL_AREAS), min_size=0, max_size=3))
                ),
                suite_tier=draw(
                    st.sampled_from(["not_stated", "high_harm", "medium_risk", "preventative"])
                ),
                intervention_type=draw(
                    st.sampled_from(["not_stated", "behaviour_change", "help_seeking"])
                ),
                abuse_types=frozenset(draw(st.lists(st.sampled_from(["DA", "SV"]), max_size=2))),
                claims=tuple(engine.Claim(d, v, lv) for d, (v, lv) in claims.items()),
                provenance_source=draw(st.sampled_from(["desk_review", "commissioner_verified"])),
                is_synthetic=draw(st.booleans()),
                excluded_area_ids=draw(st.sampled_from([frozenset(), frozenset({WALES})])),
            )
        )
    return records


rules = st.builds(
    CountingRule,
    count_unknown=st.booleans(),
    gap_threshold=st.sampled_from(list(engine.GAP_THRESHOLDS)),
    wider_areas=st.booleans(),
    synthetic=st.booleans(),
)
# No example database: nothing is written into the work tree.
PROPERTY = settings(max_examples=60, deadline=None, database=None)


def _gap_keys(result):
    return {(g["district"], g["component"]) for g in result.gaps}


@PROPERTY
@given(services_strategy(), rules)
def test_every_total_is_the_sum_of_the_certainties_the_rule_counts(records, rule):
    result = compute(records, rule)
    for cell in result.cells.values():
        counted = sum(
            n for certainty, n in cell.counts.items() if rule.counts(Certainty(certainty))
        )
        assert cell.total == counted == sum(cell.reach.values())
        assert cell.total <= result.summary["by_district"][cell.district]
        assert cell.assured <= cell.total


@PROPERTY
@given(services_strategy(), rules)
def test_by_district_matches_an_independent_count(records, rule):
    result = compute(records, rule)
    data = mapping_input(records)
    for district in data.districts:
        expected = 0
        for r in records:
            if r.is_synthetic and not rule.synthetic:
                continue
            if district.ancestor_ids & r.excluded_area_ids:
                continue
            reached = r.served_area_ids & district.ancestor_ids
            if not rule.wider_areas:
                reached &= data.area_member_ids
            expected += bool(reached)
        assert result.summary["by_district"][district.slug] == expected


@PROPERTY
@given(services_strategy(), rules)
def test_counting_unknown_claims_never_lowers_a_total(records, rule):
    without = compute(records, dataclasses.replace(rule, count_unknown=False))
    with_unknown = compute(records, dataclasses.replace(rule, count_unknown=True))
    for key, cell in without.cells.items():
        assert with_unknown.cells[key].total >= cell.total


@PROPERTY
@given(services_strategy(), rules)
def test_a_stricter_gap_threshold_never_closes_a_gap(records, rule):
    lenient = compute(records, dataclasses.replace(rule, gap_threshold=Certainty.SELF_REPORTED))
    strict = compute(records, dataclasses.replace(rule, gap_threshold=Certainty.VERIFIED))
    assert _gap_keys(lenient) <= _gap_keys(strict)


@PROPERTY
@given(services_strategy(), rules)
def test_leaving_out_wider_areas_never_raises_a_total(records, rule):
    narrow = compute(records, dataclasses.replace(rule, wider_areas=False))
    wide = compute(records, dataclasses.replace(rule, wider_areas=True))
    for key, cell in narrow.cells.items():
        assert cell.total <= wide.cells[key].total


@PROPERTY
@given(services_strategy(), services_strategy(), rules)
def test_adding_services_never_lowers_a_total_or_opens_a_gap(records, extra, rule):
    extra = [dataclasses.replace(r, id=f"x{r.id}") for r in extra]
    before = compute(records, rule)
    after = compute(records + extra, rule)
    for key, cell in before.cells.items():
        assert after.cells[key].total >= cell.total
    assert _gap_keys(after) <= _gap_keys(before)
    diff = engine.compare(before.to_json(), after.to_json())
    assert diff.gaps_opened == [] and diff.services_lost == []
    assert {s["id"] for s in diff.services_added} == {s.id for s in after.services} - {
        s.id for s in before.services
    }


@PROPERTY
@given(services_strategy(), rules, st.randoms(use_true_random=False))
def test_the_order_services_arrive_in_changes_nothing(records, rule, rnd: random.Random):
    shuffled = list(records)
    rnd.shuffle(shuffled)
    assert compute(records, rule).to_json() == compute(shuffled, rule).to_json()


@PROPERTY
@given(services_strategy(), rules)
def test_a_result_compared_with_itself_is_unchanged(records, rule):
    payload = compute(records, rule).to_json()
    assert engine.compare(payload, json.loads(json.dumps(payload))).unchanged
