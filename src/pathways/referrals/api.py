"""Placeholder: referrals API."""

urlpatterns: list = []
