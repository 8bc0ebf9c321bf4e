"""Open Referral UK 3.0 feed under /api/oruk/. Each path also answers with a trailing slash."""

from __future__ import annotations

from django.urls import URLPattern, path
from rest_framework.views import APIView

from . import oruk

app_name = "oruk"


def _with_and_without_slash(route: str, view: type[APIView], name: str) -> list[URLPattern]:
    # ORUK clients ask for /services; Django habit is /services/. Both answer the same, and
    # only the first is described in the OpenAPI schema.
    return [
        path(route, view.as_view(), name=name),
        path(f"{route}/", view.as_view(schema=None), name=f"{name}-slash"),
    ]


urlpatterns = [
    path("", oruk.OrukRootApi.as_view(), name="root"),
    *_with_and_without_slash("services", oruk.OrukServiceListApi, "services"),
    *_with_and_without_slash("services/<str:service_id>", oruk.OrukServiceDetailApi, "service"),
    *_with_and_without_slash("organizations", oruk.OrukOrganizationListApi, "organizations"),
    *_with_and_without_slash(
        "organizations/<str:organization_id>", oruk.OrukOrganizationDetailApi, "organization"
    ),
    *_with_and_without_slash("taxonomies", oruk.OrukTaxonomyListApi, "taxonomies"),
    *_with_and_without_slash(
        "taxonomies/<str:taxonomy_id>", oruk.OrukTaxonomyDetailApi, "taxonomy"
    ),
    *_with_and_without_slash("taxonomy_terms", oruk.OrukTaxonomyTermListApi, "taxonomy-terms"),
    *_with_and_without_slash(
        "taxonomy_terms/<str:term_id>", oruk.OrukTaxonomyTermDetailApi, "taxonomy-term"
    ),
]
