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
    # Case work: the object is the case or support case (by reference) unless named.
    CASE_OPENED = "case.opened", "Perpetrator case opened"
    CASE_VIEWED = "case.viewed", "Perpetrator case opened for reading"
    CASE_STATUS_CHANGED = "case.status_changed", "Perpetrator case status changed"
    CASE_ASSIGNED = "case.assigned", "Case worker allocated"
    CASE_RECORDED = "case.recorded", "Case record added to (note, assessment, consent…)"
    CASE_HANDOVER = "case.handover", "High-risk handover recorded"
    CASE_EXPORTED = "case.exported", "Case data exported"
    SUPPORT_CASE_OPENED = "support_case.opened", "Support case opened"
    SUPPORT_CASE_VIEWED = "support_case.viewed", "Support case opened for reading"
    SUPPORT_CASE_STATUS_CHANGED = "support_case.status_changed", "Support case status changed"
    SUPPORT_CASE_LINKED = "support_case.linked", "Support case linked to a perpetrator case"
    RISK_EVENT_RAISED = "risk_event.raised", "Risk event raised and delivered"
    RISK_EVENT_VIEWED = "risk_event.viewed", "Risk event opened for reading"
    RISK_EVENT_ACKNOWLEDGED = "risk_event.acknowledged", "Alert acknowledged"
    RISK_EVENT_VICTIM_TOLD = "risk_event.victim_told", "Victim-survivor told of a threat"
    SHARE_RECORDED = "share.recorded", "Information shared under an agreement"
    SHARE_REFUSED = "share.refused", "Sharing refused: no agreement covers it"
    SHARING_AGREEMENT_SAVED = "sharing_agreement.saved", "Sharing agreement saved"
    STAFF_RECORD_SAVED = "staff_record.saved", "Staff record saved"
    BREAK_GLASS = "break_glass.opened", "Administrator break-glass access opened"


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
