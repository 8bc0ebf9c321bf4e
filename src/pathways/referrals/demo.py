"""Demonstration data for the One Front Door: the demonstration risk policy for England and
Wales, one synthetic provider with a service open to every tier (so the demo provider staff
have referrals to answer), and synthetic referrals in every status.

Only synthetic people: names are obviously made up and every referral is marked synthetic.
Safe to run again: nothing is added twice.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from pathways.accounts.models import Role
from pathways.accounts.services import membership_grant
from pathways.areas.models import Area
from pathways.directory import services as directory_services
from pathways.directory.models import Organisation, ProvenanceSource, Service

from .models import Referral, ReferralChannel, ReferralRoute, ReferralStatus
from .services.intake import ChildInput, ReferralInput, VictimInput, referral_submit
from .services.matching import referral_match
from .services.routing import referral_accept, referral_decline
from .services.triage import (
    referral_close_no_suitable_service,
    referral_send,
    referral_triage,
    risk_policy_load_demo,
)

DEMO_PROVIDER_SLUG = "northbrook-change-trust"
DEMO_PROVIDER_NAME = "Northbrook Change Trust (synthetic)"
DEMO_SERVICE_REF = "syn-front-door-demo"
DEMO_DISTRICTS = ["leicester", "leicestershire", "rutland"]
FIRST_NAMES = ["Demo", "Sample", "Test", "Example", "Made-up"]
SURNAMES = ["Person", "Referral", "Client", "Citizen", "Resident"]


def _demo_provider() -> Organisation:
    org = Organisation.objects.filter(slug=DEMO_PROVIDER_SLUG).first()
    if org is None:
        org = directory_services.organisation_create(
            name=DEMO_PROVIDER_NAME,
            kind="provider",
            actor=None,
            slug=DEMO_PROVIDER_SLUG,
            is_synthetic=True,
            email="northbrook@example.invalid",
        )
    if not Service.objects.filter(external_ref=DEMO_SERVICE_REF).exists():
        directory_services.service_create(
            organisation=org,
            external_ref=DEMO_SERVICE_REF,
            data={
                "name": "Northbrook Change Programme (synthetic)",
                "description": "Synthetic demonstration service. It does not exist.",
                "intervention_type": "behaviour_change",
                "suite_tier": "medium_risk",
                "delivery_status": "running",
                "capacity_status": "open",
                "waiting_weeks": 3,
                "duration_weeks": 26,
                "min_age": 18,
                "languages": ["en"],
                "integrated_victim_support": "own",
                "self_referral_max_percent": 40,
            },
            claims={
                dim: {"value": "yes", "evidence_level": "verified"}
                for dim in ("risk_standard", "risk_medium", "risk_high", "self_referral", "adults")
            },
            area_ids=directory_services.area_ids_for_slugs(["llr"]),
            term_ids=directory_services.term_ids_for_codes(
                ["abuse-types:DA", "abuse-types:stalking"]
                + [
                    f"referral-routes:{r}"
                    for r in ("self", "police", "probation", "childrens-social-care", "marac")
                ]
            ),
            actor=None,
            source=ProvenanceSource.SYNTHETIC,
            provenance_detail="Synthetic demonstration data made by pathways load_demo",
            audit=False,
        )
    return org


def _staff(org: Organisation) -> None:
    """The demo provider staff also work for the synthetic provider."""
    users = get_user_model().objects.filter(
        username__in=["demo-provider-manager", "demo-perpetrator-worker", "demo-support-worker"]
    )
    roles = {
        "demo-provider-manager": Role.PROVIDER_MANAGER,
        "demo-perpetrator-worker": Role.PERPETRATOR_WORKER,
        "demo-support-worker": Role.SUPPORT_WORKER,
    }
    for user in users:
        membership_grant(user=user, organisation=org, role=roles[user.username])


def _submit(
    rng: random.Random, referrer: Any, n: int, *, self_referral: bool, age: int | None = None
) -> Referral:
    area = Area.objects.get(slug=rng.choice(DEMO_DISTRICTS))
    name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {n}"
    if self_referral:
        data = ReferralInput(
            route=ReferralRoute.SELF,
            channel=ReferralChannel.WEB,
            source="self",
            area_id=area.id,
            fields={
                "person_name": name.split()[0],
                "contact_phone": f"07700 900{n:03d}",
                "account": "Synthetic example: I raise my voice and break things when angry.",
                "safe_times": "Weekday mornings",
                "voicemail_safe": "no",
                "text_safe": "yes",
                "children_in_household": rng.choice(["yes", "no"]),
            },
        )
        return referral_submit(actor=None, data=data, is_synthetic=True)[0]
    data = ReferralInput(
        route=ReferralRoute.AGENCY,
        channel=ReferralChannel.FORM,
        source=rng.choice(["police", "probation", "childrens-social-care"]),
        area_id=area.id,
        fields={
            "person_name": name,
            "person_age": age or rng.randint(19, 58),
            "person_gender": "man",
            "relationship": rng.choice(["current_partner", "former_partner"]),
            "abuse_types": ["DA"],
            "risk_known": "Synthetic example: two police call-outs this year.",
            "lawful_basis": "public_task",
            "consent_status": "given",
            "contact_phone": f"07700 901{n:03d}",
        },
        victims=[
            VictimInput(
                name=f"Example Victim-Survivor {n}",
                relationship="current_partner",
                contact_phone=f"07700 902{n:03d}",
                safe_times="After 10am",
                voicemail_safe="no",
            )
        ],
        children=[ChildInput(age=rng.randint(1, 15), lives_with_person="yes")],
    )
    return referral_submit(actor=referrer, data=data, is_synthetic=True)[0]


# (route, how far it gets, answers ticked): every status appears at least once.
SCRIPT: list[tuple[bool, str, int]] = [
    (False, ReferralStatus.RECEIVED, 0),
    (True, ReferralStatus.RECEIVED, 0),
    (False, ReferralStatus.TRIAGED, 2),
    (False, ReferralStatus.MATCHED, 5),
    (True, ReferralStatus.SENT, 1),
    (False, ReferralStatus.SENT, 4),
    (False, ReferralStatus.ACCEPTED, 3),
    (False, ReferralStatus.DECLINED, 2),
    (False, ReferralStatus.NO_SUITABLE_SERVICE, 99),
]


@transaction.atomic
def referrals_load_demo() -> int:
    """Load the front door's demonstration data; returns how many referrals were made."""
    areas = list(Area.objects.filter(slug__in=["england", "wales"]))
    risk_policy_load_demo(areas=areas)
    org = _demo_provider()
    _staff(org)
    if Referral.objects.filter(is_synthetic=True).exists():
        return 0
    users = get_user_model().objects
    referrer = users.filter(username="demo-referrer").first()
    triage = users.filter(username="demo-triage").first()
    provider = users.filter(username="demo-perpetrator-worker").first()
    if referrer is None or triage is None or provider is None:
        return 0
    service = Service.objects.get(external_ref=DEMO_SERVICE_REF)
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    made = 0
    for n, (self_referral, goal, ticked) in enumerate(SCRIPT, start=1):
        # A 16-year-old assessed high risk: nothing in the area works with under-18s at
        # that tier, so the front door records unmet need.
        young = goal == ReferralStatus.NO_SUITABLE_SERVICE
        referral = _submit(rng, referrer, n, self_referral=self_referral, age=16 if young else None)
        made += 1
        if goal == ReferralStatus.RECEIVED:
            continue
        questions = [q["code"] for q in referral_policy_questions(referral)]
        answers = {code: index < ticked for index, code in enumerate(questions)}
        referral_triage(actor=triage, referral=referral, answers=answers)
        if goal == ReferralStatus.TRIAGED:
            continue
        run = referral_match(actor=triage, referral=referral)
        if goal == ReferralStatus.MATCHED:
            continue
        if goal == ReferralStatus.NO_SUITABLE_SERVICE:
            if run.eligible_count == 0:
                referral_close_no_suitable_service(
                    actor=triage, referral=referral, reason="Nothing in the area fits."
                )
            continue
        if not run.matches.filter(service=service, eligible=True).exists():
            continue
        referral_send(actor=triage, referral=referral, service=service)
        if goal == ReferralStatus.ACCEPTED:
            referral_accept(actor=provider, referral=referral)
        elif goal == ReferralStatus.DECLINED:
            referral_decline(
                actor=provider, referral=referral, reason="No group places before spring."
            )
    _spread_over_a_fortnight()
    return made


def _spread_over_a_fortnight() -> None:
    """Move each demo referral's timestamps back by a different number of days, so the
    timers and overdue tags have something to show. Demo data only."""
    from django.db.models import F

    from .models import StatusChange

    referrals = Referral.objects.filter(is_synthetic=True).order_by("created_at")
    for index, referral in enumerate(referrals):
        shift = dt.timedelta(days=len(SCRIPT) + 3 - index)
        Referral.objects.filter(pk=referral.pk).update(
            created_at=F("created_at") - shift,
            status_changed_at=F("status_changed_at") - shift,
            sent_at=F("sent_at") - shift,
            decided_at=F("decided_at") - shift,
            triaged_at=F("triaged_at") - shift,
        )
        StatusChange.objects.filter(referral=referral).update(at=F("at") - shift)


def referral_policy_questions(referral: Referral) -> list[dict[str, Any]]:
    """The checklist questions in force for the referral's area."""
    from .selectors.referrals import risk_policy_for_area

    policy = risk_policy_for_area(area_id=referral.area_id)
    return list(policy.definition.get("questions", [])) if policy else []
