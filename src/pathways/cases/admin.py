"""Admin for case work: read-only, and for records about people only behind break-glass.

Nothing about a case is added, changed or deleted here: every change goes through the
services, so the safety rules (linked support, different workers, handover at high risk,
consent, audit) hold whatever the door. Records that identify a person (cases, notes,
risk events, consent, equality answers, staff records…) are listed and shown only while
the administrator has an audited break-glass window open (see `views.break_glass`), and
each record opened is audited as a read. Agreements, service settings and session
calendars identify nobody and need no window.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from .models import (
    Alert,
    Attendance,
    CaseAssessment,
    CaseNote,
    CaseStatusChange,
    Consent,
    EqualityProfile,
    GroupSession,
    Handover,
    PerpetratorCase,
    RiskEvent,
    ServiceCaseSettings,
    Share,
    SharingAgreement,
    StaffRecord,
    SupportCase,
    SupportNote,
)
from .policies import BREAK_GLASS
from .views.break_glass import break_glass_open_until

AUDIENCE = "admin_break_glass"
SAFE_METHODS = ("GET", "HEAD")


class ReadOnlyCaseAdmin(admin.ModelAdmin):
    """Administrators may look; nobody may add, change or delete, superusers included."""

    actions = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return BREAK_GLASS.allows(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return BREAK_GLASS.allows(request.user)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            raise PermissionDenied("Case records are changed only through the case pages.")
        return super().changeform_view(request, object_id, form_url, extra_context)


class BreakGlassAdmin(ReadOnlyCaseAdmin):
    """Identifiable records: the list, a record and its history open only inside a
    break-glass window, and each record opened is audited."""

    # (action, object type, reference) of the case a record belongs to, for the audit.
    def audit_target(self, obj: Any) -> tuple[str, str, str]:
        support_case = getattr(obj, "support_case", None)
        if support_case is not None:
            return AuditAction.SUPPORT_CASE_VIEWED, "support_case", support_case.reference
        case = getattr(obj, "case", None)
        if case is not None:
            return AuditAction.CASE_VIEWED, "perpetrator_case", case.reference
        return AuditAction.READ, obj._meta.model_name, str(obj.pk)

    def _refuse_without_window(self, request: HttpRequest) -> HttpResponse | None:
        if break_glass_open_until(request) is not None:
            return None
        messages.warning(
            request,
            "Case records in the admin need break-glass. Give your reason to open it; "
            "it is kept in the audit trail.",
        )
        url = reverse("cases:break-glass") + "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._refuse_without_window(request) or super().changelist_view(
            request, extra_context
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            raise PermissionDenied("Case records are changed only through the case pages.")
        if object_id is None:  # the add page, which refuses everyone
            return super().changeform_view(request, object_id, form_url, extra_context)
        return self._refuse_without_window(request) or super().changeform_view(
            request, object_id, form_url, extra_context
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._refuse_without_window(request) or super().history_view(
            request, object_id, extra_context
        )

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        response = super().render_change_form(request, context, add, change, form_url, obj)
        if obj is not None:
            action, object_type, object_id = self.audit_target(obj)
            audit_record(
                actor=request.user,
                action=action,
                object_type=object_type,
                object_id=object_id,
                detail={"audience": AUDIENCE, "record": obj._meta.model_name, "id": str(obj.pk)},
                request=request,
            )
        return response


@admin.register(PerpetratorCase)
class PerpetratorCaseAdmin(BreakGlassAdmin):
    # References and codes only in the list; details only on a record, which is audited.
    list_display = ("reference", "service", "status", "tier", "current_risk", "opened_at")
    list_filter = ("status", "current_risk")
    list_select_related = ("service",)
    search_fields = ("reference",)

    def audit_target(self, obj: Any) -> tuple[str, str, str]:
        return AuditAction.CASE_VIEWED, "perpetrator_case", obj.reference


@admin.register(SupportCase)
class SupportCaseAdmin(BreakGlassAdmin):
    list_display = ("reference", "organisation", "perpetrator_case", "status", "opened_at")
    list_filter = ("status",)
    list_select_related = ("organisation", "perpetrator_case")
    search_fields = ("reference",)

    def audit_target(self, obj: Any) -> tuple[str, str, str]:
        return AuditAction.SUPPORT_CASE_VIEWED, "support_case", obj.reference


@admin.register(SupportNote)
class SupportNoteAdmin(BreakGlassAdmin):
    list_display = ("support_case", "author", "created_at")
    list_select_related = ("support_case", "author")
    search_fields = ("support_case__reference",)


@admin.register(CaseNote)
class CaseNoteAdmin(BreakGlassAdmin):
    list_display = ("case", "author", "created_at")
    list_select_related = ("case", "author")
    search_fields = ("case__reference",)


@admin.register(CaseStatusChange)
class CaseStatusChangeAdmin(BreakGlassAdmin):
    list_display = ("case", "support_case", "from_status", "to_status", "at")
    list_select_related = ("case", "support_case")
    search_fields = ("case__reference", "support_case__reference")


@admin.register(CaseAssessment)
class CaseAssessmentAdmin(BreakGlassAdmin):
    list_display = ("case", "kind", "assessed_on", "tier")
    list_filter = ("kind", "tier")
    list_select_related = ("case",)
    search_fields = ("case__reference",)


@admin.register(Attendance)
class AttendanceAdmin(BreakGlassAdmin):
    list_display = ("case", "session", "status")
    list_filter = ("status",)
    list_select_related = ("case", "session")
    search_fields = ("case__reference",)


@admin.register(Consent)
class ConsentAdmin(BreakGlassAdmin):
    list_display = ("case", "support_case", "state", "created_at")
    list_filter = ("state",)
    list_select_related = ("case", "support_case")
    search_fields = ("case__reference", "support_case__reference")


@admin.register(RiskEvent)
class RiskEventAdmin(BreakGlassAdmin):
    list_display = ("case", "kind", "raised_side", "threat_to", "occurred_on", "created_at")
    list_filter = ("kind", "raised_side")
    list_select_related = ("case",)
    search_fields = ("case__reference",)

    def audit_target(self, obj: Any) -> tuple[str, str, str]:
        # A risk event belongs to the perpetrator case, whichever side raised it.
        return AuditAction.CASE_VIEWED, "perpetrator_case", obj.case.reference


@admin.register(Alert)
class AlertAdmin(BreakGlassAdmin):
    list_display = ("case", "kind", "role", "recipient", "created_at", "acknowledged_at")
    list_filter = ("kind", "role")
    list_select_related = ("case", "recipient")
    search_fields = ("case__reference",)


@admin.register(Handover)
class HandoverAdmin(BreakGlassAdmin):
    list_display = ("case", "to_organisation", "handed_over_on")
    list_select_related = ("case", "to_organisation")
    search_fields = ("case__reference",)


@admin.register(Share)
class ShareAdmin(BreakGlassAdmin):
    list_display = (
        "agreement",
        "case",
        "support_case",
        "from_organisation",
        "to_organisation",
        "category",
        "shared_at",
    )
    list_filter = ("category",)
    list_select_related = (
        "agreement",
        "case",
        "support_case",
        "from_organisation",
        "to_organisation",
    )
    search_fields = ("case__reference", "support_case__reference")


@admin.register(EqualityProfile)
class EqualityProfileAdmin(BreakGlassAdmin):
    list_display = ("case", "support_case", "updated_at")
    list_select_related = ("case", "support_case")
    search_fields = ("case__reference", "support_case__reference")


@admin.register(StaffRecord)
class StaffRecordAdmin(BreakGlassAdmin):
    list_display = ("user", "organisation", "updated_at")
    list_select_related = ("user", "organisation")

    def audit_target(self, obj: Any) -> tuple[str, str, str]:
        return AuditAction.READ, "staff_record", str(obj.pk)


@admin.register(SharingAgreement)
class SharingAgreementAdmin(ReadOnlyCaseAdmin):
    list_display = ("name", "lawful_basis", "status", "starts_on", "review_on")
    list_filter = ("status", "lawful_basis")
    search_fields = ("name",)


@admin.register(ServiceCaseSettings)
class ServiceCaseSettingsAdmin(ReadOnlyCaseAdmin):
    list_display = (
        "service",
        "assessment_interval_days",
        "max_caseload",
        "missed_sessions_warning",
        "missed_sessions_review",
    )
    list_select_related = ("service",)


@admin.register(GroupSession)
class GroupSessionAdmin(ReadOnlyCaseAdmin):
    list_display = ("service", "format", "held_on", "title")
    list_filter = ("format",)
    list_select_related = ("service",)
