"""Synthetic police incidents for recency-frequency-gravity scoring: pure, deterministic.

Each police force area gets people who perpetrate, in proportion to its districts. Most
have one or two incidents; a long tail are serial perpetrators with many incidents against
several victim-survivors (a Pareto-shaped count, as in police data). Incidents fall in the
three years before `as_of`, so some lie outside the default 730-day window. Categories are
the default gravity table's codes, drawn with the low-harm kinds most common.

Every id is pseudonymised and labelled: perpetrators `SYN-P…`, victim-survivors `SYN-V…`,
incidents `SYN-I…`. `write_incidents_csv` writes the same rows as a file `pathways
rfg-score` reads (docs/panels-rfg.md).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple, TextIO

from pathways.areas.models import AreaKind

from .geography import REFERENCE_DISTRICTS

if TYPE_CHECKING:
    from .plan import Plan

# Rough shares, in tenths of a percent: most police-recorded domestic incidents are of the
# lower-harm kinds; the gravest are rare.
CATEGORY_SHARES: dict[str, int] = {
    "verbal_or_non_crime": 250,
    "common_assault": 200,
    "harassment": 100,
    "abh": 100,
    "criminal_damage": 80,
    "breach_of_order": 70,
    "coercive_control": 50,
    "stalking": 40,
    "threats_to_kill": 30,
    "gbh_or_wounding": 25,
    "strangulation_or_suffocation": 20,
    "other_sexual_offence": 15,
    "rape_or_serious_sexual_assault": 10,
    "kidnap_or_false_imprisonment": 7,
    "homicide_or_attempt": 3,
}
HISTORY_DAYS = 1_100  # incidents fall in roughly three years before as_of
MAX_PER_PERSON = 80
CSV_COLUMNS = (
    "perpetrator_id",
    "victim_id",
    "date",
    "category",
    "domestic_abuse",
    "incident_ref",
    "area",
)


class IncidentRow(NamedTuple):
    area: str  # police force area slug
    incident_ref: str
    perpetrator_ref: str
    victim_ref: str  # "" when no victim-survivor was recorded
    occurred_on: dt.date
    category: str
    domestic_abuse: bool


def force_areas(plan: Plan) -> list[tuple[str, int]]:
    """Police force areas in the plan's geography, each with its number of districts."""
    forces = {a.slug for a in plan.geography.areas if a.kind == AreaKind.POLICE_FORCE_AREA}
    forces |= set(REFERENCE_DISTRICTS)
    counts: dict[str, int] = {}
    for district in plan.geography.districts:
        force = next((a for a in plan.geography.ancestors[district] if a in forces), None)
        if force is not None:
            counts[force] = counts.get(force, 0) + 1
    return sorted(counts.items())


def incidents(plan: Plan) -> Iterator[IncidentRow]:
    """Exactly `plan.scale.incidents` incidents, person by person (never all held at once)."""
    from .plan import rng_for

    rng = rng_for(plan.seed, "incidents")
    forces = force_areas(plan)
    force_slugs = [slug for slug, _n in forces]
    force_weights = [n for _slug, n in forces]
    codes = list(CATEGORY_SHARES)
    cumulative: list[int] = []
    total = 0
    for share in CATEGORY_SHARES.values():
        total += share
        cumulative.append(total)
    today = plan.as_of.date()
    dates = [today - dt.timedelta(days=n) for n in range(HISTORY_DAYS + 1)]
    random = rng.random
    wanted = plan.scale.incidents
    made = person = victims_made = 0
    while made < wanted:
        person += 1
        area = rng.choices(force_slugs, weights=force_weights)[0]
        count = min(MAX_PER_PERSON, int(rng.paretovariate(1.4)), wanted - made)
        # Serial perpetrators harm more people: one victim-survivor for most.
        victim_count = 1 + sum(1 for _ in range(min(count - 1, 6)) if rng.random() < 0.18)
        victims = [f"SYN-V{victims_made + i + 1:08d}" for i in range(victim_count)]
        victims_made += victim_count
        last = min(HISTORY_DAYS, int(rng.expovariate(1 / 180)))
        span = rng.randint(0, 900) if count > 1 else 0
        perpetrator = f"SYN-P{person:08d}"
        for _ in range(count):
            made += 1
            yield IncidentRow(
                area,
                f"SYN-I{made:09d}",
                perpetrator,
                "" if random() < 0.04 else victims[int(random() * victim_count)],
                dates[min(HISTORY_DAYS, last + int(random() * span))],
                codes[bisect.bisect_right(cumulative, random() * total)],
                random() < 0.93,
            )


def write_incidents_csv(plan: Plan, out: TextIO) -> int:
    """Write the plan's incidents as CSV (the columns `pathways rfg-score` reads, plus
    domestic_abuse, incident_ref and area); returns how many rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for row in incidents(plan):
        writer.writerow(
            (
                row.perpetrator_ref,
                row.victim_ref,
                row.occurred_on.isoformat(),
                row.category,
                "yes" if row.domestic_abuse else "no",
                row.incident_ref,
                row.area,
            )
        )
        n += 1
    return n
