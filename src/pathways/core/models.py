"""Shared model base classes."""

from __future__ import annotations

from django.db import models


class TimeStampedModel(models.Model):
    """Every row knows when it was made and last changed (aware datetimes only)."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TriState(models.TextChoices):
    """A published claim: yes, no, unknown ("?" in a published table) or not stated (empty cell)."""

    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown"
    NOT_STATED = "not_stated", "Not stated"
