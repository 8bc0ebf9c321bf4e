"""Standards API (/api/v1/standards/): frameworks, their items, and the caller's assessments.

Frameworks are reference data for the roles that may read standards; assessments are
scoped by `selectors.assessment_queryset_for_user`, so another organisation's draft is a
404. Read-only: writes happen in the browser, where the review steps are shown in full.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from pathways.core.api import StandardPagination

from . import policies, selectors
from .models import AssessmentStatus

TAGS = ["standards"]


class PageInput(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    per_page = serializers.IntegerField(min_value=1, required=False)


def _paginate(request: Any, view: APIView, queryset: Any, serializer_class: Any) -> Response:
    PageInput(data=request.query_params).is_valid(raise_exception=True)
    paginator = StandardPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


class ChecklistSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()


class FrameworkSerializer(serializers.Serializer):
    slug = serializers.CharField()
    version = serializers.CharField()
    edition = serializers.CharField()
    title = serializers.CharField()
    publisher = serializers.CharField()
    year = serializers.IntegerField()
    source = serializers.CharField()
    is_current = serializers.BooleanField()
    item_count = serializers.IntegerField()
    checklists = ChecklistSerializer(many=True)


class FrameworkListApi(APIView):
    policy = policies.READ

    class InputSerializer(PageInput):
        include_old = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        tags=TAGS,
        parameters=[InputSerializer],
        responses=FrameworkSerializer(many=True),
        operation_id="standards_frameworks_list",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.framework_list(include_old=params.validated_data["include_old"])
        return _paginate(request, self, qs, FrameworkSerializer)


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    parent = serializers.CharField(source="parent.code", allow_null=True, default=None)
    kind = serializers.CharField()
    title = serializers.CharField()
    summary = serializers.CharField()
    rule_hint = serializers.CharField()
    automatic_check = serializers.CharField(source="auto_check")
    applies_to = serializers.ListField(child=serializers.CharField())
    related = serializers.ListField(child=serializers.CharField())
    checklists = serializers.SerializerMethodField()

    def get_checklists(self, item: Any) -> list[str]:
        return sorted({q.checklist.key for q in item.questions.all()})


class FrameworkItemListApi(APIView):
    policy = policies.READ

    class InputSerializer(PageInput):
        version = serializers.CharField(required=False, max_length=30)

    @extend_schema(
        tags=TAGS,
        parameters=[InputSerializer],
        responses=ItemSerializer(many=True),
        operation_id="standards_framework_items_list",
    )
    def get(self, request, slug: str):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        framework = selectors.framework_get(slug=slug, version=params.validated_data.get("version"))
        return _paginate(
            request, self, selectors.framework_items(framework=framework), ItemSerializer
        )


class CountsSerializer(serializers.Serializer):
    green = serializers.IntegerField()
    amber = serializers.IntegerField()
    red = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    not_rated = serializers.IntegerField()


class AssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    service_id = serializers.UUIDField()
    service = serializers.CharField(source="service.name")
    organisation = serializers.CharField(source="service.organisation.name")
    framework = serializers.CharField(source="framework.slug")
    framework_version = serializers.CharField(source="framework.version")
    checklist = serializers.CharField(source="checklist.key")
    number = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    finalised_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.SerializerMethodField()

    @extend_schema_field(CountsSerializer)
    def get_counts(self, assessment: Any) -> dict[str, int]:
        return selectors.assessment_counts(assessment)


class AssessmentListApi(APIView):
    policy = policies.READ

    class InputSerializer(PageInput):
        status = serializers.ChoiceField(choices=AssessmentStatus.choices, required=False)
        service = serializers.UUIDField(required=False)

    @extend_schema(
        tags=TAGS,
        parameters=[InputSerializer],
        responses=AssessmentSerializer(many=True),
        operation_id="standards_assessments_list",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        qs = selectors.assessment_list_for_user(
            user=request.user,
            status=params.validated_data.get("status", ""),
            service_id=params.validated_data.get("service"),
        )
        return _paginate(request, self, qs, AssessmentSerializer)


class RatingSerializer(serializers.Serializer):
    key = serializers.CharField()
    codes = serializers.ListField(child=serializers.CharField())
    question = serializers.CharField()
    status = serializers.CharField(help_text="The provider's (or published) rating.")
    final_status = serializers.CharField(help_text="The commissioner's rating once reviewed.")
    finding = serializers.CharField()
    evidence_sources = serializers.ListField(child=serializers.CharField())
    evidence_note = serializers.CharField()
    review_date = serializers.DateField(allow_null=True)
    decision = serializers.CharField()
    review_reason = serializers.CharField()


class AssessmentDetailSerializer(AssessmentSerializer):
    summary = serializers.CharField()
    source = serializers.CharField()
    ratings = serializers.SerializerMethodField()

    @extend_schema_field(RatingSerializer(many=True))
    def get_ratings(self, assessment: Any) -> list[dict[str, Any]]:
        return RatingSerializer(selectors.assessment_rows(assessment), many=True).data


class AssessmentDetailApi(APIView):
    policy = policies.READ

    @extend_schema(
        tags=TAGS,
        responses=AssessmentDetailSerializer,
        operation_id="standards_assessments_retrieve",
    )
    def get(self, request, assessment_id: str):
        try:
            pk = serializers.UUIDField().to_internal_value(assessment_id)
        except serializers.ValidationError:
            raise Http404("Not found") from None
        assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=pk)
        return Response(AssessmentDetailSerializer(assessment).data)
