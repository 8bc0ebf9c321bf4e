"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    RESTORE = "restore", "Restore"
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    VERIFY = "verify", "Verify"
    EXPORT = "export", "Export"
    IMPORT = "import", "Import"
    SIGN_IN = "sign_in", "Sign in"
    SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"
    SIGN_OUT = "sign_out", "Sign out"
    TOKEN = "token", "API token issued"
    # Sign-in lockout: the object is the username as typed (it may name no account).
    SIGN_IN_LOCKED_OUT = "sign_in.locked_out", "Sign-in locked after repeated failures"
    SIGN_IN_UNLOCKED = "sign_in.unlocked", "Sign-in lockout lifted by an administrator"
    # One Front Door events: the object is the referral (by reference) unless named.
    REFERRAL_SUBMITTED = "referral.submitted", "Referral submitted"
    REFERRAL_VIEWED = "referral.viewed", "Referral opened"
    REFERRAL_TRIAGED = "referral.triaged", "Referral triaged"
    REFERRAL_MATCHED = "referral.matched", "Referral matched"
    REFERRAL_SENT = "referral.sent", "Referral sent to a service"
    REFERRAL_STATUS_CHANGED = "referral.status_changed", "Referral status changed"
    UNMET_NEED_RECORDED = "unmet_need.recorded", "Unmet need recorded"
    RISK_POLICY_LOADED = "risk_policy.loaded", "Risk policy loaded"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[override]
        raise AppendOnlyError("Audit events cannot be changed")

    def delete(self):  # type: ignore[override]
        raise AppendOnlyError("Audit events cannot be deleted")


class AuditEvent(models.Model):
    """One thing someone did. Each row carries the hash of the one before it."""

    sequence = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):  # noqa: D401 - guard only, no domain logic
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted")
