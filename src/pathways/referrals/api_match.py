"""Placeholder: what-if matching API."""

urlpatterns: list = []
