"""The default RFG formula, pinned on hand-worked examples (docs/panels-rfg.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from pathways.panels import rfg

T = dt.date(2025, 6, 1)


def day(offset: int) -> dt.date:
    """T plus `offset` days (negative: before T)."""
    return T + dt.timedelta(days=offset)


def frame(*incidents: tuple[str, str, dt.date, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"perpetrator_id": p, "victim_id": v, "date": d, "category": c}
            for p, v, d, c in incidents
        ],
        schema={k: rfg.INCIDENT_SCHEMA[k] for k in rfg.INCIDENT_COLUMNS},
    )


def scores(*incidents, config=rfg.DEFAULT_CONFIG, as_of=T) -> list[dict]:
    return rfg.score(frame(*incidents), as_of=as_of, config=config).to_dicts()


def only(*incidents, **kwargs) -> dict:
    rows = scores(*incidents, **kwargs)
    assert len(rows) == 1
    return rows[0]


# --------------------------------------------------------------------------------------
# One incident, and each component on its own
# --------------------------------------------------------------------------------------


def test_one_incident_on_the_reference_date():
    # recency 30 x (1 - 0/730) = 30; frequency 30 x 1/10 = 3; gravity 30 x 10/60 = 5
    # (ABH weighs 10); victims 10 x min(1 - 1, 3)/3 = 0. RFG 38.
    row = only(("P1", "V1", T, "abh"))
    assert row["rfg"] == 38
    assert (row["recency"], row["frequency"], row["gravity"], row["victims"]) == (30, 3, 5, 0)
    assert row["incidents"] == 1
    assert row["rank"] == 1
    assert row["latest_incident"] == T


def test_recency_falls_linearly_over_the_window():
    # 365 days before T: 30 x (1 - 365/730) = 15. With frequency 3 and gravity 5: 23.
    row = only(("P1", "V1", day(-365), "abh"))
    assert row["recency"] == 15
    assert row["rfg"] == 23


def test_components_are_exact_decimals_to_two_places_rounded_half_up():
    # 31 days: 30 x 699/730 = 28.7260... -> 28.73
    assert only(("P1", "V1", day(-31), "abh"))["recency"] == Decimal("28.73")


def test_frequency_is_capped_at_ten_incidents():
    # 12 verbal incidents (weight 1 each) on T: frequency 30 x min(12, 10)/10 = 30,
    # gravity 30 x 12/60 = 6, recency 30, victims 0: 66.
    row = only(*[("P1", "V1", T, "verbal_or_non_crime")] * 12)
    assert row["incidents"] == 12
    assert row["frequency"] == 30
    assert row["gravity"] == 6
    assert row["rfg"] == 66


def test_gravity_is_capped_at_sixty_summed_weight():
    # Three homicide-or-attempt incidents weigh 90; the cap is 60: gravity 30.
    row = only(
        ("P1", "V1", T, "homicide_or_attempt"),
        ("P1", "V1", day(-1), "homicide_or_attempt"),
        ("P1", "V1", day(-2), "homicide_or_attempt"),
    )
    assert row["gravity"] == 30
    assert row["gravity_weight"] == 90
    assert row["rfg"] == 30 + 9 + 30 + 0


@pytest.mark.parametrize(
    ("victims", "points"),
    [(1, "0"), (2, "3.33"), (3, "6.67"), (4, "10"), (6, "10")],
)
def test_victims_count_the_distinct_victims_after_the_first_capped_at_three(victims, points):
    incidents = [("P1", f"V{n}", T, "common_assault") for n in range(victims)]
    assert only(*incidents)["victims"] == Decimal(points)


def test_many_victims_hand_worked():
    # Six common assaults on T, six victims: recency 30, frequency 18, gravity
    # 30 x 30/60 = 15, victims 10 x min(5, 3)/3 = 10. RFG 73.
    row = only(*[("P1", f"V{n}", T, "common_assault") for n in range(6)])
    assert row["rfg"] == 73
    assert row["distinct_victims"] == 6


def test_the_same_victim_twice_counts_once_and_a_blank_victim_not_at_all():
    row = only(("P1", "V1", T, "abh"), ("P1", "V1", day(-1), "abh"), ("P1", "", T, "abh"))
    assert row["distinct_victims"] == 1
    assert row["victims"] == 0
    # No victim recorded at all is no victim points, never negative ones.
    assert only(("P2", "", T, "abh"))["victims"] == 0


# --------------------------------------------------------------------------------------
# The window
# --------------------------------------------------------------------------------------


def test_an_incident_730_days_before_the_reference_date_is_in_the_window():
    # recency 30 x (1 - 730/730) = 0, frequency 3, gravity 5: 8.
    row = only(("P1", "V1", day(-730), "abh"))
    assert row["recency"] == 0
    assert row["rfg"] == 8


def test_an_incident_731_days_before_the_reference_date_is_not():
    assert scores(("P1", "V1", day(-731), "abh")) == []
    row = only(("P1", "V1", day(-731), "homicide_or_attempt"), ("P1", "V1", day(-10), "abh"))
    assert row["incidents"] == 1
    assert row["gravity_weight"] == 10


def test_incidents_after_the_reference_date_are_not_counted():
    assert scores(("P1", "V1", day(1), "abh")) == []
    row = only(("P1", "V1", T, "abh"), ("P1", "V2", day(1), "rape_or_serious_sexual_assault"))
    assert row["incidents"] == 1
    assert row["distinct_victims"] == 1
    assert row["latest_incident"] == T


# --------------------------------------------------------------------------------------
# Rounding: half up, exactly
# --------------------------------------------------------------------------------------


def test_a_total_of_exactly_one_half_rounds_up():
    # Common assault (5) and criminal damage (4) on T: 30 + 6 + 30 x 9/60 (= 4.5) + 0 = 40.5.
    # Half up gives 41 (rounding half to even would give 40).
    row = only(("P1", "V1", T, "common_assault"), ("P1", "V1", T, "criminal_damage"))
    assert row["gravity"] == Decimal("4.5")
    assert row["rfg"] == 41


def test_a_total_just_under_one_half_rounds_down():
    # One day back: recency 30 x 729/730 = 29.9589...; total 40.4589... -> 40.
    row = only(("P1", "V1", day(-1), "common_assault"), ("P1", "V1", day(-1), "criminal_damage"))
    assert row["rfg"] == 40


def test_rfg_is_rounded_from_the_exact_sum_not_the_rounded_components():
    # Recency 30 x 646/730 = 26.5479... (shown 26.55), frequency 6, gravity
    # 30 x 22/60 = 11, victims 3.333... (shown 3.33): exact sum 46.8812... -> 47.
    row = only(("P1", "V1", day(-84), "abh"), ("P1", "V2", day(-90), "stalking"))
    assert row["rfg"] == 47
    assert (row["recency"], row["victims"]) == (Decimal("26.55"), Decimal("3.33"))


def test_round_half_up_helper_is_exact():
    assert rfg.round_half_up(81, 2) == 41  # 40.5
    assert rfg.round_half_up(79, 2) == 40  # 39.5 -> 40
    assert rfg.round_half_up(1, 3) == 0
    assert rfg.round_half_up(2, 3) == 1


# --------------------------------------------------------------------------------------
# Ranking: RFG, then gravity, then latest incident, then perpetrator id
# --------------------------------------------------------------------------------------


def test_higher_rfg_ranks_first():
    rows = scores(("A", "V1", day(-400), "abh"), ("B", "V1", T, "abh"))
    assert [r["perpetrator_id"] for r in rows] == ["B", "A"]
    assert [r["rank"] for r in rows] == [1, 2]


def test_equal_rfg_ranks_higher_gravity_first():
    # Z: one stalking on T: 30 + 3 + 6 = 39. A: verbal + common assault on T:
    # 30 + 6 + 3 = 39. Same RFG; Z's gravity (6) beats A's (3), whatever the ids.
    rows = scores(
        ("A", "V1", T, "verbal_or_non_crime"),
        ("A", "V1", T, "common_assault"),
        ("Z", "V1", T, "stalking"),
    )
    assert [(r["perpetrator_id"], r["rfg"], r["gravity"]) for r in rows] == [
        ("Z", 39, 6.0),
        ("A", 39, 3.0),
    ]


def test_equal_rfg_and_gravity_ranks_the_most_recent_latest_incident_first():
    # A's ABH was yesterday (37.96 -> 38), Z's today (38): same RFG and gravity.
    rows = scores(("A", "V1", day(-1), "abh"), ("Z", "V1", T, "abh"))
    assert [r["rfg"] for r in rows] == [38, 38]
    assert [r["perpetrator_id"] for r in rows] == ["Z", "A"]


def test_all_else_equal_ranks_by_perpetrator_id_ascending_as_text():
    rows = scores(("P2", "V1", T, "abh"), ("P10", "V1", T, "abh"), ("P1", "V1", T, "abh"))
    assert [r["perpetrator_id"] for r in rows] == ["P1", "P10", "P2"]
    assert [r["rank"] for r in rows] == [1, 2, 3]


# --------------------------------------------------------------------------------------
# Configuration and categories
# --------------------------------------------------------------------------------------


def test_an_unknown_category_is_an_error_not_a_weight_of_nought():
    with pytest.raises(rfg.IncidentFrameError, match="no weight to 'burglary'") as caught:
        scores(("P1", "V1", T, "abh"), ("P2", "V1", T, "burglary"))
    assert caught.value.unknown_categories == ("burglary",)


def test_an_unknown_category_outside_the_window_is_not_scored_so_not_an_error():
    assert len(scores(("P1", "V1", T, "abh"), ("P2", "V1", day(-900), "burglary"))) == 1


def test_domestic_abuse_only_counts_flagged_incidents():
    config = rfg.ScoringConfig(domestic_abuse_only=True)
    incidents = pl.DataFrame(
        {
            "perpetrator_id": ["P1", "P1"],
            "victim_id": ["V1", "V2"],
            "date": [T, T],
            "category": ["abh", "abh"],
            "domestic_abuse": [True, False],
        }
    )
    row = rfg.score(incidents, as_of=T, config=config).row(0, named=True)
    assert row["incidents"] == 1
    with pytest.raises(rfg.IncidentFrameError, match="domestic_abuse"):
        rfg.score(incidents.drop("domestic_abuse"), as_of=T, config=config)


def test_a_partnership_configuration_changes_the_arithmetic():
    config = rfg.ScoringConfig(
        window_days=365,
        recency_max=40,
        frequency_max=20,
        frequency_cap=5,
        gravity_max=30,
        gravity_cap=Decimal("20.5"),
        victims_max=10,
        victims_cap=1,
        gravity_table={"Assault": "2.25", "Threats": 10},
    )
    # 73 days back: 40 x (1 - 73/365) = 32; 2 incidents: 20 x 2/5 = 8; weights 12.25:
    # 30 x 12.25/20.5 = 17.9268...; 2 victims: 10 x min(1, 1)/1 = 10. Total 67.93 -> 68.
    row = only(("P1", "V1", day(-73), "assault"), ("P1", "V2", day(-80), "threats"), config=config)
    assert (row["recency"], row["frequency"], row["gravity"], row["victims"]) == (
        32,
        8,
        Decimal("17.93"),
        10,
    )
    assert row["rfg"] == 68
    assert scores(("P1", "V1", day(-366), "assault"), config=config) == []


def test_configuration_json_round_trips_and_keys_left_out_take_the_default():
    config = rfg.ScoringConfig.from_json({"window_days": 365, "gravity_table": {"ABH": 2.5}})
    assert config.window_days == 365 and config.recency_max == 30
    assert config.gravity_table == {"abh": Decimal("2.5")}
    assert rfg.ScoringConfig.from_json(config.to_json()) == config
    assert rfg.ScoringConfig.from_json(rfg.DEFAULT_CONFIG.to_json()) == rfg.DEFAULT_CONFIG


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"recency_max": 40}, "must add up to 100"),
        ({"window_days": 0}, "window_days must be a whole number"),
        ({"window_days": 1.5}, "window_days must be a whole number"),
        ({"frequency_cap": 0}, "frequency_cap must be a whole number"),
        ({"gravity_cap": 0}, "gravity_cap must be a number above 0"),
        ({"gravity_table": {}}, "at least one category"),
        ({"gravity_table": {"abh": -1}}, "must be a number from 0"),
        ({"gravity_table": {"abh": "1.005"}}, "at most two decimal places"),
        ({"gravity_table": {"abh": "heavy"}}, "must be a number"),
        ({"gravity_table": {"Threats to kill": 1, "threats-to-kill": 2}}, "same category"),
        ({"gravity_table": {"!!": 1}}, "no letters or digits"),
        ({"colour": "red"}, "'colour' is not a scoring setting"),
        ({"domestic_abuse_only": "yes"}, "true or false"),
        ([], "must be a JSON object"),
    ],
)
def test_invalid_configurations_are_refused_with_the_reason(data, problem):
    with pytest.raises(rfg.ScoringConfigError) as caught:
        rfg.ScoringConfig.from_json(data)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_categories_are_matched_as_codes():
    assert rfg.normalise_category("  Threats to Kill ") == "threats_to_kill"
    assert rfg.normalise_category("GBH/wounding") == "gbh_wounding"


def test_an_empty_set_of_incidents_scores_nobody():
    assert rfg.score(rfg.empty_incidents(), as_of=T).height == 0


def test_a_missing_column_is_named():
    with pytest.raises(rfg.IncidentFrameError, match="victim_id"):
        rfg.score(frame(("P1", "V1", T, "abh")).drop("victim_id"), as_of=T)


# --------------------------------------------------------------------------------------
# Explanations
# --------------------------------------------------------------------------------------


def test_an_explanation_shows_the_components_and_the_incidents_behind_them():
    incidents = frame(
        ("P1", "V1", day(-84), "abh"),
        ("P1", "V2", day(-90), "stalking"),
        ("P1", "V3", day(-800), "homicide_or_attempt"),
        ("P2", "V9", T, "abh"),
    )
    explanation = rfg.explain(incidents, perpetrator_id="P1", as_of=T)
    assert explanation.score is not None
    assert explanation.score["rfg"] == 47
    assert explanation.window_start == day(-730)
    assert [(i.category, i.in_window, i.weight) for i in explanation.incidents] == [
        ("homicide_or_attempt", False, Decimal(30)),
        ("stalking", True, Decimal(12)),
        ("abh", True, Decimal(10)),
    ]
    text = "\n".join(explanation.lines)
    assert "2 of 3 incidents counted" in text
    assert "Recency 26.55 of 30: latest incident 2025-03-09, 84 days" in text
    assert "Gravity 11.00 of 30: weights 12 + 10 = 22" in text
    assert "Victims 3.33 of 10: 2 distinct" in text
    assert "RFG 47" in text


def test_an_explanation_for_someone_with_nothing_in_the_window_says_so():
    explanation = rfg.explain(frame(("P1", "V1", day(-900), "abh")), perpetrator_id="P1", as_of=T)
    assert explanation.score is None
    assert "No incident in the window" in explanation.lines[-1]
