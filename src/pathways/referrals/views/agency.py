"""Placeholder: filled in by the agency pages."""

urlpatterns: list = []
