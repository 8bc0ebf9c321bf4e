"""Placeholder: filled in by the provider pages."""

urlpatterns: list = []
