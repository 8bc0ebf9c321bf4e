"""Template tags for showing a service's evidence on the public service page."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import ServiceEvidence, evidence_strength_for_services

register = template.Library()


@register.simple_tag
def service_evidence(service: Any) -> ServiceEvidence | None:
    """The approach a service follows and every source's rating of it, or None (two queries)."""
    if service is None or getattr(service, "pk", None) is None:
        return None
    return evidence_strength_for_services([service.pk]).get(service.pk)
