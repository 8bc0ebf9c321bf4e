"""Internal REST API, version 1."""

from django.urls import path

from pathways.accounts.api import TokenObtainApi

urlpatterns = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
]
