"""Case work pages: the perpetrator side (see views/perpetrator.py and
views/perpetrator_actions.py). Every page uses the CASE_WORK policy."""

from django.urls import path

from . import converters  # noqa: F401 - registers case_ref and support_ref
from .views import perpetrator as pages
from .views import perpetrator_actions as actions

CASE = "<case_ref:case_reference>/"

urlpatterns: list = [
    path("", pages.case_list, name="case-list"),
    path("new/", pages.case_new, name="case-new"),
    path("sessions/new/", pages.session_new, name="session-new"),
    path(CASE, pages.case_detail, name="case-detail"),
    path(CASE + "assign/", actions.case_assign, name="case-assign"),
    path(CASE + "status/", actions.case_status, name="case-status"),
    path(CASE + "assessment/", actions.case_assessment, name="case-assessment"),
    path(CASE + "note/", actions.case_note, name="case-note"),
    path(CASE + "consent/", actions.case_consent, name="case-consent"),
    path(CASE + "handover/", actions.case_handover, name="case-handover"),
    path(CASE + "no-victim/", actions.case_no_victim, name="case-no-victim"),
    path(
        CASE + "no-victim/approve/",
        actions.case_no_victim_approve_view,
        name="case-no-victim-approve",
    ),
    path(CASE + "request-support/", actions.case_request_support, name="case-request-support"),
    path(CASE + "risk-event/", actions.case_risk_event, name="case-risk-event"),
    path(CASE + "equality/", actions.case_equality, name="case-equality"),
    path(CASE + "details/", actions.case_details, name="case-details"),
    path(
        CASE + "engagement-review/",
        actions.case_engagement_review,
        name="case-engagement-review",
    ),
    path(CASE + "share/", actions.case_share, name="case-share"),
]
