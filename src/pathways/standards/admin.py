"""Standards in the Django admin: frameworks are read-only (they change by import), and
assessments are read-only so every change goes through the audited service layer."""

from django.contrib import admin

from .models import Assessment, Framework, ItemRating, RiskTierDefinition, TierCriteria


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Framework)
class FrameworkAdmin(ReadOnlyAdmin):
    list_display = ("title", "slug", "version", "year", "is_current")
    list_filter = ("slug", "is_current")


class ItemRatingInline(admin.TabularInline):
    model = ItemRating
    fields = ("question", "status", "agreed_status", "decision", "review_date")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("service", "checklist", "number", "kind", "status", "outcome")
    list_filter = ("status", "kind", "outcome")
    list_select_related = ("service", "checklist__framework")
    search_fields = ("service__name",)
    inlines = [ItemRatingInline]


class TierCriteriaInline(admin.TabularInline):
    model = TierCriteria
    extra = 0


@admin.register(RiskTierDefinition)
class RiskTierDefinitionAdmin(ReadOnlyAdmin):
    list_display = ("area", "title", "updated_at")
    inlines = [TierCriteriaInline]
