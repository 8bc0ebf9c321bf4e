"""The vectorised pass equals a plain per-person reference implementation, on random data.

The reference below is written from the documented formula (docs/panels-rfg.md) with
exact fractions, one person at a time, the slow obvious way. Hypothesis draws incidents
(including ids in any script, blank victims, dates either side of the window) and
partnership configurations, and every score, component and rank must agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.panels import rfg

T = dt.date(2025, 6, 1)
CODES = [c.code for c in rfg.DEFAULT_GRAVITY]


def half_up(value: Fraction) -> int:
    """Round a non-negative fraction half up, the schoolbook way."""
    whole = value.numerator // value.denominator
    return whole + 1 if value - whole >= Fraction(1, 2) else whole


def reference_scores(incidents: list[dict], as_of: dt.date, config: rfg.ScoringConfig) -> list:
    window = config.window_days
    start = as_of - dt.timedelta(days=window)
    people: dict[str, list[dict]] = defaultdict(list)
    for incident in incidents:
        if start <= incident["date"] <= as_of:
            people[incident["perpetrator_id"]].append(incident)
    rows = []
    for person, theirs in people.items():
        latest = max(i["date"] for i in theirs)
        days = (as_of - latest).days
        n = len(theirs)
        weight = sum((Fraction(config.gravity_table[i["category"]]) for i in theirs), Fraction(0))
        victims = len({i["victim_id"] for i in theirs if i["victim_id"]})
        recency = config.recency_max * max(Fraction(0), 1 - Fraction(days, window))
        frequency = config.frequency_max * Fraction(
            min(n, config.frequency_cap), config.frequency_cap
        )
        gravity = (
            config.gravity_max
            * min(weight, Fraction(config.gravity_cap))
            / Fraction(config.gravity_cap)
        )
        victim_points = config.victims_max * Fraction(
            min(max(victims - 1, 0), config.victims_cap), config.victims_cap
        )
        rows.append(
            {
                "perpetrator_id": person,
                "rfg": half_up(recency + frequency + gravity + victim_points),
                "recency": Decimal(half_up(recency * 100)) / 100,
                "frequency": Decimal(half_up(frequency * 100)) / 100,
                "gravity": Decimal(half_up(gravity * 100)) / 100,
                "victims": Decimal(half_up(victim_points * 100)) / 100,
                "incidents": n,
                "latest_incident": latest,
                "_gravity": gravity,
            }
        )
    rows.sort(key=lambda r: r["perpetrator_id"])
    rows.sort(key=lambda r: r["latest_incident"], reverse=True)
    rows.sort(key=lambda r: r["_gravity"], reverse=True)
    rows.sort(key=lambda r: r["rfg"], reverse=True)
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        del row["_gravity"]
    return rows


ids = st.one_of(
    st.sampled_from(["P1", "P2", "P10", "p1", "Q", "Zoë", "Ünal", "李", "P 1"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=4),
)
hundredths = st.integers(min_value=0, max_value=5_000).map(lambda n: Decimal(n) / 100)


@st.composite
def configs(draw) -> rfg.ScoringConfig:
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=3, max_size=3)))
    maxima = [cuts[0], cuts[1] - cuts[0], cuts[2] - cuts[1], 100 - cuts[2]]
    table = {code: draw(hundredths) for code in CODES}
    return rfg.ScoringConfig(
        window_days=draw(st.integers(1, 1_000)),
        recency_max=maxima[0],
        frequency_max=maxima[1],
        gravity_max=maxima[2],
        victims_max=maxima[3],
        frequency_cap=draw(st.integers(1, 15)),
        victims_cap=draw(st.integers(1, 6)),
        gravity_cap=draw(st.integers(1, 10_000).map(lambda n: Decimal(n) / 100)),
        gravity_table=table,
    )


incident = st.fixed_dictionaries(
    {
        "perpetrator_id": ids,
        "victim_id": st.sampled_from(["", "V1", "V2", "V3", "V4", "V5", "V6"]),
        "date": st.integers(-1_100, 30).map(lambda d: T + dt.timedelta(days=d)),
        "category": st.sampled_from(CODES),
    }
)


def vectorised(incidents: list[dict], as_of: dt.date, config: rfg.ScoringConfig) -> list:
    frame = pl.DataFrame(
        incidents, schema={k: rfg.INCIDENT_SCHEMA[k] for k in rfg.INCIDENT_COLUMNS}
    )
    keys = [
        "perpetrator_id",
        "rfg",
        "recency",
        "frequency",
        "gravity",
        "victims",
        "incidents",
        "latest_incident",
        "rank",
    ]
    return [
        {k: row[k] for k in keys} for row in rfg.score(frame, as_of=as_of, config=config).to_dicts()
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(incident, max_size=60), configs())
def test_vectorised_pass_equals_the_per_person_reference(incidents, config):
    assert vectorised(incidents, T, config) == reference_scores(incidents, T, config)


@settings(max_examples=200, deadline=None)
@given(st.lists(incident, max_size=60))
def test_default_configuration_equals_the_reference(incidents):
    assert vectorised(incidents, T, rfg.DEFAULT_CONFIG) == reference_scores(
        incidents, T, rfg.DEFAULT_CONFIG
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                # Few people and dates on the reference day: many exact ties to break.
                "perpetrator_id": st.sampled_from(["A", "B", "C", "D"]),
                "victim_id": st.sampled_from(["", "V1", "V2"]),
                "date": st.integers(-3, 0).map(lambda d: T + dt.timedelta(days=d)),
                "category": st.sampled_from(["abh", "common_assault", "verbal_or_non_crime"]),
            }
        ),
        max_size=20,
    )
)
def test_ties_break_the_same_way_as_the_reference(incidents):
    assert vectorised(incidents, T, rfg.DEFAULT_CONFIG) == reference_scores(
        incidents, T, rfg.DEFAULT_CONFIG
    )
