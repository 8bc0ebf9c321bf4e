"""Values every template needs."""

from __future__ import annotations

from django.conf import settings

from pathways.accounts.policies import user_roles


def pathways(request):
    user = getattr(request, "user", None)
    return {
        "service_name": "Pathways",
        "demo_mode": settings.DEMO_MODE,
        "user_roles": user_roles(user) if user is not None else frozenset(),
    }
