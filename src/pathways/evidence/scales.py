"""Each source's rating scale, its own labels, and the ordinal band used only to compare sources.

Sources rate on different scales. The West Yorkshire evaluation (2023) reports each body's
rating as good / some or mixed / poor or negative; the Crest Advisory review for Leicester,
Leicestershire and Rutland (2023) rates quality of evidence and size of impact separately as
high / moderate / low, with a few labels printed differently ("medium", "low/moderate",
"moderate/low"). Pathways keeps every label exactly as the source states it. To say whether
sources agree it puts each rating in one of three ordered bands (`Band`), by the table below,
and compares bands. Nothing is ever averaged: a band is a lookup, and a two-part rating takes
the band of its weaker part (strong impact measured in weak studies is not strong evidence).
See docs/evidence.md.

This module is pure Python so the rules can be tested without a database.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Scale(enum.StrEnum):
    """How a source expresses a rating."""

    THREE_POINT = "three_point"
    QUALITY_AND_IMPACT = "quality_and_impact"


class Band(enum.IntEnum):
    """The ordered band used to compare ratings across scales. Higher is stronger."""

    LOWER = 1
    MIDDLE = 2
    HIGHER = 3


BAND_LABELS: dict[Band, str] = {
    Band.HIGHER: "higher: good or high",
    Band.MIDDLE: "middle: some, mixed, moderate or medium",
    Band.LOWER: "lower: poor, negative or low",
}


@dataclass(frozen=True)
class ScaleDefinition:
    scale: Scale
    name: str
    meaning: str
    # label as stored -> (words shown to people, band)
    labels: dict[str, tuple[str, Band]]


THREE_POINT = ScaleDefinition(
    scale=Scale.THREE_POINT,
    name="Good / some or mixed / poor or negative",
    meaning=(
        "One rating of how far the evidence shows the approach works: good evidence, some or "
        "mixed evidence, or poor or negative evidence. This is the scale the West Yorkshire "
        "evaluation (RedQuadrant, 2023) uses to report what each body it cites found."
    ),
    labels={
        "good": ("good", Band.HIGHER),
        "some_or_mixed": ("some or mixed", Band.MIDDLE),
        "poor_or_negative": ("poor or negative", Band.LOWER),
    },
)

# Both parts of a quality-and-impact rating use these labels. Combined labels are kept as
# printed and banded by their lower end, for the same reason as the weaker-part rule.
QUALITY_AND_IMPACT = ScaleDefinition(
    scale=Scale.QUALITY_AND_IMPACT,
    name="Quality of evidence and impact, each high / moderate / low",
    meaning=(
        "Two ratings: how good the evidence is (quality) and how large the effect it shows "
        "is (impact), each high, moderate or low. A few ratings are printed as 'medium', "
        "'low/moderate' or 'moderate/low' and are kept that way. This is the scale of the "
        "Crest Advisory rapid evidence review for Leicester, Leicestershire and Rutland (2023)."
    ),
    labels={
        "high": ("high", Band.HIGHER),
        "moderate": ("moderate", Band.MIDDLE),
        "medium": ("medium", Band.MIDDLE),
        "low/moderate": ("low/moderate", Band.LOWER),
        "moderate/low": ("moderate/low", Band.LOWER),
        "low": ("low", Band.LOWER),
    },
)

SCALES: dict[str, ScaleDefinition] = {
    Scale.THREE_POINT: THREE_POINT,
    Scale.QUALITY_AND_IMPACT: QUALITY_AND_IMPACT,
}


def allowed_labels(scale: str) -> frozenset[str]:
    """Every label a rating on this scale may carry (empty means not rated)."""
    return frozenset(SCALES[scale].labels)


def label_words(scale: str, label: str) -> str:
    """The words shown for a stored label, as the source states it."""
    return SCALES[scale].labels[label][0] if label else ""


def band_for(scale: str, *, rating: str = "", evidence: str = "", impact: str = "") -> Band | None:
    """The comparison band of one rating, or None when the source gave no rating.

    Three-point ratings map one to one. A quality-and-impact rating takes the lower band of
    the parts it states (never a mean). Unknown labels raise KeyError: the service layer
    refuses them before they are stored.
    """
    definition = SCALES[scale]
    if definition.scale is Scale.THREE_POINT:
        return definition.labels[rating][1] if rating else None
    parts = [definition.labels[label][1] for label in (evidence, impact) if label]
    return min(parts) if parts else None
