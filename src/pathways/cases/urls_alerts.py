"""Alerts and risk events, mounted at /cases/alerts/ (namespace "cases"); every page uses
the RISK_ALERTS policy and shows only what the selectors let the user see (see
views/alerts.py)."""

from django.urls import path

from . import converters  # noqa: F401 - registers case_ref and support_ref
from .views import alerts as views

urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("<int:alert_id>/acknowledge/", views.alert_acknowledge_view, name="alert-acknowledge"),
    path("risk-events/<uuid:event_id>/", views.risk_event_detail, name="risk-event-detail"),
    path(
        "risk-events/<uuid:event_id>/victim-told/",
        views.risk_event_victim_told_view,
        name="risk-event-victim-told",
    ),
]
