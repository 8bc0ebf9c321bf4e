import pytest
from django.contrib.auth.models import AnonymousUser

from pathways.accounts.models import Role
from pathways.accounts.policies import (
    Policy,
    can_curate_directory,
    can_export_directory,
    can_manage_organisation_services,
    has_role,
    user_organisation_ids,
)


@pytest.mark.django_db
def test_roles_come_from_memberships(role_users, provider_org):
    manager = role_users[Role.PROVIDER_MANAGER]
    assert has_role(manager, Role.PROVIDER_MANAGER)
    assert not has_role(manager, Role.COMMISSIONER)
    assert user_organisation_ids(manager, Role.PROVIDER_MANAGER) == {provider_org.pk}
    assert user_organisation_ids(manager, Role.COMMISSIONER) == frozenset()


@pytest.mark.django_db
def test_inactive_user_holds_no_role(role_users):
    user = role_users[Role.COMMISSIONER]
    user.is_active = False
    assert not can_curate_directory(user)


def test_anonymous_holds_no_role():
    anonymous = AnonymousUser()
    assert not can_curate_directory(anonymous)
    assert not can_export_directory(anonymous)
    assert not can_manage_organisation_services(anonymous)


@pytest.mark.django_db
def test_directory_predicates_by_role(role_users):
    curators = {r for r, u in role_users.items() if can_curate_directory(u)}
    exporters = {r for r, u in role_users.items() if can_export_directory(u)}
    managers = {r for r, u in role_users.items() if can_manage_organisation_services(u)}
    assert curators == {Role.COMMISSIONER, Role.ADMIN}
    assert exporters == {Role.COMMISSIONER, Role.ANALYST, Role.ADMIN}
    assert managers == {Role.PROVIDER_MANAGER, Role.ADMIN}


def test_a_policy_that_raises_denies():
    def broken(user):
        raise RuntimeError("bug")

    assert Policy("broken", broken, "").allows(AnonymousUser()) is False
