"""Notifications about referrals through a pluggable backend.

`settings.PATHWAYS_NOTIFY_BACKEND` names a class with `send(address, subject, body)` and a
`name`. Shipped: `ConsoleBackend` (development: logs the message) and `EmailBackend`
(Django's mail). A GOV.UK Notify-style backend is a class of the same shape calling the
Notify API with template ids. Messages carry the reference and a link, never anyone's
details: an email can be read by the wrong person.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from pathways.accounts.models import Role

from .models import Notification, NotificationStatus, Referral

log = logging.getLogger(__name__)


class Backend(Protocol):
    name: str

    def send(self, *, address: str, subject: str, body: str) -> None: ...


class ConsoleBackend:
    """Writes each message to the log (development and tests)."""

    name = "console"

    def send(self, *, address: str, subject: str, body: str) -> None:
        log.info("Notification to %s: %s\n%s", address, subject, body)


class EmailBackend:
    """Sends through Django's configured email backend."""

    name = "email"

    def send(self, *, address: str, subject: str, body: str) -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])


def get_backend() -> Backend:
    return import_string(settings.PATHWAYS_NOTIFY_BACKEND)()


MESSAGES: dict[str, tuple[str, str]] = {
    "referral_received": (
        "New referral {reference}",
        "A new referral, {reference}, is waiting for triage.",
    ),
    "referral_sent": (
        "Referral {reference} sent to your service",
        "Referral {reference} has been sent to {service}. Please accept or decline it.",
    ),
    "referral_accepted": (
        "Referral {reference} accepted",
        "Referral {reference} has been accepted by {service}.",
    ),
    "referral_declined": (
        "Referral {reference} declined",
        "Referral {reference} was declined by {service} and has returned to triage.",
    ),
    "referral_closed": (
        "Referral {reference}: {status}",
        "Referral {reference} is now: {status}.",
    ),
    "referral_overdue": (
        "Referral {reference} is overdue",
        "Referral {reference} is overdue: {detail}.",
    ),
}


def _link(referral: Referral, audience: str) -> str:
    base = getattr(settings, "PATHWAYS_BASE_URL", "").rstrip("/")
    paths = {
        "triage": f"/referrals/front-door/{referral.reference}/",
        "provider": f"/referrals/provider/{referral.reference}/",
        "referrer": f"/referrals/mine/{referral.reference}/",
    }
    return base + paths[audience]


def notify_users(
    *,
    kind: str,
    referral: Referral | None,
    users: Iterable[Any] = (),
    addresses: Iterable[str] = (),
    audience: str = "triage",
    detail: str = "",
) -> list[Notification]:
    """Send one message of `kind` to each user (by their email) and each extra address,
    recording each as a Notification. A failing backend is recorded, not raised: the
    referral it is about has already been saved."""
    subject_t, body_t = MESSAGES[kind]
    context = {
        "reference": referral.reference if referral else "",
        "service": referral.sent_service.name if referral and referral.sent_service_id else "",
        "status": referral.get_status_display().lower() if referral else "",
        "detail": detail,
    }
    subject = subject_t.format(**context)
    body = body_t.format(**context)
    if referral is not None:
        body += f"\n\n{_link(referral, audience)}"
    backend = get_backend()
    sent: list[Notification] = []
    targets: list[tuple[Any, str]] = [(u, u.email) for u in users if u.email]
    targets += [(None, a) for a in addresses if a]
    seen: set[str] = set()
    for user, address in targets:
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        status, error = NotificationStatus.SENT, ""
        try:
            backend.send(address=address, subject=subject, body=body)
        except Exception as exc:  # noqa: BLE001 - recorded for the admin to see
            status, error = NotificationStatus.FAILED, str(exc)[:500]
            log.warning("Notification %s to %s failed: %s", kind, address, exc)
        sent.append(
            Notification.objects.create(
                referral=referral,
                kind=kind,
                recipient_user=user,
                recipient_address=address,
                subject=subject,
                body=body,
                backend=backend.name,
                status=status,
                error=error,
            )
        )
    return sent


def users_with_role(*roles: str, organisation_ids: Iterable[Any] | None = None) -> list[Any]:
    """Active users holding any of the roles (optionally in the given organisations)."""
    qs = get_user_model().objects.filter(is_active=True, memberships__role__in=roles)
    if organisation_ids is not None:
        qs = qs.filter(memberships__organisation_id__in=list(organisation_ids))
    return list(qs.distinct().order_by("username"))


def notify_front_door(*, referral: Referral, kind: str, detail: str = "") -> list[Notification]:
    """Tell the front door's triage workers."""
    return notify_users(
        kind=kind,
        referral=referral,
        users=users_with_role(Role.TRIAGE),
        audience="triage",
        detail=detail,
    )


def notify_provider(*, referral: Referral, kind: str, detail: str = "") -> list[Notification]:
    """Tell the staff (and the published address) of the organisation the referral was sent to."""
    service = referral.sent_service
    if service is None:
        return []
    org = service.organisation
    return notify_users(
        kind=kind,
        referral=referral,
        users=users_with_role(
            Role.PROVIDER_MANAGER, Role.PERPETRATOR_WORKER, organisation_ids=[org.id]
        ),
        addresses=[org.email] if org.email else [],
        audience="provider",
        detail=detail,
    )


def notify_referrer(*, referral: Referral, kind: str, detail: str = "") -> list[Notification]:
    """Tell the agency referrer (self-referrals have no account to tell)."""
    if referral.referrer is None:
        return []
    return notify_users(
        kind=kind, referral=referral, users=[referral.referrer], audience="referrer", detail=detail
    )
