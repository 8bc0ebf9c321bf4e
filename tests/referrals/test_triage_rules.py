"""The risk policy as data: what a valid definition is, and how a tier is computed from it.

Pure functions, no database. The property tests generate valid definitions and answers and
try to find a case where saying "yes" to more questions, or adding a rule, lowers the tier.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.referrals import triage
from pathways.referrals.reference import TIER_ORDER, RiskTier
from pathways.referrals.services.triage import DEMO_FIXTURE
from pathways.referrals.triage import (
    FACTS,
    TIER_RANK,
    TriageFacts,
    compute_tier,
    validate_policy_definition,
)


def definition(**changes):
    base = {
        "questions": [
            {"code": "threats", "text": "Threats to kill", "weight": 5, "help": "Any threat"},
            {"code": "choking", "text": "Strangulation or choking", "weight": 5},
            {"code": "escalation", "text": "Abuse is escalating", "weight": 3},
            {"code": "controlling", "text": "Controls money", "weight": 1},
        ],
        "thresholds": {"medium": 4, "high": 10},
        "rules": [
            {
                "fact": "marac_heard",
                "op": "==",
                "value": True,
                "tier": "high_risk",
                "reason": "Heard at MARAC",
            },
            {
                "fact": "rfg_score",
                "op": ">=",
                "value": 60,
                "tier": "high_risk",
                "reason": "RFG score of 60 or more",
            },
            {
                "fact": "victim_count",
                "op": ">=",
                "value": 2,
                "tier": "medium_risk",
                "reason": "Two or more victim-survivors",
            },
        ],
    }
    base.update(changes)
    return base


def tier_of(answers=(), facts=None, **changes):
    return compute_tier(
        definition=definition(**changes),
        answers=dict.fromkeys(answers, True),
        facts=facts or TriageFacts(),
    )


# --- Validation ----------------------------------------------------------------------------


def test_a_well_formed_definition_has_no_problems():
    assert validate_policy_definition(definition()) == []


def test_the_shipped_demo_checklist_is_valid_and_says_it_is_not_a_licensed_tool():
    fixture = json.loads(DEMO_FIXTURE.read_text())
    assert validate_policy_definition(fixture["definition"]) == []
    assert "not a licensed tool" in fixture["name"]
    assert "not DASH" in fixture["source_note"]
    assert len(fixture["definition"]["questions"]) >= 10


def test_definition_must_be_an_object():
    assert validate_policy_definition(["questions"]) == [
        "The definition must be a JSON object with questions, thresholds and rules"
    ]


def test_duplicate_question_codes_are_refused_naming_both_questions():
    questions = definition()["questions"]
    questions[2]["code"] = "threats"
    errors = validate_policy_definition(definition(questions=questions))
    assert errors == ["Question 3 repeats the code 'threats' already used by question 1"]


@pytest.mark.parametrize("weight", [-1, 1.5, "3", True, None])
def test_weights_must_be_whole_numbers_not_below_zero(weight):
    questions = definition()["questions"]
    questions[0]["weight"] = weight
    errors = validate_policy_definition(definition(questions=questions))
    assert errors == ["Question 1 needs a weight that is a whole number, 0 or more"]


def test_a_weight_of_zero_is_allowed():
    questions = definition()["questions"]
    questions[0]["weight"] = 0
    assert validate_policy_definition(definition(questions=questions)) == []


@pytest.mark.parametrize("code", ["", "Has Spaces", "1starts_with_digit", "x" * 61, 7])
def test_question_codes_must_be_short_lower_case_identifiers(code):
    questions = definition()["questions"]
    questions[1]["code"] = code
    errors = validate_policy_definition(definition(questions=questions))
    assert len(errors) == 1 and errors[0].startswith("Question 2 needs a code")


def test_questions_need_text_and_help_must_be_text():
    questions = definition()["questions"]
    questions[0]["text"] = "  "
    questions[1]["help"] = ["not", "text"]
    assert validate_policy_definition(definition(questions=questions)) == [
        "Question 1 needs the question text",
        "Question 2 has help that is not text",
    ]


def test_a_misspelt_question_key_is_reported_not_ignored():
    questions = definition()["questions"]
    questions[0]["wieght"] = questions[0].pop("weight")
    errors = validate_policy_definition(definition(questions=questions))
    assert errors[0].startswith("Question 1 has unknown key(s) wieght")
    assert "Question 1 needs a weight that is a whole number, 0 or more" in errors


def test_an_empty_checklist_is_refused():
    assert validate_policy_definition(definition(questions=[])) == [
        "'questions' must be a list with at least one question"
    ]


@pytest.mark.parametrize(
    ("thresholds", "message"),
    [
        ({"medium": 10, "high": 10}, "The medium threshold (10) must be lower than the high "),
        ({"medium": 12, "high": 3}, "The medium threshold (12) must be lower than the high "),
        ({"medium": 4}, "The high threshold must be a whole number, 0 or more"),
        ({"medium": -1, "high": 3}, "The medium threshold must be a whole number, 0 or more"),
        ({"medium": 1, "high": 3, "low": 0}, "'thresholds' has unknown key(s) low"),
        ([4, 10], "'thresholds' must be an object"),
    ],
)
def test_thresholds_need_medium_below_high(thresholds, message):
    errors = validate_policy_definition(definition(thresholds=thresholds))
    assert len(errors) == 1 and errors[0].startswith(message)


@pytest.mark.parametrize(
    ("rule_changes", "message"),
    [
        ({"fact": "shoe_size"}, "Rule 1 tests an unknown fact; use one of "),
        ({"op": "<"}, "Rule 1 needs an op of '>=' or '=='"),
        ({"tier": "extreme"}, "Rule 1 needs a tier of standard_risk, medium_risk and high_risk"),
        ({"reason": ""}, "Rule 1 needs a reason"),
        ({"value": "yes"}, "Rule 1: marac_heard is true or false, so the value must be too"),
        ({"op": ">="}, "Rule 1: marac_heard is true or false, so use the op '=='"),
        ({"priority": 1}, "Rule 1 has unknown key(s) priority"),
    ],
)
def test_rules_are_checked_field_by_field(rule_changes, message):
    rules = definition()["rules"]
    rules[0].update(rule_changes)
    errors = validate_policy_definition(definition(rules=rules))
    assert len(errors) == 1 and errors[0].startswith(message), errors


@pytest.mark.parametrize("value", [True, -2, 2.5, "2"])
def test_a_count_rule_needs_a_whole_number(value):
    rules = definition()["rules"]
    rules[2]["value"] = value
    errors = validate_policy_definition(definition(rules=rules))
    assert errors == ["Rule 3: victim_count is a count, so the value must be a whole number"]


def test_rules_are_optional_but_must_be_a_list_when_given():
    without = definition()
    del without["rules"]
    assert validate_policy_definition(without) == []
    assert validate_policy_definition(definition(rules={"fact": "marac_heard"})) == [
        "'rules' must be a list (it may be empty)"
    ]


def test_every_problem_is_reported_at_once():
    bad = {"questions": [{"code": "a", "text": "", "weight": -1}], "thresholds": {}, "extra": 1}
    errors = validate_policy_definition(bad)
    assert len(errors) == 5


def test_tiers_are_the_same_codes_and_order_as_the_referral_model():
    assert list(triage.TIERS) == sorted(RiskTier.values, key=lambda t: TIER_ORDER[t])


# --- Computing the tier ----------------------------------------------------------------------


def test_score_is_the_sum_of_the_weights_of_yes_answers():
    result = compute_tier(
        definition=definition(),
        answers={"threats": True, "choking": False, "escalation": True},
        facts=TriageFacts(),
    )
    assert result.score == 8
    assert result.tier == RiskTier.MEDIUM


@pytest.mark.parametrize(
    ("answers", "tier"),
    [
        ((), RiskTier.STANDARD),
        (("escalation",), RiskTier.STANDARD),  # 3, just below medium (4)
        (("escalation", "controlling"), RiskTier.MEDIUM),  # 4, exactly the medium threshold
        (("threats", "choking"), RiskTier.HIGH),  # 10, exactly the high threshold
    ],
)
def test_thresholds_are_inclusive(answers, tier):
    assert tier_of(answers).tier == tier


def test_explanation_names_each_contributing_answer_the_threshold_and_the_rule_that_fired():
    result = tier_of(("escalation", "controlling"), facts=TriageFacts(marac_heard=True))
    assert result.explanation == (
        "Yes: Abuse is escalating (+3)",
        "Yes: Controls money (+1)",
        "Score 4 of 14: at or above the medium-risk threshold of 4 and below the high-risk "
        "threshold of 10, so medium risk",
        "Rule: Heard at MARAC (heard at MARAC: yes): raises the tier to high risk",
        "Computed tier: high risk",
    )
    assert result.score_tier == RiskTier.MEDIUM
    assert result.tier == RiskTier.HIGH
    assert result.rules_fired == ("Heard at MARAC",)


def test_explanation_says_when_nothing_was_answered_yes():
    result = tier_of(())
    assert result.explanation[0] == "No checklist question was answered yes"
    assert "below the medium-risk threshold of 4, so standard risk" in result.explanation[1]


def test_a_rule_that_fires_below_the_tier_is_explained_and_changes_nothing():
    result = tier_of(("threats", "choking"), facts=TriageFacts(victim_count=3))
    assert result.tier == RiskTier.HIGH
    assert (
        "Rule: Two or more victim-survivors (number of victim-survivors named is 3): sets a "
        "floor of medium risk; the tier is already high risk"
    ) in result.explanation


def test_marac_heard_lifts_a_low_score_to_high():
    assert tier_of((), facts=TriageFacts(marac_heard=True)).tier == RiskTier.HIGH


@pytest.mark.parametrize(
    ("rfg", "tier"), [(None, "standard_risk"), (59, "standard_risk"), (60, "high_risk")]
)
def test_rfg_rule_fires_at_its_value_and_never_when_unscored(rfg, tier):
    assert tier_of((), facts=TriageFacts(rfg_score=rfg)).tier == tier


def test_two_victim_survivors_make_it_at_least_medium_but_one_does_not():
    assert tier_of((), facts=TriageFacts(victim_count=1)).tier == RiskTier.STANDARD
    assert tier_of((), facts=TriageFacts(victim_count=2)).tier == RiskTier.MEDIUM


def test_children_facts_can_be_used_by_a_partnerships_rules():
    rules = [
        {
            "fact": "children_in_household",
            "op": "==",
            "value": True,
            "tier": "medium_risk",
            "reason": "Children live in the household",
        },
        {
            "fact": "child_count",
            "op": ">=",
            "value": 3,
            "tier": "high_risk",
            "reason": "Three or more children named",
        },
    ]
    assert tier_of((), rules=rules).tier == RiskTier.STANDARD
    assert tier_of((), TriageFacts(children_in_household=True), rules=rules).tier == "medium_risk"
    assert tier_of((), TriageFacts(child_count=3), rules=rules).tier == "high_risk"


def test_an_exact_count_rule_fires_only_on_that_count():
    rules = [
        {"fact": "victim_count", "op": "==", "value": 1, "tier": "medium_risk", "reason": "One"}
    ]
    assert tier_of((), TriageFacts(victim_count=1), rules=rules).tier == RiskTier.MEDIUM
    assert tier_of((), TriageFacts(victim_count=2), rules=rules).tier == RiskTier.STANDARD


def test_an_answer_to_a_question_the_policy_does_not_ask_is_refused():
    with pytest.raises(ValueError, match="does not ask: made_up"):
        compute_tier(definition=definition(), answers={"made_up": True}, facts=TriageFacts())


def test_compute_tier_does_not_change_the_definition():
    original = definition()
    kept = copy.deepcopy(original)
    compute_tier(
        definition=original, answers={"threats": True}, facts=TriageFacts(marac_heard=True)
    )
    assert original == kept


# --- Properties ------------------------------------------------------------------------------

CODES = [f"q{i}" for i in range(8)]
TIERS = list(triage.TIERS)


@st.composite
def definitions(draw):
    n = draw(st.integers(min_value=1, max_value=len(CODES)))
    questions = [
        {"code": CODES[i], "text": f"Question {i}", "weight": draw(st.integers(0, 10))}
        for i in range(n)
    ]
    medium = draw(st.integers(0, 40))
    high = draw(st.integers(medium + 1, 60))
    return {
        "questions": questions,
        "thresholds": {"medium": medium, "high": high},
        "rules": draw(st.lists(rules(), max_size=4)),
    }


@st.composite
def rules(draw):
    fact = draw(st.sampled_from(sorted(FACTS)))
    if FACTS[fact][0] is bool:
        op, value = "==", draw(st.booleans())
    else:
        op, value = draw(st.sampled_from(triage.OPS)), draw(st.integers(0, 100))
    return {
        "fact": fact,
        "op": op,
        "value": value,
        "tier": draw(st.sampled_from(TIERS)),
        "reason": "r",
    }


facts_strategy = st.builds(
    TriageFacts,
    marac_heard=st.booleans(),
    victim_count=st.integers(0, 6),
    rfg_score=st.none() | st.integers(0, 100),
    children_in_household=st.booleans(),
    child_count=st.integers(0, 6),
)


@given(definition=definitions(), facts=facts_strategy, data=st.data())
def test_more_yes_answers_never_lower_the_tier(definition, facts, data):
    codes = [q["code"] for q in definition["questions"]]
    fewer = data.draw(st.sets(st.sampled_from(codes)))
    more = fewer | data.draw(st.sets(st.sampled_from(codes)))
    low = compute_tier(definition=definition, answers=dict.fromkeys(fewer, True), facts=facts)
    high = compute_tier(definition=definition, answers=dict.fromkeys(more, True), facts=facts)
    assert validate_policy_definition(definition) == []
    assert high.score >= low.score
    assert TIER_RANK[high.tier] >= TIER_RANK[low.tier]


@given(definition=definitions(), extra=rules(), facts=facts_strategy, data=st.data())
def test_adding_a_rule_never_lowers_the_tier(definition, extra, facts, data):
    codes = [q["code"] for q in definition["questions"]]
    answers = {code: data.draw(st.booleans()) for code in codes}
    before = compute_tier(definition=definition, answers=answers, facts=facts)
    with_rule = {**definition, "rules": [*definition["rules"], extra]}
    after = compute_tier(definition=with_rule, answers=answers, facts=facts)
    assert TIER_RANK[after.tier] >= TIER_RANK[before.tier]
    assert TIER_RANK[after.tier] >= TIER_RANK[after.score_tier]
    assert after.score == before.score


@given(definition=definitions(), facts=facts_strategy, data=st.data())
def test_explanation_lists_every_yes_answer_and_ends_with_the_tier(definition, facts, data):
    codes = [q["code"] for q in definition["questions"]]
    yes = data.draw(st.sets(st.sampled_from(codes)))
    result = compute_tier(definition=definition, answers=dict.fromkeys(yes, True), facts=facts)
    listed = [line for line in result.explanation if line.startswith("Yes: ")]
    assert len(listed) == len(yes)
    assert result.score == sum(q["weight"] for q in definition["questions"] if q["code"] in yes)
    assert result.explanation[-1] == f"Computed tier: {triage.TIER_WORDS[result.tier]}"
