"""Standards API, mounted at /api/v1/standards/."""

from django.urls import path

from . import api

urlpatterns = [
    path("frameworks/", api.FrameworkListApi.as_view(), name="api-standards-frameworks"),
    path(
        "frameworks/<str:slug>/items/",
        api.FrameworkItemListApi.as_view(),
        name="api-standards-framework-items",
    ),
    path("assessments/", api.AssessmentListApi.as_view(), name="api-standards-assessments"),
    path(
        "assessments/<str:assessment_id>/",
        api.AssessmentDetailApi.as_view(),
        name="api-standards-assessment",
    ),
]
