"""The evidence library: intervention approaches, the sources that rate them, and their ratings.

One `Approach` can be rated by several `Source`s, each on its own scale and in its own
words (`Rating`); the library shows where they disagree instead of averaging. A directory
service links to the approach it follows through `ServiceApproach`, which lives here so the
directory's models do not change. Every write goes through `evidence.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pathways.core.models import TimeStampedModel
from pathways.directory.models import InterventionType

from .scales import Scale


class AbuseFocus(models.TextChoices):
    DA = "DA", "Domestic abuse"
    SV = "SV", "Sexual violence"
    BOTH = "both", "Domestic abuse and sexual violence"
    NOT_STATED = "not_stated", "Not stated"


class PreventionLevel(models.TextChoices):
    """Prevention tiers as the LLR review (Crest Advisory, 2023) uses them."""

    PRIMARY = "primary", "Primary prevention"
    SECONDARY = "secondary", "Secondary prevention"
    TERTIARY = "tertiary", "Tertiary prevention"
    ALL = "all", "All levels"
    NOT_STATED = "not_stated", "Not stated"


class Approach(TimeStampedModel):
    """A kind of intervention, rated by one or more sources."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    abuse_focus = models.CharField(
        max_length=20, choices=AbuseFocus.choices, default=AbuseFocus.NOT_STATED
    )
    prevention_level = models.CharField(
        max_length=20, choices=PreventionLevel.choices, default=PreventionLevel.NOT_STATED
    )
    intervention_type = models.CharField(
        "Home Office intervention type",
        max_length=30,
        choices=InterventionType.choices,
        default=InterventionType.NOT_STATED,
        help_text="Only where the Home Office 2023 typology names the approach as an example.",
    )
    audience = models.JSONField(
        default=list,
        blank=True,
        help_text="Who it is for, as the source groups them: general, children, professionals…",
    )
    target_cohort = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Source(TimeStampedModel):
    """A body or review that rates approaches, with the scale its ratings use."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=255, help_text="As the source is named where it is cited.")
    cited_as = models.CharField(
        max_length=255, help_text="How a sentence names it: 'the College of Policing'."
    )
    publisher = models.CharField(max_length=255, blank=True)
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Year of the source's own analysis; empty if not stated."
    )
    scale = models.CharField(max_length=30, choices=[(s.value, s.name) for s in Scale])
    scale_description = models.TextField(help_text="What the source's ratings mean.")
    reported_in = models.CharField(
        max_length=500, help_text="The published report Pathways takes the rating from."
    )
    reported_in_short = models.CharField(max_length=200)
    reported_in_year = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Rating(TimeStampedModel):
    """What one source says about one approach, on the source's own scale and in its words.

    Three-point sources fill `rating`; quality-and-impact sources fill `evidence_rating` and
    `impact_rating`. Which labels are allowed depends on the source's scale, which the
    service layer checks (`evidence.scales`). Empty labels mean the source gave no rating.
    """

    approach = models.ForeignKey(Approach, on_delete=models.CASCADE, related_name="ratings")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="ratings")
    name_as_published = models.CharField(
        max_length=255, help_text="What the source calls the intervention it rated."
    )
    rating = models.CharField(max_length=30, blank=True)
    evidence_rating = models.CharField("quality of evidence", max_length=30, blank=True)
    impact_rating = models.CharField(max_length=30, blank=True)
    abuse_focus = models.CharField(
        max_length=20, choices=AbuseFocus.choices, default=AbuseFocus.NOT_STATED
    )
    studies = models.JSONField(
        default=list,
        blank=True,
        help_text="Number of studies where the source states it; several numbers for several reviews.",
    )
    note = models.TextField(blank=True)
    mapping_basis = models.TextField(
        blank=True, help_text="Why this rating is filed under this approach."
    )

    class Meta:
        ordering = ["approach__name", "source__name"]
        constraints = [
            models.UniqueConstraint(fields=["approach", "source"], name="rating_one_per_source"),
            models.CheckConstraint(
                condition=models.Q(rating="")
                | (models.Q(evidence_rating="") & models.Q(impact_rating="")),
                name="rating_one_scale_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.approach}"


class ServiceApproach(TimeStampedModel):
    """The approach a directory service follows, set by a commissioner or the provider."""

    service = models.OneToOneField(
        "directory.Service", on_delete=models.CASCADE, related_name="evidence_approach_link"
    )
    approach = models.ForeignKey(Approach, on_delete=models.PROTECT, related_name="service_links")
    note = models.TextField(blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        ordering = ["service__name"]

    def __str__(self) -> str:
        return f"{self.service} follows {self.approach}"
