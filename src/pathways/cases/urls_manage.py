"""Case work pages: manage (see views/manage.py) and break-glass (views/break_glass.py)."""

from django.urls import path

from . import converters  # noqa: F401 - registers case_ref and support_ref
from .views import break_glass, manage

urlpatterns: list = [
    path("", manage.manage_home, name="manage"),
    path("workload/", manage.manage_workload, name="manage-workload"),
    path("staff/", manage.manage_staff, name="manage-staff"),
    path("staff/<int:staff_user_id>/", manage.manage_staff_edit, name="manage-staff-edit"),
    path("settings/", manage.manage_settings, name="manage-settings"),
    path("settings/<uuid:service_id>/", manage.manage_settings_edit, name="manage-settings-edit"),
    path("break-glass/", break_glass.break_glass, name="break-glass"),
]
