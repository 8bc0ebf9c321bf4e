"""Evidence library API (/api/v1/evidence/): approaches with every source's rating.

Signed-in users, session or token. Ratings are published in each source's own labels and
scale, with the comparison band and the agreement classification Pathways derives from them
(see docs/evidence.md); there is no combined score.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from pathways.accounts.policies import SIGNED_IN
from pathways.core.api import StandardPagination

from . import selectors
from .models import AbuseFocus, PreventionLevel
from .selectors import AgreementStatus, ApproachFilters, ApproachSort, ApproachSummary

TAGS = ["evidence"]


class SourceSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    year = serializers.IntegerField(allow_null=True, source="source_year")
    scale = serializers.CharField()
    reported_in = serializers.CharField()


@extend_schema_serializer(component_name="EvidenceRating")
class RatingSerializer(serializers.Serializer):
    source = serializers.SerializerMethodField()
    name_as_published = serializers.CharField(source="rating.name_as_published")
    rating = serializers.CharField(
        source="rating.rating",
        help_text="Three-point sources: good, some_or_mixed, poor_or_negative.",
    )
    evidence_rating = serializers.CharField(
        source="rating.evidence_rating",
        help_text="Quality-and-impact sources: quality of evidence as printed.",
    )
    impact_rating = serializers.CharField(
        source="rating.impact_rating",
        help_text="Quality-and-impact sources: impact as printed (may be medium, low/moderate…).",
    )
    statement = serializers.CharField(source="rating.statement")
    studies = serializers.ListField(child=serializers.IntegerField(), source="rating.studies")
    note = serializers.CharField(source="rating.note")
    band = serializers.SerializerMethodField(
        help_text="1 lower, 2 middle, 3 higher; null if unrated."
    )

    def get_source(self, banded: selectors.BandedRating) -> dict[str, Any]:
        r = banded.rating
        return {
            "slug": r.source_slug,
            "name": r.source_name,
            "year": r.source_year,
            "scale": r.scale,
            "reported_in": r.reported_in,
        }

    def get_band(self, banded: selectors.BandedRating) -> int | None:
        return int(banded.band) if banded.band is not None else None


class AgreementSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in AgreementStatus])
    spread = serializers.IntegerField(help_text="Bands between the highest and lowest rating.")
    sources = serializers.IntegerField()


@extend_schema_serializer(component_name="EvidenceApproach")
class ApproachSerializer(serializers.Serializer):
    slug = serializers.CharField(source="approach.slug")
    name = serializers.CharField(source="approach.name")
    description = serializers.CharField(source="approach.description")
    abuse_focus = serializers.CharField(source="approach.abuse_focus")
    prevention_level = serializers.CharField(source="approach.prevention_level")
    intervention_type = serializers.CharField(source="approach.intervention_type")
    audience = serializers.ListField(child=serializers.CharField(), source="approach.audience")
    target_cohort = serializers.CharField(source="approach.target_cohort")
    agreement = AgreementSerializer()
    ratings = RatingSerializer(many=True)


class ApproachListApi(APIView):
    """The library: every approach with every source's rating and whether sources agree."""

    policy = SIGNED_IN

    class InputSerializer(serializers.Serializer):
        page = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
        per_page = serializers.IntegerField(min_value=1, required=False)
        q = serializers.CharField(required=False, allow_blank=True, max_length=200)
        abuse_focus = serializers.ChoiceField(
            choices=[c for c in AbuseFocus.values if c != AbuseFocus.NOT_STATED], required=False
        )
        prevention_level = serializers.ChoiceField(choices=PreventionLevel.values, required=False)
        source = serializers.SlugField(required=False, help_text="A source slug.")
        agreement = serializers.ChoiceField(
            choices=[s.value for s in AgreementStatus], required=False
        )
        sort = serializers.ChoiceField(
            choices=[s.value for s in ApproachSort], required=False, default=ApproachSort.NAME
        )

        def validate_source(self, value: str) -> str:
            if not selectors.source_list().filter(slug=value).exists():
                raise serializers.ValidationError("Unknown source")
            return value

    @extend_schema(
        parameters=[InputSerializer], responses={200: ApproachSerializer(many=True)}, tags=TAGS
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        summaries = selectors.approach_list(
            filters=ApproachFilters(
                text=data.get("q", "").strip(),
                abuse_focus=data.get("abuse_focus", ""),
                prevention_level=data.get("prevention_level", ""),
                source=data.get("source", ""),
                agreement=data.get("agreement", ""),
                sort=data["sort"],
            )
        )
        paginator = StandardPagination()
        page: list[ApproachSummary] = paginator.paginate_queryset(summaries, request, view=self)  # type: ignore[arg-type,assignment]
        return paginator.get_paginated_response(ApproachSerializer(page, many=True).data)


class ApproachDetailApi(APIView):
    """One approach with every source's rating, by slug."""

    policy = SIGNED_IN

    @extend_schema(responses={200: ApproachSerializer}, tags=TAGS)
    def get(self, request, slug: str):
        return Response(ApproachSerializer(selectors.approach_get(slug=slug)).data)
