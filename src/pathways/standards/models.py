"""Standards frameworks as versioned data, and assessments of services against them.

A `Framework` is one edition of a published framework (Home Office 2023, VAWDASV 2018…)
with its `Item`s (standards, guidelines, sub-items, principles) keyed by the source's code.
A `Checklist` is the set of questions an assessment rates: the VAWDASV full and
commissioning checklists come from the sources; a framework without a published
checklist gets one derived from its leaf items on import. A `ChecklistQuestion` names the
items it covers (a published question may group several codes, and one code may be asked
about by several questions).

An `Assessment` rates every question of one checklist for one service: an `ItemRating`
per question with the assessor's RAG status, finding, evidence sources and attachments,
and the commissioner's review (agreed or changed, with a reason). Its `kind` records who
led it: the provider (self-assessment, reviewed by a commissioner), a commissioner
(finalised by them without a review step) or a published review. Writes go through
`standards.services`; reads through `standards.selectors`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from pathways.core.models import TimeStampedModel


class Framework(TimeStampedModel):
    """One edition of a standards framework. A new edition is a new row, loaded by import."""

    slug = models.SlugField(max_length=60, help_text="Stable across editions, e.g. vawdasv.")
    version = models.CharField(max_length=30, help_text="The edition's label, e.g. 2018.")
    edition = models.CharField(max_length=120, blank=True)
    title = models.CharField(max_length=255)
    publisher = models.CharField(max_length=255)
    year = models.PositiveSmallIntegerField()
    source = models.TextField(help_text="The publication this edition is taken from.")
    scope = models.TextField(blank=True)
    notes = models.JSONField(default=list, blank=True)
    rag_scale = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the imported file.")
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="framework_edition_unique"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(is_current=True),
                name="framework_one_current_edition",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.version})"


class ItemKind(models.TextChoices):
    STANDARD = "standard", "Standard"
    GUIDELINE = "guideline", "Practice guideline"
    SUB_ITEM = "sub_item", "Checklist sub-item"
    CRITERION = "criterion", "Criterion"
    PRINCIPLE = "principle", "Principle"
    SECTION = "section", "Section"


class Item(models.Model):
    """One numbered item of a framework, with the source's code and our own-words summary."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=30)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    position = models.PositiveIntegerField()
    source_name = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=255)
    summary = models.TextField()
    rule_hint = models.TextField(blank=True)
    auto_check = models.CharField(
        max_length=60, blank=True, help_text="An automatic check in standards.checks, if any."
    )
    applies_to = models.JSONField(
        default=list, blank=True, help_text="Intervention types the item is limited to."
    )
    related = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["framework_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="item_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Checklist(models.Model):
    """The questions an assessment against a framework rates."""

    DERIVED_KEY = "items"

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="checklists")
    key = models.SlugField(max_length=40)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["framework_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "key"], name="checklist_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.framework}: {self.title}"


class ChecklistQuestion(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=60)
    position = models.PositiveIntegerField()
    question = models.TextField()
    items = models.ManyToManyField(Item, related_name="questions", blank=True)
    auto_check = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["checklist_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "key"], name="question_key_unique")
        ]

    def __str__(self) -> str:
        return self.question


class AssessmentKind(models.TextChoices):
    """Who led the assessment: the provider, a commissioner, or a published review."""

    SELF = "self", "Self-assessment"
    COMMISSIONER = "commissioner", "Commissioner assessment"
    PUBLISHED = "published", "Published review"


KIND_LEAD: dict[str, str] = {
    AssessmentKind.SELF: "The provider (self-assessment, reviewed by a commissioner)",
    AssessmentKind.COMMISSIONER: "A commissioner (independent assessment)",
    AssessmentKind.PUBLISHED: "A published review",
}


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for review"
    FINALISED = "finalised", "Finalised"


class Outcome(models.TextChoices):
    MEETS = "meets", "Meets the standard"
    DOES_NOT_MEET = "does_not_meet", "Does not meet the standard: reassessment needed"


class Assessment(TimeStampedModel):
    """One assessment of a service against one checklist. Every version is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="assessments"
    )
    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="assessments")
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="assessments")
    number = models.PositiveIntegerField(help_text="1 for a service's first assessment, and so on.")
    kind = models.CharField(
        max_length=20,
        choices=AssessmentKind.choices,
        help_text="Who led it: the provider (self), a commissioner, or a published review.",
    )
    status = models.CharField(
        max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)
    external_ref = models.CharField(max_length=80, unique=True, null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(
        null=True, blank=True, help_text="When a commissioner last sent it back to the provider."
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    return_reason = models.TextField(
        blank=True, help_text="Why it was last sent back; earlier reasons are in the audit trail."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["service", "number"], name="assessment_number_unique"),
            models.CheckConstraint(
                condition=~models.Q(status="finalised") | ~models.Q(outcome=""),
                name="assessment_finalised_has_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(returned_at__isnull=True) | ~models.Q(return_reason=""),
                name="assessment_return_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["service", "status"])]

    def __str__(self) -> str:
        return f"{self.service} – {self.checklist} (#{self.number})"

    @property
    def lead(self) -> str:
        """Who led the assessment, in words."""
        return KIND_LEAD.get(self.kind, self.get_kind_display())


class Rating(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NOT_RATED = "not_rated", "Not rated"


RATING_ORDER = [r.value for r in Rating]


class EvidenceSource(models.TextChoices):
    DOCUMENTS = "documents", "Documents"
    INTERVIEWS = "interviews", "Interviews"
    QUESTIONNAIRE = "questionnaire", "Questionnaire"
    SITE_VISIT = "site_visit", "Site visit"
    SYSTEM_DATA = "system_data", "System data"
    CORRESPONDENCE = "correspondence", "Correspondence"
    SERVICE_EVALUATION = "service_evaluation", "Service evaluation"
    CASE_REVIEWS = "case_reviews", "Case reviews"
    MI_SKILLS_ASSESSMENT = "mi_skills_assessment", "Motivational interviewing skills assessment"


class ReviewDecision(models.TextChoices):
    AGREED = "agreed", "Agreed"
    CHANGED = "changed", "Changed"


class ItemRating(TimeStampedModel):
    """The rating of one checklist question in one assessment, and its review."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    question = models.ForeignKey(
        ChecklistQuestion, on_delete=models.PROTECT, related_name="ratings"
    )
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Rating.choices, default=Rating.NOT_RATED)
    finding = models.TextField(blank=True)
    evidence_sources = models.JSONField(default=list, blank=True)
    evidence_note = models.TextField(blank=True)
    review_date = models.DateField(
        null=True, blank=True, help_text="For amber: when it should be green."
    )
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices, blank=True)
    agreed_status = models.CharField(max_length=20, choices=Rating.choices, blank=True)
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["assessment_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="rating_one_per_question"
            ),
            models.CheckConstraint(
                condition=~models.Q(decision="changed") | ~models.Q(review_reason=""),
                name="rating_change_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.key}: {self.final_status}"

    @property
    def final_status(self) -> str:
        """The commissioner's rating once reviewed, otherwise the provider's."""
        return self.agreed_status or self.status


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name is random: the uploaded name is kept only as data.
    return f"standards/attachments/{instance.rating.assessment_id}/{uuid.uuid4().hex}"


class Attachment(TimeStampedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    rating = models.ForeignKey(ItemRating, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.original_name


class TierName(models.TextChoices):
    STANDARD = "standard", "Standard or low risk"
    MEDIUM = "medium", "Medium risk"
    HIGH = "high", "High risk"


TIER_CLAIMS = {
    TierName.STANDARD: "risk_standard",
    TierName.MEDIUM: "risk_medium",
    TierName.HIGH: "risk_high",
}


class RiskTierDefinition(TimeStampedModel):
    """What a partnership agrees a standard, medium and high risk service must offer."""

    area = models.OneToOneField(
        "areas.Area", on_delete=models.PROTECT, related_name="risk_tier_definition"
    )
    title = models.CharField(max_length=255)
    notes = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["area__name"]

    def __str__(self) -> str:
        return self.title


class TierCriteria(TimeStampedModel):
    """The structured criteria for one tier. Empty or false means "not required"."""

    definition = models.ForeignKey(
        RiskTierDefinition, on_delete=models.CASCADE, related_name="criteria"
    )
    tier = models.CharField(max_length=20, choices=TierName.choices)
    requires_intensive_case_management = models.BooleanField(default=False)
    requires_multi_agency_links = models.BooleanField(default=False)
    requires_integrated_victim_support = models.BooleanField(default=False)
    min_duration_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    accepted_referral_routes = models.JSONField(
        default=list,
        blank=True,
        help_text="Referral route codes; the service must accept at least one.",
    )

    class Meta:
        ordering = ["definition_id", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "tier"], name="tier_criteria_unique")
        ]

    def __str__(self) -> str:
        return f"{self.definition}: {self.get_tier_display()}"
