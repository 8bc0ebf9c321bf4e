from django.contrib import admin

from .models import (
    Location,
    Organisation,
    Service,
    ServiceArea,
    ServiceChange,
    ServiceClaim,
    ServiceVersion,
    Taxonomy,
    TaxonomyTerm,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_synthetic"]
    list_filter = ["kind", "is_synthetic"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ClaimInline(admin.TabularInline):
    model = ServiceClaim
    extra = 0
    readonly_fields = ["verified_by", "verified_at"]


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0
    autocomplete_fields = ["area"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    """Read-mostly: edits to services go through the curation pages so they are versioned."""

    list_display = [
        "name",
        "organisation",
        "suite_tier",
        "status",
        "provenance_source",
        "confirmed_at",
        "deleted_at",
    ]
    list_filter = ["status", "suite_tier", "provenance_source", "intervention_type"]
    search_fields = ["name", "organisation__name", "external_ref"]
    list_select_related = ["organisation"]
    inlines = [ClaimInline, ServiceAreaInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TermInline(admin.TabularInline):
    model = TaxonomyTerm
    extra = 0


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "version"]
    inlines = [TermInline]


admin.site.register(Location)


@admin.register(ServiceVersion)
class ServiceVersionAdmin(admin.ModelAdmin):
    list_display = ["service", "number", "changed_at", "changed_by", "source"]
    list_select_related = ["service", "changed_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceChange)
class ServiceChangeAdmin(admin.ModelAdmin):
    list_display = ["service", "organisation", "status", "proposed_by", "created_at"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False
