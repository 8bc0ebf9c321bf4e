"""Mapping pages under /mapping/. Every view names its policy (see views.py)."""

from django.urls import path

from . import views

app_name = "mapping"

urlpatterns = [
    path("", views.index, name="index"),
    path("your-services/", views.your_services, name="your-services"),
    path("published/", views.published_list, name="published-list"),
    path("published/<slug:area>/", views.published_area, name="published"),
    path("published/<slug:area>/unpublish/", views.unpublish, name="unpublish"),
    path("snapshots/<uuid:snapshot_id>/", views.snapshot_detail, name="snapshot"),
    path("snapshots/<uuid:snapshot_id>/publish/", views.publish, name="publish"),
    path("<slug:area>/", views.area_mapping, name="area"),
    path("<slug:area>/export/<str:fmt>/", views.export, name="export"),
    path("<slug:area>/snapshots/", views.snapshots, name="snapshots"),
    path("<slug:area>/snapshots/compare/", views.snapshot_compare, name="compare"),
]
