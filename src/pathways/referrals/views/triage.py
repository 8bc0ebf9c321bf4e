"""Placeholder: filled in by the triage pages."""

urlpatterns: list = []
