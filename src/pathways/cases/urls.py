"""Case work pages, mounted at /cases/ (perpetrator side, alerts, management, sharing)
and /support/ (the victim-survivor support side, see `urls_support`)."""

from django.urls import include, path

app_name = "cases"

urlpatterns = [
    path("alerts/", include("pathways.cases.urls_alerts")),
    path("manage/", include("pathways.cases.urls_manage")),
    path("sharing/", include("pathways.cases.urls_sharing")),
    path("", include("pathways.cases.urls_perpetrator")),
]
