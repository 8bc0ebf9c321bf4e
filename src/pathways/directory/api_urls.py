"""Internal REST API, version 1."""

from django.urls import path

from pathways.accounts.api import TokenObtainApi

from . import api

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("services/", api.ServiceListApi.as_view(), name="api-services"),
    path("services/<str:service_id>/", api.ServiceDetailApi.as_view(), name="api-service"),
    path("organisations/", api.OrganisationListApi.as_view(), name="api-organisations"),
    path("areas/", api.AreaListApi.as_view(), name="api-areas"),
]
