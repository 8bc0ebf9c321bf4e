"""Case work API, mounted at /api/v1/: /cases/… (CASE_WORK), /support-cases/… (SUPPORT_WORK),
/risk-events/… and /alerts/… (RISK_ALERTS), /sessions/ (CASE_WORK). Every action a worker
can take on the case pages is here too, through the same services and selectors."""

from django.urls import path

from . import converters  # noqa: F401 - registers case_ref and support_ref
from .api import cases, risk, sessions, support

CASE = "cases/<case_ref:case_reference>/"
SUPPORT = "support-cases/<support_ref:support_reference>/"

urlpatterns = [
    # Perpetrator cases
    path("cases/", cases.CasesApi.as_view(), name="api-cases"),
    path(CASE, cases.CaseDetailApi.as_view(), name="api-case"),
    path(f"{CASE}assign/", cases.CaseAssignApi.as_view(), name="api-case-assign"),
    path(f"{CASE}status/", cases.CaseTransitionApi.as_view(), name="api-case-status"),
    path(f"{CASE}details/", cases.CaseDetailsUpdateApi.as_view(), name="api-case-details"),
    path(f"{CASE}assessments/", cases.CaseAssessmentsApi.as_view(), name="api-case-assessments"),
    path(f"{CASE}notes/", cases.CaseNotesApi.as_view(), name="api-case-notes"),
    path(f"{CASE}consents/", cases.CaseConsentRecordApi.as_view(), name="api-case-consents"),
    path(f"{CASE}handovers/", cases.CaseHandoverRecordApi.as_view(), name="api-case-handovers"),
    path(f"{CASE}no-victim/", cases.CaseNoVictimRecordApi.as_view(), name="api-case-no-victim"),
    path(
        f"{CASE}no-victim/approve/",
        cases.CaseNoVictimApproveApi.as_view(),
        name="api-case-no-victim-approve",
    ),
    path(
        f"{CASE}engagement-review/",
        cases.CaseEngagementReviewApi.as_view(),
        name="api-case-engagement-review",
    ),
    path(
        f"{CASE}support-requests/",
        cases.CaseSupportRequestApi.as_view(),
        name="api-case-support-requests",
    ),
    path(f"{CASE}risk-events/", cases.CaseRiskEventsApi.as_view(), name="api-case-risk-events"),
    path(f"{CASE}equality/", cases.CaseEqualityRecordApi.as_view(), name="api-case-equality"),
    path(f"{CASE}shares/", cases.CaseShareRecordApi.as_view(), name="api-case-shares"),
    path("sessions/", sessions.SessionRecordApi.as_view(), name="api-sessions"),
    # Victim-survivor support cases
    path("support-cases/", support.SupportCasesApi.as_view(), name="api-support-cases"),
    path(SUPPORT, support.SupportCaseDetailApi.as_view(), name="api-support-case"),
    path(
        f"{SUPPORT}assign/", support.SupportCaseAssignApi.as_view(), name="api-support-case-assign"
    ),
    path(f"{SUPPORT}link/", support.SupportCaseLinkApi.as_view(), name="api-support-case-link"),
    path(
        f"{SUPPORT}contact/",
        support.SupportCaseContactApi.as_view(),
        name="api-support-case-contact",
    ),
    path(
        f"{SUPPORT}status/",
        support.SupportCaseTransitionApi.as_view(),
        name="api-support-case-status",
    ),
    path(f"{SUPPORT}notes/", support.SupportNotesApi.as_view(), name="api-support-case-notes"),
    path(
        f"{SUPPORT}consents/",
        support.SupportConsentRecordApi.as_view(),
        name="api-support-case-consents",
    ),
    path(
        f"{SUPPORT}risk-events/",
        support.SupportRiskEventsApi.as_view(),
        name="api-support-case-risk-events",
    ),
    path(
        f"{SUPPORT}equality/",
        support.SupportEqualityRecordApi.as_view(),
        name="api-support-case-equality",
    ),
    path(
        f"{SUPPORT}shares/",
        support.SupportShareRecordApi.as_view(),
        name="api-support-case-shares",
    ),
    # Risk events and alerts
    path("risk-events/", risk.RiskEventListApi.as_view(), name="api-risk-events"),
    path("risk-events/<uuid:event_id>/", risk.RiskEventDetailApi.as_view(), name="api-risk-event"),
    path(
        "risk-events/<uuid:event_id>/victim-told/",
        risk.RiskEventVictimToldApi.as_view(),
        name="api-risk-event-victim-told",
    ),
    path("alerts/", risk.AlertListApi.as_view(), name="api-alerts"),
    path(
        "alerts/<int:alert_id>/acknowledge/",
        risk.AlertAcknowledgeApi.as_view(),
        name="api-alert-acknowledge",
    ),
]
