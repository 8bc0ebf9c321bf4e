"""Standards pages: frameworks, assessments (self-assessment, review, compare, export) and
risk-tier definitions.

Every view names its policy (`standards.policies`). What each person sees is scoped by the
selectors (another organisation's assessment is a 404); every write goes through
`standards.services`, which checks the caller again and audits.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pathways.accounts.access import policy_required
from pathways.areas.models import Area
from pathways.directory import selectors as directory_selectors

from . import policies, selectors, services
from .exports import FORMATS
from .forms import (
    CompareForm,
    RatingForm,
    ReturnForm,
    ReviewForm,
    StartAssessmentForm,
    TierDefinitionForm,
)
from .models import AssessmentKind, AssessmentStatus

PAGE_SIZE = 20


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _rating_page_context(assessment, rating, form) -> dict:
    """What the rating and review pages for one item both show."""
    return {
        "assessment": assessment,
        "rating": rating,
        "row": next(r for r in selectors.assessment_rows(assessment) if r.id == rating.pk),
        "form": form,
        "attachments": list(rating.attachments.all()),
    }


def _status_for(form: BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def _add_errors(form: BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages[:10]:
        messages.error(request, message)


@policy_required(policies.READ)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_review = policies.can_review_assessments(user)
    query = request.GET.get("q", "")[:100] if can_review else ""
    return render(
        request,
        "standards/index.html",
        {
            "frameworks": selectors.framework_list(),
            "can_self_assess": policies.can_self_assess(user),
            "can_review": can_review,
            "query": query,
            "to_assess": selectors.services_to_assess_for_user(user=user, query=query)
            if can_review and query
            else [],
            "in_progress": selectors.assessment_list_for_user(
                user=user, status=AssessmentStatus.DRAFT
            ).filter(kind=AssessmentKind.COMMISSIONER)[:20]
            if can_review
            else [],
            "services": directory_selectors.service_list_for_user(user=user)[:50]
            if policies.can_self_assess(user)
            else [],
            "submitted": selectors.assessment_list_for_user(
                user=user, status=AssessmentStatus.SUBMITTED
            )[:20]
            if policies.can_review_assessments(user)
            else [],
            "overdue_count": selectors.overdue_ambers_for_user(user=user).count(),
            "reassess": selectors.assessments_needing_reassessment_for_user(user=user)[:20],
            "tier_definitions": selectors.tier_definition_list(),
        },
    )


@policy_required(policies.READ)
@require_GET
def framework_detail(request: HttpRequest, slug: str, version: str = "") -> HttpResponse:
    framework = selectors.framework_get(slug=slug, version=version or None)
    return render(
        request,
        "standards/framework_detail.html",
        {
            "framework": framework,
            "items": selectors.framework_items(framework=framework),
            "checklists": framework.checklists.order_by("position").prefetch_related(
                "questions__items"
            ),
            "editions": selectors.framework_list(include_old=True).filter(slug=slug),
        },
    )


@policy_required(policies.READ)
@require_GET
def assessment_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in AssessmentStatus.values:
        status = ""
    page = _page(request, selectors.assessment_list_for_user(user=request.user, status=status))
    for assessment in page.object_list:
        assessment.counts = selectors.assessment_counts(assessment)
    return render(
        request,
        "standards/assessment_list.html",
        {"page": page, "status": status, "statuses": AssessmentStatus.choices},
    )


@policy_required(policies.READ)
@require_GET
def overdue_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.overdue_ambers_for_user(user=request.user))
    return render(request, "standards/overdue.html", {"page": page})


@policy_required(policies.READ)
@require_GET
def service_assessments(request: HttpRequest, service_id: Any) -> HttpResponse:
    assessments = list(selectors.assessment_list_for_user(user=request.user, service_id=service_id))
    service = None
    if policies.can_start_assessments(request.user):
        try:
            service = selectors.service_get_for_assessment(user=request.user, service_id=service_id)
        except Http404:
            service = None
    if service is None and assessments:
        service = assessments[0].service
    if service is None:
        raise Http404("No such service")
    for assessment in assessments:
        assessment.counts = selectors.assessment_counts(assessment)
    form = CompareForm(request.GET or None, assessments=assessments)
    comparison = None
    if form.is_bound and form.is_valid():
        by_id = {str(a.pk): a for a in assessments}
        first = selectors.assessment_get_for_user(
            user=request.user, assessment_id=by_id[form.cleaned_data["first"]].pk
        )
        second = selectors.assessment_get_for_user(
            user=request.user, assessment_id=by_id[form.cleaned_data["second"]].pk
        )
        comparison = {
            "first": first,
            "second": second,
            "rows": selectors.assessment_compare(
                selectors.assessment_rows(first), selectors.assessment_rows(second)
            ),
        }
    kind = policies.assessment_kind_for(request.user, service.organisation_id)
    can_start = kind is not None and policies.can_start_assessment(
        request.user, service.organisation_id, kind
    )
    return render(
        request,
        "standards/service_assessments.html",
        {
            "service": service,
            "assessments": assessments,
            "form": form,
            "comparison": comparison,
            "can_start": can_start,
            "start_kind": kind,
        },
        status=_status_for(form),
    )


@policy_required(policies.ASSESS)
@require_http_methods(["GET", "POST"])
def assessment_start(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = selectors.service_get_for_assessment(user=request.user, service_id=service_id)
    kind = policies.assessment_kind_for(request.user, service.organisation_id)
    if kind is None or not policies.can_start_assessment(
        request.user, service.organisation_id, kind
    ):
        raise Http404("No such service")
    form = StartAssessmentForm(
        request.POST if request.method == "POST" else None, checklists=selectors.checklist_list()
    )
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_start(
                actor=request.user,
                service=service,
                checklist=form.cleaned_data["checklist"],
                kind=kind,
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"{assessment.get_kind_display()} started")
            return redirect("standards:assessment", assessment_id=assessment.pk)
    return render(
        request,
        "standards/assessment_start.html",
        {"service": service, "form": form, "kind": kind, "kinds": AssessmentKind},
        status=_status_for(form),
    )


@policy_required(policies.READ)
@require_GET
def assessment_detail(request: HttpRequest, assessment_id: Any) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    rows = selectors.assessment_rows(assessment)
    proposals = selectors.assessment_proposals(assessment=assessment)
    attachments = {r.pk: list(r.attachments.all()) for r in assessment.ratings.all()}
    return render(
        request,
        "standards/assessment_detail.html",
        {
            "assessment": assessment,
            "rows": [(row, proposals.get(row.id, []), attachments.get(row.id, [])) for row in rows],
            "counts": selectors.assessment_counts(assessment),
            "can_edit": policies.can_edit_assessment(request.user, assessment),
            "can_submit": policies.can_submit_assessment(request.user, assessment),
            "can_review": policies.can_review_assessment(request.user, assessment),
            "can_finalise": policies.can_finalise_assessment(request.user, assessment),
            "formats": FORMATS,
        },
    )


@policy_required(policies.ASSESS)
@require_http_methods(["GET", "POST"])
def rating_edit(request: HttpRequest, assessment_id: Any, rating_id: int) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    rating = selectors.rating_get_for_user(
        user=request.user, assessment=assessment, rating_id=rating_id
    )
    if not policies.can_edit_assessment(request.user, assessment):
        raise PermissionDenied("Only a draft can be changed, by whoever leads the assessment.")
    initial = {
        "status": rating.status,
        "finding": rating.finding,
        "evidence_sources": rating.evidence_sources,
        "evidence_note": rating.evidence_note,
        "review_date": rating.review_date,
    }
    if request.method == "POST":
        form = RatingForm(request.POST, request.FILES)
    else:
        form = RatingForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.rating_update(
                actor=request.user,
                rating=rating,
                status=data["status"],
                finding=data["finding"],
                evidence_sources=data["evidence_sources"],
                evidence_note=data["evidence_note"],
                review_date=data["review_date"],
                request=request,
            )
            upload = data.get("file")
            if upload:
                if upload.size > services.ATTACHMENT_MAX_BYTES:
                    raise ValidationError({"file": ["The selected file must be smaller than 5MB"]})
                services.attachment_add(
                    actor=request.user,
                    rating=rating,
                    filename=upload.name,
                    content=upload.read(),
                    request=request,
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Rating saved")
            return redirect("standards:assessment", assessment_id=assessment.pk)
    return render(
        request,
        "standards/rating_form.html",
        {
            **_rating_page_context(assessment, rating, form),
            "proposals": selectors.assessment_proposals(assessment=assessment).get(rating.pk, []),
        },
        status=_status_for(form),
    )


@policy_required(policies.READ)
@require_GET
def attachment_download(request: HttpRequest, attachment_id: Any) -> FileResponse:
    attachment = selectors.attachment_get_for_user(user=request.user, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@policy_required(policies.ASSESS)
@require_POST
def attachment_delete(request: HttpRequest, attachment_id: Any) -> HttpResponse:
    attachment = selectors.attachment_get_for_user(user=request.user, attachment_id=attachment_id)
    assessment_id = attachment.rating.assessment_id
    services.attachment_delete(actor=request.user, attachment=attachment, request=request)
    messages.success(request, f"‘{attachment.original_name}’ removed")
    return redirect("standards:assessment", assessment_id=assessment_id)


@policy_required(policies.SELF_ASSESS)
@require_POST
def assessment_submit(request: HttpRequest, assessment_id: Any) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    try:
        services.assessment_submit(actor=request.user, assessment=assessment, request=request)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, "Assessment submitted to the commissioners for review")
    return redirect("standards:assessment", assessment_id=assessment.pk)


@policy_required(policies.REVIEW)
@require_http_methods(["GET", "POST"])
def rating_review(request: HttpRequest, assessment_id: Any, rating_id: int) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    rating = selectors.rating_get_for_user(
        user=request.user, assessment=assessment, rating_id=rating_id
    )
    if not policies.can_review_assessment(request.user, assessment):
        raise PermissionDenied("Only a submitted self-assessment can be reviewed.")
    form = ReviewForm(
        request.POST if request.method == "POST" else None,
        initial={
            "decision": rating.decision,
            "agreed_status": rating.agreed_status if rating.decision == "changed" else "",
            "reason": rating.review_reason,
            "review_date": rating.review_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.rating_review(
                actor=request.user,
                rating=rating,
                decision=data["decision"],
                agreed_status=data["agreed_status"],
                reason=data["reason"],
                review_date=data["review_date"],
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Review saved")
            return redirect("standards:assessment", assessment_id=assessment.pk)
    return render(
        request,
        "standards/review_form.html",
        _rating_page_context(assessment, rating, form),
        status=_status_for(form),
    )


@policy_required(policies.REVIEW)
@require_http_methods(["GET", "POST"])
def assessment_return(request: HttpRequest, assessment_id: Any) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    if not policies.can_review_assessment(request.user, assessment):
        raise PermissionDenied("Only a submitted self-assessment can be sent back.")
    form = ReturnForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.assessment_return(
                actor=request.user,
                assessment=assessment,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Self-assessment sent back to the provider")
            return redirect("standards:assessment", assessment_id=assessment.pk)
    return render(
        request,
        "standards/return_form.html",
        {"assessment": assessment, "form": form},
        status=_status_for(form),
    )


@policy_required(policies.REVIEW)
@require_POST
def assessment_finalise(request: HttpRequest, assessment_id: Any) -> HttpResponse:
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    try:
        services.assessment_finalise(actor=request.user, assessment=assessment, request=request)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, "Assessment finalised")
    return redirect("standards:assessment", assessment_id=assessment.pk)


@policy_required(policies.READ)
@require_GET
def assessment_export(request: HttpRequest, assessment_id: Any, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("No such format")
    assessment = selectors.assessment_get_for_user(user=request.user, assessment_id=assessment_id)
    export = services.assessment_export(
        actor=request.user, assessment=assessment, fmt=fmt, request=request
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------------------
# Risk-tier definitions
# --------------------------------------------------------------------------------------


@policy_required(policies.READ)
@require_GET
def tier_definition_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "standards/tier_list.html",
        {
            "definitions": selectors.tier_definition_list(),
            "can_edit": policies.can_edit_tier_definitions(request.user),
            "areas": Area.objects.filter(
                kind__in=["combined_authority", "police_force_area", "local_authority"]
            ).order_by("name")
            if policies.can_edit_tier_definitions(request.user)
            else [],
        },
    )


def _area_or_404(area_slug: str) -> Area:
    area = Area.objects.filter(slug=area_slug).first()
    if area is None:
        raise Http404("No such area")
    return area


@policy_required(policies.READ)
@require_GET
def tier_definition_detail(request: HttpRequest, area_slug: str) -> HttpResponse:
    area = _area_or_404(area_slug)
    definition = selectors.tier_definition_get(area_slug=area.slug)
    return render(
        request,
        "standards/tier_detail.html",
        {
            "area": area,
            "definition": definition,
            "checks": selectors.tier_checks_for_area(area_slug=area.slug) if definition else [],
            "can_edit": policies.can_edit_tier_definitions(request.user),
        },
    )


@policy_required(policies.TIERS_EDIT)
@require_http_methods(["GET", "POST"])
def tier_definition_edit(request: HttpRequest, area_slug: str) -> HttpResponse:
    area = _area_or_404(area_slug)
    definition = selectors.tier_definition_get(area_slug=area.slug)
    if request.method == "POST":
        form = TierDefinitionForm(request.POST)
    else:
        form = TierDefinitionForm(
            initial=TierDefinitionForm.initial_from(definition)
            or {"title": f"{area.name} risk tiers"}
        )
    if request.method == "POST" and form.is_valid():
        try:
            services.tier_definition_save(
                actor=request.user,
                area=area,
                title=form.cleaned_data["title"],
                notes=form.cleaned_data["notes"],
                criteria=form.criteria(),
                request=request,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Risk-tier definition for {area.name} saved")
            return redirect("standards:tier-detail", area_slug=area.slug)
    return render(
        request,
        "standards/tier_form.html",
        {"area": area, "form": form, "definition": definition},
        status=_status_for(form),
    )
