"""Geography: local authorities, police force areas, combined authorities and the like."""

from __future__ import annotations

from django.db import models

from pathways.core.models import TimeStampedModel


class AreaKind(models.TextChoices):
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    POLICE_FORCE_AREA = "police_force_area", "Police force area"
    COMBINED_AUTHORITY = "combined_authority", "Combined authority"
    HEALTH_BOARD = "health_board", "Health board"
    REGION = "region", "Region"
    COUNTRY = "country", "Country"


class Area(TimeStampedModel):
    """A place services serve. Local authorities are the districts mapping counts by."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=30, choices=AreaKind.choices)
    code = models.CharField(
        "GSS code",
        max_length=9,
        blank=True,
        help_text="Government Statistical Service code, such as E08000035, where one exists.",
    )
    name_cy = models.CharField("Welsh name", max_length=200, blank=True)
    parents = models.ManyToManyField("self", symmetrical=False, related_name="children", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="area_code_unique_when_set"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_district(self) -> bool:
        return self.kind == AreaKind.LOCAL_AUTHORITY
