"""Open Referral UK 3.0 feed of the public directory: open data, no sign-in, any origin.

The shapes follow the ORUK profile schemas; `tests/directory/test_oruk.py` validates real
responses against copies of them. What is published, and what never is:

- only services the public may see (`selectors.service_public_queryset`: not deleted,
  active, inside their visibility window), and only organisations that run one;
- never a sensitive venue (`Location.is_sensitive`, the default): not its address, postcode
  or coordinates, and not its name either, because a refuge's name can give it away. The
  venue is left out of the feed altogether; the areas served are still published. Venues of
  phone- or online-only services (`Service.is_virtual`) are left out too;
- no more contact detail than the public service page shows (website and phone, not email);
- Pathways' own judgements (claims with evidence levels, suite tier, provenance) stay in the
  signed-in API; the feed carries taxonomy terms as ORUK `attributes`.

Optional ORUK fields are left out rather than sent empty: the schemas do not allow null, and
an empty string is not a valid uri or email.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.conf.locale import LANG_INFO
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from pathways.accounts.policies import PUBLIC
from pathways.areas.selectors import area_get_by_slug

from . import selectors
from .models import (
    Organisation,
    Service,
    ServiceArea,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

ORUK_VERSION = "3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/openapi.json"
# Areas with a GSS code are identified by the ONS linked-data URI for the code.
GSS_URI = "http://statistics.data.gov.uk/id/statistical-geography/{code}"

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
# Keeps OFFSET inside what every database accepts; no feed has this many pages.
MAX_PAGE = 100_000

TAGS = ["Open Referral UK"]


# --- Reads -------------------------------------------------------------------------------
# These belong with the directory selectors; they live here while selectors.py is shared.


def _published_locations() -> Prefetch:
    """Service-at-location rows whose venue may be published; sensitive venues are never loaded."""
    return Prefetch(
        "service_at_locations",
        queryset=ServiceAtLocation.objects.filter(location__is_sensitive=False)
        .select_related("location")
        .order_by("location__name", "id"),
        to_attr="oruk_locations",
    )


def oruk_service_list(*, filters: selectors.ServiceFilters) -> QuerySet[Service]:
    """Public services for the feed; a list item has one-to-one fields only, so no prefetches."""
    return selectors.service_list_for_public(filters=filters).prefetch_related(None)


def oruk_service_get(*, service_id: uuid.UUID) -> Service:
    """One public service with everything the full ORUK record shows, or 404."""
    service = selectors.service_get_for_public(service_id=service_id)
    prefetch_related_objects([service], _published_locations())
    return service


def organisation_list_for_public() -> QuerySet[Organisation]:
    """Organisations that run at least one publicly visible service."""
    runs_public_service = Exists(
        selectors.service_public_queryset().filter(organisation_id=OuterRef("pk"))
    )
    return Organisation.objects.filter(runs_public_service).order_by("name", "id")


def organisation_get_for_public(*, organisation_id: uuid.UUID) -> Organisation:
    """One organisation that runs a public service, with those services, or 404."""
    organisation = (
        organisation_list_for_public()
        .filter(pk=organisation_id)
        .prefetch_related(
            Prefetch(
                "services",
                queryset=selectors.service_public_queryset().order_by("name", "id"),
                to_attr="public_services",
            )
        )
        .first()
    )
    if organisation is None:
        raise Http404("No such organisation")
    return organisation


def taxonomy_list() -> QuerySet[Taxonomy]:
    """Every taxonomy: controlled vocabularies are public reference data."""
    return Taxonomy.objects.order_by("name", "id")


def taxonomy_get(*, taxonomy_id: uuid.UUID) -> Taxonomy:
    """One taxonomy with its terms, or 404."""
    taxonomy = (
        taxonomy_list()
        .filter(pk=taxonomy_id)
        .prefetch_related(
            Prefetch(
                "terms",
                queryset=TaxonomyTerm.objects.select_related("taxonomy").order_by(
                    "sort_order", "name", "id"
                ),
            )
        )
        .first()
    )
    if taxonomy is None:
        raise Http404("No such taxonomy")
    return taxonomy


def taxonomy_term_list(*, taxonomy_id: uuid.UUID | None = None) -> QuerySet[TaxonomyTerm]:
    """Every taxonomy term, or those of one taxonomy."""
    qs = TaxonomyTerm.objects.select_related("taxonomy").order_by(
        "taxonomy__name", "sort_order", "name", "id"
    )
    if taxonomy_id is not None:
        qs = qs.filter(taxonomy_id=taxonomy_id)
    return qs


def taxonomy_term_get(*, term_id: uuid.UUID) -> TaxonomyTerm:
    """One taxonomy term, or 404."""
    term = taxonomy_term_list().filter(pk=term_id).first()
    if term is None:
        raise Http404("No such taxonomy term")
    return term


# --- ORUK shapes ---------------------------------------------------------------------------


def _compact(data: dict[str, Any], *, keep: Iterable[str] = ()) -> dict[str, Any]:
    """Leave out optional fields with no value (ORUK types allow neither null nor '' for uris)."""
    kept = set(keep)
    return {key: value for key, value in data.items() if key in kept or value not in (None, "")}


def _derived_id(owner: uuid.UUID, name: str) -> str:
    """A stable id for an ORUK object Pathways keeps as a plain value (a language, a phone)."""
    return str(uuid.uuid5(owner, name))


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def oruk_taxonomy_term(term: TaxonomyTerm) -> dict[str, Any]:
    return _compact(
        {
            "id": str(term.id),
            "name": term.name,
            "description": term.description,
            "parent_id": str(term.parent_id) if term.parent_id else None,
            "taxonomy": term.taxonomy.name,
            "taxonomy_id": str(term.taxonomy_id),
            "term": term.code,
        },
        keep=("description",),
    )


def oruk_taxonomy(taxonomy: Taxonomy, *, with_terms: bool = False) -> dict[str, Any]:
    data = _compact(
        {
            "id": str(taxonomy.id),
            "name": taxonomy.name,
            "description": taxonomy.description,
            "version": taxonomy.version,
        },
        keep=("description",),
    )
    if with_terms:
        data["taxonomy_terms"] = [oruk_taxonomy_term(term) for term in taxonomy.terms.all()]
    return data


def oruk_organization(organisation: Organisation) -> dict[str, Any]:
    return _compact(
        {
            "id": str(organisation.id),
            "name": organisation.name,
            "description": organisation.description,
            "website": organisation.website,
        },
        keep=("description",),
    )


def oruk_service_summary(service: Service, *, with_organization: bool = True) -> dict[str, Any]:
    """The one-to-one fields of a service (the ORUK list shape)."""
    data = _compact(
        {
            "id": str(service.id),
            "organization_id": str(service.organisation_id),
            "name": service.name,
            "description": service.description,
            "url": service.url,
            "status": service.status,
            "accreditations": service.accreditation,
            "minimum_age": service.min_age,
            "maximum_age": service.max_age,
            "assured_date": (
                timezone.localtime(service.confirmed_at).date().isoformat()
                if service.confirmed_at
                else None
            ),
            "last_modified": _timestamp(service.updated_at),
        }
    )
    if with_organization:
        data["organization"] = oruk_organization(service.organisation)
    return data


def _service_area(service_area: ServiceArea) -> dict[str, Any]:
    area = service_area.area
    return _compact(
        {
            "id": str(service_area.id),
            "service_id": str(service_area.service_id),
            "name": area.name,
            "service_area": area.name,
            "uri": GSS_URI.format(code=area.code) if area.code else None,
        }
    )


def _service_at_location(link: ServiceAtLocation) -> dict[str, Any] | None:
    location = link.location
    if location.is_sensitive:  # never loaded by the selector; checked again because it matters
        return None
    published: dict[str, Any] = {
        "id": str(location.id),
        "location_type": "physical",
        "name": location.name,
    }
    if location.latitude is not None and location.longitude is not None:
        published["latitude"] = float(location.latitude)
        published["longitude"] = float(location.longitude)
    if location.address_1 and location.postcode:
        published["addresses"] = [
            {
                "id": _derived_id(location.id, "address:physical"),
                "location_id": str(location.id),
                "address_1": location.address_1,
                "city": location.city,
                "state_province": "",
                "postal_code": location.postcode,
                "country": "GB",
                "address_type": "physical",
            }
        ]
    return {
        "id": str(link.id),
        "service_id": str(link.service_id),
        "location_id": str(location.id),
        "location": published,
    }


def _languages(service: Service) -> list[dict[str, Any]]:
    codes: list[str] = []
    for code in service.languages or []:
        if isinstance(code, str) and code.strip() and code.strip().lower() not in codes:
            codes.append(code.strip().lower())
    return [
        _compact(
            {
                "id": _derived_id(service.id, f"language:{code}"),
                "service_id": str(service.id),
                "name": LANG_INFO.get(code, {}).get("name"),
                "code": code,
            }
        )
        for code in codes
    ]


def _attribute(service: Service, term: TaxonomyTerm) -> dict[str, Any]:
    return {
        "id": _derived_id(service.id, f"attribute:{term.id}"),
        "link_id": str(service.id),
        "link_entity": "service",
        "taxonomy_term_id": str(term.id),
        "taxonomy_term": oruk_taxonomy_term(term),
    }


def oruk_service_full(service: Service) -> dict[str, Any]:
    """A fully nested service. Expects `oruk_service_get`'s prefetches."""
    data = oruk_service_summary(service)
    data["service_areas"] = [_service_area(sa) for sa in service.service_areas.all()]
    links = [] if service.is_virtual else getattr(service, "oruk_locations", [])
    data["service_at_locations"] = [
        published for link in links if (published := _service_at_location(link)) is not None
    ]
    data["languages"] = _languages(service)
    data["phones"] = (
        [
            {
                "id": _derived_id(service.id, "phone"),
                "service_id": str(service.id),
                "number": service.phone,
            }
        ]
        if service.phone
        else []
    )
    data["contacts"] = []  # Pathways records no named contacts
    data["attributes"] = [_attribute(service, term) for term in service.taxonomy_terms.all()]
    return data


def oruk_organization_full(organisation: Organisation) -> dict[str, Any]:
    data = oruk_organization(organisation)
    data["services"] = [
        oruk_service_summary(service, with_organization=False)
        for service in getattr(organisation, "public_services", [])
    ]
    return data


# --- Paging and input ----------------------------------------------------------------------


def oruk_page(
    queryset: QuerySet[Any], *, page: int, per_page: int, present: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """The ORUK paging envelope. A page past the end is empty, not an error."""
    total = queryset.count()
    offset = (page - 1) * per_page
    contents = [present(row) for row in queryset[offset : offset + per_page]]
    total_pages = math.ceil(total / per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(contents),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


class PageInput(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=1)
    per_page = serializers.IntegerField(
        min_value=1,
        default=DEFAULT_PER_PAGE,
        help_text=f"Results per page, {DEFAULT_PER_PAGE} unless given; more than {MAX_PER_PAGE} gives {MAX_PER_PAGE}.",
    )

    def validate_per_page(self, value: int) -> int:
        return min(value, MAX_PER_PAGE)


def _parse_id(value: str) -> uuid.UUID:
    """A path id that is not a UUID names nothing: 404, like an unknown one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("Not found") from None


def _id_parameter(name: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH)


# --- Endpoints ---------------------------------------------------------------------------


class _OrukApi(APIView):
    """Shared plumbing: open to anyone, JSON only, no session or token is read."""

    authentication_classes: list = []
    renderer_classes = [JSONRenderer]


class OrukRootApi(_OrukApi):
    """What this feed is: the ORUK version and profile it follows."""

    policy = PUBLIC

    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=TAGS, operation_id="oruk_root")
    def get(self, request):
        return Response(
            {"version": ORUK_VERSION, "profile": PROFILE_URL, "openapi_url": OPENAPI_URL}
        )


class OrukServiceListApi(_OrukApi):
    """Publicly visible services, one-to-one fields and organisation, by name."""

    policy = PUBLIC

    class InputSerializer(PageInput):
        area = serializers.SlugField(
            required=False,
            help_text="Area slug, such as leeds. Services for any area above it (West Yorkshire) "
            "or below it also match.",
        )
        taxonomy_term_id = serializers.UUIDField(required=False)
        text = serializers.CharField(required=False, allow_blank=True, max_length=200)
        search = serializers.CharField(
            required=False, allow_blank=True, max_length=200, help_text="The same as text."
        )

        def validate_area(self, value: str):
            area = area_get_by_slug(slug=value)
            if area is None:
                raise serializers.ValidationError("Unknown area")
            return area

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_services_list",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        area = data.get("area")
        filters = selectors.ServiceFilters(
            area_id=area.id if area else None,
            taxonomy_term_id=data.get("taxonomy_term_id"),
            text=(data.get("text") or data.get("search") or "").strip(),
            include_area_descendants=True,
        )
        return Response(
            oruk_page(
                oruk_service_list(filters=filters),
                page=data["page"],
                per_page=data["per_page"],
                present=oruk_service_summary,
            )
        )


class OrukServiceDetailApi(_OrukApi):
    """One publicly visible service, fully nested."""

    policy = PUBLIC

    @extend_schema(
        parameters=[_id_parameter("service_id")],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_services_retrieve",
    )
    def get(self, request, service_id: str):
        service = oruk_service_get(service_id=_parse_id(service_id))
        return Response(oruk_service_full(service))


class OrukOrganizationListApi(_OrukApi):
    """Organisations that run a publicly visible service."""

    policy = PUBLIC

    class InputSerializer(PageInput):
        pass

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_organizations_list",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            oruk_page(
                organisation_list_for_public(),
                page=params.validated_data["page"],
                per_page=params.validated_data["per_page"],
                present=oruk_organization,
            )
        )


class OrukOrganizationDetailApi(_OrukApi):
    """One organisation with its publicly visible services."""

    policy = PUBLIC

    @extend_schema(
        parameters=[_id_parameter("organization_id")],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_organizations_retrieve",
    )
    def get(self, request, organization_id: str):
        organisation = organisation_get_for_public(organisation_id=_parse_id(organization_id))
        return Response(oruk_organization_full(organisation))


class OrukTaxonomyListApi(_OrukApi):
    """The vocabularies services are described with."""

    policy = PUBLIC

    class InputSerializer(PageInput):
        pass

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_taxonomies_list",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        return Response(
            oruk_page(
                taxonomy_list(),
                page=params.validated_data["page"],
                per_page=params.validated_data["per_page"],
                present=oruk_taxonomy,
            )
        )


class OrukTaxonomyDetailApi(_OrukApi):
    """One vocabulary with its terms."""

    policy = PUBLIC

    @extend_schema(
        parameters=[_id_parameter("taxonomy_id")],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_taxonomies_retrieve",
    )
    def get(self, request, taxonomy_id: str):
        taxonomy = taxonomy_get(taxonomy_id=_parse_id(taxonomy_id))
        return Response(oruk_taxonomy(taxonomy, with_terms=True))


class OrukTaxonomyTermListApi(_OrukApi):
    """Every term of every vocabulary, or of one (taxonomy_id)."""

    policy = PUBLIC

    class InputSerializer(PageInput):
        taxonomy_id = serializers.UUIDField(required=False)

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_taxonomy_terms_list",
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return Response(
            oruk_page(
                taxonomy_term_list(taxonomy_id=data.get("taxonomy_id")),
                page=data["page"],
                per_page=data["per_page"],
                present=oruk_taxonomy_term,
            )
        )


class OrukTaxonomyTermDetailApi(_OrukApi):
    """One taxonomy term."""

    policy = PUBLIC

    @extend_schema(
        parameters=[_id_parameter("term_id")],
        responses={200: OpenApiTypes.OBJECT},
        tags=TAGS,
        operation_id="oruk_taxonomy_terms_retrieve",
    )
    def get(self, request, term_id: str):
        return Response(oruk_taxonomy_term(taxonomy_term_get(term_id=_parse_id(term_id))))
