"""Plain-data builders for engine tests: a small geography and services made by hand.

Geography (ids):  0 country  >  1 mapped area  >  10, 11, 12 districts
                  0 country  >  2 other area   >  20 district (outside the mapped area)
                  99 "wales" sits above 12 only, so a "not in Wales" service skips 12.
"""

from __future__ import annotations

import datetime as dt
import itertools

from pathways.mapping import engine

COUNTRY, AREA, OTHER = 0, 1, 2
WALES = 99
DISTRICTS = {10: "alpha", 11: "beta", 12: "gamma"}
AS_OF = dt.date(2025, 6, 1)
_ids = itertools.count(1)


def district(area_id: int) -> engine.District:
    ancestors = {area_id, AREA, COUNTRY}
    if area_id == 12:
        ancestors.add(WALES)
    return engine.District(
        id=area_id,
        slug=DISTRICTS[area_id],
        name=DISTRICTS[area_id].title(),
        ancestor_ids=frozenset(ancestors),
    )


def service(
    name: str | None = None,
    *,
    areas=(10,),
    org: str = "org-a",
    claims: dict | None = None,
    **fields,
) -> engine.ServiceRecord:
    """A service; claims as {"risk_high": "yes"} or {"risk_high": ("yes", "evidenced")}."""
    n = next(_ids)
    built = []
    for dimension, value in (claims or {}).items():
        value, level = value if isinstance(value, tuple) else (value, "self_reported")
        built.append(engine.Claim(dimension, value, level))
    return engine.ServiceRecord(
        id=fields.pop("id", f"s{n}"),
        name=name or f"Service {n}",
        organisation_id=org,
        organisation=org.upper(),
        served_area_ids=frozenset(areas),
        claims=tuple(built),
        confirmed_on=fields.pop("confirmed_on", AS_OF),
        **fields,
    )


def mapping_input(services, *, districts=(10, 11, 12), **extra) -> engine.MappingInput:
    return engine.MappingInput(
        area_id=AREA,
        area_slug="area",
        area_name="Area",
        area_member_ids=frozenset({AREA, *DISTRICTS}),
        districts=tuple(district(d) for d in districts),
        services=tuple(services),
        as_of=extra.pop("as_of", AS_OF),
        area_slugs={
            COUNTRY: "country",
            AREA: "area",
            OTHER: "other",
            WALES: "wales",
            20: "delta",
            **DISTRICTS,
        },
        **extra,
    )


def compute(services, rule=None, **extra) -> engine.MappingResult:
    return engine.compute(mapping_input(services, **extra), rule)
