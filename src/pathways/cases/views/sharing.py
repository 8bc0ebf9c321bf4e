"""The information sharing agreements register, mounted at /cases/sharing/.

The register and an agreement's page use the SHARING_REGISTER policy: commissioners and
administrators see the whole register, provider managers the agreements their
organisations are party to (`selectors.sharing.agreement_list_for_user`), so another's is
a 404. Adding and changing agreements use SHARING_MANAGE: commissioners and
administrators only. An agreement's
page lists the shares made under it by case reference only, never case details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.directory.models import Organisation

from ..forms_manage import SharingAgreementForm, iso_initial
from ..models import AgreementStatus, SharingAgreement, SharingCategory
from ..policies import SHARING_MANAGE, SHARING_REGISTER, can_manage_sharing
from ..selectors.sharing import agreement_list_for_user, share_list_for_agreement
from ..services.sharing import sharing_agreement_save
from .common import PAGE_SIZE, add_service_errors, form_status

# ?sort= values and the ordering each gives; the first is the default.
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "review": ("review_on", "name", "pk"),
    "-review": ("-review_on", "name", "pk"),
    "status": ("status", "review_on", "name", "pk"),
}
SORT_LABELS = {"name": "Name", "review": "Review date", "status": "Status"}

# Adding and changing agreements is for those who keep the register, so the page itself is
# closed to provider managers (a 403 from the policy, not from inside the view).

IN_FORCE = "In force"
REVIEW_OVERDUE = "Review overdue — not covering sharing"
NOT_STARTED = "Not in force yet"


@dataclass(frozen=True)
class AgreementState:
    """What an agreement means for sharing today, as a tag."""

    label: str
    tag_key: str
    covers_sharing: bool


def agreement_state(agreement: SharingAgreement, *, today: dt.date) -> AgreementState:
    """In force (active, started, not past review), review overdue (active but past its
    review date, so it covers nothing), not started, draft or ended."""
    if agreement.status == AgreementStatus.DRAFT:
        return AgreementState("Draft", "queued", False)
    if agreement.status == AgreementStatus.ENDED:
        return AgreementState("Ended", "withdrawn", False)
    if agreement.review_on < today:
        return AgreementState(REVIEW_OVERDUE, "failed", False)
    if agreement.starts_on > today:
        return AgreementState(NOT_STARTED, "pending", False)
    return AgreementState(IN_FORCE, "approved", True)


def category_labels(codes: list[str]) -> list[str]:
    labels = dict(SharingCategory.choices)
    return [str(labels.get(code, code)) for code in codes or []]


@dataclass(frozen=True)
class AgreementRow:
    agreement: SharingAgreement
    parties: list[str]
    categories: list[str]
    state: AgreementState


def _rows(agreements: Any, today: dt.date) -> list[AgreementRow]:
    return [
        AgreementRow(
            agreement=a,
            parties=[p.name for p in a.parties.all()],
            categories=category_labels(a.categories),
            state=agreement_state(a, today=today),
        )
        for a in agreements
    ]


def _agreement_get(user: Any, agreement_id: int) -> SharingAgreement:
    agreement = agreement_list_for_user(user=user).filter(pk=agreement_id).first()
    if agreement is None:
        raise Http404("No such sharing agreement")
    return agreement


@policy_required(SHARING_REGISTER)
@require_GET
def sharing_list(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        sort = "name"
    agreements = agreement_list_for_user(user=request.user).order_by(*SORTS[sort])
    page = Paginator(agreements, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "cases/sharing/list.html",
        {
            "page": page,
            "rows": _rows(page.object_list, today),
            "sort": sort,
            "sort_links": [
                {
                    "key": key,
                    "label": label,
                    "current": sort.lstrip("-") == key,
                    # Name and review date flip between ascending and descending.
                    "next": f"-{key}" if sort == key and f"-{key}" in SORTS else key,
                    "descending": sort == f"-{key}",
                }
                for key, label in SORT_LABELS.items()
            ],
            "can_manage": can_manage_sharing(request.user),
        },
    )


@policy_required(SHARING_REGISTER)
@require_GET
def sharing_detail(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = _agreement_get(request.user, agreement_id)
    page = Paginator(share_list_for_agreement(agreement=agreement), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cases/sharing/detail.html",
        {
            "agreement": agreement,
            "row": _rows([agreement], timezone.localdate())[0],
            "page": page,
            "can_manage": can_manage_sharing(request.user),
        },
    )


def _organisations() -> Any:
    return Organisation.objects.order_by("name", "pk")


def _save(
    request: HttpRequest, form: SharingAgreementForm, agreement: SharingAgreement | None
) -> SharingAgreement | None:
    data = form.cleaned_data
    try:
        return sharing_agreement_save(
            actor=request.user,
            agreement=agreement,
            name=data["name"],
            parties=list(data["parties"]),
            purpose=data["purpose"],
            lawful_basis=data["lawful_basis"],
            categories=data["categories"],
            starts_on=data["starts_on"],
            review_on=data["review_on"],
            status=data["status"],
            request=request,
        )
    except ValidationError as exc:
        add_service_errors(form, exc, {})
        return None


@policy_required(SHARING_MANAGE)
@require_http_methods(["GET", "POST"])
def sharing_new(request: HttpRequest) -> HttpResponse:
    form = SharingAgreementForm(
        request.POST if request.method == "POST" else None,
        organisations=_organisations(),
        initial={"status": AgreementStatus.DRAFT},
    )
    if request.method == "POST" and form.is_valid():
        agreement = _save(request, form, None)
        if agreement is not None:
            messages.success(request, f"Sharing agreement added: {agreement.name}")
            return redirect("cases:sharing-detail", agreement_id=agreement.pk)
    return render(
        request,
        "cases/sharing/form.html",
        {"form": form, "agreement": None},
        status=form_status(form),
    )


@policy_required(SHARING_MANAGE)
@require_http_methods(["GET", "POST"])
def sharing_edit(request: HttpRequest, agreement_id: int) -> HttpResponse:
    agreement = _agreement_get(request.user, agreement_id)
    initial = iso_initial(
        {
            "name": agreement.name,
            "parties": [str(p.pk) for p in agreement.parties.all()],
            "purpose": agreement.purpose,
            "lawful_basis": agreement.lawful_basis,
            "categories": list(agreement.categories or []),
            "starts_on": agreement.starts_on,
            "review_on": agreement.review_on,
            "status": agreement.status,
        }
    )
    form = SharingAgreementForm(
        request.POST if request.method == "POST" else None,
        organisations=_organisations(),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, agreement)
        if saved is not None:
            messages.success(request, f"Sharing agreement saved: {saved.name}")
            return redirect("cases:sharing-detail", agreement_id=saved.pk)
    return render(
        request,
        "cases/sharing/form.html",
        {"form": form, "agreement": agreement},
        status=form_status(form),
    )
