"""Case work pages: sharing (see views/sharing.py)."""

from django.urls import path

from . import converters  # noqa: F401 - registers case_ref and support_ref
from .views import sharing

urlpatterns: list = [
    path("", sharing.sharing_list, name="sharing-list"),
    path("new/", sharing.sharing_new, name="sharing-new"),
    path("<int:agreement_id>/", sharing.sharing_detail, name="sharing-detail"),
    path("<int:agreement_id>/edit/", sharing.sharing_edit, name="sharing-edit"),
]
