from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import services
from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class PathwaysUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "is_active", "is_staff", "two_factor"]
    actions = ["reset_two_factor"]

    def get_queryset(self, request):
        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(mfa_enrolled=Exists(enrolled))

    @admin.display(boolean=True, description="Two-factor set up", ordering="mfa_enrolled")
    def two_factor(self, obj) -> bool:
        return bool(getattr(obj, "mfa_enrolled", False))

    @admin.action(description="Reset two-factor authentication (they set it up again)")
    def reset_two_factor(self, request, queryset):
        removed = 0
        for user in queryset:
            removed += services.mfa_reset(
                actor=request.user, user=user, via="admin", request=request
            )
        self.message_user(
            request,
            f"Two-factor authentication reset for {queryset.count()} user(s) "
            f"({removed} device(s) removed). They set it up again at their next sign-in.",
        )


# Authenticators are changed only through the audited services: a person sets theirs up at
# /accounts/mfa/, and an administrator resets it with the action above (or `pathways
# mfa-reset`). django-otp's own device admin would let them be edited silently.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "organisation"]


# Failed sign-in records (django-axes). Deleting one lifts the lockout on its username and on
# its address, through the audited service, so an unlock from the admin is in the trail.
if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class SignInFailureAdmin(AccessAttemptAdmin):
    actions = ["unlock_selected"]

    def _unlock(self, request, attempts) -> int:
        cleared = 0
        for username, ip_address in {(a.username or "", a.ip_address or "") for a in attempts}:
            cleared += services.sign_in_unlock(
                actor=request.user, username=username, ip_address=ip_address, via="admin"
            )
        return cleared

    @admin.action(description="Unlock the selected usernames and addresses")
    def unlock_selected(self, request, queryset):
        cleared = self._unlock(request, list(queryset))
        self.message_user(request, f"Unlocked: {cleared} failure record(s) cleared.")

    def delete_model(self, request, obj):
        self._unlock(request, [obj])

    def delete_queryset(self, request, queryset):
        self._unlock(request, list(queryset))
