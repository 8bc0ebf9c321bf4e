"""The partnership's risk policy as data, and the tier it gives a referral. Pure Python: no
database, no Django.

A policy definition is plain JSON the partnership agrees and loads:

- ``questions``: the checklist, each ``{"code", "text", "weight", "help"?}``. A "yes"
  answer adds the question's weight to the score.
- ``thresholds``: ``{"medium": int, "high": int}``. A score at or above ``high`` is high
  risk, at or above ``medium`` medium risk, anything lower standard risk.
- ``rules`` (optional): facts about the referral that put a floor under the tier, each
  ``{"fact", "op", "value", "tier", "reason"}``. A rule that fires raises the tier to its
  own tier when that is higher and otherwise changes nothing: rules only ever lift.

`validate_policy_definition` returns every problem it finds as a sentence a commissioner
can act on; `compute_tier` never sees a definition that failed it (the services refuse to
store one). Every tier comes with an explanation: each answer that counted, the threshold
used and each rule that fired.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

STANDARD = "standard_risk"
MEDIUM = "medium_risk"
HIGH = "high_risk"
# Kept in step with `reference.RiskTier` / `TIER_ORDER` (a test checks); this module
# stays importable without Django.
TIERS: tuple[str, ...] = (STANDARD, MEDIUM, HIGH)
TIER_RANK: Mapping[str, int] = {tier: rank for rank, tier in enumerate(TIERS)}
TIER_WORDS: Mapping[str, str] = {
    STANDARD: "standard risk",
    MEDIUM: "medium risk",
    HIGH: "high risk",
}

# Facts a rule may test, with the kind of value each holds and how the explanation names it.
# - marac_heard: the referrer says the case was heard at MARAC.
# - victim_count: victim-survivors named on the referral (serial perpetration).
# - rfg_score: a panel's recency-frequency-gravity score, 0-100; unset means not scored.
# - children_in_household: the referrer answered "yes" to children living in the household.
# - child_count: children named on the referral (added because the children recorded,
#   not only the household question, show how many children are exposed).
FACTS: Mapping[str, tuple[type, str]] = {
    "marac_heard": (bool, "heard at MARAC"),
    "victim_count": (int, "number of victim-survivors named"),
    "rfg_score": (int, "recency, frequency and gravity (RFG) score"),
    "children_in_household": (bool, "children live in the household"),
    "child_count": (int, "number of children named"),
}
OPS: tuple[str, ...] = (">=", "==")
QUESTION_KEYS = frozenset({"code", "text", "weight", "help"})
RULE_KEYS = frozenset({"fact", "op", "value", "tier", "reason"})
TOP_KEYS = frozenset({"questions", "thresholds", "rules"})
# Codes travel in URLs, form field names and the referral API (max 60 characters).
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


@dataclass(frozen=True, slots=True)
class TriageFacts:
    """What the rules may look at, taken from the referral (and the triage form)."""

    marac_heard: bool = False
    victim_count: int = 0
    rfg_score: int | None = None
    children_in_household: bool = False
    child_count: int = 0


@dataclass(frozen=True, slots=True)
class TierResult:
    """The computed tier, the checklist score, and why, in plain English."""

    tier: str
    score: int
    explanation: tuple[str, ...]
    score_tier: str = STANDARD
    rules_fired: tuple[str, ...] = ()


def _is_int(value: Any) -> TypeGuard[int]:
    # bool is an int in Python; a weight of `true` is a mistake, not 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _validate_questions(questions: Any) -> list[str]:
    if not isinstance(questions, list) or not questions:
        return ["'questions' must be a list with at least one question"]
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, question in enumerate(questions, start=1):
        where = f"Question {number}"
        if not isinstance(question, dict):
            errors.append(f"{where} must be an object with code, text and weight")
            continue
        unknown = sorted(set(question) - QUESTION_KEYS)
        if unknown:
            errors.append(
                f"{where} has unknown key(s) {_join(unknown)}; allowed keys are code, text, "
                "weight and help"
            )
        code = question.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            errors.append(
                f"{where} needs a code of lower-case letters, digits and underscores, starting "
                "with a letter (60 characters at most)"
            )
        elif code in seen:
            errors.append(
                f"{where} repeats the code '{code}' already used by question {seen[code]}"
            )
        else:
            seen[code] = number
        text = question.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.append(f"{where} needs the question text")
        weight = question.get("weight")
        if not _is_int(weight) or weight < 0:
            errors.append(f"{where} needs a weight that is a whole number, 0 or more")
        if "help" in question and not isinstance(question["help"], str):
            errors.append(f"{where} has help that is not text")
    return errors


def _validate_thresholds(thresholds: Any) -> list[str]:
    if not isinstance(thresholds, dict):
        return ["'thresholds' must be an object with whole numbers for medium and high"]
    errors: list[str] = []
    unknown = sorted(set(thresholds) - {"medium", "high"})
    if unknown:
        errors.append(f"'thresholds' has unknown key(s) {_join(unknown)}; use medium and high")
    values = {}
    for key in ("medium", "high"):
        value = thresholds.get(key)
        if not _is_int(value) or value < 0:
            errors.append(f"The {key} threshold must be a whole number, 0 or more")
        else:
            values[key] = value
    if len(values) == 2 and values["medium"] >= values["high"]:
        errors.append(
            f"The medium threshold ({values['medium']}) must be lower than the high "
            f"threshold ({values['high']})"
        )
    return errors


def _validate_rules(rules: Any) -> list[str]:
    if not isinstance(rules, list):
        return ["'rules' must be a list (it may be empty)"]
    errors: list[str] = []
    for number, rule in enumerate(rules, start=1):
        where = f"Rule {number}"
        if not isinstance(rule, dict):
            errors.append(f"{where} must be an object with fact, op, value, tier and reason")
            continue
        unknown = sorted(set(rule) - RULE_KEYS)
        if unknown:
            errors.append(
                f"{where} has unknown key(s) {_join(unknown)}; allowed keys are fact, op, value, "
                "tier and reason"
            )
        fact = rule.get("fact")
        if not isinstance(fact, str) or fact not in FACTS:
            errors.append(f"{where} tests an unknown fact; use one of {_join(sorted(FACTS))}")
        op = rule.get("op")
        if op not in OPS:
            errors.append(f"{where} needs an op of '>=' or '=='")
        value = rule.get("value")
        if isinstance(fact, str) and fact in FACTS:
            kind = FACTS[fact][0]
            if kind is bool:
                if not isinstance(value, bool):
                    errors.append(f"{where}: {fact} is true or false, so the value must be too")
                if op == ">=":
                    errors.append(f"{where}: {fact} is true or false, so use the op '=='")
            elif not _is_int(value) or value < 0:
                errors.append(f"{where}: {fact} is a count, so the value must be a whole number")
        if rule.get("tier") not in TIERS:
            errors.append(f"{where} needs a tier of {_join(list(TIERS))}")
        reason = rule.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            errors.append(f"{where} needs a reason, which the explanation shows when it fires")
    return errors


def validate_policy_definition(definition: Any) -> list[str]:
    """Every problem with a risk policy definition, as plain sentences; empty when valid."""
    if not isinstance(definition, dict):
        return ["The definition must be a JSON object with questions, thresholds and rules"]
    errors: list[str] = []
    unknown = sorted(set(definition) - TOP_KEYS)
    if unknown:
        errors.append(
            f"The definition has unknown key(s) {_join(unknown)}; allowed keys are questions, "
            "thresholds and rules"
        )
    errors += _validate_questions(definition.get("questions"))
    errors += _validate_thresholds(definition.get("thresholds"))
    errors += _validate_rules(definition.get("rules", []))
    return errors


def question_codes(definition: Mapping[str, Any]) -> tuple[str, ...]:
    """The question codes of a (valid) definition, in checklist order."""
    return tuple(q["code"] for q in definition.get("questions", ()))


def rule_fires(rule: Mapping[str, Any], facts: TriageFacts) -> bool:
    """True when the fact the rule tests meets its condition (an unscored RFG never does)."""
    actual = getattr(facts, rule["fact"])
    if actual is None:
        return False
    if rule["op"] == "==":
        return bool(actual == rule["value"])
    return bool(actual >= rule["value"])


def _fact_words(rule: Mapping[str, Any], facts: TriageFacts) -> str:
    name = FACTS[rule["fact"]][1]
    actual = getattr(facts, rule["fact"])
    if isinstance(actual, bool):
        return f"{name}: {'yes' if actual else 'no'}"
    return f"{name} is {actual}"


def higher(a: str, b: str) -> str:
    """The higher of two tiers."""
    return a if TIER_RANK[a] >= TIER_RANK[b] else b


def compute_tier(
    *, definition: Mapping[str, Any], answers: Mapping[str, bool], facts: TriageFacts
) -> TierResult:
    """The tier a valid definition gives these answers and facts, with its explanation.

    Answers not given count as "no". An answer to a question the definition does not ask
    raises ValueError: silently ignoring it could under-count risk."""
    questions = definition["questions"]
    known = {q["code"] for q in questions}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(f"Answers to questions the policy does not ask: {', '.join(unknown)}")
    lines: list[str] = []
    score = 0
    possible = 0
    for question in questions:
        possible += question["weight"]
        if answers.get(question["code"]) is True:
            score += question["weight"]
            lines.append(f"Yes: {question['text']} (+{question['weight']})")
    if not lines:
        lines.append("No checklist question was answered yes")
    medium, high = definition["thresholds"]["medium"], definition["thresholds"]["high"]
    if score >= high:
        score_tier = HIGH
        lines.append(
            f"Score {score} of {possible}: at or above the high-risk threshold of {high}, "
            "so high risk"
        )
    elif score >= medium:
        score_tier = MEDIUM
        lines.append(
            f"Score {score} of {possible}: at or above the medium-risk threshold of {medium} "
            f"and below the high-risk threshold of {high}, so medium risk"
        )
    else:
        score_tier = STANDARD
        lines.append(
            f"Score {score} of {possible}: below the medium-risk threshold of {medium}, "
            "so standard risk"
        )
    tier = score_tier
    fired: list[str] = []
    for rule in definition.get("rules", ()):
        if not rule_fires(rule, facts):
            continue
        fired.append(rule["reason"])
        rule_tier = rule["tier"]
        lifted = TIER_RANK[rule_tier] > TIER_RANK[tier]
        tier = higher(tier, rule_tier)
        outcome = (
            f"raises the tier to {TIER_WORDS[rule_tier]}"
            if lifted
            else f"sets a floor of {TIER_WORDS[rule_tier]}; the tier is already {TIER_WORDS[tier]}"
        )
        lines.append(f"Rule: {rule['reason']} ({_fact_words(rule, facts)}): {outcome}")
    lines.append(f"Computed tier: {TIER_WORDS[tier]}")
    return TierResult(
        tier=tier,
        score=score,
        explanation=tuple(lines),
        score_tier=score_tier,
        rules_fired=tuple(fired),
    )
