"""Placeholder: filled in by the referrer pages."""

urlpatterns: list = []
