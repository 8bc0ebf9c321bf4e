"""Vocabularies the front door asks about. Codes are stable (forms, API, imports); labels
are shown to people and translated on public pages.

Written for Pathways; the demonstration risk checklist lives in `fixtures/`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MAN = "man", _("Man")
    WOMAN = "woman", _("Woman")
    NON_BINARY = "non_binary", _("Non-binary")
    OTHER = "other", _("In another way")
    NOT_SAID = "not_said", _("Prefer not to say")


# Services record the genders they work with using these codes (Service.genders_served).
SERVICE_GENDER_CODES = ("man", "woman", "non_binary")


class Relationship(models.TextChoices):
    CURRENT_PARTNER = "current_partner", "Current partner"
    FORMER_PARTNER = "former_partner", "Former partner"
    FAMILY_MEMBER = "family_member", "Family member"
    CHILD_TO_PARENT = "child_to_parent", "Child or adolescent to parent"
    OTHER = "other", "Other"


class Need(models.TextChoices):
    SUBSTANCE_USE = "substance_use", "Substance use"
    MENTAL_HEALTH = "mental_health", "Mental health"
    NEURODIVERGENCE = "neurodivergence", "Neurodivergence"
    DISABILITY = "disability", "Disability"
    LANGUAGE = "language", "Language or interpreter"


class LawfulBasis(models.TextChoices):
    """The UK GDPR Article 6 basis the referrer relies on to share."""

    CONSENT = "consent", "Consent"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    VITAL_INTERESTS = "vital_interests", "Vital interests"
    PUBLIC_TASK = "public_task", "Public task"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"


class ConsentStatus(models.TextChoices):
    GIVEN = "given", "Consent given"
    NOT_GIVEN = "not_given", "Consent not given (safeguarding reason recorded)"
    NOT_ASKED = "not_asked", "Not asked yet (reason recorded)"


class RiskTier(models.TextChoices):
    """The three tiers a partnership's risk policy assigns (names as the CLI takes them)."""

    STANDARD = "standard_risk", "Standard or low risk"
    MEDIUM = "medium_risk", "Medium risk"
    HIGH = "high_risk", "High risk"


TIER_ORDER = {RiskTier.STANDARD: 0, RiskTier.MEDIUM: 1, RiskTier.HIGH: 2}


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    TEXT = "text", _("Text message")
    EMAIL = "email", _("Email")


class SafeAnswer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    NOT_SURE = "not_sure", _("Not sure")
