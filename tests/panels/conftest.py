"""Fixtures for panels: areas from the reference hierarchy and people in panel roles."""

from __future__ import annotations

import pytest

from pathways.accounts.models import Role
from pathways.areas.models import Area


@pytest.fixture
def leeds(reference):
    return Area.objects.get(slug="leeds")


@pytest.fixture
def force(reference):
    return Area.objects.get(slug="west-yorkshire-police")


@pytest.fixture
def chair(make_user, partnership_org):
    return make_user("chair", Role.PANEL_CHAIR, partnership_org)


@pytest.fixture
def member(make_user, partnership_org):
    return make_user("member", Role.PANEL_MEMBER, partnership_org)


@pytest.fixture
def commissioner(make_user, partnership_org):
    return make_user("commissioner", Role.COMMISSIONER, partnership_org)


@pytest.fixture
def referrer(make_user, partnership_org):
    return make_user("someone-else", Role.REFERRER, partnership_org)
