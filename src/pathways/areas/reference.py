"""Reference areas shipped with Pathways and an idempotent loader for them.

GSS codes are the Office for National Statistics codes for each area; where we do not
hold a code with confidence the code is left empty rather than guessed.
"""

from __future__ import annotations

from django.db import transaction

from .models import Area, AreaKind

# (slug, name, kind, GSS code, parent slugs, Welsh name)
AREAS: list[tuple[str, str, str, str, tuple[str, ...], str]] = [
    ("england-and-wales", "England and Wales", AreaKind.COUNTRY, "K04000001", (), "Cymru a Lloegr"),
    ("england", "England", AreaKind.COUNTRY, "E92000001", ("england-and-wales",), "Lloegr"),
    ("wales", "Wales", AreaKind.COUNTRY, "W92000004", ("england-and-wales",), "Cymru"),
    (
        "yorkshire-and-the-humber",
        "Yorkshire and The Humber",
        AreaKind.REGION,
        "E12000003",
        ("england",),
        "",
    ),
    ("east-midlands", "East Midlands", AreaKind.REGION, "E12000004", ("england",), ""),
    (
        "west-yorkshire",
        "West Yorkshire",
        AreaKind.COMBINED_AUTHORITY,
        "E47000003",
        ("yorkshire-and-the-humber",),
        "",
    ),
    (
        "west-yorkshire-police",
        "West Yorkshire Police force area",
        AreaKind.POLICE_FORCE_AREA,
        "",
        ("yorkshire-and-the-humber",),
        "",
    ),
    (
        "leeds",
        "Leeds",
        AreaKind.LOCAL_AUTHORITY,
        "E08000035",
        ("west-yorkshire", "west-yorkshire-police"),
        "",
    ),
    (
        "bradford",
        "Bradford",
        AreaKind.LOCAL_AUTHORITY,
        "E08000032",
        ("west-yorkshire", "west-yorkshire-police"),
        "",
    ),
    (
        "calderdale",
        "Calderdale",
        AreaKind.LOCAL_AUTHORITY,
        "E08000033",
        ("west-yorkshire", "west-yorkshire-police"),
        "",
    ),
    (
        "kirklees",
        "Kirklees",
        AreaKind.LOCAL_AUTHORITY,
        "E08000034",
        ("west-yorkshire", "west-yorkshire-police"),
        "",
    ),
    (
        "wakefield",
        "Wakefield",
        AreaKind.LOCAL_AUTHORITY,
        "E08000036",
        ("west-yorkshire", "west-yorkshire-police"),
        "",
    ),
    (
        "south-wales-police",
        "South Wales Police force area",
        AreaKind.POLICE_FORCE_AREA,
        "",
        ("wales",),
        "Ardal Heddlu De Cymru",
    ),
    (
        "cardiff-and-vale",
        "Cardiff and Vale",
        AreaKind.HEALTH_BOARD,
        "",
        ("wales",),
        "Caerdydd a'r Fro",
    ),
    (
        "cardiff",
        "Cardiff",
        AreaKind.LOCAL_AUTHORITY,
        "W06000015",
        ("cardiff-and-vale", "south-wales-police"),
        "Caerdydd",
    ),
    (
        "vale-of-glamorgan",
        "Vale of Glamorgan",
        AreaKind.LOCAL_AUTHORITY,
        "W06000014",
        ("cardiff-and-vale", "south-wales-police"),
        "Bro Morgannwg",
    ),
    (
        "llr",
        "Leicester, Leicestershire and Rutland",
        AreaKind.POLICE_FORCE_AREA,
        "",
        ("east-midlands",),
        "",
    ),
    ("leicester", "Leicester", AreaKind.LOCAL_AUTHORITY, "E06000016", ("llr",), ""),
    ("leicestershire", "Leicestershire", AreaKind.LOCAL_AUTHORITY, "E10000018", ("llr",), ""),
    ("rutland", "Rutland", AreaKind.LOCAL_AUTHORITY, "E06000017", ("llr",), ""),
]


@transaction.atomic
def areas_load_reference() -> int:
    """Create or refresh the reference areas; safe to run again. Returns how many exist."""
    by_slug: dict[str, Area] = {}
    for slug, name, kind, code, _parents, name_cy in AREAS:
        area, _ = Area.objects.update_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "code": code, "name_cy": name_cy}
        )
        by_slug[slug] = area
    for slug, *_rest, parents, _cy in AREAS:
        by_slug[slug].parents.set([by_slug[p] for p in parents])
    return len(by_slug)
