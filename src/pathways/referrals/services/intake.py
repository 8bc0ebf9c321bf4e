"""Intake: a referral arrives (public self-referral, agency form, agency system)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pathways.audit.services import audit_record

from ..models import (
    Child,
    Referral,
    ReferralChannel,
    ReferralRoute,
    ReferralStatus,
    StatusChange,
    VictimSurvivor,
)
from ..policies import can_refer
from ..reference import ConsentStatus

# Crockford-style alphabet without 0/O, 1/I/L, U: easy to read out over the phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

# What intake may set on a referral; everything else belongs to triage and routing.
INTAKE_FIELDS = frozenset(
    {
        "person_name",
        "person_date_of_birth",
        "person_age",
        "person_gender",
        "person_postcode",
        "cohorts",
        "language",
        "interpreter_needed",
        "accessibility_needs",
        "needs",
        "circumstances",
        "contact_phone",
        "contact_email",
        "contact_methods",
        "safe_times",
        "voicemail_safe",
        "text_safe",
        "safe_word",
        "account",
        "children_in_household",
        "relationship",
        "abuse_types",
        "risk_indicators",
        "risk_known",
        "marac_heard",
        "lawful_basis",
        "consent_status",
        "consent_reason",
    }
)


class IdempotencyConflictError(Exception):
    """The idempotency key was used before for a different referral."""

    def __init__(self, referral: Referral):
        super().__init__(f"Key already used for referral {referral.reference}")
        self.referral = referral


@dataclass
class VictimInput:
    name: str
    relationship: str = ""
    lives_with_person: str = "not_sure"
    contact_phone: str = ""
    contact_email: str = ""
    safe_times: str = ""
    voicemail_safe: str = "not_sure"
    contact_notes: str = ""
    knows_of_referral: str = "not_sure"


@dataclass
class ChildInput:
    age: int | None = None
    lives_with_person: str = "not_sure"
    social_care_involved: str = "not_sure"
    notes: str = ""


@dataclass
class ReferralInput:
    """Everything intake accepts. `fields` holds Referral attributes named in INTAKE_FIELDS."""

    route: str
    channel: str
    source: str
    area_id: int
    fields: dict[str, Any] = field(default_factory=dict)
    victims: list[VictimInput] = field(default_factory=list)
    children: list[ChildInput] = field(default_factory=list)


def new_reference() -> str:
    """A reference such as PW-7K3M-Q9XD: short, unambiguous, not guessable."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"PW-{chars[:4]}-{chars[4:]}"


def _fingerprint(data: ReferralInput) -> str:
    payload = json.dumps(asdict(data), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _validate(data: ReferralInput, actor: Any) -> None:
    errors: dict[str, list[str]] = {}
    unknown = set(data.fields) - INTAKE_FIELDS
    if unknown:
        errors["fields"] = [f"Not accepted at intake: {', '.join(sorted(unknown))}"]
    if data.route not in ReferralRoute.values:
        errors["route"] = ["Choose a referral route"]
    if data.channel not in ReferralChannel.values:
        errors["channel"] = ["Choose a channel"]
    if data.route == ReferralRoute.SELF:
        if data.source != "self":
            errors["source"] = ["A self-referral's source is 'self'"]
        if data.victims:
            errors["victims"] = ["A self-referral does not name victim-survivors"]
        if not (data.fields.get("contact_phone") or data.fields.get("contact_email")):
            errors["contact_phone"] = ["Enter a phone number or an email address"]
    else:
        if not can_refer(actor):
            errors["referrer"] = ["Only a signed-in referrer can make an agency referral"]
        if data.source == "self":
            errors["source"] = ["Choose who is referring"]
        if not data.fields.get("lawful_basis"):
            errors["lawful_basis"] = ["Select the lawful basis for sharing this information"]
        consent = data.fields.get("consent_status")
        if not consent:
            errors["consent_status"] = ["Select whether the person has consented"]
        elif (
            consent != ConsentStatus.GIVEN
            and not str(data.fields.get("consent_reason", "")).strip()
        ):
            errors["consent_reason"] = [
                "Enter the safeguarding reason for referring without consent"
            ]
        if not data.fields.get("person_name"):
            errors["person_name"] = ["Enter the person's name"]
    for index, victim in enumerate(data.victims):
        if not victim.name.strip():
            errors[f"victims-{index}-name"] = ["Enter the victim-survivor's name"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def referral_submit(
    *,
    actor: Any,
    data: ReferralInput,
    idempotency_key: str = "",
    request: Any = None,
    is_synthetic: bool = False,
) -> tuple[Referral, bool]:
    """Record a referral; returns (referral, created). Anyone may self-refer; agency
    referrals need a referrer. The same idempotency key from the same submitter returns the
    referral it made the first time, never a second one."""
    _validate(data, actor)
    signed_in = bool(getattr(actor, "is_authenticated", False))
    scope = f"user:{actor.pk}" if signed_in else "public"
    fingerprint = _fingerprint(data)
    key = (idempotency_key or "").strip()[:100]
    if key:
        existing = Referral.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
        if existing is not None:
            if existing.idempotency_fingerprint != fingerprint:
                raise IdempotencyConflictError(existing)
            return existing, False
    now = timezone.now()
    referral = Referral(
        route=data.route,
        channel=data.channel,
        source=data.source,
        area_id=data.area_id,
        status=ReferralStatus.RECEIVED,
        status_changed_at=now,
        idempotency_scope=scope if key else "",
        idempotency_key=key,
        idempotency_fingerprint=fingerprint if key else "",
        referrer=actor if signed_in and data.route != ReferralRoute.SELF else None,
        is_synthetic=is_synthetic,
        **data.fields,
    )
    if referral.referrer is not None:
        from pathways.accounts.policies import user_organisation_ids

        orgs = sorted(user_organisation_ids(actor), key=str)
        referral.referrer_organisation_id = orgs[0] if orgs else None
    for _attempt in range(5):
        referral.reference = new_reference()
        try:
            with transaction.atomic():
                referral.save()
            break
        except IntegrityError:
            if key:
                existing = Referral.objects.filter(
                    idempotency_scope=scope, idempotency_key=key
                ).first()
                if existing is not None:  # a concurrent submit with the same key won
                    if existing.idempotency_fingerprint != fingerprint:
                        raise IdempotencyConflictError(existing) from None
                    return existing, False
            continue  # reference collision: draw another
    else:  # pragma: no cover - 30^8 references; five collisions in a row is a broken RNG
        raise RuntimeError("Could not allocate a referral reference")
    VictimSurvivor.objects.bulk_create(
        [VictimSurvivor(referral=referral, **asdict(v)) for v in data.victims]
    )
    Child.objects.bulk_create([Child(referral=referral, **asdict(c)) for c in data.children])
    StatusChange.objects.create(
        referral=referral,
        from_status="",
        to_status=ReferralStatus.RECEIVED,
        at=now,
        by=actor if signed_in else None,
    )
    audit_record(
        actor=actor,
        action="referral.submitted",
        object_type="referral",
        object_id=referral.reference,
        detail={
            "route": referral.route,
            "channel": referral.channel,
            "source": referral.source,
            "area_id": referral.area_id,
        },
        request=request,
    )
    from ..notifications import notify_front_door

    transaction.on_commit(lambda: notify_front_door(referral=referral, kind="referral_received"))
    return referral, True
