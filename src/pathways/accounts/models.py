"""Users, organisation memberships and roles."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from pathways.core.models import TimeStampedModel

from . import recovery_codes


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


class RecoveryCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """A person's one-time recovery codes, as a django-otp device.

    Each code signs in once, for when the authenticator app is not to hand. Only a keyed
    digest of each code is stored (see `recovery_codes`). Wrong codes back off
    exponentially, like the TOTP device, and count towards the sign-in lockout.
    """

    class Meta(Device.Meta):
        verbose_name = "recovery code set"

    def get_throttle_factor(self) -> int:
        return getattr(settings, "OTP_STATIC_THROTTLE_FACTOR", 1)

    def verify_token(self, token: str) -> bool:
        """django-otp's device contract: True, and the code is used up, when it matches."""
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        match = self.codes.filter(digest__in=recovery_codes.digests(self.pk, token)).first()
        if match is None:
            self.throttle_increment()
            return False
        match.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True


class RecoveryCode(models.Model):
    """One unused recovery code: its digest only, never the code."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)

    def __str__(self) -> str:
        return f"Recovery code of {self.device.user}"
