"""Shared fixtures: reference data, one user per role, and the demo directory."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import translation

from pathways.accounts.models import Role, User
from pathways.accounts.services import membership_grant
from pathways.areas.models import Area
from pathways.core.demo import load_reference
from pathways.directory import services as directory_services
from pathways.directory.models import OrganisationKind, ProvenanceSource
from pathways.referrals.models import ReferralChannel, ReferralRoute
from pathways.referrals.services.intake import ReferralInput, VictimInput, referral_submit

TEST_PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def _settings_for_tests(settings, tmp_path):
    settings.TASKS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Per-test memory cache: tests without a database still render pages that count.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    # Every test starts in English: a request in Welsh leaves Welsh active in the thread.
    translation.activate(settings.LANGUAGE_CODE)
    # Multi-factor sign-in is on everywhere outside tests. Tests sign in with force_login and
    # no authenticator, so it is off here; tests/accounts/test_mfa*.py and the journeys turn
    # it on (the `mfa_on` fixture), and `verified_client` signs in with a passed code.
    settings.MFA_REQUIRED = False


@pytest.fixture
def reference(db):
    """Areas and taxonomies."""
    return load_reference()


@pytest.fixture
def make_organisation(db):
    def make(name: str = "Test Provider", kind: str = OrganisationKind.PROVIDER):
        return directory_services.organisation_create(name=name, kind=kind, actor=None)

    return make


@pytest.fixture
def provider_org(make_organisation):
    return make_organisation("Provider One")


@pytest.fixture
def other_provider_org(make_organisation):
    return make_organisation("Provider Two")


@pytest.fixture
def partnership_org(make_organisation):
    return make_organisation("Partnership", OrganisationKind.COMMISSIONER)


@pytest.fixture
def make_user(db):
    def make(username: str, role: str | None = None, organisation=None, **extra) -> User:
        extra.setdefault("email", f"{username}@example.test")
        user = User.objects.create_user(username=username, password=TEST_PASSWORD, **extra)
        if role:
            membership_grant(user=user, organisation=organisation, role=role)
        return user

    return make


@pytest.fixture
def role_users(make_user, provider_org, partnership_org):
    """One user per role. Provider-side roles belong to provider_org, the rest to the partnership."""
    provider_roles = {Role.PROVIDER_MANAGER, Role.PERPETRATOR_WORKER, Role.SUPPORT_WORKER}
    users = {}
    for role in Role.values:
        org = provider_org if role in provider_roles else partnership_org
        extra = {"is_staff": True, "is_superuser": True} if role == Role.ADMIN else {}
        users[role] = make_user(f"user-{role}", role, org, **extra)
    return users


@pytest.fixture
def make_service(reference, provider_org):
    """Create a service through the service layer (versioned and audited)."""

    def make(
        name: str = "Test Service",
        *,
        organisation=None,
        areas=("leeds",),
        claims=None,
        terms=("abuse-types:DA",),
        source=ProvenanceSource.DESK_REVIEW,
        **data,
    ):
        return directory_services.service_create(
            organisation=organisation or provider_org,
            data={"name": name, **data},
            claims=claims or {},
            area_ids=directory_services.area_ids_for_slugs(areas),
            term_ids=directory_services.term_ids_for_codes(terms),
            actor=None,
            source=source,
        )

    return make


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def mfa_on(settings):
    """Multi-factor sign-in required, as in production."""
    settings.MFA_REQUIRED = True


def force_login_verified(client, user):
    """Sign the client in as `user` past the second factor, as after a real sign-in with
    MFA: the user gets an authenticator if they have none, and the session counts as
    verified by it. Returns the client."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test authenticator")
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop("pathways.mfa_pending", None)
    session.save()
    return client


@pytest.fixture
def verified_client(client):
    """A test client signed in as the given user past the second factor."""
    return lambda user: force_login_verified(client, user)


@pytest.fixture
def make_referral(reference, role_users):
    """An agency referral by the test referrer (or a self-referral with route='self')."""

    def make(
        *,
        area: str = "leeds",
        route: str = ReferralRoute.AGENCY,
        actor=None,
        victims=None,
        key: str = "",
        **fields,
    ):
        area_id = Area.objects.get(slug=area).id
        if route == ReferralRoute.SELF:
            data = ReferralInput(
                route=route,
                channel=ReferralChannel.WEB,
                source="self",
                area_id=area_id,
                fields={"contact_phone": "07700 900123", **fields},
            )
            return referral_submit(actor=actor, data=data, idempotency_key=key)[0]
        data = ReferralInput(
            route=route,
            channel=ReferralChannel.FORM,
            source=fields.pop("source", "police"),
            area_id=area_id,
            fields={
                "person_name": "Sam Example",
                "lawful_basis": "public_task",
                "consent_status": "given",
                "abuse_types": ["DA"],
                **fields,
            },
            victims=victims if victims is not None else [VictimInput(name="Alex Example")],
        )
        return referral_submit(
            actor=actor or role_users[Role.REFERRER], data=data, idempotency_key=key
        )[0]

    return make
