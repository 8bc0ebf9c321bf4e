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
