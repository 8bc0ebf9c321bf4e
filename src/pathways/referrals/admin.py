"""Admin: read-mostly views for administrators; writes go through services."""

from django.contrib import admin

from .models import Notification, Referral, RiskPolicy, UnmetNeed


@admin.register(RiskPolicy)
class RiskPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "area", "version", "is_active", "is_licensed_tool")
    list_filter = ("is_active",)


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ("reference", "route", "source", "status", "area", "created_at")
    list_filter = ("status", "route")
    search_fields = ("reference",)
    # Identifiable details are not shown in the admin list; open a referral through the
    # front-door pages, which audit the read.
    fields = ("reference", "route", "channel", "source", "status", "area", "tier")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UnmetNeed)
class UnmetNeedAdmin(admin.ModelAdmin):
    list_display = ("area", "tier", "cohort", "abuse_type", "route", "recorded_at")
    list_filter = ("tier",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "recipient_address", "status", "backend", "created_at")
    list_filter = ("status", "kind")
