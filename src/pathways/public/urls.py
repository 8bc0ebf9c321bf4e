from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("services/<uuid:service_id>/", views.service_detail, name="service"),
    path("weather/", views.exit_page, name="exit"),
    path("privacy/", views.privacy, name="privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
]
