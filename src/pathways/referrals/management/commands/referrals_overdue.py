"""List overdue referrals and, with --notify, tell whoever holds each one.

Who is told depends on the stage a referral is stuck at:

- waiting for the front door (received, triaged, matched, declined, no suitable service):
  the front door's triage workers;
- sent and waiting for the service's answer: the provider's staff;
- accepted but no first contact recorded: both.

Each audience hears about a referral at most once per stage per day. The record of what
was sent is the Notification table itself, so running the command twice (or from two
schedulers) on the same day sends nothing the second time. Output carries references and
stages only, never anyone's details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import QuerySet
from django.utils import timezone

from pathways.referrals.models import OPEN_FOR_TRIAGE, Notification, Referral, ReferralStatus
from pathways.referrals.notifications import notify_front_door, notify_provider
from pathways.referrals.selectors.timers import overdue_q, referral_timers

KIND = "referral_overdue"
STAGE_TRIAGE = "triage"
STAGE_RESPONSE = "response"
STAGE_FIRST_CONTACT = "first_contact"

Notifier = Callable[..., list[Notification]]
# The audience's link path appears in every message body (see notifications._link), so a
# notification row says which audience it went to.
AUDIENCES: dict[str, tuple[str, Notifier]] = {
    "front door": ("/referrals/front-door/", notify_front_door),
    "provider": ("/referrals/provider/", notify_provider),
}


def overdue_referrals(*, now: dt.datetime) -> QuerySet[Referral]:
    """Every overdue referral, oldest first (an operator's read: the command runs unscoped)."""
    return (
        Referral.objects.filter(overdue_q(now=now))
        .select_related("sent_service__organisation", "referrer")
        .order_by("created_at", "reference")
    )


def stage_of(referral: Referral) -> str:
    if referral.status in OPEN_FOR_TRIAGE:
        return STAGE_TRIAGE
    if referral.status == ReferralStatus.SENT:
        return STAGE_RESPONSE
    return STAGE_FIRST_CONTACT


def audiences_for(stage: str) -> list[str]:
    return {
        STAGE_TRIAGE: ["front door"],
        STAGE_RESPONSE: ["provider"],
        STAGE_FIRST_CONTACT: ["front door", "provider"],
    }[stage]


def _day_bounds(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    return start, start + dt.timedelta(days=1)


def already_told(*, referral: Referral, reason: str, audience: str, now: dt.datetime) -> bool:
    """True when this audience was sent this stage's overdue message today."""
    start, end = _day_bounds(now)
    link_path = AUDIENCES[audience][0]
    return (
        Notification.objects.filter(
            referral=referral,
            kind=KIND,
            created_at__gte=start,
            created_at__lt=end,
            body__contains=reason,
        )
        .filter(body__contains=link_path)
        .exists()
    )


class Command(BaseCommand):
    help = "List overdue referrals; with --notify, tell the front door and providers (once a day)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--notify",
            action="store_true",
            help="Send referral_overdue notifications (at most once per referral, stage, "
            "audience and day).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        referrals = list(overdue_referrals(now=now))
        if not referrals:
            self.stdout.write("No overdue referrals.")
            return
        sent = skipped = 0
        for referral in referrals:
            timers = referral_timers(referral, now=now)
            stage = stage_of(referral)
            line = f"{referral.reference}\t{referral.status}\t{stage}\t{timers.overdue_reason}"
            if options["notify"]:
                told = []
                for audience in audiences_for(stage):
                    if already_told(
                        referral=referral,
                        reason=timers.overdue_reason,
                        audience=audience,
                        now=now,
                    ):
                        skipped += 1
                        continue
                    notify = AUDIENCES[audience][1]
                    sent += len(notify(referral=referral, kind=KIND, detail=timers.overdue_reason))
                    told.append(audience)
                line += f"\tnotified: {', '.join(told) or 'already today'}"
            self.stdout.write(line)
        summary = f"{len(referrals)} overdue referral{'s' if len(referrals) != 1 else ''}."
        if options["notify"]:
            summary += f" Sent {sent} message(s); {skipped} audience(s) already told today."
        self.stdout.write(summary)
