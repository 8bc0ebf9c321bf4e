"""Users, organisation memberships and roles."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from pathways.core.models import TimeStampedModel


class Role(models.TextChoices):
    REFERRER = "referrer", "Referrer"
    TRIAGE = "triage", "Front-door triage worker"
    PERPETRATOR_WORKER = "perpetrator_worker", "Perpetrator-side worker"
    SUPPORT_WORKER = "support_worker", "Victim-survivor support worker (IVSS)"
    PANEL_MEMBER = "panel_member", "Panel member"
    PANEL_CHAIR = "panel_chair", "Panel chair"
    COMMISSIONER = "commissioner", "Commissioner"
    ANALYST = "analyst", "Analyst"
    PROVIDER_MANAGER = "provider_manager", "Provider manager"
    ADMIN = "admin", "Administrator"


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships' roles."""

    class Meta:
        ordering = ["username"]


class Membership(TimeStampedModel):
    """A user acts for an organisation in a role. One user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organisation}"
