"""Placeholder: filled in by the public pages."""

urlpatterns: list = []
