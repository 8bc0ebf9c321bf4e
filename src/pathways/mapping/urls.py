"""Mapping pages under /mapping/. Every view names its policy (see views.py)."""

from django.urls import path

from . import views

app_name = "mapping"

urlpatterns = [
    path("", views.index, name="index"),
    path("your-services/", views.your_services, name="your-services"),
    path("snapshots/<uuid:snapshot_id>/", views.snapshot_detail, name="snapshot"),
    path("<slug:area>/", views.area_mapping, name="area"),
    path("<slug:area>/export/<str:fmt>/", views.export, name="export"),
    path("<slug:area>/snapshots/", views.snapshots, name="snapshots"),
    path("<slug:area>/snapshots/compare/", views.snapshot_compare, name="compare"),
]
