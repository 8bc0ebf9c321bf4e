"""/api/v1/mapping/: the mapping of an area as JSON."""

from django.urls import path

from . import api

urlpatterns = [
    path("", api.MappingApi.as_view(), name="api-mapping"),
]
