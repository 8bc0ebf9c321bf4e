"""Evidence library pages.

The library list and the approach pages are public (published research, no personal data)
and carry Exit this page like every public page. Saying which approach a service follows is
for signed-in commissioners, administrators and provider managers; provider managers reach
only their own organisation's services (another organisation's service is a 404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.directory import selectors as directory_selectors

from . import selectors, services
from .forms import ApproachFilterForm, ServiceApproachForm
from .policies import EVIDENCE_LIBRARY, LINK_SERVICES
from .scales import BAND_LABELS, SCALES

PAGE_SIZE = 20


@policy_required(EVIDENCE_LIBRARY)
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    form = ApproachFilterForm(request.GET or None)
    invalid = form.is_bound and not form.is_valid()
    summaries = selectors.approach_list(filters=form.to_filters())
    page = Paginator(summaries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evidence/library.html",
        {"form": form, "page": page, "total": len(summaries)},
        status=400 if invalid else 200,
    )


@policy_required(EVIDENCE_LIBRARY)
@require_GET
def approach_detail(request: HttpRequest, slug: str) -> HttpResponse:
    summary = selectors.approach_get(slug=slug)
    agreement = summary.agreement
    return render(
        request,
        "evidence/approach_detail.html",
        {
            "summary": summary,
            "approach": summary.approach,
            "agreement": agreement,
            "bands": [
                {"label": label, "sources": agreement.sources_in(band)}
                for band, label in sorted(BAND_LABELS.items(), reverse=True)
            ],
            "scales": list(SCALES.values()),
            "services": selectors.approach_public_services(approach=summary.approach),
        },
    )


@policy_required(LINK_SERVICES)
@require_GET
def service_links(request: HttpRequest) -> HttpResponse:
    services_qs = directory_selectors.service_list_for_user(user=request.user)
    page = Paginator(services_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    evidence = selectors.evidence_strength_for_services([s.pk for s in page.object_list])
    rows = [{"service": s, "evidence": evidence.get(s.pk)} for s in page.object_list]
    return render(request, "evidence/service_links.html", {"page": page, "rows": rows})


@policy_required(LINK_SERVICES)
@require_http_methods(["GET", "POST"])
def service_approach_edit(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = directory_selectors.service_get_for_user(user=request.user, service_id=service_id)
    current = selectors.service_link_get(service=service)
    initial = {"approach": current.approach.slug, "note": current.note} if current else {}
    form = ServiceApproachForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        slug = form.cleaned_data["approach"]
        approach = selectors.approach_by_slug(slug) if slug else None
        try:
            services.service_approach_set(
                actor=request.user,
                service=service,
                approach=approach,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(key if key in form.fields else None, errors)
        except PermissionDenied:
            raise
        else:
            if approach is None:
                messages.success(request, f"‘{service.name}’ no longer follows an approach")
            else:
                messages.success(request, f"‘{service.name}’ now follows ‘{approach.name}’")
            return redirect("evidence:service-links")
    return render(
        request,
        "evidence/service_approach_form.html",
        {"form": form, "service": service, "current": current},
        status=400 if form.is_bound and form.errors else 200,
    )
