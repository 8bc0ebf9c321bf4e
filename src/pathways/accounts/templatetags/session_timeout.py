"""The idle sign-out warning, for the page head of signed-in pages."""

from __future__ import annotations

from typing import Any

from django import template

from pathways.accounts import idle

register = template.Library()


@register.inclusion_tag("accounts/session_timeout_warning.html", takes_context=True)
def session_timeout_warning(context: template.Context) -> dict[str, Any]:
    """Settings and markup for session-timeout.mjs; nothing for anonymous visitors."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return {"enabled": False}
    state = idle.idle_state(request)
    return {
        "enabled": True,
        "state": state,
        "warning_minutes": max(1, state.warning_seconds // 60),
        "csrf_token": context.get("csrf_token", ""),
    }
