"""GET /api/v1/mapping/?area=<slug>: an area's mapping in the published JSON shape.

The same bytes as `pathways mapping --format json`. Every answer is an export and is
recorded in the audit trail. Bad input (no or unknown area, a bad counting rule) is a 400
with the standard error body.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from . import engine, services
from .policies import MAPPING

YES_NO = ["yes", "no"]


class MappingApi(APIView):
    """Coverage matrix, gaps, duplication, questionable claims, fragility and summary."""

    policy = MAPPING

    class InputSerializer(serializers.Serializer):
        area = serializers.SlugField(help_text="Area slug, such as west-yorkshire or cardiff.")
        count_unknown = serializers.ChoiceField(
            choices=YES_NO, required=False, help_text="Count unknown or not-stated claims (no)."
        )
        gap_threshold = serializers.ChoiceField(
            choices=[c.value for c in engine.GAP_THRESHOLDS],
            required=False,
            help_text="Least certainty that closes a gap (verified).",
        )
        wider_areas = serializers.ChoiceField(
            choices=YES_NO,
            required=False,
            help_text="Count services for areas wider than the one mapped (yes).",
        )
        synthetic = serializers.ChoiceField(
            choices=YES_NO,
            required=False,
            help_text="Count synthetic demonstration services (yes).",
        )

    @extend_schema(
        parameters=[InputSerializer],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=(
                    "Keys: area, area_name, counting_rule, as_of, generated_at, data_as_of, "
                    "districts, columns, summary (services, by_district, by_abuse_type, "
                    "by_tier, by_cohort, ...), matrix, gaps, duplication, questionable_claims, "
                    "fragility, suite_check, services, unmet_need_recorded. See docs/mapping.md."
                ),
            ),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="The standard error body."),
        },
        tags=["mapping"],
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rule = engine.CountingRule.from_params(params.validated_data)
        export = services.mapping_export(
            actor=request.user,
            area_slug=params.validated_data["area"],
            rule=rule,
            fmt="json",
            channel="api",
            request=request,
        )
        return HttpResponse(export.content, content_type="application/json")
