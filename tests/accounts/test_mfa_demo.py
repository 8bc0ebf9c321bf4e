"""Demo users who must use MFA get an authenticator with the published DEMO-ONLY secret, so a
person trying the demo (and the browser journeys) can sign in; never outside demo modes."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.accounts import mfa
from pathways.accounts.models import Role, User
from pathways.accounts.services import mfa_demo_device_ensure
from pathways.core.demo import DEMO_USERS, LoadReport, _demo_users
from pathways.directory import services as directory_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_users(settings, reference):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    # The demo provider manager's organisation comes from the published services, which
    # this test does not load.
    directory_services.organisation_create(name="WomenCentre", slug="womencentre", actor=None)
    _demo_users(LoadReport())
    return {username: User.objects.get(username=username) for username in DEMO_USERS}


def test_demo_case_roles_get_the_demo_authenticator_and_aggregate_roles_do_not(demo_users):
    for username, (role, _org, _name) in DEMO_USERS.items():
        device = TOTPDevice.objects.filter(user=demo_users[username], confirmed=True).first()
        if role in (Role.COMMISSIONER, Role.ANALYST):
            assert device is None, username
        else:
            assert device is not None, username
            assert mfa.secret_base32(device) == mfa.DEMO_TOTP_SECRET


def test_loading_the_demo_users_again_adds_no_authenticator(demo_users):
    before = TOTPDevice.objects.count()
    _demo_users(LoadReport())
    assert TOTPDevice.objects.count() == before


def test_the_demo_code_command_prints_a_code_the_demo_authenticator_accepts(demo_users):
    out = StringIO()
    call_command("mfa-demo-code", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    device = TOTPDevice.objects.get(user=demo_users["demo-triage"])
    assert device.verify_token(code)


def test_no_demo_authenticator_or_demo_code_outside_demo_modes(settings, role_users):
    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured):
        mfa_demo_device_ensure(user=role_users[Role.TRIAGE])
    assert not TOTPDevice.objects.exists()
    with pytest.raises(CommandError, match="only in development and demo modes"):
        call_command("mfa-demo-code")
