"""Panels: police incidents, their imports, the partnership's RFG scoring configuration and
the stored score runs. (Panels, meetings, agendas and decisions come later.)

Identity of an incident (what makes re-importing the same extract change nothing): the
area, the incident reference (empty when the extract has none), the perpetrator, the
victim-survivor (empty when none was recorded), the date and the category. A row matching
an incident already stored for the area is counted as already present and left alone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pathways.core.models import TimeStampedModel


class IncidentImportStatus(models.TextChoices):
    RUNNING = "running", "Checking"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Failed: nothing was imported"


class IncidentImport(TimeStampedModel):
    """One upload of a police incident extract for an area. All or nothing."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, help_text="Of the file's bytes, as uploaded.")
    file_format = models.CharField(max_length=10, blank=True)
    status = models.CharField(
        max_length=20, choices=IncidentImportStatus.choices, default=IncidentImportStatus.RUNNING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0, help_text="Progress while checking.")
    created_count = models.PositiveIntegerField(default=0)
    already_present_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    is_synthetic = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Incident import {self.file_name} ({self.status})"


class Incident(TimeStampedModel):
    """A police-recorded incident, with pseudonymised ids only (never a name)."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    source_import = models.ForeignKey(
        IncidentImport, on_delete=models.PROTECT, related_name="incidents"
    )
    source_row = models.PositiveIntegerField(help_text="Row number in the imported file.")
    incident_ref = models.CharField(max_length=64, blank=True)
    perpetrator_ref = models.CharField(max_length=64)
    victim_ref = models.CharField(max_length=64, blank=True)
    occurred_on = models.DateField()
    category = models.CharField(max_length=100)
    domestic_abuse = models.BooleanField(default=True)

    class Meta:
        ordering = ["area", "perpetrator_ref", "occurred_on"]
        constraints = [
            # Led by area and perpetrator, it also serves one person's incidents (explanations).
            models.UniqueConstraint(
                fields=[
                    "area",
                    "perpetrator_ref",
                    "occurred_on",
                    "category",
                    "victim_ref",
                    "incident_ref",
                ],
                name="incident_identity_unique",
            )
        ]
        indexes = [models.Index(fields=["area", "occurred_on"], name="incident_area_date")]

    def __str__(self) -> str:
        return f"{self.category} on {self.occurred_on} ({self.perpetrator_ref})"


class ScoringConfig(TimeStampedModel):
    """A partnership's RFG scoring configuration for an area, as data (`rfg.ScoringConfig`
    JSON). Versioned; the one in force is the latest active version on the area or its
    nearest ancestor, and the shipped default when there is none."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    definition = models.JSONField()
    source_note = models.TextField(blank=True, help_text="Who agreed it, when, and on what basis.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["area", "version"], name="rfg_config_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class RFGScoreRun(TimeStampedModel):
    """One scoring of an area's incidents at a reference date, with the configuration used."""

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(help_text="The reference date T.")
    config = models.ForeignKey(
        ScoringConfig,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runs",
        help_text="Empty when the shipped default configuration was in force.",
    )
    config_snapshot = models.JSONField(help_text="The configuration exactly as used.")
    incidents_considered = models.PositiveIntegerField(default=0)
    perpetrators_scored = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"RFG scores for area {self.area_id} at {self.as_of}"


class RFGScore(models.Model):
    """One perpetrator's score in a run, with its components (two decimal places)."""

    run = models.ForeignKey(RFGScoreRun, on_delete=models.CASCADE, related_name="scores")
    rank = models.PositiveIntegerField()
    perpetrator_ref = models.CharField(max_length=64)
    rfg = models.PositiveSmallIntegerField()
    recency = models.DecimalField(max_digits=5, decimal_places=2)
    frequency = models.DecimalField(max_digits=5, decimal_places=2)
    gravity = models.DecimalField(max_digits=5, decimal_places=2)
    victims = models.DecimalField(max_digits=5, decimal_places=2)
    incidents = models.PositiveIntegerField()
    distinct_victims = models.PositiveIntegerField()
    gravity_weight = models.DecimalField(max_digits=14, decimal_places=2)
    latest_incident_on = models.DateField()

    class Meta:
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "rank"], name="rfg_score_rank_unique"),
            models.UniqueConstraint(
                fields=["run", "perpetrator_ref"], name="rfg_score_perpetrator_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.perpetrator_ref}: {self.rfg} (rank {self.rank})"
