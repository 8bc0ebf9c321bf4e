"""The victim-survivor support side, mounted at /support/ (namespace "support"); every page
uses the SUPPORT_WORK policy (see views/support.py)."""

from django.urls import path

from . import converters  # noqa: F401 - registers case_ref and support_ref
from .views import support as views

CASE = "<support_ref:support_reference>/"

urlpatterns = [
    path("", views.support_list, name="list"),
    path("new/", views.support_new, name="new"),
    path(CASE, views.support_detail, name="detail"),
    path(CASE + "assign/", views.support_assign, name="assign"),
    path(CASE + "link/", views.support_link, name="link"),
    path(CASE + "contact/", views.support_contact, name="contact"),
    path(CASE + "note/", views.support_note, name="note"),
    path(CASE + "consent/", views.support_consent, name="consent"),
    path(CASE + "status/", views.support_status, name="status"),
    path(CASE + "risk-event/", views.support_risk_event, name="risk-event"),
    path(CASE + "equality/", views.support_equality, name="equality"),
    path(CASE + "share/", views.support_share, name="share"),
]
