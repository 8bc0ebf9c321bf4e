"""The victim-survivor support side (IVSS), mounted at /support/ (namespace "support").

Every page uses the SUPPORT_WORK policy; which support cases someone sees is decided by
`selectors.cases.support_case_list_for_user`, so another organisation's support case, and
one linked to a perpetrator case the user works themselves, is a 404. Perpetrator-side
staff are refused every page here by the policy. Opening the record is audited.

Of a linked perpetrator case this side sees only its reference, status and current risk:
its notes, assessments and attendance stay on the perpetrator side (standard 2.2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required

from ..forms_support import (
    SHOW_MINE,
    SHOW_UNALLOCATED,
    SORT_THREATS,
    AssignForm,
    ConsentForm,
    ContactForm,
    EqualityForm,
    LinkForm,
    NoteForm,
    RiskEventForm,
    ShareForm,
    StatusForm,
    SupportCaseOpenForm,
    SupportFilterForm,
)
from ..models import (
    EQUALITY_LABELS,
    EQUALITY_QUESTIONS,
    SUPPORT_TRANSITIONS,
    SupportCase,
    SupportStatus,
)
from ..policies import SUPPORT_WORK, is_manager_for
from ..selectors.cases import (
    consents_for_support_case,
    equality_profile_for_support_case,
    notes_for_support_case,
    risk_events_for_support_case,
    status_history_for_support_case,
    support_case_get_for_user,
    support_case_list_with_threats_for_user,
    support_worker_caseloads_for_support_case,
)
from ..selectors.directory import (
    sharing_partner_choices_for_support_case,
    sharing_partner_get_for_support_case,
    support_organisation_choices_for_user,
    support_organisation_get_for_user,
    support_service_choices_for_user,
    support_service_get_for_user,
)
from ..services.common import case_list_view_record, case_settings_for
from ..services.records import case_note_add, consent_record, equality_record
from ..services.risk import risk_event_raise
from ..services.sharing import share_record
from ..services.support import (
    support_case_assign,
    support_case_link,
    support_case_open,
    support_case_transition,
    support_case_update_contact,
    support_case_view_record,
)
from .common import (
    CASE_STATUS_TAG_KEYS,
    PAGE_SIZE,
    RISK_TAG_KEYS,
    SUPPORT_STATUS_TAG_KEYS,
    add_service_errors,
    form_status,
)

DEFAULT_MAX_CASELOAD = 15  # what support_case_assign applies when the case has no service


def _display_name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


@policy_required(SUPPORT_WORK)
@require_GET
def support_list(request: HttpRequest) -> HttpResponse:
    form = SupportFilterForm(request.GET or None)
    show = form.value("show", "all")
    status = form.value("status", "")
    sort = form.value("sort", SORT_THREATS)
    qs = support_case_list_with_threats_for_user(
        user=request.user,
        mine=show == SHOW_MINE,
        unallocated=show == SHOW_UNALLOCATED,
        status=status,
        threats_first=sort == SORT_THREATS,
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "case": sc,
            "status_key": SUPPORT_STATUS_TAG_KEYS.get(sc.status, ""),
            "risk_key": RISK_TAG_KEYS.get(sc.current_risk, ""),
            "linked": sc.perpetrator_case,
            "linked_key": (
                CASE_STATUS_TAG_KEYS.get(sc.perpetrator_case.status, "")
                if sc.perpetrator_case_id
                else ""
            ),
            "worker": _display_name(sc.worker) if sc.worker_id else "",
        }
        for sc in page.object_list
    ]
    case_list_view_record(
        actor=request.user,
        object_type="support_case",
        references=[row["case"].reference for row in rows],
        request=request,
    )
    return render(
        request,
        "cases/support/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": show != "all" or bool(status),
        },
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_new(request: HttpRequest) -> HttpResponse:
    form = SupportCaseOpenForm(
        request.POST if request.method == "POST" else None,
        organisations=support_organisation_choices_for_user(user=request.user),
        services=support_service_choices_for_user(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        organisation = support_organisation_get_for_user(
            user=request.user, organisation_id=form.cleaned_data["organisation"]
        )
        service_id = form.cleaned_data.get("service")
        service = (
            support_service_get_for_user(user=request.user, service_id=service_id)
            if service_id
            else None
        )
        try:
            support_case = support_case_open(
                actor=request.user,
                organisation=organisation,
                victim_name=form.cleaned_data["victim_name"],
                contact=form.contact(),
                service=service,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(request, f"Support case {support_case.reference} opened")
            return redirect("support:detail", support_reference=support_case.reference)
    return render(request, "cases/support/new.html", {"form": form}, status=form_status(form))


def _equality_rows(support_case: SupportCase) -> list[tuple[str, str]]:
    profile = equality_profile_for_support_case(support_case=support_case)
    if profile is None:
        return []
    rows = []
    for question in EQUALITY_QUESTIONS:
        if getattr(profile, question):
            rows.append((EQUALITY_LABELS[question], getattr(profile, f"get_{question}_display")()))
    return rows


@policy_required(SUPPORT_WORK)
@require_GET
def support_detail(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = support_case_get_for_user(user=request.user, reference=support_reference)
    support_case_view_record(actor=request.user, support_case=support_case, request=request)
    linked = support_case.perpetrator_case
    labels = dict(SupportStatus.choices)
    return render(
        request,
        "cases/support/detail.html",
        {
            "case": support_case,
            "status_key": SUPPORT_STATUS_TAG_KEYS.get(support_case.status, ""),
            "risk_key": RISK_TAG_KEYS.get(support_case.current_risk, ""),
            # Of the perpetrator case: reference, status and current risk, nothing more.
            "linked": (
                {
                    "reference": linked.reference,
                    "status": linked.get_status_display(),
                    "status_key": CASE_STATUS_TAG_KEYS.get(linked.status, ""),
                    "risk": linked.get_current_risk_display(),
                    "risk_key": RISK_TAG_KEYS.get(linked.current_risk, ""),
                }
                if linked is not None
                else None
            ),
            "worker": _display_name(support_case.worker) if support_case.worker_id else "",
            "notes": notes_for_support_case(support_case=support_case),
            "consents": consents_for_support_case(support_case=support_case),
            "equality": _equality_rows(support_case),
            "events": risk_events_for_support_case(support_case=support_case),
            "history": [
                {
                    "at": change.at,
                    "label": labels.get(change.to_status, change.to_status),
                    "reason": change.reason,
                }
                for change in status_history_for_support_case(support_case=support_case)
            ],
        },
    )


def _action(
    request: HttpRequest,
    support_case: SupportCase,
    form: BaseForm,
    *,
    template: str,
    run: Callable[[], Any],
    success: str,
    targets: dict[str, str] | None = None,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the form; a valid POST calls the service and goes back to the record with
    a banner; a refused one re-renders with the error summary and a 400."""
    if request.method == "POST" and form.is_valid():
        try:
            run()
        except ValidationError as exc:
            add_service_errors(form, exc, targets or {})
        else:
            messages.success(request, success)
            return redirect("support:detail", support_reference=support_case.reference)
    return render(
        request,
        template,
        {"case": support_case, "form": form, **(context or {})},
        status=form_status(form),
    )


def _get(request: HttpRequest, support_reference: str) -> SupportCase:
    return support_case_get_for_user(user=request.user, reference=support_reference)


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_assign(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    org_id = support_case.organisation_id
    # The perpetrator's worker is never offered (1.2); the service refuses them anyway.
    caseloads = support_worker_caseloads_for_support_case(support_case=support_case)
    manager = is_manager_for(request.user, org_id)
    form = AssignForm(
        _data(request),
        workers=[
            (
                row["user"].pk,
                f"{_display_name(row['user'])} ({row['total']} open "
                f"case{'s' if row['total'] != 1 else ''})",
            )
            for row in caseloads
        ],
        manager=manager,
        initial={"worker": str(support_case.worker_id or "")},
    )
    maximum = (
        case_settings_for(support_case.service).max_caseload
        if support_case.service_id
        else DEFAULT_MAX_CASELOAD
    )
    by_id = {str(row["user"].pk): row["user"] for row in caseloads}

    def run() -> None:
        support_case_assign(
            actor=request.user,
            support_case=support_case,
            worker=by_id[form.cleaned_data["worker"]],
            override_reason=form.cleaned_data.get("override_reason", ""),
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/assign.html",
        run=run,
        success=f"Support worker allocated to {support_case.reference}",
        context={"caseloads": caseloads, "maximum": maximum, "manager": manager},
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_link(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    form = LinkForm(_data(request))

    def run() -> None:
        support_case_link(
            actor=request.user,
            support_case=support_case,
            case_reference=form.cleaned_data["case_reference"],
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/link.html",
        run=run,
        success=f"{support_case.reference} is now linked to a perpetrator case",
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_contact(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    if request.method == "GET":
        # The form shows the safe contact details: a read of the record.
        support_case_view_record(actor=request.user, support_case=support_case, request=request)
    form = ContactForm(
        _data(request),
        initial={name: getattr(support_case, name) for name in ContactForm.CONTACT_FIELDS},
    )

    def run() -> None:
        support_case_update_contact(
            actor=request.user, support_case=support_case, request=request, **form.contact()
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/contact.html",
        run=run,
        success="Safe contact details and wishes saved",
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_note(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    form = NoteForm(_data(request))

    def run() -> None:
        case_note_add(
            actor=request.user,
            support_case=support_case,
            text=form.cleaned_data["text"],
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/note.html",
        run=run,
        success="Note added",
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_consent(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    form = ConsentForm(_data(request))

    def run() -> None:
        consent_record(
            actor=request.user,
            support_case=support_case,
            state=form.cleaned_data["state"],
            safeguarding_reason=form.cleaned_data["safeguarding_reason"],
            scope=form.cleaned_data["scope"],
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/consent.html",
        run=run,
        success="Consent decision recorded",
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_status(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    labels = dict(SupportStatus.choices)
    allowed = [s for s in SupportStatus.values if s in SUPPORT_TRANSITIONS[support_case.status]]
    form = StatusForm(_data(request), choices=[(s, labels[s]) for s in allowed])

    def run() -> None:
        support_case_transition(
            actor=request.user,
            support_case=support_case,
            to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/status.html",
        run=run,
        success=f"Status of {support_case.reference} changed",
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_risk_event(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    form = RiskEventForm(_data(request))

    def run() -> None:
        risk_event_raise(
            actor=request.user,
            support_case=support_case,
            kind=form.cleaned_data["kind"],
            summary=form.cleaned_data["summary"],
            occurred_on=form.occurred(),
            threat_to=form.cleaned_data["threat_to"] or "",
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/risk_event.html",
        run=run,
        success="Risk event raised and sent to the perpetrator's worker and the statutory lead",
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_equality(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    initial: dict[str, str] = {}
    profile = equality_profile_for_support_case(support_case=support_case)
    if profile is not None:
        initial = {q: getattr(profile, q) for q in EQUALITY_QUESTIONS}
        if request.method == "GET":
            support_case_view_record(actor=request.user, support_case=support_case, request=request)
    form = EqualityForm(_data(request), initial=initial)

    def run() -> None:
        equality_record(
            actor=request.user,
            support_case=support_case,
            answers=form.answers(),
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/equality.html",
        run=run,
        success="Equality monitoring saved",
    )


@policy_required(SUPPORT_WORK)
@require_http_methods(["GET", "POST"])
def support_share(request: HttpRequest, support_reference: str) -> HttpResponse:
    support_case = _get(request, support_reference)
    partners = sharing_partner_choices_for_support_case(support_case=support_case)
    form = ShareForm(_data(request), organisations=partners)
    by_id = {str(pk): pk for pk, _ in partners}

    def run() -> None:
        share_record(
            actor=request.user,
            support_case=support_case,
            to_organisation=sharing_partner_get_for_support_case(
                support_case=support_case,
                organisation_id=by_id[form.cleaned_data["to_organisation"]],
            ),
            category=form.cleaned_data["category"],
            purpose=form.cleaned_data["purpose"],
            request=request,
        )

    return _action(
        request,
        support_case,
        form,
        template="cases/support/share.html",
        run=run,
        success="Share recorded in the sharing log",
        context={"partners": partners},
    )
