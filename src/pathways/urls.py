"""Root URL configuration. Every view named here declares an access policy."""

from django.contrib import admin
from django.urls import include, path

from pathways.core import views as core_views

admin.site.site_header = "Pathways administration"
admin.site.site_title = "Pathways administration"

urlpatterns = [
    path("", include("pathways.public.urls")),
    path("accounts/", include("pathways.accounts.urls")),
    path("work/", include("pathways.core.urls")),
    path("directory/", include("pathways.directory.urls")),
    path("mapping/", include("pathways.mapping.urls")),
    path("self-referral/", include("pathways.referrals.urls_public")),
    path("referrals/", include("pathways.referrals.urls")),
    path("cases/", include("pathways.cases.urls")),
    path("support/", include(("pathways.cases.urls_support", "support"))),
    path("language/", core_views.set_language, name="set-language"),
    path("api/v1/mapping/", include("pathways.mapping.api_urls")),
    path("evidence/", include("pathways.evidence.urls")),
    path("api/v1/evidence/", include("pathways.evidence.api_urls")),
    path("standards/", include("pathways.standards.urls")),
    path("api/v1/standards/", include("pathways.standards.api_urls")),
    path("api/v1/", include("pathways.referrals.api_urls")),
    path("api/v1/", include("pathways.cases.api_urls")),
    path("api/v1/", include("pathways.directory.api_urls")),
    path("api/oruk/", include("pathways.directory.oruk_urls")),
    path("api/schema/", core_views.SchemaView.as_view(), name="api-schema"),
    path("api/docs/", core_views.SwaggerView.as_view(), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler403 = "pathways.core.errors.permission_denied"
handler404 = "pathways.core.errors.page_not_found"
handler500 = "pathways.core.errors.server_error"
