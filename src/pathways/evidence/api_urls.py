"""/api/v1/evidence/: the evidence library."""

from django.urls import path

from . import api

urlpatterns = [
    path("approaches/", api.ApproachListApi.as_view(), name="api-evidence-approaches"),
    path(
        "approaches/<slug:slug>/",
        api.ApproachDetailApi.as_view(),
        name="api-evidence-approach",
    ),
]
