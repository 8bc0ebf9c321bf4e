"""A synthetic England and Wales: regions, police force areas, combined authorities and
about 330 districts, hung under the reference areas that ship with Pathways.

The shape is realistic (nine English regions and Wales, 43 police force areas, district
counts per region close to the 2021 local authority districts, some districts in a
combined authority as well as a police force area); the districts themselves are invented.
Reference areas (`areas.reference`) are reused where they exist and never changed. Every
area made here has a slug starting `syn-`, a name ending "(synthetic)" and no GSS code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pathways.areas.models import AreaKind

SYN = "syn-"
LABEL = " (synthetic)"


@dataclass(frozen=True)
class PlannedArea:
    slug: str
    name: str
    kind: str
    parents: tuple[str, ...]
    name_cy: str = ""


@dataclass(frozen=True)
class ForceArea:
    """A police force area: an existing reference slug, or a name to make one from."""

    name: str
    reference_slug: str = ""
    # Districts of this force that also form a combined authority (name), if any.
    combined_authority: str = ""


@dataclass(frozen=True)
class Region:
    name: str
    reference_slug: str
    parent: str  # reference slug of the country above it
    districts: int  # districts in the region in all, reference ones included
    forces: tuple[ForceArea, ...]
    welsh: bool = False


# Wales has no regions: its police force areas sit directly under the country, as the
# reference data has it, so Wales stands in as its own "region" here.
REGIONS: tuple[Region, ...] = (
    Region(
        "North East",
        "",
        "england",
        12,
        (
            ForceArea("Northumbria", combined_authority="North East Combined Authority"),
            ForceArea("Durham"),
            ForceArea("Cleveland"),
        ),
    ),
    Region(
        "North West",
        "",
        "england",
        39,
        (
            ForceArea("Cumbria"),
            ForceArea("Lancashire"),
            ForceArea("Merseyside", combined_authority="Liverpool City Region"),
            ForceArea("Greater Manchester", combined_authority="Greater Manchester"),
            ForceArea("Cheshire"),
        ),
    ),
    Region(
        "Yorkshire and The Humber",
        "yorkshire-and-the-humber",
        "england",
        21,
        (
            ForceArea("West Yorkshire", reference_slug="west-yorkshire-police"),
            ForceArea("North Yorkshire"),
            ForceArea("South Yorkshire", combined_authority="South Yorkshire"),
            ForceArea("Humberside"),
        ),
    ),
    Region(
        "East Midlands",
        "east-midlands",
        "england",
        40,
        (
            ForceArea("Leicestershire", reference_slug="llr"),
            ForceArea("Derbyshire"),
            ForceArea("Nottinghamshire"),
            ForceArea("Lincolnshire"),
            ForceArea("Northamptonshire"),
        ),
    ),
    Region(
        "West Midlands",
        "",
        "england",
        30,
        (
            ForceArea("West Mercia"),
            ForceArea("West Midlands", combined_authority="West Midlands"),
            ForceArea("Staffordshire"),
            ForceArea("Warwickshire"),
        ),
    ),
    Region(
        "East of England",
        "",
        "england",
        45,
        (
            ForceArea("Bedfordshire"),
            ForceArea("Cambridgeshire", combined_authority="Cambridgeshire and Peterborough"),
            ForceArea("Hertfordshire"),
            ForceArea("Essex"),
            ForceArea("Suffolk"),
            ForceArea("Norfolk"),
        ),
    ),
    Region(
        "London",
        "",
        "england",
        33,
        (ForceArea("Metropolitan Police"), ForceArea("City of London")),
    ),
    Region(
        "South East",
        "",
        "england",
        64,
        (
            ForceArea("Thames Valley"),
            ForceArea("Hampshire"),
            ForceArea("Surrey"),
            ForceArea("Sussex"),
            ForceArea("Kent"),
        ),
    ),
    Region(
        "South West",
        "",
        "england",
        25,
        (
            ForceArea("Avon and Somerset", combined_authority="West of England"),
            ForceArea("Devon and Cornwall"),
            ForceArea("Dorset"),
            ForceArea("Gloucestershire"),
            ForceArea("Wiltshire"),
        ),
    ),
    Region(
        "Wales",
        "wales",
        "england-and-wales",
        22,
        (
            ForceArea("South Wales", reference_slug="south-wales-police"),
            ForceArea("Gwent"),
            ForceArea("Dyfed-Powys"),
            ForceArea("North Wales"),
        ),
        welsh=True,
    ),
)

# Districts the reference data already places under each reference force area.
REFERENCE_DISTRICTS: dict[str, tuple[str, ...]] = {
    "west-yorkshire-police": ("bradford", "calderdale", "kirklees", "leeds", "wakefield"),
    "llr": ("leicester", "leicestershire", "rutland"),
    "south-wales-police": ("cardiff", "vale-of-glamorgan"),
}
ALL_REFERENCE_DISTRICTS = tuple(d for ds in REFERENCE_DISTRICTS.values() for d in ds)

_EN_HEADS = (
    "Ash", "Bar", "Beck", "Black", "Bran", "Brook", "Cald", "Castle", "Chal", "Cold",
    "Crow", "Dun", "East", "Elm", "Fair", "Fern", "Glen", "Green", "Hart", "High",
    "Holm", "King", "Lang", "Lark", "Long", "Mar", "Mill", "North", "Oak", "Pen",
    "Red", "Rother", "Salt", "South", "Stan", "Stone", "Thorn", "West", "White", "Wood",
)  # fmt: skip
_EN_TAILS = (
    "bury", "by", "combe", "dale", "den", "field", "ford", "gate", "ham", "hurst",
    "ley", "mere", "minster", "mouth", "stead", "stow", "thorpe", "ton", "wick", "worth",
)  # fmt: skip
_CY_HEADS = ("Aber", "Bryn", "Caer", "Cwm", "Glyn", "Llan", "Maes", "Nant", "Pant", "Pen", "Tre")
_CY_TAILS = ("afon", "coed", "ddu", "fawr", "fach", "gwyn", "hir", "isaf", "mawr", "wen", "bont")


def _place_names(rng: random.Random, heads: tuple[str, ...], tails: tuple[str, ...]) -> list[str]:
    names = [h + t for h in heads for t in tails]
    rng.shuffle(names)
    return names


def _slugify(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-").replace("--", "-")


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` districts over `parts` forces, each at least one, unevenly as in life."""
    weights = [rng.uniform(0.6, 1.6) for _ in range(parts)]
    scale = (total - parts) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


@dataclass(frozen=True)
class Geography:
    """Areas to make, and the districts (reference and synthetic) in scope for the scale."""

    areas: tuple[PlannedArea, ...]
    districts: tuple[str, ...]
    # district slug -> every area slug at or above it (the district included)
    ancestors: dict[str, tuple[str, ...]]
    welsh_districts: frozenset[str]
    top: str


def plan_geography(scale: str, rng: random.Random) -> Geography:
    """The areas for a scale: `small` is the reference districts only, `region` adds the
    rest of Yorkshire and The Humber, `national` all of England and Wales."""
    en_names = _place_names(rng, _EN_HEADS, _EN_TAILS)
    cy_names = _place_names(rng, _CY_HEADS, _CY_TAILS)
    areas: list[PlannedArea] = []
    parents: dict[str, tuple[str, ...]] = {
        "england": ("england-and-wales",),
        "wales": ("england-and-wales",),
        "yorkshire-and-the-humber": ("england",),
        "east-midlands": ("england",),
        "west-yorkshire": ("yorkshire-and-the-humber",),
        "west-yorkshire-police": ("yorkshire-and-the-humber",),
        "south-wales-police": ("wales",),
        "cardiff-and-vale": ("wales",),
        "llr": ("east-midlands",),
        "bradford": ("west-yorkshire", "west-yorkshire-police"),
        "calderdale": ("west-yorkshire", "west-yorkshire-police"),
        "kirklees": ("west-yorkshire", "west-yorkshire-police"),
        "leeds": ("west-yorkshire", "west-yorkshire-police"),
        "wakefield": ("west-yorkshire", "west-yorkshire-police"),
        "cardiff": ("cardiff-and-vale", "south-wales-police"),
        "vale-of-glamorgan": ("cardiff-and-vale", "south-wales-police"),
        "leicester": ("llr",),
        "leicestershire": ("llr",),
        "rutland": ("llr",),
    }
    districts: list[str] = list(ALL_REFERENCE_DISTRICTS)
    welsh: set[str] = {"cardiff", "vale-of-glamorgan"}
    if scale == "small":
        regions: tuple[Region, ...] = ()
        top = "england-and-wales"
    elif scale == "region":
        regions = tuple(r for r in REGIONS if r.reference_slug == "yorkshire-and-the-humber")
        districts = list(REFERENCE_DISTRICTS["west-yorkshire-police"])
        top = "yorkshire-and-the-humber"
    else:
        regions = REGIONS
        top = "england-and-wales"
    for region in regions:
        region_slug = region.reference_slug or f"{SYN}{_slugify(region.name)}"
        if not region.reference_slug:
            areas.append(
                PlannedArea(region_slug, region.name + LABEL, AreaKind.REGION, (region.parent,))
            )
            parents[region_slug] = (region.parent,)
        existing = sum(len(REFERENCE_DISTRICTS.get(f.reference_slug, ())) for f in region.forces)
        new_forces = [f for f in region.forces if not f.reference_slug]
        for force, count in zip(
            new_forces, _split(region.districts - existing, len(new_forces), rng), strict=True
        ):
            force_slug = f"{SYN}{_slugify(force.name)}-police"
            areas.append(
                PlannedArea(
                    force_slug,
                    f"{force.name} Police force area{LABEL}",
                    AreaKind.POLICE_FORCE_AREA,
                    (region_slug,),
                )
            )
            parents[force_slug] = (region_slug,)
            ca_slug = ""
            if force.combined_authority:
                ca_slug = f"{SYN}{_slugify(force.combined_authority)}-ca"
                areas.append(
                    PlannedArea(
                        ca_slug,
                        force.combined_authority + LABEL,
                        AreaKind.COMBINED_AUTHORITY,
                        (region_slug,),
                    )
                )
                parents[ca_slug] = (region_slug,)
            for _ in range(count):
                place = (cy_names if region.welsh else en_names).pop()
                slug = f"{SYN}{_slugify(place)}"
                up = (force_slug, ca_slug) if ca_slug else (force_slug,)
                areas.append(
                    PlannedArea(
                        slug,
                        place + LABEL,
                        AreaKind.LOCAL_AUTHORITY,
                        up,
                        name_cy=place + LABEL if region.welsh else "",
                    )
                )
                parents[slug] = up
                districts.append(slug)
                if region.welsh:
                    welsh.add(slug)

    def up(slug: str) -> tuple[str, ...]:
        seen = [slug]
        stack = [slug]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.append(parent)
                    stack.append(parent)
        return tuple(seen)

    return Geography(
        areas=tuple(areas),
        districts=tuple(districts),
        ancestors={d: up(d) for d in districts},
        welsh_districts=frozenset(welsh),
        top=top,
    )
