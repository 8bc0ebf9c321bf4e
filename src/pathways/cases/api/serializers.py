"""Serializers that both sides' endpoints use: the body of a consent, a note, a risk event, a
share, and how a risk event reads. Each endpoint nests the one it takes as its own
`InputSerializer` / `OutputSerializer`; the schema documents each once."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from pathways.referrals.reference import RiskTier, SafeAnswer

from ..models import (
    ConsentState,
    ContactWish,
    RiskEvent,
    RiskEventKind,
    SharingCategory,
    Side,
    ThreatTo,
)
from .common import EnumField, OrganisationField, OrganisationRefSerializer, UserRefSerializer

RISK_TIER = "RiskTierEnum"


def risk_tier_field(**kwargs: Any) -> EnumField:
    return EnumField(RISK_TIER, choices=RiskTier.choices, **kwargs)


def safe_answer_field(**kwargs: Any) -> EnumField:
    return EnumField("SafeAnswerEnum", choices=SafeAnswer.choices, **kwargs)


@extend_schema_serializer(component_name="ConsentRecord")
class ConsentInput(serializers.Serializer):
    """Consent given or withdrawn, or work going ahead without it for a safeguarding reason
    (which must then be given)."""

    state = EnumField("ConsentStateEnum", choices=ConsentState.choices)
    safeguarding_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000
    )
    scope = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


@extend_schema_serializer(component_name="NoteAdd")
class NoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, allow_blank=True)


@extend_schema_serializer(component_name="RiskEventRaise")
class RiskEventInput(serializers.Serializer):
    """Safeguarding information only: it is delivered at once to the other side's worker and
    the named statutory lead."""

    kind = EnumField("RiskEventKindEnum", choices=RiskEventKind.choices)
    summary = serializers.CharField(max_length=5000, allow_blank=True)
    occurred_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today unless given."
    )
    threat_to = EnumField(
        "ThreatToEnum",
        choices=ThreatTo.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who a specific threat is to; needed for a specific threat.",
    )


@extend_schema_serializer(component_name="ShareRecord")
class ShareInput(serializers.Serializer):
    to_organisation = OrganisationField()
    category = EnumField("SharingCategoryEnum", choices=SharingCategory.choices)
    purpose = serializers.CharField(max_length=300, allow_blank=True)


@extend_schema_serializer(component_name="Share")
class ShareOutput(serializers.Serializer):
    id = serializers.IntegerField()
    agreement = serializers.IntegerField(source="agreement_id")
    to_organisation = OrganisationRefSerializer()
    category = serializers.CharField()
    purpose = serializers.CharField()
    shared_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="SupportContact")
class ContactInput(serializers.Serializer):
    """The victim-survivor's safe contact details and wishes about contact. A field left out
    keeps its value."""

    contact_phone = serializers.CharField(max_length=40, allow_blank=True, required=False)
    contact_email = serializers.EmailField(allow_blank=True, required=False)
    safe_address = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    safe_times = serializers.CharField(max_length=300, allow_blank=True, required=False)
    voicemail_safe = safe_answer_field(required=False)
    text_safe = safe_answer_field(required=False)
    contact_wish = EnumField("ContactWishEnum", choices=ContactWish.choices, required=False)
    contact_wish_notes = serializers.CharField(max_length=5000, allow_blank=True, required=False)


def _known(context: dict[str, Any], key: str, pk: Any) -> str | None:
    return context.get(key, {}).get(pk)


@extend_schema_serializer(component_name="RiskEvent")
class RiskEventOutput(serializers.Serializer):
    """A risk event as both sides and the named contacts read it."""

    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    case = serializers.SerializerMethodField(help_text="The perpetrator case's reference.")
    support_case = serializers.SerializerMethodField(
        help_text="The support case it was raised from (reference only), or null."
    )
    raised_side = EnumField("RiskEventSideEnum", choices=Side.choices)
    raised_by = UserRefSerializer(allow_null=True)
    kind = EnumField("RiskEventKindEnum", choices=RiskEventKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    occurred_on = serializers.DateField()
    summary = serializers.CharField()
    threat_to = EnumField("ThreatToEnum", choices=ThreatTo.choices, allow_blank=True)
    needs_victim_told = serializers.BooleanField(
        help_text="A specific threat the person at risk has not yet been told of."
    )
    victim_told_at = serializers.DateTimeField(allow_null=True)
    raised_at = serializers.DateTimeField(source="created_at")

    def get_url(self, event: RiskEvent) -> str:
        return reverse("api-risk-event", kwargs={"event_id": event.pk})

    def get_case(self, event: RiskEvent) -> str:
        return _known(self.context, "case_refs", event.case_id) or event.case.reference

    def get_support_case(self, event: RiskEvent) -> str | None:
        if event.support_case_id is None:
            return None
        known = _known(self.context, "support_refs", event.support_case_id)
        return known or event.support_case.reference  # type: ignore[union-attr]


@extend_schema_serializer(component_name="SupportRiskEvent")
class SupportRiskEventOutput(RiskEventOutput):
    """A risk event as the victim-survivor's support worker reads it, with their note of
    telling the victim-survivor."""

    victim_told_note = serializers.CharField()
