"""The service directory, shaped after Open Referral UK (HSDS 3.0).

A service's attributes are split by how sure we are of them: plain fields hold facts
about the record (name, contact, funding), `ServiceClaim` rows hold the claims mapping
turns on (risk tiers served, cohort-specific provision, self-referral), each with a
tri-state value and an evidence level. Every change to a service goes through
`directory.services`, which writes a `ServiceVersion` and an audit event.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from pathways.core.models import TimeStampedModel, TriState


class OrganisationKind(models.TextChoices):
    PROVIDER = "provider", "Service provider"
    POLICE = "police", "Police"
    PROBATION = "probation", "Probation"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    HEALTH = "health", "Health"
    COMMISSIONER = "commissioner", "Commissioning body"
    OTHER = "other", "Other"


class Organisation(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(
        max_length=30, choices=OrganisationKind.choices, default=OrganisationKind.PROVIDER
    )
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    is_synthetic = models.BooleanField(
        default=False, help_text="Made up for demonstration; never a real organisation."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Taxonomy(TimeStampedModel):
    """A controlled vocabulary published in the ORUK feed (abuse types, referral routes…)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    version = models.CharField(max_length=20, default="1")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="terms")
    code = models.CharField(max_length=60)
    name = models.CharField(max_length=200)
    name_cy = models.CharField("Welsh name", max_length=200, blank=True)
    description = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["taxonomy__slug", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "code"], name="term_code_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ServiceStatus(models.TextChoices):
    """ORUK service status."""

    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DEFUNCT = "defunct", "Defunct"
    TEMPORARILY_CLOSED = "temporarily closed", "Temporarily closed"


class DeliveryStatus(models.TextChoices):
    """Where a service is in its life, as published."""

    RUNNING = "running", "Running"
    PILOT = "pilot", "Pilot"
    TRIAL = "trial", "Trial"
    IN_DEVELOPMENT = "in_development", "In development"
    DECOMMISSIONED = "decommissioned", "Decommissioned"
    REPLACED = "replaced", "Replaced"
    NOT_AVAILABLE_IN_WALES = "not_available_in_wales", "Not available in Wales"
    NOT_STATED = "not_stated", "Not stated"


class InterventionType(models.TextChoices):
    """The Home Office 2023 typology of perpetrator interventions."""

    HELP_SEEKING = "help_seeking", "Help-seeking"
    EARLY_RESPONSE = "early_response", "Early response"
    BEHAVIOUR_CHANGE = "behaviour_change", "Behaviour change"
    INTENSIVE_CASE_MANAGEMENT = "intensive_case_management", "Intensive case management"
    OTHER = "other", "Other or not a perpetrator intervention"
    NOT_STATED = "not_stated", "Not stated"


class SuiteTier(models.TextChoices):
    """The tier a service is grouped under in published mappings (WY 2023, CV 2020)."""

    PREVENTATIVE = "preventative", "Preventative"
    EARLY_INTERVENTION = "early_intervention", "Early intervention"
    STANDARD_RISK = "standard_risk", "Standard or low risk"
    MEDIUM_RISK = "medium_risk", "Medium risk"
    HIGH_HARM = "high_harm", "High risk or high harm"
    SEXUAL_VIOLENCE = "sexual_violence", "Sexual violence"
    CRIMINAL_JUSTICE = "criminal_justice", "Criminal justice"
    FAMILY = "family", "Family and victim-survivor support"
    NOT_STATED = "not_stated", "Not stated"


class CapacityStatus(models.TextChoices):
    OPEN = "open", "Open to referrals"
    LIMITED = "limited", "Limited places"
    CLOSED = "closed", "Closed to referrals"
    UNKNOWN = "unknown", "Unknown"


class VictimSupport(models.TextChoices):
    """Whether the service comes with integrated support for the victim-survivor."""

    OWN = "own", "Provided by the service"
    PARTNER = "partner", "Provided by a partner organisation"
    NONE = "none", "None"
    UNKNOWN = "unknown", "Unknown"
    NOT_STATED = "not_stated", "Not stated"


class ProvenanceSource(models.TextChoices):
    PUBLISHED_MAPPING = "published_mapping", "Published mapping"
    QUESTIONNAIRE = "questionnaire", "Questionnaire"
    DESK_REVIEW = "desk_review", "Desk review"
    PROVIDER_CONFIRMED = "provider_confirmed", "Provider-confirmed"
    COMMISSIONER_VERIFIED = "commissioner_verified", "Commissioner-verified"
    SYNTHETIC = "synthetic", "Synthetic demonstration data"


CONFIRMING_SOURCES = (ProvenanceSource.PROVIDER_CONFIRMED, ProvenanceSource.COMMISSIONER_VERIFIED)


class Service(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(max_length=255)
    external_ref = models.CharField(
        max_length=80,
        unique=True,
        null=True,
        blank=True,
        help_text="A stable reference from the source, such as wy-2023-4 or cv-drive. Imports match on it.",
    )
    description = models.TextField(blank=True)
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(
        max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    delivery_status = models.CharField(
        max_length=30, choices=DeliveryStatus.choices, default=DeliveryStatus.NOT_STATED
    )
    intervention_type = models.CharField(
        max_length=30, choices=InterventionType.choices, default=InterventionType.NOT_STATED
    )
    suite_tier = models.CharField(
        max_length=30, choices=SuiteTier.choices, default=SuiteTier.NOT_STATED
    )
    taxonomy_terms = models.ManyToManyField(TaxonomyTerm, related_name="services", blank=True)
    referral_routes_text = models.TextField("referral routes as published", blank=True)
    genders_served = models.JSONField(default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    languages = models.JSONField(
        default=list, blank=True, help_text="ISO 639 codes, such as en, cy, ur."
    )
    eligibility_text = models.TextField(blank=True)
    exclusions_text = models.TextField(blank=True)
    capacity_status = models.CharField(
        max_length=20, choices=CapacityStatus.choices, default=CapacityStatus.UNKNOWN
    )
    capacity_places = models.PositiveIntegerField(null=True, blank=True)
    waiting_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    self_referral_max_percent = models.PositiveSmallIntegerField(
        "maximum share of self-referrals (%)",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=(
            "The largest share of its referrals the service takes as self-referrals, from 1 "
            "to 100 (for example 40). Blank: no limit. Matching offers no further "
            "self-referral while the share over the last 90 days is at or above it."
        ),
    )
    duration_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    delivery_formats = models.JSONField(default=list, blank=True)
    integrated_victim_support = models.CharField(
        max_length=20, choices=VictimSupport.choices, default=VictimSupport.NOT_STATED
    )
    victim_support_partner = models.CharField(max_length=255, blank=True)
    cost_per_user = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    funding_source = models.CharField(max_length=255, blank=True)
    funding_ends = models.DateField(null=True, blank=True)
    accreditation = models.CharField(max_length=255, blank=True)
    evaluation_status = models.TextField(blank=True)
    evidence_approach = models.CharField(max_length=255, blank=True)
    notes = models.TextField(blank=True)
    is_virtual = models.BooleanField(
        default=False, help_text="Delivered by phone or online only; no venue is published."
    )
    visible_from = models.DateField(null=True, blank=True)
    visible_to = models.DateField(null=True, blank=True)
    # Provenance of the record as a whole.
    provenance_source = models.CharField(max_length=30, choices=ProvenanceSource.choices)
    provenance_detail = models.CharField(max_length=500, blank=True)
    provenance_recorded_at = models.DateTimeField()
    provenance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the provider last confirmed or a commissioner verified the record.",
    )
    # Soft delete: recoverable for DIRECTORY_RESTORE_WINDOW_DAYS.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["deleted_at", "status"]),
            models.Index(fields=["suite_tier"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_age__isnull=True)
                | models.Q(max_age__isnull=True)
                | models.Q(min_age__lte=models.F("max_age")),
                name="service_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(visible_from__isnull=True)
                | models.Q(visible_to__isnull=True)
                | models.Q(visible_from__lte=models.F("visible_to")),
                name="service_visibility_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(self_referral_max_percent__isnull=True)
                | models.Q(self_referral_max_percent__gte=1, self_referral_max_percent__lte=100),
                name="service_self_referral_max_percent_1_to_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ClaimDimension(models.TextChoices):
    """What a service may claim. Risk tiers and cohorts follow the published mappings."""

    RISK_HIGH = "risk_high", "Works with high-risk perpetrators"
    RISK_MEDIUM = "risk_medium", "Works with medium-risk perpetrators"
    RISK_STANDARD = "risk_standard", "Works with standard or low-risk perpetrators"
    ADULTS = "adults", "Works with adults"
    CHILDREN_YOUNG_PEOPLE = (
        "children_young_people",
        "Specific provision for children and young people",
    )
    YOUNG_ADULTS = "young_adults", "Specific provision for young adults (16-24)"
    ETHNIC_MINORITY = "ethnic_minority", "Specific provision for ethnic minority communities"
    LGBTQIA = "lgbtqia", "Specific provision for LGBTQIA+ people"
    WOMEN_USING_FORCE = "women_using_force", "Specific provision for women using force"
    DISABLED_NEURODIVERGENT = (
        "disabled_neurodivergent",
        "Specific provision for disabled and neurodivergent people",
    )
    LANGUAGE_SPECIFIC = "language_specific", "Provision in languages other than English"
    SELF_REFERRAL = "self_referral", "Accepts self-referrals"


RISK_DIMENSIONS = (
    ClaimDimension.RISK_HIGH,
    ClaimDimension.RISK_MEDIUM,
    ClaimDimension.RISK_STANDARD,
)
COHORT_DIMENSIONS = (
    ClaimDimension.ADULTS,
    ClaimDimension.CHILDREN_YOUNG_PEOPLE,
    ClaimDimension.YOUNG_ADULTS,
    ClaimDimension.ETHNIC_MINORITY,
    ClaimDimension.LGBTQIA,
    ClaimDimension.WOMEN_USING_FORCE,
    ClaimDimension.DISABLED_NEURODIVERGENT,
    ClaimDimension.LANGUAGE_SPECIFIC,
)


class EvidenceLevel(models.TextChoices):
    SELF_REPORTED = "self_reported", "Self-reported"
    EVIDENCED = "evidenced", "Evidenced"
    VERIFIED = "verified", "Commissioner-verified"


class ServiceClaim(TimeStampedModel):
    """One claim a service makes, how sure we are of it, and who checked it."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="claims")
    dimension = models.CharField(max_length=40, choices=ClaimDimension.choices)
    value = models.CharField(max_length=20, choices=TriState.choices, default=TriState.NOT_STATED)
    evidence_level = models.CharField(
        max_length=20, choices=EvidenceLevel.choices, default=EvidenceLevel.SELF_REPORTED
    )
    evidence_note = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service_id", "dimension"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "dimension"], name="claim_unique_per_dimension"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.get_dimension_display()} = {self.value}"


class ServiceArea(TimeStampedModel):
    """An area a service serves. A service serving a combined authority serves its districts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_areas")
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="service_areas")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "area"], name="service_area_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} serves {self.area}"


class Location(TimeStampedModel):
    """A place a service is delivered. Sensitive venues are never published as addresses."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(max_length=255)
    address_1 = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=120, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_sensitive = models.BooleanField(
        default=True,
        help_text="A refuge or confidential venue: only the area is ever shown, never the address.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceAtLocation(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="service_location_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} at {self.location}"


class ServiceVersion(models.Model):
    """A snapshot of a service (with its claims and areas) after each applied change."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=30, choices=ProvenanceSource.choices)
    summary = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["service_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="service_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.service} v{self.number}"


class ChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ServiceChange(TimeStampedModel):
    """An edit proposed by a provider. It goes live only when a directory editor approves it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="changes"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="service_changes"
    )
    data = models.JSONField(help_text="The proposed values, keyed by field name.")
    base_version = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(
        max_length=30, choices=ProvenanceSource.choices, default=ProvenanceSource.PROVIDER_CONFIRMED
    )
    status = models.CharField(
        max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Change to {self.service or 'a new service'} ({self.status})"


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    ORUK_JSON = "oruk_json", "Open Referral UK JSON"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Failed: nothing was imported"


class ImportJob(TimeStampedModel):
    """One upload of services. All-or-nothing: any bad row means nothing is written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    format = models.CharField(max_length=20, choices=ImportFormat.choices)
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    provenance_source = models.CharField(
        max_length=30, choices=ProvenanceSource.choices, default=ProvenanceSource.DESK_REVIEW
    )
    provenance_detail = models.CharField(max_length=500, blank=True)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Import of {self.filename} ({self.status})"
