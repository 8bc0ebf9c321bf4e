"""Referrals API for agency systems, mounted at /api/v1/.

`POST /api/v1/referrals/` makes an agency referral (send an `Idempotency-Key` header so a
retry never makes a second one); `GET /api/v1/referrals/{reference}/` answers where it
has got to. Both use the REFER policy. A referrer reads only their own referrals and the
front door reads any; anything else is a 404. Neither answer carries personal details.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path, reverse
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from pathways.areas.selectors import area_get_by_slug
from pathways.directory.models import COHORT_DIMENSIONS, TaxonomyTerm

from .models import Referral, ReferralChannel, ReferralRoute, ReferralStatus
from .policies import REFER, can_triage
from .reference import (
    ConsentStatus,
    ContactMethod,
    Gender,
    LawfulBasis,
    Need,
    Relationship,
    SafeAnswer,
)
from .selectors.referrals import referral_get_for_referrer, referral_get_for_triage
from .selectors.timers import referral_timers
from .services.intake import (
    ChildInput,
    IdempotencyConflictError,
    ReferralInput,
    VictimInput,
    referral_submit,
)

TAGS = ["referrals"]
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_MAX = 100


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_conflict"
    default_detail = "This Idempotency-Key was already used for a different referral."


@extend_schema_serializer(component_name="ReferralApiError")
class ErrorSerializer(serializers.Serializer):
    """The one error body every Pathways API answers with (see core/api.py)."""

    @extend_schema_serializer(component_name="ReferralApiErrorBody")
    class Body(serializers.Serializer):
        @extend_schema_serializer(component_name="ReferralApiFieldError")
        class FieldError(serializers.Serializer):
            field = serializers.CharField()
            message = serializers.CharField()

        status = serializers.IntegerField()
        code = serializers.CharField()
        message = serializers.CharField()
        # DRF takes declared fields off the class, so this does not shadow Serializer.fields.
        fields = FieldError(many=True)  # type: ignore[assignment]

    error = Body()


class SafeAnswerField(serializers.ChoiceField):
    """yes / no / not_sure, defaulting to not_sure."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default", SafeAnswer.NOT_SURE)
        super().__init__(choices=SafeAnswer.choices, **kwargs)


class SafeAnswerFieldExtension(OpenApiSerializerFieldExtension):
    """Every SafeAnswerField refers to one SafeAnswerEnum component, instead of the schema
    growing an enum per field name (which drf-spectacular warns about)."""

    target_class = SafeAnswerField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        component = ResolvedComponent(
            name="SafeAnswerEnum",
            type=ResolvedComponent.SCHEMA,
            object="SafeAnswerEnum",
            schema={
                "type": "string",
                "enum": SafeAnswer.values,
                "description": "* `yes` - Yes\n* `no` - No\n* `not_sure` - Not sure",
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def _term_codes(taxonomy: str) -> set[str]:
    return set(TaxonomyTerm.objects.filter(taxonomy__slug=taxonomy).values_list("code", flat=True))


def _choices(enum: Any, blank: bool = False) -> dict[str, Any]:
    return {"choices": enum.values, "allow_blank": blank}


def _intake_error_key(key: str) -> str:
    """Intake names victim errors 'victims-0-name'; the API calls them victim_survivors[0].name."""
    if key.startswith("victims-"):
        _, index, field = key.split("-", 2)
        return f"victim_survivors[{index}].{field}"
    if key in {"referrer", "fields", "route", "channel"}:
        return "non_field_errors"
    return key


def _status_url(referral: Referral) -> str:
    return reverse("api-referral-detail", kwargs={"reference": referral.reference})


class ReferralCreateApi(APIView):
    """Make an agency referral from an agency system."""

    policy = REFER
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="ReferralCreate")
    class InputSerializer(serializers.Serializer):
        """Every field of an agency referral. Omitted fields take the default shown."""

        @extend_schema_serializer(component_name="ReferralVictimSurvivor")
        class Victim(serializers.Serializer):
            name = serializers.CharField(max_length=200, allow_blank=True)
            relationship = serializers.ChoiceField(**_choices(Relationship, blank=True), default="")
            lives_with_person = SafeAnswerField()
            contact_phone = serializers.CharField(max_length=40, allow_blank=True, default="")
            contact_email = serializers.EmailField(allow_blank=True, default="")
            safe_times = serializers.CharField(max_length=300, allow_blank=True, default="")
            voicemail_safe = SafeAnswerField()
            contact_notes = serializers.CharField(max_length=2000, allow_blank=True, default="")
            knows_of_referral = SafeAnswerField()

        @extend_schema_serializer(component_name="ReferralChild")
        class Child(serializers.Serializer):
            age = serializers.IntegerField(min_value=0, max_value=25, allow_null=True, default=None)
            lives_with_person = SafeAnswerField()
            social_care_involved = SafeAnswerField()
            notes = serializers.CharField(max_length=2000, allow_blank=True, default="")

        source = serializers.CharField(
            max_length=40, help_text="Who is referring: a referral-routes code, such as police."
        )  # type: ignore[assignment]
        area = serializers.SlugField(help_text="Slug of the area the person lives in: leeds.")
        # The person referred.
        person_name = serializers.CharField(max_length=200, allow_blank=True, default="")
        person_date_of_birth = serializers.DateField(allow_null=True, default=None)
        person_age = serializers.IntegerField(
            min_value=0, max_value=120, allow_null=True, default=None
        )
        person_gender = serializers.ChoiceField(**_choices(Gender), default=Gender.NOT_SAID)
        person_postcode = serializers.CharField(max_length=10, allow_blank=True, default="")
        cohorts = serializers.ListField(
            child=serializers.ChoiceField(choices=[d.value for d in COHORT_DIMENSIONS]),
            default=list,
        )
        language = serializers.CharField(
            max_length=10, default="en", help_text="ISO 639-1 code, such as en or cy."
        )
        interpreter_needed = serializers.BooleanField(default=False)
        accessibility_needs = serializers.CharField(max_length=2000, allow_blank=True, default="")
        needs = serializers.ListField(child=serializers.ChoiceField(Need.values), default=list)
        circumstances = serializers.ListField(
            child=serializers.CharField(max_length=40),
            default=list,
            help_text="Exclusion-criteria codes that apply to the person.",
        )
        # How to reach the person safely.
        contact_phone = serializers.CharField(max_length=40, allow_blank=True, default="")
        contact_email = serializers.EmailField(allow_blank=True, default="")
        contact_methods = serializers.ListField(
            child=serializers.ChoiceField(ContactMethod.values), default=list
        )
        safe_times = serializers.CharField(max_length=300, allow_blank=True, default="")
        voicemail_safe = SafeAnswerField()
        text_safe = SafeAnswerField()
        safe_word = serializers.CharField(max_length=60, allow_blank=True, default="")
        # What is happening.
        account = serializers.CharField(max_length=10000, allow_blank=True, default="")
        children_in_household = SafeAnswerField()
        relationship = serializers.ChoiceField(**_choices(Relationship, blank=True), default="")
        abuse_types = serializers.ListField(
            child=serializers.CharField(max_length=40),
            default=list,
            help_text="abuse-types codes, such as DA or SV.",
        )
        risk_indicators = serializers.ListField(
            child=serializers.CharField(max_length=60),
            default=list,
            help_text="Question codes of the area's risk policy the referrer ticked.",
        )
        risk_known = serializers.CharField(max_length=5000, allow_blank=True, default="")
        marac_heard = serializers.BooleanField(default=False)
        lawful_basis = serializers.ChoiceField(**_choices(LawfulBasis, blank=True), default="")
        consent_status = serializers.ChoiceField(**_choices(ConsentStatus, blank=True), default="")
        consent_reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
        victim_survivors = Victim(many=True, required=False, default=list, max_length=20)  # type: ignore[call-arg]
        children = Child(many=True, required=False, default=list, max_length=30)  # type: ignore[call-arg]

        def validate_source(self, value: str) -> str:
            if value == "self" or value not in _term_codes("referral-routes"):
                raise serializers.ValidationError("Choose who is referring from referral-routes")
            return value

        def validate_area(self, value: str) -> Any:
            area = area_get_by_slug(slug=value)
            if area is None:
                raise serializers.ValidationError("Unknown area")
            return area

        def validate_abuse_types(self, value: list[str]) -> list[str]:
            unknown = sorted(set(value) - _term_codes("abuse-types"))
            if unknown:
                raise serializers.ValidationError(f"Unknown abuse-types code: {', '.join(unknown)}")
            return value

        def to_input(self) -> ReferralInput:
            data = dict(self.validated_data)
            victims = [VictimInput(**v) for v in data.pop("victim_survivors")]
            children = [ChildInput(**c) for c in data.pop("children")]
            source = data.pop("source")
            area = data.pop("area")
            return ReferralInput(
                route=ReferralRoute.AGENCY,
                channel=ReferralChannel.API,
                source=source,
                area_id=area.id,
                fields=data,
                victims=victims,
                children=children,
            )

    @extend_schema_serializer(component_name="ReferralCreateResponse")
    class OutputSerializer(serializers.Serializer):
        reference = serializers.CharField()
        status = serializers.CharField()
        status_url = serializers.CharField(help_text="Where to GET the referral's progress.")

    @extend_schema(
        operation_id="referral_create",
        summary="Make an agency referral",
        description=(
            "Records a referral to the front door. Send a unique `Idempotency-Key` with each "
            "new referral and the same key when retrying: a retry with the same key and the "
            "same body answers 200 with the referral made the first time; the same key with "
            "a different body answers 409. Keys are scoped to the signed-in user."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description=f"A unique key for this referral, at most {IDEMPOTENCY_MAX} "
                "characters (a UUID is a good choice).",
            )
        ],
        request=InputSerializer,
        responses={
            201: OpenApiResponse(OutputSerializer, description="Referral made."),
            200: OpenApiResponse(
                OutputSerializer, description="Replay: the referral this key made before."
            ),
            400: OpenApiResponse(ErrorSerializer, description="Invalid input, by field."),
            401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
            403: OpenApiResponse(ErrorSerializer, description="Not a referrer."),
            409: OpenApiResponse(
                ErrorSerializer, description="The key was used for a different referral."
            ),
        },
        examples=[
            OpenApiExample(
                "A police referral",
                request_only=True,
                value={
                    "source": "police",
                    "area": "leeds",
                    "person_name": "Sam Example",
                    "lawful_basis": "public_task",
                    "consent_status": "given",
                    "abuse_types": ["DA"],
                    "victim_survivors": [{"name": "Alex Example", "voicemail_safe": "no"}],
                    "children": [{"age": 6}],
                },
            )
        ],
        tags=TAGS,
    )
    def post(self, request):
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if len(key) > IDEMPOTENCY_MAX:
            raise serializers.ValidationError(
                {IDEMPOTENCY_HEADER: [f"Must be {IDEMPOTENCY_MAX} characters or fewer"]}
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            referral, created = referral_submit(
                actor=request.user, data=data.to_input(), idempotency_key=key, request=request
            )
        except IdempotencyConflictError as exc:
            raise IdempotencyConflict(
                f"This {IDEMPOTENCY_HEADER} was already used for referral "
                f"{exc.referral.reference}, with different content."
            ) from None
        except DjangoValidationError as exc:
            errors: dict[str, list[str]] = {}
            for field, messages in exc.message_dict.items():
                errors.setdefault(_intake_error_key(field), []).extend(messages)
            raise serializers.ValidationError(errors) from None
        body = self.OutputSerializer(
            {
                "reference": referral.reference,
                "status": referral.status,
                "status_url": request.build_absolute_uri(_status_url(referral)),
            }
        ).data
        return Response(
            body,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"Location": body["status_url"]},
        )


class ReferralDetailApi(APIView):
    """A referral's progress: status, timestamps, tier once triaged, and status history."""

    policy = REFER

    @extend_schema_serializer(component_name="ReferralProgress")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="ReferralStatusChange")
        class History(serializers.Serializer):
            from_status = serializers.CharField(help_text="Empty for the first status.")
            to_status = serializers.CharField()
            at = serializers.DateTimeField()

        reference = serializers.CharField()
        status = serializers.ChoiceField(choices=ReferralStatus.values)
        status_label = serializers.CharField(source="get_status_display")
        route = serializers.CharField()
        channel = serializers.CharField()
        area = serializers.CharField(source="area.slug")
        received_at = serializers.DateTimeField(source="created_at")
        status_changed_at = serializers.DateTimeField()
        triaged_at = serializers.DateTimeField(allow_null=True)
        sent_at = serializers.DateTimeField(allow_null=True)
        decided_at = serializers.DateTimeField(allow_null=True)
        first_contact_at = serializers.DateTimeField(allow_null=True)
        tier = serializers.SerializerMethodField()
        overdue = serializers.SerializerMethodField()
        history = History(source="status_changes", many=True)

        def get_tier(self, referral: Referral) -> str | None:
            """The risk tier once triaged (null before); never how it was worked out."""
            if referral.status == ReferralStatus.RECEIVED or not referral.tier:
                return None
            return referral.tier

        def get_overdue(self, referral: Referral) -> bool:
            return referral_timers(referral).overdue

    @extend_schema(
        operation_id="referral_progress",
        summary="Where a referral has got to",
        responses={
            200: OutputSerializer,
            401: OpenApiResponse(ErrorSerializer, description="Not signed in."),
            403: OpenApiResponse(ErrorSerializer, description="Not a referrer."),
            404: OpenApiResponse(
                ErrorSerializer, description="No such referral, or not one you may see."
            ),
        },
        tags=TAGS,
    )
    def get(self, request, reference: str):
        if can_triage(request.user):
            referral = referral_get_for_triage(user=request.user, reference=reference)
        else:
            referral = referral_get_for_referrer(user=request.user, reference=reference)
        return Response(self.OutputSerializer(referral).data)


urlpatterns = [
    path("referrals/", ReferralCreateApi.as_view(), name="api-referral-create"),
    path("referrals/<str:reference>/", ReferralDetailApi.as_view(), name="api-referral-detail"),
]
