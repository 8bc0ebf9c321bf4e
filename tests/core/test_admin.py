"""Administrators manage users, organisations, areas and reference data in the Django admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from pathways.accounts.models import Role


@pytest.mark.django_db
def test_every_admin_changelist_and_add_page_opens_for_an_administrator(
    client, role_users, make_service
):
    make_service("Listed in admin")
    client.force_login(role_users[Role.ADMIN])
    # Case records open in the admin only inside an audited break-glass window.
    client.post("/cases/manage/break-glass/", {"reason": "Checking every admin page opens"})
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        add = reverse(f"admin:{meta.app_label}_{meta.model_name}_add")
        expected = (
            200 if model_admin.has_add_permission(_request_for(role_users[Role.ADMIN])) else 403
        )
        assert client.get(add).status_code == expected, add


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.mark.django_db
def test_admin_can_add_an_area_with_parents(client, role_users, reference):
    from pathways.areas.models import Area

    client.force_login(role_users[Role.ADMIN])
    parent = Area.objects.get(slug="west-yorkshire")
    response = client.post(
        reverse("admin:areas_area_add"),
        {
            "name": "Test District",
            "slug": "test-district",
            "kind": "local_authority",
            "code": "",
            "name_cy": "",
            "parents": [parent.pk],
        },
    )
    assert response.status_code == 302
    assert list(Area.objects.get(slug="test-district").parents.all()) == [parent]


@pytest.mark.django_db
def test_services_and_audit_events_cannot_be_changed_in_the_admin(client, role_users, make_service):
    service = make_service("Read only here")
    client.force_login(role_users[Role.ADMIN])
    response = client.post(
        reverse("admin:directory_service_change", args=[service.pk]), {"name": "Renamed"}
    )
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.name == "Read only here"
