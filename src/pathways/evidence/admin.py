"""Read-only admin for the evidence library.

The library is published research loaded from `evidence/fixtures/` through
`evidence.services`, and service links are made on the linking pages, so every change is
validated against the source's scale and audited. The admin lets administrators look, not edit.
"""

from django.contrib import admin

from .models import Approach, Rating, ServiceApproach, Source


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RatingInline(admin.TabularInline):
    model = Rating
    extra = 0
    fields = [
        "source",
        "name_as_published",
        "rating",
        "evidence_rating",
        "impact_rating",
        "studies",
    ]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Approach)
class ApproachAdmin(ReadOnlyAdmin):
    list_display = ["name", "slug", "abuse_focus", "prevention_level", "intervention_type"]
    list_filter = ["abuse_focus", "prevention_level", "intervention_type"]
    search_fields = ["name", "slug", "description"]
    inlines = [RatingInline]


@admin.register(Source)
class SourceAdmin(ReadOnlyAdmin):
    list_display = ["name", "publisher", "year", "scale", "reported_in_short"]
    list_filter = ["scale"]
    search_fields = ["name", "publisher"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["approach", "source", "rating", "evidence_rating", "impact_rating"]
    list_filter = ["source"]
    search_fields = ["approach__name", "name_as_published"]
    list_select_related = ["approach", "source"]


@admin.register(ServiceApproach)
class ServiceApproachAdmin(ReadOnlyAdmin):
    list_display = ["service", "approach", "set_by", "set_at"]
    list_filter = ["approach"]
    search_fields = ["service__name", "approach__name"]
    list_select_related = ["service", "approach", "set_by"]
