"""GET /api/v1/match/?area=&tier=&route=&cohort=&abuse_type=: what-if matching.

The same answer as `pathways match --format json`: the need as the engine saw it, the
eligible services in rank order with their reasons, every other service with the rule
that excluded it, and whether the need would go unmet. Stores nothing. Commissioners and
the front door only (WHAT_IF_MATCH). Bad input is a 400 with the standard error body.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from pathways.areas.models import Area
from pathways.areas.selectors import area_get_by_slug

from .matching import RULES, match, result_json
from .policies import WHAT_IF_MATCH
from .reference import RiskTier
from .selectors.matching import COHORT_CODES, need_for_what_if, service_facts_in_scope

TAGS = ["matching"]


class MatchApi(APIView):
    """Which services would take such a referral, ranked with reasons, and why others would not."""

    policy = WHAT_IF_MATCH

    class InputSerializer(serializers.Serializer):
        area = serializers.SlugField(help_text="Area slug: a district such as leeds, or wider.")
        tier = serializers.ChoiceField(choices=RiskTier.values, help_text="Risk tier.")
        route = serializers.CharField(
            required=False,
            max_length=40,
            help_text="Referral route code (referral-routes taxonomy); 'self' for a self-referral.",
        )
        cohort = serializers.ChoiceField(
            choices=COHORT_CODES, required=False, help_text="Cohort code, such as young_adults."
        )
        abuse_type = serializers.CharField(
            required=False, max_length=40, help_text="Abuse type code, such as DA or SV."
        )

        def validate_area(self, value: str) -> Area:
            area = area_get_by_slug(slug=value)
            if area is None:
                raise serializers.ValidationError(f"There is no area '{value}'")
            return area

    @extend_schema_serializer(component_name="MatchResult")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="MatchNeed")
        class NeedSerializer(serializers.Serializer):
            area = serializers.CharField()
            area_name = serializers.CharField()
            wider_area = serializers.BooleanField(
                help_text="The area is wider than a district; services serving part of it count."
            )
            tier = serializers.CharField()
            route = serializers.CharField(help_text="self, agency, or empty when not given.")
            # The metaclass takes declared fields off the class, so this does not shadow
            # Field.source at run time; mypy cannot see that.
            source = serializers.CharField(help_text="Referral route code, or empty.")  # type: ignore[assignment]
            age = serializers.IntegerField(allow_null=True)
            gender = serializers.CharField()
            cohorts = serializers.ListField(child=serializers.CharField())
            abuse_types = serializers.ListField(child=serializers.CharField())
            language = serializers.CharField()
            circumstances = serializers.ListField(child=serializers.CharField())

        @extend_schema_serializer(component_name="MatchEligible")
        class EligibleSerializer(serializers.Serializer):
            rank = serializers.IntegerField()
            id = serializers.UUIDField()
            name = serializers.CharField()
            organisation = serializers.CharField()
            score = serializers.IntegerField(help_text="See docs/front-door-matching.md.")
            reasons = serializers.ListField(child=serializers.CharField())

        @extend_schema_serializer(component_name="MatchExcluded")
        class ExcludedSerializer(serializers.Serializer):
            id = serializers.UUIDField()
            name = serializers.CharField()
            organisation = serializers.CharField()
            rule = serializers.ChoiceField(choices=[code for code, _label in RULES])
            rule_label = serializers.CharField()
            detail = serializers.CharField()

        need = NeedSerializer()
        eligible = EligibleSerializer(many=True)
        excluded = ExcludedSerializer(many=True)
        unmet = serializers.BooleanField(help_text="Nothing is eligible.")

    @extend_schema(
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="The standard error body."),
        },
        tags=TAGS,
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        need = need_for_what_if(
            area=data["area"],
            tier=data["tier"],
            route=data.get("route") or None,
            cohort=data.get("cohort") or None,
            abuse_type=data.get("abuse_type") or None,
        )
        return Response(result_json(need, match(need, service_facts_in_scope())))


urlpatterns = [path("match/", MatchApi.as_view(), name="api-match")]
