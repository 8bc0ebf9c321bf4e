"""Idle sign-out: how long a signed-in person may leave Pathways untouched.

The session records when it was last used. `IdleTimeoutMiddleware` signs the person out
once that is longer ago than their timeout, whether or not JavaScript runs; the warning
script only offers to stay signed in before that happens. API requests with a token carry
no session and are not affected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from .policies import AGGREGATE_ONLY_ROLES, user_roles

LAST_ACTIVITY_KEY = "pathways.last_activity"
SIGNED_OUT_KEY = "pathways.signed_out"
# Activity is written to the session at most this often (or a tenth of the timeout, if
# shorter), so an ordinary page view does not always save the session. Idle time can
# therefore start up to this much early.
ACTIVITY_RESOLUTION_SECONDS = 30


def idle_timeout_seconds(user: Any) -> int:
    """Seconds without a request after which this user is signed out.

    The longer timeout is for people whose every role sees only aggregates
    (AGGREGATE_ONLY_ROLES); anyone else, including a user with no role yet, gets the shorter.
    """
    roles = user_roles(user)
    if roles and roles <= AGGREGATE_ONLY_ROLES:
        minutes = settings.IDLE_TIMEOUT_AGGREGATE_MINUTES
    else:
        minutes = settings.IDLE_TIMEOUT_MINUTES
    return max(1, round(minutes * 60))


def idle_timeout_minutes(user: Any) -> int:
    """The same, in whole minutes, for people to read."""
    return max(1, math.ceil(idle_timeout_seconds(user) / 60))


def warning_seconds() -> int:
    return max(1, round(settings.IDLE_WARNING_MINUTES * 60))


def _now() -> float:
    return timezone.now().timestamp()


def activity_record(request: Any, *, force: bool = False) -> None:
    """Note that the signed-in person used Pathways just now."""
    now = _now()
    last = request.session.get(LAST_ACTIVITY_KEY)
    resolution = min(ACTIVITY_RESOLUTION_SECONDS, idle_timeout_seconds(request.user) // 10)
    if force or not isinstance(last, int | float) or now - last >= resolution:
        request.session[LAST_ACTIVITY_KEY] = now


def start_idle_clock(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """user_logged_in receiver: the session was used just now, at sign-in."""
    session = getattr(request, "session", None)
    if session is not None:
        session[LAST_ACTIVITY_KEY] = _now()


def idle_seconds(request: Any) -> float | None:
    """Seconds since the session was last used, or None when it has no record yet."""
    last = request.session.get(LAST_ACTIVITY_KEY)
    if not isinstance(last, int | float):
        return None
    return max(0.0, _now() - last)


@dataclass(frozen=True)
class IdleState:
    timeout_seconds: int
    warning_seconds: int
    expires_in: int

    def as_json(self) -> dict[str, Any]:
        return {
            "signed_in": True,
            "timeout_seconds": self.timeout_seconds,
            "warning_seconds": self.warning_seconds,
            "expires_in": self.expires_in,
        }


def idle_state(request: Any) -> IdleState:
    """The signed-in person's timeout and how long is left of it."""
    timeout = idle_timeout_seconds(request.user)
    idle = idle_seconds(request) or 0.0
    return IdleState(
        timeout_seconds=timeout,
        warning_seconds=warning_seconds(),
        expires_in=max(0, int(timeout - idle)),
    )
