"""Saved mapping snapshots: a dated copy of one area's mapping, to compare later."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from pathways.core.models import TimeStampedModel


class MappingSnapshot(TimeStampedModel):
    """The mapping JSON of one area under one counting rule, as it was when saved.

    The payload is the published JSON shape (`engine.MappingResult.to_json`), so two
    snapshots compare with `engine.compare` however the directory has changed since.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    area = models.ForeignKey(
        "areas.Area", on_delete=models.PROTECT, related_name="mapping_snapshots"
    )
    label = models.CharField(max_length=200, blank=True)
    counting_rule = models.JSONField()
    payload = models.JSONField()
    services = models.PositiveIntegerField(help_text="Services counted, for lists.")
    gaps = models.PositiveIntegerField(help_text="Gaps under the snapshot's rule, for lists.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["area", "-created_at"])]

    def __str__(self) -> str:
        return f"Mapping of {self.area} at {self.created_at:%Y-%m-%d %H:%M}"


class PublishedSummary(TimeStampedModel):
    """A public summary of one saved snapshot: its headline figures and gaps, nothing more.

    An administrator publishes it (`services.summary_publish`); `content` is copied from the
    snapshot at that moment by `engine.public_summary`, which keeps only what the public may
    see, so the public pages never read a snapshot's full payload. At most one summary per
    area is live: publishing another replaces it, and unpublishing withdraws it. Withdrawn
    summaries stay as a record of what was public and when.
    """

    class Withdrawn(models.TextChoices):
        UNPUBLISHED = "unpublished", "Unpublished by an administrator"
        REPLACED = "replaced", "Replaced by a newer summary"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    snapshot = models.ForeignKey(
        MappingSnapshot, on_delete=models.PROTECT, related_name="published_summaries"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    content = models.JSONField(help_text="What the public sees: headline figures and gaps.")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_reason = models.CharField(max_length=20, choices=Withdrawn.choices, blank=True)

    class Meta:
        ordering = ["-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["area"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="mapping_one_live_summary_per_area",
            )
        ]

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None

    def __str__(self) -> str:
        return f"Published summary of {self.area} at {self.published_at:%Y-%m-%d %H:%M}"
