"""Front-door API, mounted at /api/v1/ (before the directory's routes)."""

from django.urls import include, path

from . import api, api_match

urlpatterns = [
    path("", include(api.urlpatterns)),
    path("", include(api_match.urlpatterns)),
]
