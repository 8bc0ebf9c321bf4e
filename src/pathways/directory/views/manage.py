"""Directory curation pages: providers keep their entries current, editors approve and check them.

Every view names its policy. Provider pages use `MANAGE` (provider managers and
administrators), editor pages use `CURATE` (commissioners and administrators), and the
pages both use (service list and page, change list and detail, version history) use
`MANAGE_OR_CURATE`; what each person sees there is scoped by the selectors, so another
organisation's service or change is a 404. Writes go through `directory.curation`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import dateformat, timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pathways.accounts.access import policy_required
from pathways.accounts.policies import (
    Policy,
    can_curate_directory,
    can_manage_organisation_services,
)
from pathways.areas.models import Area

from .. import curation, selectors
from ..forms_curation import (
    ApproveForm,
    ClaimsVerifyForm,
    EditorServiceForm,
    ManageSearchForm,
    NewServiceForm,
    RejectForm,
    ReviewFilterForm,
    ServiceDetailsForm,
    VersionCompareForm,
)
from ..models import ChangeStatus, ClaimDimension, ServiceChange, ServiceVersion, TaxonomyTerm
from ..services import service_snapshot

PAGE_SIZE = 20

MANAGE = Policy(
    "directory_manage",
    can_manage_organisation_services,
    "Provider managers (for their own organisation's services) and administrators.",
)
CURATE = Policy(
    "directory_curate",
    can_curate_directory,
    "Directory editors: commissioners and administrators.",
)
MANAGE_OR_CURATE = Policy(
    "directory_manage_or_curate",
    lambda user: can_manage_organisation_services(user) or can_curate_directory(user),
    "Provider managers, directory editors and administrators.",
)

# Where a service-level error about a snapshot key belongs on the service form.
_ERROR_TARGETS = {"areas": "districts", "taxonomy_terms": None, "claims": None, "__all__": None}


def _add_errors(form: BaseForm, exc: ValidationError) -> None:
    """Show a service function's ValidationError on the form, by field where there is one."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            target = _ERROR_TARGETS.get(key, key)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _names() -> dict[str, str]:
    """Display names for area slugs and 'taxonomy:code' strings, for diffs."""
    names = dict(Area.objects.values_list("slug", "name"))
    for slug, code, name in TaxonomyTerm.objects.values_list("taxonomy__slug", "code", "name"):
        names[f"{slug}:{code}"] = name
    return names


def _status_for(form: BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200


# --------------------------------------------------------------------------------------
# Services: list, page, proposals, direct edits, confirmation
# --------------------------------------------------------------------------------------


@policy_required(MANAGE_OR_CURATE)
@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    form = ManageSearchForm(request.GET or None)
    text = form.cleaned_data["q"] if form.is_valid() else ""
    page = _page(request, curation.service_list_for_manage(user=request.user, text=text))
    now = timezone.now()
    for service in page.object_list:
        service.stale = selectors.service_is_stale(service, now=now)
    return render(
        request,
        "directory/manage/service_list.html",
        {
            "form": form,
            "page": page,
            "is_editor": can_curate_directory(request.user),
            "is_manager": can_manage_organisation_services(request.user),
        },
    )


@policy_required(MANAGE_OR_CURATE)
@require_GET
def manage_service(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = selectors.service_get_for_user(user=request.user, service_id=service_id)
    claims = selectors.claim_map(service)
    terms = list(service.taxonomy_terms.all())
    return render(
        request,
        "directory/manage/service_detail.html",
        {
            "service": service,
            "claims": [claims[d] for d in ClaimDimension.values if d in claims],
            "areas": [sa.area for sa in service.service_areas.all()],
            "abuse_types": [t for t in terms if t.taxonomy.slug == "abuse-types"],
            "routes": [t for t in terms if t.taxonomy.slug == "referral-routes"],
            "formats": [t for t in terms if t.taxonomy.slug == "delivery-formats"],
            "exclusion_criteria": [t for t in terms if t.taxonomy.slug == "exclusion-criteria"],
            "changes": curation.change_list_for_service(service=service),
            "stale": selectors.service_is_stale(service),
            "unconfirmed": selectors.service_is_unconfirmed(service),
            "can_propose": curation.can_manage_organisation(request.user, service.organisation_id),
            "is_editor": can_curate_directory(request.user),
        },
    )


@policy_required(MANAGE)
@require_http_methods(["GET", "POST"])
def propose_change(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = curation.service_get_for_manager(user=request.user, service_id=service_id)
    form = ServiceDetailsForm(
        request.POST if request.method == "POST" else None, snapshot=service_snapshot(service)
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = curation.service_change_propose(
                actor=request.user, service=service, request=request, **form.proposal()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, "Your change has been sent to a directory editor for approval"
            )
            return redirect("directory:change-detail", change_id=change.pk)
    return render(
        request,
        "directory/manage/service_form.html",
        {"form": form, "service": service, "mode": "propose"},
        status=_status_for(form),
    )


@policy_required(MANAGE)
@require_http_methods(["GET", "POST"])
def propose_new(request: HttpRequest) -> HttpResponse:
    organisations = list(curation.organisation_list_for_manager(user=request.user))
    form = NewServiceForm(
        request.POST if request.method == "POST" else None,
        organisations=organisations,
        snapshot=curation.empty_snapshot(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = curation.service_change_propose(
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                request=request,
                **form.proposal(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, "The new service has been sent to a directory editor for approval"
            )
            return redirect("directory:change-detail", change_id=change.pk)
    return render(
        request,
        "directory/manage/service_form.html",
        {"form": form, "service": None, "mode": "new", "no_organisation": not organisations},
        status=_status_for(form),
    )


@policy_required(CURATE)
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = selectors.service_get_for_user(user=request.user, service_id=service_id)
    form = EditorServiceForm(
        request.POST if request.method == "POST" else None, snapshot=service_snapshot(service)
    )
    if request.method == "POST" and form.is_valid():
        try:
            curation.service_edit(
                service=service,
                actor=request.user,
                source=form.cleaned_data["source"],
                provenance_detail=form.cleaned_data["provenance_detail"] or None,
                request=request,
                **form.proposal(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"‘{service.name}’ has been updated")
            return redirect("directory:manage-service", service_id=service.pk)
    return render(
        request,
        "directory/manage/service_form.html",
        {"form": form, "service": service, "mode": "edit"},
        status=_status_for(form),
    )


@policy_required(MANAGE)
@require_POST
def service_confirm(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = curation.service_get_for_manager(user=request.user, service_id=service_id)
    curation.service_confirm(service=service, actor=request.user, request=request)
    messages.success(request, f"You have confirmed that ‘{service.name}’ is up to date")
    return redirect("directory:manage-service", service_id=service.pk)


@policy_required(CURATE)
@require_http_methods(["GET", "POST"])
def claims_verify(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = selectors.service_get_for_user(user=request.user, service_id=service_id)
    by_dimension = selectors.claim_map(service)
    claims = [by_dimension[d] for d in ClaimDimension.values if d in by_dimension]
    form = ClaimsVerifyForm(request.POST if request.method == "POST" else None, claims=claims)
    if request.method == "POST" and form.is_valid():
        try:
            curation.service_claim_verify(
                service=service, actor=request.user, claims=form.updates(), request=request
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"The claims of ‘{service.name}’ have been updated")
            return redirect("directory:manage-service", service_id=service.pk)
    return render(
        request,
        "directory/manage/claims_verify.html",
        {"form": form, "service": service},
        status=_status_for(form),
    )


# --------------------------------------------------------------------------------------
# Changes: queue, detail, approve, reject, withdraw
# --------------------------------------------------------------------------------------


@policy_required(MANAGE_OR_CURATE)
@require_GET
def change_queue(request: HttpRequest) -> HttpResponse:
    page = _page(request, curation.change_list_for_user(user=request.user))
    return render(
        request,
        "directory/manage/change_queue.html",
        {"page": page, "is_editor": can_curate_directory(request.user)},
    )


def _change_context(
    request: HttpRequest,
    change: ServiceChange,
    *,
    approve_form: ApproveForm | None = None,
    reject_form: RejectForm | None = None,
) -> dict[str, Any]:
    base_snapshot: dict[str, Any] = curation.empty_snapshot()
    if change.service_id and change.base_version:
        base = ServiceVersion.objects.filter(
            service_id=change.service_id, number=change.base_version
        ).first()
        if base is not None:
            base_snapshot = base.snapshot
    pending = change.status == ChangeStatus.PENDING
    names = _names()
    stale = False
    since: list[curation.FieldChange] = []
    deleted = bool(change.service and change.service.deleted_at)
    if pending and change.service is not None and not deleted:
        live = service_snapshot(change.service)
        current = curation.service_current_version_number(change.service)
        stale = change.base_version is not None and current != change.base_version
        if stale:
            since = curation.service_version_compare(base_snapshot, live, names=names)
        before = live
    else:
        before = base_snapshot
    diff = curation.service_version_compare(
        before, curation.proposed_snapshot(before, change.data), names=names
    )
    return {
        "change": change,
        "diff": diff,
        "stale": stale,
        "since": since,
        "deleted": deleted,
        "pending": pending,
        "can_decide": pending and can_curate_directory(request.user),
        "can_withdraw": pending
        and curation.can_manage_organisation(request.user, change.organisation_id),
        "approve_form": approve_form or ApproveForm(stale=stale),
        "reject_form": reject_form or RejectForm(),
    }


@policy_required(MANAGE_OR_CURATE)
@require_GET
def change_detail(request: HttpRequest, change_id: Any) -> HttpResponse:
    change = curation.change_get_for_user(user=request.user, change_id=change_id)
    return render(request, "directory/manage/change_detail.html", _change_context(request, change))


@policy_required(CURATE)
@require_POST
def change_approve(request: HttpRequest, change_id: Any) -> HttpResponse:
    change = curation.change_get_for_user(user=request.user, change_id=change_id)
    context = _change_context(request, change)
    form = ApproveForm(request.POST, stale=context["stale"])
    if form.is_valid():
        try:
            service = curation.service_change_approve(
                change=change,
                actor=request.user,
                confirm_stale=form.cleaned_data["confirm_stale"],
                request=request,
            )
        except curation.ChangeConflictError:
            # The service changed between loading this page and approving: ask again.
            form = ApproveForm(request.POST, stale=True)
            form.is_valid()
            context = _change_context(request, change)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Change approved: ‘{service.name}’ has been updated")
            return redirect("directory:change-queue")
    context["approve_form"] = form
    return render(request, "directory/manage/change_detail.html", context, status=400)


@policy_required(CURATE)
@require_POST
def change_reject(request: HttpRequest, change_id: Any) -> HttpResponse:
    change = curation.change_get_for_user(user=request.user, change_id=change_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            curation.service_change_reject(
                change=change,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Change rejected. The provider can see your reason")
            return redirect("directory:change-queue")
    context = _change_context(request, change, reject_form=form)
    return render(request, "directory/manage/change_detail.html", context, status=400)


@policy_required(MANAGE)
@require_POST
def change_withdraw(request: HttpRequest, change_id: Any) -> HttpResponse:
    change = curation.change_get_for_user(user=request.user, change_id=change_id)
    try:
        curation.service_change_withdraw(change=change, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("directory:change-detail", change_id=change.pk)
    messages.success(request, "You have withdrawn the change")
    if change.service_id:
        return redirect("directory:manage-service", service_id=change.service_id)
    return redirect("directory:manage-list")


# --------------------------------------------------------------------------------------
# Review, versions, delete and restore
# --------------------------------------------------------------------------------------


@policy_required(CURATE)
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    form = ReviewFilterForm(request.GET or None)
    page = None
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        services = curation.service_list_for_review(
            user=request.user,
            area_id=form.area_id() if form.is_bound else None,
            provenance=data.get("provenance", ""),
            reason=data.get("reason", ""),
            sort=data.get("sort") or "confirmed",
        )
        page = _page(request, services)
    return render(
        request,
        "directory/manage/review.html",
        {"form": form, "page": page, "stale_days": settings.DIRECTORY_STALE_AFTER_DAYS},
        status=_status_for(form),
    )


@policy_required(MANAGE_OR_CURATE)
@require_GET
def versions(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = selectors.service_get_for_user(user=request.user, service_id=service_id)
    page = _page(request, curation.service_version_list(service=service))
    numbers = list(service.versions.order_by("-number").values_list("number", flat=True))
    return render(
        request,
        "directory/manage/versions.html",
        {"service": service, "page": page, "compare_form": VersionCompareForm(numbers=numbers)},
    )


@policy_required(MANAGE_OR_CURATE)
@require_GET
def version_compare(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = selectors.service_get_for_user(user=request.user, service_id=service_id)
    numbers = list(service.versions.order_by("-number").values_list("number", flat=True))
    form = VersionCompareForm(request.GET or None, numbers=numbers)
    context: dict[str, Any] = {"service": service, "form": form, "compared": False}
    if form.is_valid():
        first = int(form.cleaned_data["a"])
        second = form.cleaned_data["b"]
        if second != "current" and int(second) < first:
            first, second = int(second), str(first)
        old_version = curation.service_version_get(service=service, number=first)
        if second == "current":
            new_version = None
            new_snapshot = service_snapshot(service)
        else:
            new_version = curation.service_version_get(service=service, number=int(second))
            new_snapshot = new_version.snapshot if new_version else {}
        old_snapshot = old_version.snapshot if old_version else {}
        context.update(
            {
                "compared": True,
                "old_version": old_version,
                "new_version": new_version,
                "diff": curation.service_version_compare(
                    old_snapshot, new_snapshot, names=_names()
                ),
            }
        )
    return render(
        request, "directory/manage/version_compare.html", context, status=_status_for(form)
    )


@policy_required(CURATE)
@require_http_methods(["GET", "POST"])
def service_delete(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = selectors.service_get_for_user(user=request.user, service_id=service_id)
    if request.method == "POST":
        service = curation.service_soft_delete(service=service, actor=request.user, request=request)
        deadline = curation.service_restore_deadline(service)
        messages.success(
            request,
            f"‘{service.name}’ has been deleted. You can restore it from Recently deleted "
            f"until {dateformat.format(timezone.localtime(deadline), 'j F Y')}",
        )
        return redirect("directory:manage-list")
    pending = curation.change_list_for_user(user=request.user).filter(service=service).count()
    return render(
        request,
        "directory/manage/service_delete.html",
        {
            "service": service,
            "pending": pending,
            "window_days": settings.DIRECTORY_RESTORE_WINDOW_DAYS,
        },
    )


@policy_required(CURATE)
@require_GET
def deleted_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, curation.service_list_recently_deleted(user=request.user))
    for service in page.object_list:
        service.restore_until = curation.service_restore_deadline(service)
    return render(
        request,
        "directory/manage/deleted_list.html",
        {"page": page, "window_days": settings.DIRECTORY_RESTORE_WINDOW_DAYS},
    )


@policy_required(CURATE)
@require_POST
def service_restore(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = curation.service_get_deleted_for_user(user=request.user, service_id=service_id)
    try:
        curation.service_restore(service=service, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("directory:deleted-list")
    messages.success(request, f"‘{service.name}’ has been restored")
    return redirect("directory:manage-service", service_id=service.pk)


urlpatterns = [
    path("services/", manage_list, name="manage-list"),
    path("services/new/", propose_new, name="propose-new"),
    path("services/<uuid:service_id>/", manage_service, name="manage-service"),
    path("services/<uuid:service_id>/edit/", propose_change, name="propose-change"),
    path("services/<uuid:service_id>/edit-directly/", service_edit, name="service-edit"),
    path("services/<uuid:service_id>/confirm/", service_confirm, name="service-confirm"),
    path("services/<uuid:service_id>/claims/", claims_verify, name="claims-verify"),
    path("services/<uuid:service_id>/versions/", versions, name="versions"),
    path("services/<uuid:service_id>/versions/compare/", version_compare, name="version-compare"),
    path("services/<uuid:service_id>/delete/", service_delete, name="service-delete"),
    path("services/<uuid:service_id>/restore/", service_restore, name="service-restore"),
    path("changes/", change_queue, name="change-queue"),
    path("changes/<uuid:change_id>/", change_detail, name="change-detail"),
    path("changes/<uuid:change_id>/approve/", change_approve, name="change-approve"),
    path("changes/<uuid:change_id>/reject/", change_reject, name="change-reject"),
    path("changes/<uuid:change_id>/withdraw/", change_withdraw, name="change-withdraw"),
    path("review/", review, name="review"),
    path("deleted/", deleted_list, name="deleted-list"),
]
