from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("", views.library, name="library"),
    path("approaches/<slug:slug>/", views.approach_detail, name="approach"),
    path("services/", views.service_links, name="service-links"),
    path(
        "services/<uuid:service_id>/approach/",
        views.service_approach_edit,
        name="service-approach",
    ),
]
