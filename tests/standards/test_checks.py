"""Automatic checks are pure: plain data in, a proposed rating and its data out."""

from __future__ import annotations

from pathways.standards import checks


def test_integrated_victim_support_own_or_partner_is_green_none_is_red_unknown_is_no_proposal():
    own = checks.check_integrated_victim_support({"integrated_victim_support": "own"})
    partner = checks.check_integrated_victim_support(
        {"integrated_victim_support": "partner", "victim_support_partner": "Safe Partners"}
    )
    none = checks.check_integrated_victim_support({"integrated_victim_support": "none"})
    unknown = checks.check_integrated_victim_support({"integrated_victim_support": "unknown"})
    assert (own.rating, partner.rating, none.rating, unknown.rating) == (
        "green",
        "green",
        "red",
        None,
    )
    assert "Safe Partners" in partner.reason
    assert partner.data == {
        "integrated_victim_support": "partner",
        "victim_support_partner": "Safe Partners",
    }


def test_behaviour_change_needs_22_weeks_or_16_one_to_one():
    def rate(**facts):
        return checks.check_behaviour_change_duration(
            {"intervention_type": "behaviour_change", **facts}
        ).rating

    assert rate(duration_weeks=22, delivery_formats=["group"]) == "green"
    assert rate(duration_weeks=21, delivery_formats=["group"]) == "red"
    assert rate(duration_weeks=16, delivery_formats=["one-to-one"]) == "green"
    assert rate(duration_weeks=16, delivery_formats=["one-to-one", "group"]) == "red"
    assert rate(duration_weeks=None) is None


def test_behaviour_change_length_does_not_apply_to_other_types():
    proposal = checks.check_behaviour_change_duration(
        {"intervention_type": "early_response", "duration_weeks": 8}
    )
    assert proposal.rating == "not_applicable"
    assert checks.check_behaviour_change_duration({}).rating is None


def test_accreditation_held_working_towards_or_unrecorded():
    assert (
        checks.check_accreditation({"accreditation": "Respect accredited 2024"}).rating == "green"
    )
    assert (
        checks.check_accreditation({"accreditation": "Working towards Respect"}).rating == "amber"
    )
    assert checks.check_accreditation({"accreditation": "None"}).rating == "red"
    assert checks.check_accreditation({"accreditation": ""}).rating is None


def test_independent_evaluation_reads_the_evaluation_record():
    def rate(text, delivery="running"):
        return checks.check_independent_evaluation(
            {"evaluation_status": text, "delivery_status": delivery}
        ).rating

    assert rate("Evaluated by the University of Bristol") == "green"
    assert rate("Not yet evaluated.") == "amber"
    assert rate("Not yet evaluated.", delivery="pilot") == "red"
    assert rate("Internal monitoring only") == "amber"
    assert rate("") is None


def test_run_checks_skips_unknown_names_and_keeps_a_stable_order():
    found = checks.run_checks(
        ["independent_evaluation", "nope", "accreditation"], {"accreditation": "CSAAP"}
    )
    assert [p.check for p in found] == ["accreditation", "independent_evaluation"]


DEFINITION = {
    "high": {
        "requires_intensive_case_management": True,
        "requires_multi_agency_links": True,
        "requires_integrated_victim_support": True,
    },
    "medium": {"min_duration_weeks": 22, "accepted_referral_routes": ["police", "probation"]},
}


def test_tier_claims_are_checked_criterion_by_criterion():
    facts = {
        "claims": {"risk_high": "yes", "risk_medium": "yes", "risk_standard": "yes"},
        "intervention_type": "behaviour_change",
        "integrated_victim_support": "own",
        "referral_routes": ["self"],
        "duration_weeks": 26,
    }
    results = {c.tier: c for c in checks.tier_claim_check(DEFINITION, facts)}
    assert set(results) == {"high", "medium"}  # no criteria recorded for standard
    assert results["high"].result == checks.DOES_NOT_MEET
    assert [c.criterion for c in results["high"].failed] == [
        "requires_intensive_case_management",
        "requires_multi_agency_links",
    ]
    assert results["medium"].result == checks.DOES_NOT_MEET  # self-referral only


def test_unclaimed_tiers_are_not_checked_and_missing_data_cannot_tell():
    facts = {"claims": {"risk_high": "unknown", "risk_medium": "yes"}, "referral_routes": []}
    (medium,) = checks.tier_claim_check(DEFINITION, facts)
    assert medium.tier == "medium" and medium.result == checks.CANNOT_TELL


def test_duration_detail_reads_naturally_whether_or_not_it_is_recorded():
    def duration_detail(weeks):
        facts = {
            "claims": {"risk_medium": "yes"},
            "referral_routes": ["police"],
            "duration_weeks": weeks,
        }
        (medium,) = checks.tier_claim_check(DEFINITION, facts)
        return next(c.detail for c in medium.criteria if c.criterion == "min_duration_weeks")

    assert duration_detail(None) == "Duration: not recorded"
    assert duration_detail(26) == "Duration: 26 weeks"
