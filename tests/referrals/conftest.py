"""Fixtures for the front door: referrals made through the intake service."""

from __future__ import annotations

import pytest

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.referrals.models import ReferralChannel, ReferralRoute
from pathways.referrals.services.intake import ReferralInput, VictimInput, referral_submit


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
