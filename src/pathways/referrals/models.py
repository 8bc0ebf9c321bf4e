"""Referrals through the One Front Door, the partnership's risk policy, matches and unmet need.

A referral holds identifiable details of a person and of the victim-survivors and children
around them; every read of it by staff is scoped by `selectors` and every write goes
through `services`, which audit it. Notifications never carry those details, only the
reference and a link.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from pathways.core.models import TimeStampedModel

from .reference import (
    ConsentStatus,
    ContactMethod,
    Gender,
    LawfulBasis,
    Relationship,
    RiskTier,
    SafeAnswer,
)


class ReferralRoute(models.TextChoices):
    SELF = "self", "Self-referral"
    AGENCY = "agency", "Agency referral"
    PANEL = "panel", "Panel decision"


class ReferralChannel(models.TextChoices):
    WEB = "web", "Public website"
    FORM = "form", "Agency form"
    API = "api", "Agency system (API)"
    PHONE = "phone", "Phone (entered by the front door)"


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    MATCHED = "matched", "Matched"
    SENT = "sent", "Sent to a service"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined by the service"
    SIGNPOSTED = "signposted", "Signposted"
    NO_SUITABLE_SERVICE = "no_suitable_service", "No suitable service"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Where a referral may go from each status. Anything else is refused by
# `services.status.referral_transition`.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.RECEIVED: frozenset(
        {
            ReferralStatus.TRIAGED,
            ReferralStatus.SIGNPOSTED,
            ReferralStatus.NO_SUITABLE_SERVICE,
            ReferralStatus.WITHDRAWN,
        }
    ),
    ReferralStatus.TRIAGED: frozenset(
        {
            ReferralStatus.MATCHED,
            ReferralStatus.SIGNPOSTED,
            ReferralStatus.NO_SUITABLE_SERVICE,
            ReferralStatus.WITHDRAWN,
        }
    ),
    ReferralStatus.MATCHED: frozenset(
        {
            ReferralStatus.TRIAGED,
            ReferralStatus.SENT,
            ReferralStatus.SIGNPOSTED,
            ReferralStatus.NO_SUITABLE_SERVICE,
            ReferralStatus.WITHDRAWN,
        }
    ),
    ReferralStatus.SENT: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.WITHDRAWN}
    ),
    # A declined referral returns to triage.
    ReferralStatus.DECLINED: frozenset(
        {
            ReferralStatus.TRIAGED,
            ReferralStatus.SIGNPOSTED,
            ReferralStatus.NO_SUITABLE_SERVICE,
            ReferralStatus.WITHDRAWN,
        }
    ),
    # Provision changes: a referral with no suitable service may be triaged again.
    ReferralStatus.NO_SUITABLE_SERVICE: frozenset(
        {ReferralStatus.TRIAGED, ReferralStatus.SIGNPOSTED, ReferralStatus.WITHDRAWN}
    ),
    ReferralStatus.ACCEPTED: frozenset(),
    ReferralStatus.SIGNPOSTED: frozenset(),
    ReferralStatus.WITHDRAWN: frozenset(),
}

# Statuses in which the front door still has work to do.
OPEN_FOR_TRIAGE = (
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.MATCHED,
    ReferralStatus.DECLINED,
    ReferralStatus.NO_SUITABLE_SERVICE,
)
CLOSED_STATUSES = (ReferralStatus.ACCEPTED, ReferralStatus.SIGNPOSTED, ReferralStatus.WITHDRAWN)


class RiskPolicy(TimeStampedModel):
    """A partnership's agreed risk checklist and tier rules, as data.

    `definition` is validated by `triage.validate_policy_definition`: questions (code, text,
    weight, help), score thresholds for medium and high, and rules that lift the tier from
    facts (MARAC-heard, number of victim-survivors, a panel's recency-frequency-gravity
    score). Policies are versioned; the one in force for an area is the latest active
    policy on the area or its nearest ancestor.
    """

    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="risk_policies")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    is_licensed_tool = models.BooleanField(
        default=False,
        help_text="The partnership loaded a licensed risk tool it holds; never shipped with Pathways.",
    )
    source_note = models.TextField(blank=True, help_text="Who agreed it, when, and on what basis.")
    definition = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__name", "-version"]
        verbose_name_plural = "risk policies"
        constraints = [
            models.UniqueConstraint(fields=["area", "version"], name="risk_policy_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class Referral(TimeStampedModel):
    """One person referred (or self-referred) to the front door."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=16, unique=True, editable=False)
    route = models.CharField(max_length=10, choices=ReferralRoute.choices)
    channel = models.CharField(max_length=10, choices=ReferralChannel.choices)
    source = models.CharField(
        max_length=40,
        help_text="Who referred: a code from the referral-routes taxonomy (self, police, …).",
    )
    status = models.CharField(
        max_length=30, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    status_changed_at = models.DateTimeField()
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="referrals")
    # Idempotency: one referral per (scope, key). Scope is "public" or "user:<id>".
    idempotency_scope = models.CharField(max_length=60, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, help_text="Hash of what was submitted under the key."
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_made",
    )
    referrer_organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_made",
    )
    # The person referred.
    person_name = models.CharField(max_length=200, blank=True)
    person_date_of_birth = models.DateField(null=True, blank=True)
    person_age = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Age when referred, if the date of birth is not known."
    )
    person_gender = models.CharField(max_length=20, choices=Gender.choices, default=Gender.NOT_SAID)
    person_postcode = models.CharField(max_length=10, blank=True)
    cohorts = models.JSONField(
        default=list,
        blank=True,
        help_text="Cohort codes (as services claim them) the person belongs to, for matching.",
    )
    language = models.CharField(max_length=10, default="en", help_text="ISO 639-1 code.")
    interpreter_needed = models.BooleanField(default=False)
    accessibility_needs = models.TextField(blank=True)
    needs = models.JSONField(default=list, blank=True)
    circumstances = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes from the exclusion-criteria taxonomy that apply to the person.",
    )
    # How to reach the person safely.
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_methods = models.JSONField(
        default=list,
        blank=True,
        help_text=f"Safe ways to contact: {', '.join(ContactMethod.values)}",
    )
    safe_times = models.CharField(max_length=300, blank=True)
    voicemail_safe = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    text_safe = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    safe_word = models.CharField(max_length=60, blank=True)
    # What is happening.
    account = models.TextField(
        blank=True, help_text="What is happening, in the person's own words."
    )
    children_in_household = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    relationship = models.CharField(max_length=30, choices=Relationship.choices, blank=True)
    abuse_types = models.JSONField(default=list, blank=True, help_text="abuse-types taxonomy codes")
    risk_indicators = models.JSONField(
        default=list, blank=True, help_text="Question codes of the risk policy the referrer ticked."
    )
    risk_known = models.TextField(blank=True, help_text="What the referrer already knows of risk.")
    marac_heard = models.BooleanField(default=False)
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices, blank=True)
    consent_status = models.CharField(max_length=20, choices=ConsentStatus.choices, blank=True)
    consent_reason = models.TextField(blank=True)
    # Triage.
    risk_policy = models.ForeignKey(
        RiskPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    risk_answers = models.JSONField(default=dict, blank=True)
    rfg_score = models.PositiveSmallIntegerField(null=True, blank=True)
    computed_tier = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)
    computed_explanation = models.JSONField(default=list, blank=True)
    tier = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)
    tier_override_reason = models.TextField(blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Routing.
    sent_service = models.ForeignKey(
        "directory.Service",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    signpost_note = models.TextField(blank=True)
    first_contact_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention removed what identifies anyone."
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["referrer", "created_at"]),
            models.Index(fields=["sent_service", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="referral_idempotency_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def tier_overridden(self) -> bool:
        return bool(self.tier and self.computed_tier and self.tier != self.computed_tier)


class VictimSurvivor(TimeStampedModel):
    """A victim-survivor named on an agency referral: what integrated support needs to make
    contact safely. Confidential: shown to the front door and, once sent, to the provider."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="victims")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=30, choices=Relationship.choices, blank=True)
    lives_with_person = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    safe_times = models.CharField(max_length=300, blank=True)
    voicemail_safe = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    contact_notes = models.TextField(
        blank=True, help_text="Anything the support worker must know to make contact safely."
    )
    knows_of_referral = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )

    class Meta:
        ordering = ["referral_id", "created_at"]

    def __str__(self) -> str:
        return f"Victim-survivor on {self.referral_id}"


class Child(TimeStampedModel):
    """A child connected to the referral."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="children")
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    lives_with_person = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    social_care_involved = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["referral_id", "created_at"]
        verbose_name_plural = "children"

    def __str__(self) -> str:
        return f"Child on {self.referral_id}"


class StatusChange(models.Model):
    """Each status a referral passed through, when and by whom."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=30, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=ReferralStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["referral_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.from_status or '—'} → {self.to_status}"


class MatchRun(models.Model):
    """One run of matching for a referral (triage keeps the history; the latest is shown)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="match_runs")
    ran_at = models.DateTimeField()
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    need = models.JSONField(help_text="The dimensions matched on, as the engine saw them.")
    eligible_count = models.PositiveIntegerField(default=0)
    excluded_count = models.PositiveIntegerField(default=0)
    out_of_area_count = models.PositiveIntegerField(
        default=0,
        help_text="Services excluded only because they do not serve the area; not stored as rows.",
    )

    class Meta:
        ordering = ["referral_id", "-ran_at"]

    def __str__(self) -> str:
        return f"Match run {self.id}"


class Match(models.Model):
    """One service's result in a match run: eligible with reasons, or excluded by a rule."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="matches")
    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="+")
    eligible = models.BooleanField()
    rank = models.PositiveIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    excluded_rule = models.CharField(max_length=40, blank=True)
    excluded_detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["run_id", "-eligible", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "service"], name="match_unique_per_run"),
            models.CheckConstraint(
                condition=models.Q(eligible=True, excluded_rule="")
                | models.Q(eligible=False, rank__isnull=True) & ~models.Q(excluded_rule=""),
                name="match_eligible_xor_excluded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} in {self.run_id}"


class UnmetNeed(models.Model):
    """Demand nothing in the directory could meet, with its dimensions. Feeds mapping."""

    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="unmet_needs"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="unmet_needs")
    tier = models.CharField(max_length=20, choices=RiskTier.choices)
    cohort = models.CharField(max_length=40, blank=True)
    abuse_type = models.CharField(max_length=40, blank=True)
    route = models.CharField(max_length=40, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["area", "tier"])]

    def __str__(self) -> str:
        return f"Unmet need in {self.area_id} ({self.tier})"


class NotificationStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """A message sent about a referral. Bodies carry the reference and a link, never
    anyone's details."""

    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_address = models.CharField(max_length=255, blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    backend = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=NotificationStatus.choices)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_address or self.recipient_user_id}"
