"""The matching engine, pure: every rule, its order, missing facts, ranking and invariants.

No database: `Need` and `ServiceFacts` are built by hand. The base need and the base
service below pass every rule; each exclusion test changes one thing and so fails exactly
one rule.
"""

from __future__ import annotations

import dataclasses
import gc
import time
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.directory.models import COHORT_DIMENSIONS, ClaimDimension
from pathways.referrals import matching
from pathways.referrals.matching import Need, ServiceFacts, match, result_json, service_genders
from pathways.referrals.reference import SERVICE_GENDER_CODES, RiskTier

ENGLAND, YORKSHIRE, WEST_YORKSHIRE, LEEDS, BRADFORD, SHEFFIELD = 1, 2, 3, 10, 11, 20
LABELS = {
    "abuse-types:DA": "Domestic abuse",
    "abuse-types:SV": "Sexual violence",
    "referral-routes:police": "Police",
    "referral-routes:probation": "Probation",
    "referral-routes:marac": "MARAC or panel",
    "exclusion-criteria:denies-all-abuse": "Denies all abusive behaviour",
    f"area:{WEST_YORKSHIRE}": "West Yorkshire",
    f"area:{ENGLAND}": "England",
    f"area:{LEEDS}": "Leeds",
    f"area:{BRADFORD}": "Bradford",
}


def need(**changes) -> Need:
    base = Need(
        tier="high_risk",
        area_ids=frozenset({LEEDS, WEST_YORKSHIRE, YORKSHIRE, ENGLAND}),
        area_id=LEEDS,
        area_slug="leeds",
        area_name="Leeds",
        route="agency",
        source="police",
        age=30,
        gender="man",
        abuse_types=frozenset({"DA"}),
        language="en",
        labels=LABELS,
    )
    return dataclasses.replace(base, **changes)


def service(name: str = "Base Service", **changes) -> ServiceFacts:
    facts = {
        "id": uuid.uuid5(uuid.NAMESPACE_URL, name),
        "name": name,
        "organisation": "Synthetic Provider",
        "area_ids": frozenset({LEEDS}),
        "claims": {"risk_high": "yes", "risk_medium": "yes", "risk_standard": "yes"},
        "claim_levels": {},
        "capacity_status": "open",
        "integrated_victim_support": "own",
    }
    facts.update(changes)
    return ServiceFacts(**facts)


def outcome(n: Need, s: ServiceFacts) -> matching.Outcome:
    result = match(n, [s])
    (only,) = result.eligible + result.excluded
    return only


def test_the_base_service_is_eligible_for_the_base_need():
    # Every exclusion case below changes one thing from here.
    assert outcome(need(), service()).eligible
    assert outcome(need(route="self", source="self"), service(claims=SELF_OK)).eligible


SELF_OK = {"risk_high": "yes", "self_referral": "yes"}

# (rule, changes to the need, changes to the service, words the detail must contain)
EACH_RULE = [
    ("area_not_served", {}, {"area_ids": frozenset({BRADFORD})}, "Does not serve Leeds"),
    (
        "tier_not_accepted",
        {},
        {"claims": {"risk_high": "no"}},
        "Does not work with high-risk perpetrators",
    ),
    ("age", {"age": 16}, {"min_age": 18}, "aged 18 and over; the person is 16"),
    ("gender", {}, {"genders": frozenset({"woman"})}, "Works with women only"),
    (
        "abuse_type",
        {},
        {"abuse_types": frozenset({"SV"})},
        "Works with sexual violence, not domestic abuse",
    ),
    (
        "referral_route",
        {},
        {"referral_routes": frozenset({"probation", "marac"})},
        "Does not take referrals from police (takes referrals from MARAC or panel and probation)",
    ),
    (
        "self_referral_not_accepted",
        {"route": "self", "source": "self"},
        {"claims": {"risk_high": "yes", "self_referral": "no"}},
        "Does not accept self-referrals",
    ),
    ("capacity_closed", {}, {"capacity_status": "closed"}, "Closed to referrals"),
    (
        "referral_quota",
        {"route": "self", "source": "self"},
        {
            "claims": SELF_OK,
            "self_referral_max_percent": 40,
            "recent_referrals": 10,
            "recent_self_referrals": 4,
        },
        "Takes at most 40% self-referrals; 40% of the referrals",
    ),
    (
        "exclusion_criterion",
        {"circumstances": frozenset({"denies-all-abuse"})},
        {"exclusion_criteria": frozenset({"denies-all-abuse", "other"})},
        "Cannot work with people with: denies all abusive behaviour",
    ),
    (
        "no_victim_support",
        {},
        {"integrated_victim_support": "none"},
        "No integrated support for the victim-survivor",
    ),
]


def test_every_rule_has_a_case_and_the_rules_are_in_the_agreed_order():
    assert [code for code, _label in matching.RULES] == [case[0] for case in EACH_RULE]
    assert all(label.strip() for _code, label in matching.RULES)


@pytest.mark.parametrize(
    ("rule", "need_changes", "service_changes", "words"),
    EACH_RULE,
    ids=[case[0] for case in EACH_RULE],
)
def test_a_service_failing_only_one_rule_is_excluded_by_that_rule(
    rule, need_changes, service_changes, words
):
    base_claims = SELF_OK if need_changes.get("route") == "self" else None
    base_service = service(**({"claims": base_claims} if base_claims else {}))
    assert outcome(need(**need_changes), base_service).eligible  # passes every rule
    result = outcome(need(**need_changes), service(**service_changes))
    assert not result.eligible
    assert result.rule == rule
    assert words in result.detail
    assert result.rank is None and result.reasons == ()


@pytest.mark.parametrize("claim", ["unknown", "not_stated", None])
def test_a_tier_claim_that_is_not_yes_excludes_and_says_it_is_not_known(claim):
    claims = {} if claim is None else {"risk_high": claim}
    result = outcome(need(), service(claims=claims))
    assert result.rule == "tier_not_accepted"
    assert result.detail.startswith("Not known whether it works with high-risk perpetrators")


def test_the_tier_rule_reads_the_claim_for_the_referrals_tier():
    medium_only = service(claims={"risk_medium": "yes", "risk_high": "no"})
    assert outcome(need(tier="medium_risk"), medium_only).eligible
    assert outcome(need(tier="high_risk"), medium_only).rule == "tier_not_accepted"
    assert outcome(need(tier="standard_risk"), medium_only).rule == "tier_not_accepted"


def test_an_unknown_tier_is_refused():
    with pytest.raises(ValueError, match="Unknown risk tier"):
        match(need(tier="very_high"), [service()])


def test_the_age_rule_holds_at_both_ends_of_the_range():
    young_adults = service(min_age=16, max_age=24)
    assert outcome(need(age=16), young_adults).eligible
    assert outcome(need(age=24), young_adults).eligible
    assert outcome(need(age=25), young_adults).detail == (
        "Works with people aged 16 to 24; the person is 25"
    )
    assert outcome(need(age=15), young_adults).rule == "age"


def test_a_temporarily_closed_service_is_excluded_as_closed():
    result = outcome(need(), service(status="temporarily closed"))
    assert (result.rule, result.detail) == ("capacity_closed", "Temporarily closed")


def test_the_quota_lets_a_self_referral_through_below_the_limit_and_never_blocks_agencies():
    quota = {
        "claims": SELF_OK,
        "self_referral_max_percent": 40,
        "recent_referrals": 10,
        "recent_self_referrals": 3,
    }
    below = outcome(need(route="self", source="self"), service(**quota))
    assert below.eligible
    assert "Self-referrals are 30% of its recent referrals, below its limit of 40%" in below.reasons
    at_limit = service(**{**quota, "recent_self_referrals": 4})
    assert outcome(need(route="self", source="self"), at_limit).rule == "referral_quota"
    assert outcome(need(), at_limit).eligible  # an agency referral is not a self-referral
    no_history = service(**{**quota, "recent_referrals": 0, "recent_self_referrals": 0})
    assert outcome(need(route="self", source="self"), no_history).eligible


def test_a_self_route_term_is_enough_to_accept_a_self_referral():
    by_route = service(claims={"risk_high": "yes"}, referral_routes=frozenset({"self", "police"}))
    assert outcome(need(route="self", source="self"), by_route).eligible
    unknown = service(claims={"risk_high": "yes", "self_referral": "unknown"})
    result = outcome(need(route="self", source="self"), unknown)
    assert result.rule == "self_referral_not_accepted"
    assert result.detail.startswith("Not known to accept self-referrals")


@pytest.mark.parametrize(
    ("support", "partner", "eligible"),
    [
        ("own", "", True),
        ("partner", "Synthetic Women's Aid", True),
        ("partner", "  ", False),
        ("none", "", False),
        ("unknown", "", False),
        ("not_stated", "", False),
    ],
)
def test_a_service_is_matched_only_with_victim_survivor_support(support, partner, eligible):
    s = service(integrated_victim_support=support, victim_support_partner=partner)
    result = outcome(need(), s)
    assert result.eligible is eligible
    if not eligible:
        assert result.rule == "no_victim_support"


# Changes that each fail one rule, in rule order, for an agency and a self-referral.
AGENCY_FAILURES = [
    ("area_not_served", {"area_ids": frozenset({BRADFORD})}),
    ("tier_not_accepted", {"claims": {"risk_high": "unknown"}}),
    ("age", {"min_age": 40}),
    ("gender", {"genders": frozenset({"woman"})}),
    ("abuse_type", {"abuse_types": frozenset({"SV"})}),
    ("referral_route", {"referral_routes": frozenset({"probation"})}),
    ("capacity_closed", {"capacity_status": "closed"}),
    ("exclusion_criterion", {"exclusion_criteria": frozenset({"denies-all-abuse"})}),
    ("no_victim_support", {"integrated_victim_support": "none"}),
]
SELF_FAILURES = [
    ("area_not_served", {"area_ids": frozenset({BRADFORD})}),
    ("tier_not_accepted", {"claims": {"risk_high": "no", "self_referral": "no"}}),
    ("age", {"min_age": 40}),
    ("gender", {"genders": frozenset({"woman"})}),
    ("abuse_type", {"abuse_types": frozenset({"SV"})}),
    ("self_referral_not_accepted", {"claims": {"risk_high": "yes", "self_referral": "no"}}),
    ("capacity_closed", {"capacity_status": "closed"}),
    (
        "referral_quota",
        {"self_referral_max_percent": 10, "recent_referrals": 1, "recent_self_referrals": 1},
    ),
    ("exclusion_criterion", {"exclusion_criteria": frozenset({"denies-all-abuse"})}),
    ("no_victim_support", {"integrated_victim_support": "none"}),
]


@pytest.mark.parametrize(
    ("the_need", "failures", "base"),
    [
        (need(circumstances=frozenset({"denies-all-abuse"})), AGENCY_FAILURES, {}),
        (
            need(route="self", source="self", circumstances=frozenset({"denies-all-abuse"})),
            SELF_FAILURES,
            {"claims": SELF_OK},
        ),
    ],
    ids=["agency", "self"],
)
def test_the_first_failing_rule_is_the_one_reported(the_need, failures, base):
    # Fail every rule at once, then put right one rule at a time, first to last: each time
    # the first rule still failing is reported.
    for start in range(len(failures)):
        changes = dict(base)
        for _rule, change in reversed(failures[start:]):  # earlier rules' claims win
            claims = {**changes.get("claims", {}), **change.get("claims", {})}
            changes.update(change)
            if claims:
                changes["claims"] = claims
        assert outcome(the_need, service(**changes)).rule == failures[start][0]
    assert outcome(the_need, service(**base)).eligible


def test_missing_facts_about_the_person_never_exclude():
    strict = service(
        min_age=18,
        max_age=25,
        genders=frozenset({"woman"}),
        abuse_types=frozenset({"SV"}),
        referral_routes=frozenset({"probation"}),
        exclusion_criteria=frozenset({"denies-all-abuse"}),
    )
    for gender in ("", "not_said", "other"):
        unknown_person = need(
            age=None,
            gender=gender,
            abuse_types=frozenset(),
            circumstances=frozenset(),
            route="",
            source="",
        )
        assert outcome(unknown_person, strict).eligible, gender


def test_a_service_that_lists_nothing_restricts_nothing():
    open_to_all = service(genders=frozenset(), abuse_types=frozenset(), referral_routes=frozenset())
    assert outcome(need(age=70, gender="non_binary"), open_to_all).eligible


def test_a_wider_area_counts_services_that_serve_part_of_it_and_says_which_part():
    wider = need(
        area_id=WEST_YORKSHIRE,
        area_slug="west-yorkshire",
        area_name="West Yorkshire",
        area_ids=frozenset({WEST_YORKSHIRE, YORKSHIRE, ENGLAND}),
        area_descendant_ids=frozenset({LEEDS, BRADFORD}),
    )
    result = match(
        wider,
        [
            service("Leeds Service", area_ids=frozenset({LEEDS})),
            service("National Service", area_ids=frozenset({ENGLAND})),
            service("Sheffield Service", area_ids=frozenset({SHEFFIELD})),
        ],
    )
    reasons = {o.name: o.reasons[1] for o in result.eligible}
    assert reasons == {
        "Leeds Service": "Serves part of West Yorkshire: Leeds",
        "National Service": "Serves England, which includes West Yorkshire",
    }
    assert [(o.name, o.rule) for o in result.excluded] == [("Sheffield Service", "area_not_served")]


def test_a_referral_in_a_district_is_not_served_by_a_neighbouring_district():
    result = match(need(), [service("Bradford Only", area_ids=frozenset({BRADFORD}))])
    assert result.unmet
    assert result.excluded[0].rule == "area_not_served"


def test_ranking_puts_specialist_provision_first_and_explains_why():
    plain = service("Alpha Programme")
    specialist = service(
        "Zeta Programme", claims={"risk_high": "yes", "lgbtqia": "yes", "adults": "yes"}
    )
    result = match(need(cohorts=frozenset({"lgbtqia", "adults"})), [plain, specialist])
    assert [o.name for o in result.eligible] == ["Zeta Programme", "Alpha Programme"]
    assert [o.rank for o in result.eligible] == [1, 2]
    top = result.eligible[0]
    assert "Specific provision for LGBTQIA+ people" in top.reasons
    assert top.score == result.eligible[1].score + matching.SCORE_COHORT


def test_the_score_adds_up_as_documented():
    best = service(
        "Best Fit",
        claims={"risk_high": "yes", "young_adults": "yes"},
        claim_levels={"risk_high": "verified"},
        abuse_types=frozenset({"DA"}),
        referral_routes=frozenset({"police"}),
        languages=frozenset({"en", "ur"}),
        waiting_weeks=0,
        accreditation="Respect accredited",
        evidence_approach="Synthetic approach",
        evidence_band=3,
    )
    result = outcome(need(cohorts=frozenset({"young_adults"}), language="ur"), best)
    assert result.score == 10 + 5 + 5 + 30 + 20 + 5 + 10 + 15 + 10
    assert result.reasons == (
        "Works with high-risk perpetrators (commissioner-verified)",
        "Serves Leeds",
        "Works with domestic abuse",
        "Takes referrals from police",
        "Specific provision for young adults (16-24)",
        "Works in the person's language (ur)",
        "Gives the victim-survivor integrated support itself",
        "Open to referrals",
        "No waiting list",
        "Follows Synthetic approach: evidence rated higher (good or high)",
        "Accredited: Respect accredited",
    )


def test_a_national_service_ranks_below_an_otherwise_equal_local_one():
    local = service("Zulu Local")
    national = service("Alpha National", area_ids=frozenset({ENGLAND}))
    result = match(need(), [national, local])
    assert [o.name for o in result.eligible] == ["Zulu Local", "Alpha National"]
    assert result.eligible[1].reasons[1] == "Serves England, which includes Leeds"


def test_evidence_disagreement_is_said_and_scored_by_the_weakest_rating():
    disputed = service(
        evidence_approach="Synthetic approach", evidence_band=1, evidence_disagree=True
    )
    rated = outcome(need(), disputed)
    assert (
        "Follows Synthetic approach: sources disagree, the weakest rating is lower "
        "(poor, negative or low)"
    ) in rated.reasons
    assert rated.score == outcome(need(), service()).score


def test_equal_scores_are_ordered_by_name_then_id():
    first_id, second_id = uuid.UUID(int=1), uuid.UUID(int=2)
    same = [
        service("beta", id=second_id),
        service("Beta", id=first_id),
        service("alpha", id=uuid.UUID(int=3)),
    ]
    result = match(need(), same)
    assert [(o.name, o.service_id) for o in result.eligible] == [
        ("alpha", uuid.UUID(int=3)),
        ("Beta", first_id),
        ("beta", second_id),
    ]


def test_excluded_services_are_listed_in_rule_order_then_by_name():
    result = match(
        need(),
        [
            service("B closed", capacity_status="closed"),
            service("A closed", capacity_status="closed"),
            service("Z elsewhere", area_ids=frozenset({BRADFORD})),
        ],
    )
    assert [o.name for o in result.excluded] == ["Z elsewhere", "A closed", "B closed"]
    assert result.excluded_by_rule() == {"area_not_served": 1, "capacity_closed": 2}


def test_the_result_as_json_has_the_published_shape():
    result = match(need(), [service("Fits"), service("Elsewhere", area_ids=frozenset({BRADFORD}))])
    data = result_json(need(), result)
    assert set(data) == {"need", "eligible", "excluded", "unmet"}
    assert data["need"]["area"] == "leeds" and data["need"]["tier"] == "high_risk"
    assert set(data["eligible"][0]) == {"rank", "id", "name", "organisation", "score", "reasons"}
    assert data["excluded"][0] == {
        "id": str(service("Elsewhere").id),
        "name": "Elsewhere",
        "organisation": "Synthetic Provider",
        "rule": "area_not_served",
        "rule_label": matching.RULE_LABELS["area_not_served"],
        "detail": "Does not serve Leeds",
    }
    assert data["unmet"] is False


@pytest.mark.parametrize("enabled", [True, False])
def test_matching_leaves_the_garbage_collector_as_it_found_it(enabled):
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        match(need(), [service()])
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


@pytest.mark.parametrize(
    ("published", "codes"),
    [
        (["men"], {"man"}),
        (["Male", "WOMEN"], {"man", "woman"}),
        (["non-binary"], {"non_binary"}),
        (["man", "woman", "non_binary"], {"man", "woman", "non_binary"}),
        (["All"], set()),
        (["men", "any gender"], set()),
        (["people who use harm"], set()),
        ([], set()),
        (None, set()),
    ],
)
def test_published_gender_words_are_read_as_codes(published, codes):
    assert service_genders(published) == codes


def test_the_engines_vocabulary_matches_the_models():
    assert set(matching.TIER_DIMENSIONS) == set(RiskTier.values)
    assert set(matching.TIER_DIMENSIONS.values()) <= set(ClaimDimension.values)
    assert matching.COHORTS == tuple(COHORT_DIMENSIONS)
    assert tuple(matching.SERVICE_GENDERS) == SERVICE_GENDER_CODES


# --- Properties over many random directories -----------------------------------------------

AREAS = [LEEDS, BRADFORD, WEST_YORKSHIRE, ENGLAND, SHEFFIELD]
CLAIM = st.sampled_from(["yes", "no", "unknown", "not_stated"])
SMALL_SET = st.frozensets


@st.composite
def facts_strategy(draw, service_id):
    low = draw(st.none() | st.integers(10, 40))
    return ServiceFacts(
        id=service_id,
        name=draw(st.sampled_from(["Alpha", "alpha", "Beta", "Gamma", "Δelta"])),
        organisation="Synthetic Provider",
        area_ids=draw(SMALL_SET(st.sampled_from(AREAS), max_size=2)),
        claims=draw(
            st.dictionaries(
                st.sampled_from(["risk_high", "risk_medium", "self_referral", "lgbtqia"]), CLAIM
            )
        ),
        claim_levels=draw(
            st.dictionaries(
                st.sampled_from(["risk_high", "risk_medium"]),
                st.sampled_from(["self_reported", "evidenced", "verified"]),
            )
        ),
        min_age=low,
        max_age=draw(st.none() | st.integers(low or 0, 80)),
        genders=draw(SMALL_SET(st.sampled_from(["man", "woman", "non_binary"]))),
        abuse_types=draw(SMALL_SET(st.sampled_from(["DA", "SV", "stalking"]))),
        referral_routes=draw(SMALL_SET(st.sampled_from(["self", "police", "probation"]))),
        exclusion_criteria=draw(SMALL_SET(st.sampled_from(["denies-all-abuse", "other"]))),
        capacity_status=draw(st.sampled_from(["open", "limited", "closed", "unknown"])),
        status=draw(st.sampled_from(["active", "temporarily closed"])),
        waiting_weeks=draw(st.none() | st.integers(0, 30)),
        accreditation=draw(st.sampled_from(["", "Respect accredited"])),
        integrated_victim_support=draw(st.sampled_from(["own", "partner", "none", "unknown"])),
        victim_support_partner=draw(st.sampled_from(["", "Partner"])),
        self_referral_max_percent=draw(st.none() | st.integers(1, 100)),
        recent_referrals=(total := draw(st.integers(0, 10))),
        recent_self_referrals=draw(st.integers(0, total)),
        evidence_approach=draw(st.sampled_from(["", "Approach"])),
        evidence_band=draw(st.none() | st.integers(1, 3)),
    )


@st.composite
def directories(draw):
    ids = draw(st.lists(st.uuids(), unique=True, max_size=25))
    return [draw(facts_strategy(service_id)) for service_id in ids]


@st.composite
def needs(draw):
    route = draw(st.sampled_from(["", "self", "agency"]))
    return need(
        tier=draw(st.sampled_from(list(matching.TIER_DIMENSIONS))),
        route=route,
        source={"": "", "self": "self", "agency": draw(st.sampled_from(["police", "probation"]))}[
            route
        ],
        age=draw(st.none() | st.integers(10, 80)),
        gender=draw(st.sampled_from(["", "man", "woman", "non_binary", "other", "not_said"])),
        cohorts=draw(SMALL_SET(st.sampled_from(["lgbtqia", "adults"]))),
        abuse_types=draw(SMALL_SET(st.sampled_from(["DA", "SV", "stalking"]))),
        circumstances=draw(SMALL_SET(st.sampled_from(["denies-all-abuse", "other"]))),
    )


@settings(max_examples=150, deadline=None)
@given(the_need=needs(), services=directories(), order=st.randoms(use_true_random=False))
def test_every_service_lands_in_exactly_one_list_whatever_the_input_order(
    the_need, services, order
):
    result = match(the_need, services)
    eligible_ids = [o.service_id for o in result.eligible]
    excluded_ids = [o.service_id for o in result.excluded]
    assert sorted(eligible_ids + excluded_ids) == sorted(s.id for s in services)
    assert not set(eligible_ids) & set(excluded_ids)
    assert [o.rank for o in result.eligible] == list(range(1, len(eligible_ids) + 1))
    assert all(o.eligible and o.reasons and not o.rule for o in result.eligible)
    assert all(
        not o.eligible and o.rule in matching.RULE_LABELS and o.detail for o in result.excluded
    )
    assert result.unmet is (not result.eligible)
    shuffled = list(services)
    order.shuffle(shuffled)
    assert match(the_need, shuffled) == result


def test_ten_thousand_services_are_matched_in_one_quick_pass():
    # A guard against accidental quadratic work, not a benchmark: a run takes about 15 ms
    # (docs/front-door-matching.md); the bound leaves room for a busy CI machine.
    services = [
        service(
            f"Service {n}",
            id=uuid.UUID(int=n),
            area_ids=frozenset({(LEEDS, BRADFORD, ENGLAND, SHEFFIELD)[n % 4]}),
            claims={"risk_high": ("yes", "no", "unknown")[n % 3]},
            capacity_status=("open", "closed")[n % 2],
        )
        for n in range(10_000)
    ]
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        result = match(need(), services)
        timings.append(time.perf_counter() - started)
    assert len(result.eligible) + len(result.excluded) == 10_000
    assert sorted(timings)[1] < 0.5
