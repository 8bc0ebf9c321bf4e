"""Case work: perpetrator intervention cases joined to integrated victim-survivor support.

The safety rules of the Home Office 2023 standards (see docs/cases.md) are enforced in
`services`, never in `save()`: a perpetrator case cannot become active without a linked
support case (or an approved reason that there is no identifiable victim-survivor), the
two workers are never the same person, perpetrator-side staff never read the support
record, risk crosses only as a `RiskEvent`, a high-risk case cannot close without a
handover, and consent (or a safeguarding reason) is recorded.

Rows here hold identifiable details of people. Every read by staff goes through
`selectors` with the access policy applied and is audited.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from pathways.core.models import TimeStampedModel
from pathways.referrals.reference import Gender, RiskTier, SafeAnswer


class CaseStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    ASSESSMENT = "assessment", "Assessment"
    WAITING = "waiting", "Waiting to start"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    COMPLETED = "completed", "Completed"
    DROPPED_OUT = "dropped_out", "Dropped out"
    DESELECTED = "deselected", "De-selected"
    CLOSED = "closed", "Closed"


# Where a perpetrator case may go from each status; anything else is refused by
# `services.case_transition`.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.REFERRED: frozenset({CaseStatus.ASSESSMENT, CaseStatus.CLOSED}),
    CaseStatus.ASSESSMENT: frozenset(
        {CaseStatus.WAITING, CaseStatus.ACTIVE, CaseStatus.DESELECTED, CaseStatus.CLOSED}
    ),
    CaseStatus.WAITING: frozenset(
        {
            CaseStatus.ACTIVE,
            CaseStatus.ASSESSMENT,
            CaseStatus.DROPPED_OUT,
            CaseStatus.DESELECTED,
            CaseStatus.CLOSED,
        }
    ),
    CaseStatus.ACTIVE: frozenset(
        {
            CaseStatus.SUSPENDED,
            CaseStatus.COMPLETED,
            CaseStatus.DROPPED_OUT,
            CaseStatus.DESELECTED,
        }
    ),
    CaseStatus.SUSPENDED: frozenset(
        {CaseStatus.ACTIVE, CaseStatus.DROPPED_OUT, CaseStatus.DESELECTED, CaseStatus.CLOSED}
    ),
    CaseStatus.COMPLETED: frozenset({CaseStatus.CLOSED}),
    CaseStatus.DROPPED_OUT: frozenset({CaseStatus.CLOSED}),
    CaseStatus.DESELECTED: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}

# Moves that end the work with the person: at high risk each needs a recorded handover.
ENDING_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.DROPPED_OUT, CaseStatus.DESELECTED})
OPEN_CASE_STATUSES = (
    CaseStatus.REFERRED,
    CaseStatus.ASSESSMENT,
    CaseStatus.WAITING,
    CaseStatus.ACTIVE,
    CaseStatus.SUSPENDED,
)


class SupportStatus(models.TextChoices):
    OPEN = "open", "Open (making contact)"
    ACTIVE = "active", "Receiving support"
    CLOSED = "closed", "Closed"


SUPPORT_TRANSITIONS: dict[str, frozenset[str]] = {
    SupportStatus.OPEN: frozenset({SupportStatus.ACTIVE, SupportStatus.CLOSED}),
    SupportStatus.ACTIVE: frozenset({SupportStatus.CLOSED}),
    SupportStatus.CLOSED: frozenset({SupportStatus.OPEN}),
}
OPEN_SUPPORT_STATUSES = (SupportStatus.OPEN, SupportStatus.ACTIVE)


class ContactWish(models.TextChoices):
    WANTS_CONTACT = "wants_contact", "Wants contact from the support worker"
    THROUGH_AGENCY = "through_agency", "Contact only through another agency"
    NO_CONTACT = "no_contact", "Does not want contact now"
    NOT_ASKED = "not_asked", "Not known yet"


class ConsentState(models.TextChoices):
    GIVEN = "given", "Consent given"
    WITHDRAWN = "withdrawn", "Consent withdrawn"
    WITHOUT_CONSENT = "without_consent", "Proceeding without consent (safeguarding reason)"


class ResponsibilityTaking(models.TextChoices):
    DENIES = "denies", "Denies the abuse"
    MINIMISES = "minimises", "Minimises or blames others"
    PARTIAL = "partial", "Accepts some responsibility"
    ACCEPTS = "accepts", "Accepts responsibility"
    NOT_ASSESSED = "not_assessed", "Not assessed"


class AssessmentKind(models.TextChoices):
    INTAKE = "intake", "Intake"
    REVIEW = "review", "Review"
    CLOSURE = "closure", "Closure"


class SessionFormat(models.TextChoices):
    GROUP = "group", "Group"
    ONE_TO_ONE = "one_to_one", "One-to-one"


class AttendanceStatus(models.TextChoices):
    ATTENDED = "attended", "Attended"
    MISSED_NOTIFIED = "missed_notified", "Missed (told us beforehand)"
    MISSED = "missed", "Missed (no notice)"
    CANCELLED = "cancelled", "Cancelled by the service"


MISSED_STATUSES = (AttendanceStatus.MISSED_NOTIFIED, AttendanceStatus.MISSED)


class RiskEventKind(models.TextChoices):
    NEW_INCIDENT = "new_incident", "New incident"
    ESCALATION = "escalation", "Escalation in risk"
    SPECIFIC_THREAT = "specific_threat", "Specific threat"
    CHANGE_IN_CIRCUMSTANCES = "change_in_circumstances", "Change in circumstances"
    POLICE_CALL_OUT = "police_call_out", "Police call-out"


class Side(models.TextChoices):
    PERPETRATOR = "perpetrator", "Perpetrator side"
    SUPPORT = "support", "Victim-survivor support side"


class ThreatTo(models.TextChoices):
    NONE = "", "No specific person"
    VICTIM_SURVIVOR = "victim_survivor", "The victim-survivor"
    CHILD = "child", "A child"
    BOTH = "both", "The victim-survivor and a child"


class DeliveryRole(models.TextChoices):
    OTHER_SIDE = "other_side", "Worker on the other side"
    STATUTORY_LEAD = "statutory_lead", "Named statutory lead"
    POLICE = "police", "Police contact"
    PANEL_CHAIR = "panel_chair", "Panel chair"
    MANAGER = "manager", "Service manager"
    WORKER = "worker", "Case worker"


class AlertKind(models.TextChoices):
    RISK_EVENT = "risk_event", "Risk event"
    HIGH_RISK_ENDING = "high_risk_ending", "High-risk case ended with a handover"
    ENGAGEMENT = "engagement", "Missed sessions"


class SharingCategory(models.TextChoices):
    RISK = "risk", "Risk information"
    CASE_PROGRESS = "case_progress", "Case progress and attendance"
    CONTACT_DETAILS = "contact_details", "Contact details"
    IDENTITY = "identity", "Identity (name, date of birth)"
    OUTCOMES = "outcomes", "Outcomes"
    CHILDREN = "children", "Information about children"


class SharingLawfulBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    VITAL_INTERESTS = "vital_interests", "Vital interests"
    PUBLIC_TASK = "public_task", "Public task"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"


class PreferNotToSay(models.TextChoices):
    """Answers every equality question accepts besides its own options."""

    PREFER_NOT_TO_SAY = "prefer_not_to_say", "Prefer not to say"


# Equality monitoring: each question optional, each accepts "prefer not to say".
# Codes are ours; categories follow the 2021 census groupings at the broad level.
EQUALITY_QUESTIONS: dict[str, list[tuple[str, str]]] = {
    "age_band": [
        ("under_18", "Under 18"),
        ("18_24", "18 to 24"),
        ("25_34", "25 to 34"),
        ("35_44", "35 to 44"),
        ("45_54", "45 to 54"),
        ("55_64", "55 to 64"),
        ("65_plus", "65 or over"),
    ],
    "sex": [("female", "Female"), ("male", "Male")],
    "gender_identity_same_as_sex": [("yes", "Yes"), ("no", "No")],
    "sexual_orientation": [
        ("straight", "Straight or heterosexual"),
        ("gay_lesbian", "Gay or lesbian"),
        ("bisexual", "Bisexual"),
        ("other", "Another sexual orientation"),
    ],
    "ethnic_group": [
        ("asian", "Asian or Asian British"),
        ("black", "Black, Black British, Caribbean or African"),
        ("mixed", "Mixed or multiple ethnic groups"),
        ("white", "White"),
        ("other", "Another ethnic group"),
    ],
    "religion": [
        ("none", "No religion"),
        ("christian", "Christian"),
        ("buddhist", "Buddhist"),
        ("hindu", "Hindu"),
        ("jewish", "Jewish"),
        ("muslim", "Muslim"),
        ("sikh", "Sikh"),
        ("other", "Another religion"),
    ],
    "disability": [("yes", "Yes"), ("no", "No")],
    "marriage_civil_partnership": [("yes", "Yes"), ("no", "No")],
    "pregnancy_maternity": [("yes", "Yes"), ("no", "No")],
}
EQUALITY_LABELS: dict[str, str] = {
    "age_band": "Age",
    "sex": "Sex",
    "gender_identity_same_as_sex": "Is the gender identity the same as the sex registered at birth?",
    "sexual_orientation": "Sexual orientation",
    "ethnic_group": "Ethnic group",
    "religion": "Religion or belief",
    "disability": "Disability",
    "marriage_civil_partnership": "Married or in a civil partnership",
    "pregnancy_maternity": "Pregnant or on maternity leave",
}


def equality_choices(question: str) -> list[tuple[str, str]]:
    return [*EQUALITY_QUESTIONS[question], PreferNotToSay.choices[0]]


class ServiceCaseSettings(TimeStampedModel):
    """How a service runs its case work: the assessment interval, the maximum caseload per
    worker, and its engagement rules for missed sessions."""

    service = models.OneToOneField(
        "directory.Service", on_delete=models.CASCADE, related_name="case_settings"
    )
    assessment_interval_days = models.PositiveSmallIntegerField(
        default=42, help_text="Days between review assessments."
    )
    max_caseload = models.PositiveSmallIntegerField(
        default=15, help_text="The most open cases one worker holds before a manager must agree."
    )
    missed_sessions_warning = models.PositiveSmallIntegerField(
        default=2, help_text="Missed sessions in a row that alert the worker."
    )
    missed_sessions_review = models.PositiveSmallIntegerField(
        default=3, help_text="Missed sessions in all that put the case up for an engagement review."
    )

    class Meta:
        verbose_name_plural = "service case settings"

    def __str__(self) -> str:
        return f"Case settings for {self.service_id}"


class PerpetratorCase(TimeStampedModel):
    """Work with one person using harmful behaviour on one service."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=16, unique=True, editable=False)
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="perpetrator_cases"
    )
    referral = models.OneToOneField(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="perpetrator_case",
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="perpetrator_cases",
    )
    person_name = models.CharField(max_length=200)
    person_date_of_birth = models.DateField(null=True, blank=True)
    person_gender = models.CharField(max_length=20, choices=Gender.choices, default=Gender.NOT_SAID)
    intervention = models.CharField(
        max_length=200, help_text="The intervention or programme the person is on."
    )
    tier = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)
    current_risk = models.CharField(
        max_length=20,
        choices=RiskTier.choices,
        blank=True,
        help_text="Risk as last assessed (or as triaged until the first assessment).",
    )
    planned_sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    planned_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=CaseStatus.choices, default=CaseStatus.REFERRED
    )
    status_changed_at = models.DateTimeField()
    # No identifiable victim-survivor (standard 1.2): a reason and a manager's approval.
    no_victim_reason = models.TextField(blank=True)
    no_victim_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    no_victim_approved_at = models.DateTimeField(null=True, blank=True)
    # Named statutory lead and contacts told of risk (users of the system).
    statutory_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    police_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    panel_chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocation_override_reason = models.TextField(blank=True)
    engagement_review_due = models.BooleanField(default=False)
    engagement_reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="Missed sessions are counted again from here."
    )
    ending_reason = models.TextField(blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention removed what identifies anyone."
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["worker", "status"]),
            models.Index(fields=["service", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATUSES

    @property
    def is_high_risk(self) -> bool:
        return self.current_risk == RiskTier.HIGH


class SupportCase(TimeStampedModel):
    """Integrated support for a victim-survivor (IVSS): a confidential record that
    perpetrator-side staff never read."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=16, unique=True, editable=False)
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="support_cases",
        help_text="The organisation giving integrated support; its support workers hold the case.",
    )
    service = models.ForeignKey(
        "directory.Service",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_cases",
    )
    perpetrator_case = models.ForeignKey(
        PerpetratorCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_cases",
    )
    referral_victim = models.OneToOneField(
        "referrals.VictimSurvivor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="support_case",
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_cases",
    )
    victim_name = models.CharField(max_length=200)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    safe_address = models.TextField(blank=True)
    safe_times = models.CharField(max_length=300, blank=True)
    voicemail_safe = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    text_safe = models.CharField(
        max_length=10, choices=SafeAnswer.choices, default=SafeAnswer.NOT_SURE
    )
    contact_wish = models.CharField(
        max_length=20, choices=ContactWish.choices, default=ContactWish.NOT_ASKED
    )
    contact_wish_notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=SupportStatus.choices, default=SupportStatus.OPEN
    )
    status_changed_at = models.DateTimeField()
    current_risk = models.CharField(max_length=20, choices=RiskTier.choices, blank=True)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(
        null=True, blank=True, help_text="When retention removed what identifies anyone."
    )
    is_synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["worker", "status"]),
            models.Index(fields=["organisation", "status"]),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_SUPPORT_STATUSES


class CaseNote(TimeStampedModel):
    """A perpetrator-side note. Never shown to the support side."""

    case = models.ForeignKey(PerpetratorCase, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()

    class Meta:
        ordering = ["case_id", "-created_at"]


class SupportNote(TimeStampedModel):
    """The victim-survivor's own record, kept by their support worker. Confidential."""

    support_case = models.ForeignKey(SupportCase, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()

    class Meta:
        ordering = ["support_case_id", "-created_at"]


class CaseStatusChange(models.Model):
    """Each status a perpetrator or support case passed through."""

    case = models.ForeignKey(
        PerpetratorCase, null=True, blank=True, on_delete=models.CASCADE, related_name="history"
    )
    support_case = models.ForeignKey(
        SupportCase, null=True, blank=True, on_delete=models.CASCADE, related_name="history"
    )
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, support_case__isnull=True)
                | models.Q(case__isnull=True, support_case__isnull=False),
                name="case_status_change_one_case",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class CaseAssessment(TimeStampedModel):
    """An assessment of the person on a perpetrator case: at intake, at the service's
    review interval, and at closure."""

    case = models.ForeignKey(PerpetratorCase, on_delete=models.CASCADE, related_name="assessments")
    kind = models.CharField(max_length=10, choices=AssessmentKind.choices)
    assessed_on = models.DateField()
    tool = models.CharField(max_length=200, help_text="The assessment tool used.")
    tier = models.CharField(max_length=20, choices=RiskTier.choices)
    needs = models.JSONField(default=list, blank=True)
    responsibility = models.CharField(
        max_length=20,
        choices=ResponsibilityTaking.choices,
        default=ResponsibilityTaking.NOT_ASSESSED,
    )
    summary = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["case_id", "-assessed_on", "-created_at"]


class GroupSession(TimeStampedModel):
    """A session a service ran: a group session for several cases or a one-to-one."""

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="+")
    format = models.CharField(max_length=12, choices=SessionFormat.choices)
    held_on = models.DateField()
    title = models.CharField(max_length=200, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-held_on", "-created_at"]


class Attendance(TimeStampedModel):
    """Whether a person on a case attended a session."""

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="attendance")
    case = models.ForeignKey(PerpetratorCase, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["case_id", "session__held_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "case"], name="attendance_once_per_session")
        ]


class Consent(TimeStampedModel):
    """A consent decision on a perpetrator or a support case; the latest is in force."""

    case = models.ForeignKey(
        PerpetratorCase, null=True, blank=True, on_delete=models.CASCADE, related_name="consents"
    )
    support_case = models.ForeignKey(
        SupportCase, null=True, blank=True, on_delete=models.CASCADE, related_name="consents"
    )
    state = models.CharField(max_length=20, choices=ConsentState.choices)
    safeguarding_reason = models.TextField(blank=True)
    scope = models.CharField(
        max_length=300, blank=True, help_text="What the consent covers, in plain words."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, support_case__isnull=True)
                | models.Q(case__isnull=True, support_case__isnull=False),
                name="consent_one_case",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="without_consent") | ~models.Q(safeguarding_reason=""),
                name="consent_without_needs_reason",
            ),
        ]


class RiskEvent(TimeStampedModel):
    """Safeguarding information raised on one side and delivered at once to the other side's
    worker and the named statutory lead. The only thing that crosses between the sides."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(PerpetratorCase, on_delete=models.PROTECT, related_name="risk_events")
    support_case = models.ForeignKey(
        SupportCase, null=True, blank=True, on_delete=models.PROTECT, related_name="risk_events"
    )
    raised_side = models.CharField(max_length=12, choices=Side.choices)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=30, choices=RiskEventKind.choices)
    occurred_on = models.DateField()
    summary = models.TextField(help_text="Safeguarding information only.")
    threat_to = models.CharField(max_length=20, choices=ThreatTo.choices, blank=True)
    victim_told_at = models.DateTimeField(null=True, blank=True)
    victim_told_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    victim_told_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case_id}"

    @property
    def needs_victim_told(self) -> bool:
        return bool(self.threat_to) and self.victim_told_at is None


class Alert(TimeStampedModel):
    """Something delivered to a person's alert list: a risk event, a high-risk ending, an
    engagement warning. Tracked until acknowledged."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_alerts"
    )
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    role = models.CharField(max_length=20, choices=DeliveryRole.choices)
    case = models.ForeignKey(PerpetratorCase, on_delete=models.CASCADE, related_name="alerts")
    risk_event = models.ForeignKey(
        RiskEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    message = models.CharField(max_length=300)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = [models.F("acknowledged_at").asc(nulls_first=True), "-created_at"]
        indexes = [models.Index(fields=["recipient", "acknowledged_at"])]


class Handover(TimeStampedModel):
    """A recorded handover of a high-risk case to the agency that holds the risk."""

    case = models.ForeignKey(PerpetratorCase, on_delete=models.CASCADE, related_name="handovers")
    to_organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_agency = models.CharField(max_length=200, help_text="The agency that holds the risk.")
    to_contact = models.CharField(max_length=200, help_text="Who there accepted the handover.")
    summary = models.TextField()
    handed_over_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["case_id", "-created_at"]


class SharingAgreement(TimeStampedModel):
    """An information sharing agreement between organisations: who, why, on what lawful
    basis, which categories of data, until when it must be reviewed."""

    name = models.CharField(max_length=200)
    parties = models.ManyToManyField("directory.Organisation", related_name="sharing_agreements")
    purpose = models.TextField()
    lawful_basis = models.CharField(max_length=30, choices=SharingLawfulBasis.choices)
    categories = models.JSONField(default=list)
    starts_on = models.DateField()
    review_on = models.DateField(
        help_text="After this date the agreement no longer covers sharing."
    )
    status = models.CharField(
        max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Share(models.Model):
    """One sharing of a category of a case's information with another organisation."""

    agreement = models.ForeignKey(SharingAgreement, on_delete=models.PROTECT, related_name="shares")
    case = models.ForeignKey(
        PerpetratorCase, null=True, blank=True, on_delete=models.PROTECT, related_name="shares"
    )
    support_case = models.ForeignKey(
        SupportCase, null=True, blank=True, on_delete=models.PROTECT, related_name="shares"
    )
    from_organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    to_organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(max_length=20, choices=SharingCategory.choices)
    purpose = models.CharField(max_length=300)
    shared_at = models.DateTimeField()
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-shared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} to {self.to_organisation_id}"


class EqualityProfile(TimeStampedModel):
    """Equality monitoring for the person on a case or a victim-survivor on a support case.
    Every answer is optional ("" = not asked) and accepts "prefer not to say"."""

    case = models.OneToOneField(
        PerpetratorCase, null=True, blank=True, on_delete=models.CASCADE, related_name="equality"
    )
    support_case = models.OneToOneField(
        SupportCase, null=True, blank=True, on_delete=models.CASCADE, related_name="equality"
    )
    age_band = models.CharField(max_length=20, blank=True, choices=equality_choices("age_band"))
    sex = models.CharField(max_length=20, blank=True, choices=equality_choices("sex"))
    gender_identity_same_as_sex = models.CharField(
        max_length=20, blank=True, choices=equality_choices("gender_identity_same_as_sex")
    )
    sexual_orientation = models.CharField(
        max_length=20, blank=True, choices=equality_choices("sexual_orientation")
    )
    ethnic_group = models.CharField(
        max_length=20, blank=True, choices=equality_choices("ethnic_group")
    )
    religion = models.CharField(max_length=20, blank=True, choices=equality_choices("religion"))
    disability = models.CharField(max_length=20, blank=True, choices=equality_choices("disability"))
    marriage_civil_partnership = models.CharField(
        max_length=20, blank=True, choices=equality_choices("marriage_civil_partnership")
    )
    pregnancy_maternity = models.CharField(
        max_length=20, blank=True, choices=equality_choices("pregnancy_maternity")
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, support_case__isnull=True)
                | models.Q(case__isnull=True, support_case__isnull=False),
                name="equality_one_case",
            )
        ]


class StaffRecord(TimeStampedModel):
    """What the standards ask a service to keep about each practitioner: induction,
    clinical supervision, enhanced DBS check."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_records"
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="staff_records"
    )
    induction_completed_on = models.DateField(null=True, blank=True)
    last_supervision_on = models.DateField(null=True, blank=True)
    supervision_interval_days = models.PositiveSmallIntegerField(default=30)
    dbs_checked_on = models.DateField(
        null=True, blank=True, help_text="Date of the last enhanced DBS check."
    )
    dbs_recheck_years = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["organisation_id", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="staff_record_unique")
        ]
