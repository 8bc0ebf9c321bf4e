"""Internal directory API (/api/v1/): reads for signed-in users, session or token auth.

Every signed-in user sees the services the public sees, with the claims, evidence levels and
provenance that mapping and matching turn on. Directory editors (`can_curate_directory`) may
also list and read services that are not public (inactive, closed or outside their
visibility window) with `include_inactive=true`. Venues are not published here at all.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from pathways.accounts.policies import SIGNED_IN, can_curate_directory
from pathways.areas.models import Area, AreaKind
from pathways.areas.selectors import area_get_by_slug
from pathways.core.api import StandardPagination

from . import selectors
from .models import (
    COHORT_DIMENSIONS,
    RISK_DIMENSIONS,
    Organisation,
    OrganisationKind,
    Service,
    TaxonomyTerm,
)

TAGS = ["directory"]


# --- Reads ---------------------------------------------------------------------------------
# Unscoped reference reads; they belong in directory/areas selectors once those are free.


def organisation_list(*, kind: str = "") -> QuerySet[Organisation]:
    """Every organisation, by name: names and kinds are not confidential to signed-in users."""
    qs = Organisation.objects.order_by("name", "id")
    return qs.filter(kind=kind) if kind else qs


def area_list(*, kind: str = "") -> QuerySet[Area]:
    """Every area with its parents, by name. Areas are public reference data."""
    qs = Area.objects.prefetch_related(
        Prefetch("parents", queryset=Area.objects.order_by("slug"))
    ).order_by("name", "id")
    return qs.filter(kind=kind) if kind else qs


def service_list_for_api(
    *, user: Any, filters: selectors.ServiceFilters, include_inactive: bool
) -> QuerySet[Service]:
    """Public services, or every live service for a directory editor who asks for them."""
    if include_inactive:
        if not can_curate_directory(user):
            raise PermissionDenied("Only directory editors can list services that are not public.")
        return selectors.service_apply_filters(selectors.service_list_for_user(user=user), filters)
    return selectors.service_list_for_public(filters=filters)


def service_get_for_api(*, user: Any, service_id: Any) -> Service:
    """A public service; directory editors may also read live services that are not public."""
    if can_curate_directory(user):
        return selectors.service_get_for_user(user=user, service_id=service_id)
    return selectors.service_get_for_public(service_id=service_id)


# --- Shared pieces -------------------------------------------------------------------------


class PageInput(serializers.Serializer):
    """`page` and `per_page` are read by the paginator; checked here so bad values are a 400."""

    page = serializers.IntegerField(min_value=1, max_value=100_000, required=False)
    per_page = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=f"Results per page, {StandardPagination.page_size} unless given; "
        f"at most {StandardPagination.max_page_size}.",
    )


def paginated_response(*, request, view: APIView, queryset: QuerySet[Any], serializer_class):
    """One page of `queryset` in the standard envelope (count, next, previous, results)."""
    paginator = StandardPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def _parse_id(value: str):
    """A path id that is not a UUID names nothing: 404, like an unknown one."""
    try:
        return serializers.UUIDField().to_internal_value(value)
    except serializers.ValidationError:
        raise Http404("Not found") from None


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()


class AreaRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    code = serializers.CharField()


class TermSerializer(serializers.Serializer):
    taxonomy = serializers.CharField(source="taxonomy.slug")
    code = serializers.CharField()
    name = serializers.CharField()


class ClaimSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    # DRF takes declared fields off the class, so these names do not shadow Field attributes.
    label = serializers.CharField(source="get_dimension_display")  # type: ignore[assignment]
    value = serializers.CharField()
    evidence_level = serializers.CharField()
    verified_at = serializers.DateTimeField(allow_null=True)


class ProvenanceSerializer(serializers.Serializer):
    source = serializers.CharField(source="provenance_source")  # type: ignore[assignment]
    source_label = serializers.CharField(source="get_provenance_source_display")
    detail = serializers.CharField(source="provenance_detail")
    recorded_at = serializers.DateTimeField(source="provenance_recorded_at")


class ServiceAreaRefSerializer(serializers.Serializer):
    slug = serializers.CharField(source="area.slug")
    name = serializers.CharField(source="area.name")
    kind = serializers.CharField(source="area.kind")
    code = serializers.CharField(source="area.code")


# --- Endpoints -----------------------------------------------------------------------------


class ServiceListApi(APIView):
    """Search services as the public search does, with claims kept for the detail endpoint."""

    policy = SIGNED_IN
    pagination_class = StandardPagination

    class InputSerializer(PageInput):
        area = serializers.SlugField(
            required=False,
            help_text="Area slug, such as leeds; services for areas above or below it match too.",
        )
        risk = serializers.ChoiceField(choices=[d.value for d in RISK_DIMENSIONS], required=False)
        abuse = serializers.CharField(
            required=False, max_length=60, help_text="Abuse type code, such as DA."
        )
        cohort = serializers.ChoiceField(
            choices=[d.value for d in COHORT_DIMENSIONS], required=False
        )
        route = serializers.CharField(
            required=False, max_length=60, help_text="Referral route code, such as police."
        )
        self_referral = serializers.BooleanField(required=False, default=False)
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)
        include_inactive = serializers.BooleanField(
            required=False, default=False, help_text="Directory editors only."
        )

        def validate_area(self, value: str) -> Area:
            area = area_get_by_slug(slug=value)
            if area is None:
                raise serializers.ValidationError("Unknown area")
            return area

        def _term_code(self, taxonomy: str, value: str) -> str:
            if not TaxonomyTerm.objects.filter(taxonomy__slug=taxonomy, code=value).exists():
                raise serializers.ValidationError(f"Unknown {taxonomy} code")
            return value

        def validate_abuse(self, value: str) -> str:
            return self._term_code("abuse-types", value)

        def validate_route(self, value: str) -> str:
            return self._term_code("referral-routes", value)

    @extend_schema_serializer(component_name="DirectoryServiceListItem")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        name = serializers.CharField()
        organisation = OrganisationRefSerializer()
        status = serializers.CharField()
        suite_tier = serializers.CharField()
        intervention_type = serializers.CharField()
        capacity_status = serializers.CharField()
        areas = serializers.SerializerMethodField()
        confirmed_at = serializers.DateTimeField(allow_null=True)
        updated_at = serializers.DateTimeField()

        def get_areas(self, service: Service) -> list[str]:
            return [service_area.area.slug for service_area in service.service_areas.all()]

    @extend_schema(
        parameters=[InputSerializer], responses={200: OutputSerializer(many=True)}, tags=TAGS
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        area = data.get("area")
        filters = selectors.ServiceFilters(
            area_id=area.id if area else None,
            risk_tier=data.get("risk", ""),
            abuse_type=data.get("abuse", ""),
            cohort=data.get("cohort", ""),
            referral_route=data.get("route", ""),
            self_referral=data["self_referral"],
            text=data.get("q", "").strip(),
            include_area_descendants=True,
        )
        services = service_list_for_api(
            user=request.user, filters=filters, include_inactive=data["include_inactive"]
        )
        return paginated_response(
            request=request, view=self, queryset=services, serializer_class=self.OutputSerializer
        )


class ServiceDetailApi(APIView):
    """One service with its claims, areas, taxonomy terms and provenance."""

    policy = SIGNED_IN

    @extend_schema_serializer(component_name="DirectoryService")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        name = serializers.CharField()
        organisation = OrganisationRefSerializer()
        description = serializers.CharField()
        notes = serializers.CharField()
        url = serializers.CharField()
        email = serializers.CharField()
        phone = serializers.CharField()
        status = serializers.CharField()
        delivery_status = serializers.CharField()
        intervention_type = serializers.CharField()
        suite_tier = serializers.CharField()
        referral_routes_text = serializers.CharField()
        genders_served = serializers.ListField(child=serializers.CharField())
        min_age = serializers.IntegerField(allow_null=True)
        max_age = serializers.IntegerField(allow_null=True)
        languages = serializers.ListField(child=serializers.CharField())
        eligibility_text = serializers.CharField()
        exclusions_text = serializers.CharField()
        capacity_status = serializers.CharField()
        capacity_places = serializers.IntegerField(allow_null=True)
        waiting_weeks = serializers.IntegerField(allow_null=True)
        duration_weeks = serializers.IntegerField(allow_null=True)
        delivery_formats = serializers.ListField(child=serializers.CharField())
        integrated_victim_support = serializers.CharField()
        victim_support_partner = serializers.CharField()
        accreditation = serializers.CharField()
        evaluation_status = serializers.CharField()
        evidence_approach = serializers.CharField()
        is_virtual = serializers.BooleanField()
        visible_from = serializers.DateField(allow_null=True)
        visible_to = serializers.DateField(allow_null=True)
        claims = ClaimSerializer(many=True, source="claims.all")
        areas = ServiceAreaRefSerializer(many=True, source="service_areas.all")
        terms = TermSerializer(many=True, source="taxonomy_terms.all")
        provenance = ProvenanceSerializer(source="*")
        confirmed_at = serializers.DateTimeField(allow_null=True)
        stale = serializers.SerializerMethodField()
        updated_at = serializers.DateTimeField()

        def get_stale(self, service: Service) -> bool:
            return selectors.service_is_stale(service)

    @extend_schema(
        parameters=[OpenApiParameter("service_id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={200: OutputSerializer},
        tags=TAGS,
    )
    def get(self, request, service_id: str):
        service = service_get_for_api(user=request.user, service_id=_parse_id(service_id))
        return Response(self.OutputSerializer(service).data)


class OrganisationListApi(APIView):
    """Organisations, by name."""

    policy = SIGNED_IN
    pagination_class = StandardPagination

    class InputSerializer(PageInput):
        kind = serializers.ChoiceField(choices=OrganisationKind.values, required=False)

    @extend_schema_serializer(component_name="DirectoryOrganisation")
    class OutputSerializer(serializers.Serializer):
        id = serializers.UUIDField()
        name = serializers.CharField()
        slug = serializers.CharField()
        kind = serializers.CharField()
        description = serializers.CharField()
        website = serializers.CharField()

    @extend_schema(
        parameters=[InputSerializer], responses={200: OutputSerializer(many=True)}, tags=TAGS
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return paginated_response(
            request=request,
            view=self,
            queryset=organisation_list(kind=params.validated_data.get("kind", "")),
            serializer_class=self.OutputSerializer,
        )


class AreaListApi(APIView):
    """Areas services can serve, with the slugs of the areas they sit inside."""

    policy = SIGNED_IN
    pagination_class = StandardPagination

    class InputSerializer(PageInput):
        kind = serializers.ChoiceField(choices=AreaKind.values, required=False)

    @extend_schema_serializer(component_name="DirectoryArea")
    class OutputSerializer(AreaRefSerializer):
        parents = serializers.SerializerMethodField()

        def get_parents(self, area: Area) -> list[str]:
            return [parent.slug for parent in area.parents.all()]

    @extend_schema(
        parameters=[InputSerializer], responses={200: OutputSerializer(many=True)}, tags=TAGS
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return paginated_response(
            request=request,
            view=self,
            queryset=area_list(kind=params.validated_data.get("kind", "")),
            serializer_class=self.OutputSerializer,
        )
