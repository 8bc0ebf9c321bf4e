"""The public website: find a service, read about it, leave quickly."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from pathways.accounts.access import policy_required
from pathways.accounts.policies import PUBLIC
from pathways.directory import selectors as directory_selectors
from pathways.directory.models import ClaimDimension

from .forms import ServiceSearchForm

PAGE_SIZE = 20


@policy_required(PUBLIC)
@require_GET
def home(request):
    form = ServiceSearchForm(request.GET or None)
    searched = bool(request.GET) and form.is_valid()
    page = None
    if searched:
        results = directory_selectors.service_list_for_public(filters=form.to_filters())
        page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "public/home.html",
        {"form": form, "page": page, "searched": searched},
        status=400 if request.GET and not form.is_valid() else 200,
    )


@policy_required(PUBLIC)
@require_GET
def service_detail(request, service_id):
    service = directory_selectors.service_get_for_public(service_id=service_id)
    claims = directory_selectors.claim_map(service)
    return render(
        request,
        "public/service_detail.html",
        {
            "service": service,
            "claims": [claims[d] for d in ClaimDimension.values if d in claims],
            "abuse_types": [
                t for t in service.taxonomy_terms.all() if t.taxonomy.slug == "abuse-types"
            ],
            "routes": [
                t for t in service.taxonomy_terms.all() if t.taxonomy.slug == "referral-routes"
            ],
            "formats": [
                t for t in service.taxonomy_terms.all() if t.taxonomy.slug == "delivery-formats"
            ],
            "areas": [sa.area for sa in service.service_areas.all()],
        },
    )


@policy_required(PUBLIC)
@require_GET
def exit_page(request):
    """A neutral page that Exit this page sends people to. It says nothing about abuse.

    It is the same English weather page whatever the language of the page the person left:
    it is not part of Pathways to look at, so it has no Pathways chrome, no language switch
    and nothing to translate (see docs/welsh.md)."""
    return render(request, "public/exit.html")


@policy_required(PUBLIC)
@require_GET
def privacy(request):
    return render(request, "public/privacy.html")


@policy_required(PUBLIC)
@require_GET
def accessibility(request):
    return render(request, "public/accessibility.html")
