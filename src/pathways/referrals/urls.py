"""Signed-in front-door pages, mounted at /referrals/."""

from django.urls import include, path

from .views import agency, provider, referrer, triage

app_name = "referrals"
urlpatterns = [
    path("", include(agency.urlpatterns)),
    path("mine/", include(referrer.urlpatterns)),
    path("front-door/", include(triage.urlpatterns)),
    path("provider/", include(provider.urlpatterns)),
]
