"""Manager pages, mounted at /cases/manage/: workload against the agreed maximum caseload,
no-victim-survivor reasons awaiting approval, staff records, and each service's case
settings.

Every page uses the CASE_MANAGER policy and works on one organisation the user is a
provider manager of. A manager of several chooses one with `?organisation=<id>`, which is
checked against their own: any other value is a 404, as is a member of staff or a service
of another organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.directory.models import Organisation, Service
from pathways.directory.selectors import service_get_for_user

from ..forms_manage import ServiceCaseSettingsForm, StaffRecordForm, iso_initial
from ..models import ServiceCaseSettings, StaffRecord
from ..policies import CASE_MANAGER, is_manager_for
from ..selectors.cases import (
    allocation_override_counts,
    caseloads_for_organisation,
    cases_awaiting_no_victim_approval,
    member_get_for_organisation,
    members_of_organisation,
    staff_record_for_member,
    staff_records_for_organisation,
)
from ..selectors.directory import managed_organisations_for_user, managed_services_with_settings
from ..services.common import case_settings_for
from ..services.settings import service_case_settings_save
from ..services.staff import staff_record_overdue, staff_record_save
from .common import PAGE_SIZE, add_service_errors, form_status

ORG_PARAM = "organisation"


# -- which organisation ------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The organisation a manager page works on, and the others they could choose."""

    organisation: Organisation
    organisations: list[Organisation]

    @property
    def query(self) -> str:
        """The query string that keeps this organisation chosen on links and forms."""
        return "?" + urlencode({ORG_PARAM: str(self.organisation.pk)})


def _scope(request: HttpRequest) -> Scope | None:
    """The chosen organisation: the one named by `?organisation=` (404 unless the user
    manages it), or the only one they manage; None when they must choose."""
    organisations = managed_organisations_for_user(user=request.user)
    wanted = request.GET.get(ORG_PARAM, "").strip()
    if wanted:
        for organisation in organisations:
            if str(organisation.pk) == wanted:
                return Scope(organisation, organisations)
        raise Http404("No such organisation")
    if len(organisations) == 1:
        return Scope(organisations[0], organisations)
    if not organisations:  # the policy lets only managers in; a membership just removed
        raise Http404("You do not manage an organisation")
    return None


def _choose(request: HttpRequest, title: str) -> HttpResponse:
    """The page that asks a manager of several organisations which one they mean."""
    organisations = managed_organisations_for_user(user=request.user)
    return render(
        request,
        "cases/manage/choose.html",
        {
            "title": title,
            "choices": [
                (o, request.path + "?" + urlencode({ORG_PARAM: str(o.pk)})) for o in organisations
            ],
        },
    )


def _scope_context(scope: Scope) -> dict[str, Any]:
    return {
        "organisation": scope.organisation,
        "several": len(scope.organisations) > 1,
        "org_query": scope.query,
    }


# -- helpers for these pages -------------------------------------------------------------


def _settings_of(service: Service) -> tuple[ServiceCaseSettings, bool]:
    """The service's saved settings, or the defaults (unsaved) and False."""
    try:
        return service.case_settings, True  # type: ignore[attr-defined]
    except ServiceCaseSettings.DoesNotExist:
        return ServiceCaseSettings(service=service), False


def _case_path(name: str, reference: str, tail: str) -> str:
    """A perpetrator case page (the case pages own these URLs; their fixed path if the name
    ever goes)."""
    try:
        return reverse(name, kwargs={"case_reference": reference})
    except NoReverseMatch:
        return f"/cases/{reference}/{tail}"


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


# -- pages -------------------------------------------------------------------------------


@policy_required(CASE_MANAGER)
@require_GET
def manage_home(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope is None:
        return _choose(request, "Which organisation do you want to manage?")
    return render(request, "cases/manage/home.html", _scope_context(scope))


@dataclass(frozen=True)
class WorkloadRow:
    user: Any
    name: str
    open_cases: int
    open_support: int
    total: int
    over_maximum: bool
    at_maximum: bool
    overrides: int


@policy_required(CASE_MANAGER)
@require_GET
def manage_workload(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope is None:
        return _choose(request, "Whose workload do you want to see?")
    organisation = scope.organisation
    services = [
        (s, *_settings_of(s))
        for s in managed_services_with_settings(user=request.user, organisation_id=organisation.pk)
    ]
    # Highlight against the lowest maximum: a worker at it cannot be given another case on
    # that service without a manager's override (allocation checks the case's service).
    maximum = min(
        (settings_.max_caseload for _, settings_, _saved in services),
        default=ServiceCaseSettings().max_caseload,
    )
    overrides = allocation_override_counts(organisation_id=organisation.pk)
    rows = [
        WorkloadRow(
            user=load["user"],
            name=_name(load["user"]),
            open_cases=load["open_cases"],
            open_support=load["open_support"],
            total=load["total"],
            over_maximum=load["total"] > maximum,
            at_maximum=load["total"] == maximum,
            overrides=overrides.get(load["user"].pk, 0),
        )
        for load in caseloads_for_organisation(organisation_id=organisation.pk)
    ]
    awaiting = cases_awaiting_no_victim_approval(user=request.user, organisation_id=organisation.pk)
    queue = Paginator(awaiting, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/manage/workload.html",
        {
            **_scope_context(scope),
            "rows": rows,
            "maximum": maximum,
            "services": services,
            "over_count": sum(1 for r in rows if r.over_maximum),
            "overrides_total": sum(overrides.values()),
            "queue": queue,
            "queue_rows": [
                (
                    case,
                    _case_path("cases:case-detail", case.reference, ""),
                    _case_path(
                        "cases:case-no-victim-approve", case.reference, "no-victim/approve/"
                    ),
                )
                for case in queue.object_list
            ],
        },
    )


@dataclass(frozen=True)
class StaffRow:
    user: Any
    name: str
    roles: list[str]
    record: StaffRecord | None
    problems: list[str]


@policy_required(CASE_MANAGER)
@require_GET
def manage_staff(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope is None:
        return _choose(request, "Whose staff records do you want to see?")
    organisation = scope.organisation
    records = {
        r.user_id: r for r in staff_records_for_organisation(organisation_id=organisation.pk)
    }
    rows = []
    for member in members_of_organisation(organisation_id=organisation.pk):
        record = records.get(member.pk)
        rows.append(
            StaffRow(
                user=member,
                name=_name(member),
                roles=[m.get_role_display() for m in member.roles_here],
                record=record,
                problems=staff_record_overdue(record) if record else ["No staff record yet"],
            )
        )
    return render(
        request,
        "cases/manage/staff.html",
        {
            **_scope_context(scope),
            "rows": rows,
            "overdue_count": sum(1 for r in rows if r.problems),
        },
    )


STAFF_FIELDS = (
    "induction_completed_on",
    "last_supervision_on",
    "supervision_interval_days",
    "dbs_checked_on",
    "dbs_recheck_years",
)


@policy_required(CASE_MANAGER)
@require_http_methods(["GET", "POST"])
def manage_staff_edit(request: HttpRequest, staff_user_id: int) -> HttpResponse:
    scope = _scope(request)
    if scope is None:
        return _choose(request, "Which organisation is this staff record for?")
    organisation = scope.organisation
    member = member_get_for_organisation(organisation_id=organisation.pk, user_id=staff_user_id)
    record = staff_record_for_member(
        organisation_id=organisation.pk, user_id=member.pk
    ) or StaffRecord(user=member, organisation=organisation)
    if request.method == "POST":
        form = StaffRecordForm(request.POST)
    else:
        form = StaffRecordForm(
            initial=iso_initial({name: getattr(record, name) for name in STAFF_FIELDS})
        )
    if request.method == "POST" and form.is_valid():
        try:
            staff_record_save(
                actor=request.user,
                user=member,
                organisation=organisation,
                request=request,
                **{name: form.cleaned_data[name] for name in STAFF_FIELDS},
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"user": "__all__"})
        else:
            messages.success(request, f"Staff record saved for {_name(member)}")
            return redirect(reverse("cases:manage-staff") + scope.query)
    return render(
        request,
        "cases/manage/staff_edit.html",
        {
            **_scope_context(scope),
            "member": member,
            "name": _name(member),
            "roles": [m.get_role_display() for m in member.roles_here],
            "form": form,
        },
        status=form_status(form),
    )


@policy_required(CASE_MANAGER)
@require_GET
def manage_settings(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if scope is None:
        return _choose(request, "Whose services do you want to set up?")
    return render(
        request,
        "cases/manage/settings.html",
        {
            **_scope_context(scope),
            "services": [
                (s, *_settings_of(s))
                for s in managed_services_with_settings(
                    user=request.user, organisation_id=scope.organisation.pk
                )
            ],
        },
    )


SETTINGS_FIELDS = (
    "assessment_interval_days",
    "max_caseload",
    "missed_sessions_warning",
    "missed_sessions_review",
)


@policy_required(CASE_MANAGER)
@require_http_methods(["GET", "POST"])
def manage_settings_edit(request: HttpRequest, service_id: Any) -> HttpResponse:
    service = service_get_for_user(user=request.user, service_id=service_id)
    if not is_manager_for(request.user, service.organisation_id):
        # A curator who also manages some provider still sets only their own services.
        raise Http404("No such service")
    current = case_settings_for(service)
    if request.method == "POST":
        form = ServiceCaseSettingsForm(request.POST)
    else:
        form = ServiceCaseSettingsForm(
            initial={name: getattr(current, name) for name in SETTINGS_FIELDS}
        )
    back = (
        reverse("cases:manage-settings")
        + "?"
        + urlencode({ORG_PARAM: str(service.organisation_id)})
    )
    if request.method == "POST" and form.is_valid():
        try:
            service_case_settings_save(
                actor=request.user,
                service=service,
                request=request,
                **{name: form.cleaned_data[name] for name in SETTINGS_FIELDS},
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(request, f"Case settings saved for {service.name}")
            return redirect(back)
    return render(
        request,
        "cases/manage/settings_edit.html",
        {"service": service, "form": form, "back": back},
        status=form_status(form),
    )
