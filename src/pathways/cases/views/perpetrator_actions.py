"""Action pages on a perpetrator case, mounted at /cases/<reference>/…: allocate, change
status, record an assessment, note, consent, handover, no-victim reason (and its
approval), ask for integrated support, raise a risk event, equality monitoring, case
details, engagement review done, and share under an agreement.

Each page shows its form on GET; on POST it calls one service. A service's refusal puts
its message back on the form (400, with a GOV.UK error summary) and changes nothing;
success goes back to the case page with a banner. The case is found with
`case_get_for_user`, so another organisation's case is a 404 on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pathways.accounts.access import policy_required

from ..forms_perpetrator import (
    AssessmentForm,
    AssignForm,
    ConsentForm,
    DetailsForm,
    EqualityForm,
    HandoverForm,
    NoteForm,
    NoVictimForm,
    RiskEventForm,
    ShareForm,
    StatusForm,
    SupportRequestForm,
    named_contact_choices,
)
from ..models import EQUALITY_QUESTIONS, CaseStatus, PerpetratorCase
from ..policies import CASE_WORK, is_manager_for
from ..selectors.cases import (
    case_get_for_user,
    equality_profile_for_case,
    perpetrator_worker_caseloads,
)
from ..selectors.directory import organisations_other_than_case, sharing_partners_for_case
from ..services.common import case_settings_for
from ..services.perpetrator import (
    case_handover_record,
    case_no_victim_approve,
    case_no_victim_record,
    case_transition,
    perpetrator_case_assign,
    perpetrator_case_update,
)
from ..services.records import (
    case_assessment_record,
    case_engagement_review_done,
    case_note_add,
    consent_record,
    equality_record,
)
from ..services.risk import risk_event_raise
from ..services.sharing import share_record
from ..services.support import support_case_request
from .common import add_service_errors, form_status
from .perpetrator import status_moves


def _case(request: HttpRequest, case_reference: str) -> PerpetratorCase:
    return case_get_for_user(user=request.user, reference=case_reference)


def _back(case: PerpetratorCase) -> HttpResponse:
    return redirect("cases:case-detail", case_reference=case.reference)


def _act(
    request: HttpRequest,
    case: PerpetratorCase,
    form: BaseForm,
    *,
    call: Callable[[], Any],
    success: str | Callable[[Any], str],
    template: str = "cases/perpetrator/action.html",
    targets: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; a valid POST calls the service and goes back to the case with a
    banner; a refusal re-renders the form with the service's message."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call()
        except ValidationError as exc:
            add_service_errors(form, exc, targets or {})
        else:
            messages.success(request, success(result) if callable(success) else success)
            return _back(case)
    return render(
        request,
        template,
        {"case": case, "form": form, **(context or {})},
        status=form_status(form),
    )


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


# Allocation and status --------------------------------------------------------------------


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_assign(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    org_id = case.service.organisation_id
    maximum = case_settings_for(case.service).max_caseload
    can_override = is_manager_for(request.user, org_id)
    form = AssignForm(
        _posted(request),
        workers=perpetrator_worker_caseloads(organisation_id=org_id),
        maximum=maximum,
        can_override=can_override,
        initial={"worker": str(case.worker_id) if case.worker_id else ""},
    )

    def call() -> Any:
        worker = form.chosen_worker()  # type: ignore[attr-defined]
        perpetrator_case_assign(
            actor=request.user,
            case=case,
            worker=worker,
            override_reason=form.cleaned_data.get("override_reason", ""),
            request=request,
        )
        return worker

    return _act(
        request,
        case,
        form,
        call=call,
        success=lambda w: f"{w.get_full_name() or w.get_username()} is now the case worker",
        template="cases/perpetrator/assign.html",
        context={
            "title": "Allocate a worker",
            "button": "Allocate worker",
            "maximum": maximum,
            "can_override": can_override,
        },
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_status(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    moves = status_moves(case) if case.is_open else []
    form = StatusForm(_posted(request), moves=[m["value"] for m in moves])

    def call() -> Any:
        to_status = form.cleaned_data["to_status"]
        case_transition(
            actor=request.user,
            case=case,
            to_status=to_status,
            reason=form.cleaned_data["reason"],
            request=request,
        )
        return CaseStatus(to_status).label

    return _act(
        request,
        case,
        form,
        call=call,
        success=lambda label: f"Case {case.reference} is now {label.lower()}",
        template="cases/perpetrator/status.html",
        context={"title": "Change the case's status", "button": "Change status", "moves": moves},
    )


# Records ----------------------------------------------------------------------------------


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_assessment(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = AssessmentForm(_posted(request))
    return _act(
        request,
        case,
        form,
        call=lambda: case_assessment_record(
            actor=request.user, case=case, request=request, **form.cleaned_data
        ),
        success="Assessment recorded",
        context={
            "title": "Record an assessment",
            "intro": [
                "The case's current risk becomes the tier you assess. If it rises to high, "
                "the victim-survivor's support worker and the statutory lead are told at once."
            ],
            "button": "Save assessment",
        },
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_note(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = NoteForm(_posted(request))
    return _act(
        request,
        case,
        form,
        call=lambda: case_note_add(
            actor=request.user, case=case, text=form.cleaned_data["text"], request=request
        ),
        success="Note added",
        context={
            "title": "Add a note",
            "intro": [
                "Notes stay on the perpetrator case. They are never shown to the "
                "victim-survivor's support worker: raise a risk event for anything that "
                "affects someone's safety."
            ],
            "button": "Save note",
        },
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_consent(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = ConsentForm(_posted(request))
    return _act(
        request,
        case,
        form,
        call=lambda: consent_record(
            actor=request.user, case=case, request=request, **form.cleaned_data
        ),
        success="Consent decision recorded",
        context={
            "title": "Record consent",
            "intro": [
                "Record the person's consent decision. Work can only go ahead without "
                "consent for a recorded safeguarding reason."
            ],
            "button": "Save consent decision",
        },
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_handover(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = HandoverForm(_posted(request), organisations=organisations_other_than_case(case=case))
    return _act(
        request,
        case,
        form,
        call=lambda: case_handover_record(
            actor=request.user, case=case, request=request, **form.cleaned_data
        ),
        success="Handover recorded",
        context={
            "title": "Record a handover",
            "intro": [
                "Referral to a programme is never a reason for other agencies to stop holding "
                "risk. While risk is high, the case cannot close, be de-selected or be "
                "recorded as dropped out until a handover to the agency holding the risk is "
                "recorded."
            ],
            "button": "Save handover",
        },
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_no_victim(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = NoVictimForm(_posted(request), initial={"reason": case.no_victim_reason})
    return _act(
        request,
        case,
        form,
        call=lambda: case_no_victim_record(
            actor=request.user, case=case, reason=form.cleaned_data["reason"], request=request
        ),
        success="Reason recorded. A manager of the service must approve it.",
        context={
            "title": "Record that there is no victim-survivor to support",
            "intro": [
                "A perpetrator case cannot become active without integrated support for the "
                "victim-survivor, unless there is no identifiable victim-survivor and a "
                "manager of the service approves the reason.",
                "Recording a new reason removes any earlier approval.",
            ],
            "button": "Save reason",
        },
    )


@policy_required(CASE_WORK)
@require_POST
def case_no_victim_approve_view(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    try:
        case_no_victim_approve(actor=request.user, case=case, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "You approved the reason there is no victim-survivor to support")
    return _back(case)


@policy_required(CASE_WORK)
@require_POST
def case_engagement_review(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    try:
        case_engagement_review_done(actor=request.user, case=case, request=request)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Engagement review recorded as done")
    return _back(case)


# Across the sides ---------------------------------------------------------------------------


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_request_support(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = SupportRequestForm(_posted(request), organisations=sharing_partners_for_case(case=case))
    return _act(
        request,
        case,
        form,
        call=lambda: support_case_request(
            actor=request.user,
            case=case,
            victim_name=form.cleaned_data["victim_name"],
            organisation=form.cleaned_data["organisation"],
            contact=form.contact(),  # type: ignore[attr-defined]
            request=request,
        ),
        success=lambda sc: f"Support case {sc.reference} opened and linked to this case",
        template="cases/perpetrator/request_support.html",
        context={
            "title": "Ask for integrated support for a victim-survivor",
            "button": "Ask for support",
        },
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_risk_event(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = RiskEventForm(_posted(request))
    return _act(
        request,
        case,
        form,
        call=lambda: risk_event_raise(
            actor=request.user, case=case, request=request, **form.cleaned_data
        ),
        success="Risk event raised and sent to the victim-survivor's support worker and the "
        "named statutory lead",
        template="cases/perpetrator/risk_event.html",
        context={"title": "Raise a risk event", "button": "Raise risk event"},
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_share(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = ShareForm(_posted(request), organisations=organisations_other_than_case(case=case))
    return _act(
        request,
        case,
        form,
        call=lambda: share_record(
            actor=request.user, case=case, request=request, **form.cleaned_data
        ),
        success=lambda share: f"Sharing with {share.to_organisation.name} recorded",
        context={
            "title": "Share information from this case",
            "intro": [
                "You can share a category of this case's information with another "
                "organisation only under a sharing agreement in force that covers it. Every "
                "share is logged, and a refused share is logged too.",
                "This records the share; send the information itself by your secure route.",
            ],
            "button": "Record share",
        },
    )


# Monitoring and details ---------------------------------------------------------------------


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_equality(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    profile = equality_profile_for_case(case=case)
    initial = {q: getattr(profile, q) for q in EQUALITY_QUESTIONS} if profile else {}
    form = EqualityForm(_posted(request), initial=initial)
    return _act(
        request,
        case,
        form,
        call=lambda: equality_record(
            actor=request.user,
            case=case,
            answers=form.answers(),  # type: ignore[attr-defined]
            request=request,
        ),
        success="Equality monitoring recorded",
        context={
            "title": "Equality monitoring",
            "intro": [
                "Every question is optional, and the person can choose not to say. The "
                "answers are only ever reported as totals, with small numbers hidden."
            ],
            "button": "Save answers",
        },
    )


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_details(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = _case(request, case_reference)
    form = DetailsForm(
        _posted(request),
        people=named_contact_choices(),
        initial={
            "intervention": case.intervention,
            "tier": case.tier,
            "planned_sessions": case.planned_sessions,
            "planned_weeks": case.planned_weeks,
            "statutory_lead": case.statutory_lead_id,
            "police_contact": case.police_contact_id,
            "panel_chair": case.panel_chair_id,
        },
    )
    return _act(
        request,
        case,
        form,
        call=lambda: perpetrator_case_update(
            actor=request.user,
            case=case,
            request=request,
            **form.changes(),  # type: ignore[attr-defined]
        ),
        success="Case details saved",
        context={
            "title": "Change case details",
            "intro": [
                "The named statutory lead receives every risk event on this case at once. "
                "The police contact and the panel chair are told if the case ends while risk "
                "is high. Name someone other than the case worker."
            ],
            "button": "Save details",
        },
    )
