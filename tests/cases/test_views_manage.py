"""Manager pages: workload against the maximum caseload, no-victim approvals, staff records
and each service's case settings. Each page is for the provider managers of one
organisation; anyone else is refused, and another organisation's staff or service is a 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.cases.models import ServiceCaseSettings, StaffRecord
from pathways.cases.services.perpetrator import (
    case_no_victim_approve,
    case_no_victim_record,
    perpetrator_case_assign,
)
from pathways.cases.services.settings import service_case_settings_save
from pathways.cases.services.staff import staff_record_save

pytestmark = pytest.mark.django_db

WORKLOAD = "/cases/manage/workload/"
STAFF = "/cases/manage/staff/"
SETTINGS = "/cases/manage/settings/"
HOME = "/cases/manage/"


def _row(html: str, attr: str, value: str) -> str:
    """The table row carrying data-<attr>="<value>"."""
    match = re.search(rf'<tr[^>]*data-{attr}="{re.escape(value)}".*?</tr>', html, re.S)
    assert match, f"no row {attr}={value}"
    return match.group(0)


def _settings(manager, service, **values):
    data = {
        "assessment_interval_days": 42,
        "max_caseload": 15,
        "missed_sessions_warning": 2,
        "missed_sessions_review": 3,
        **values,
    }
    return service_case_settings_save(actor=manager, service=service, **data)


def _allocate(open_case, manager, worker, n, *, override="Covering a colleague's leave"):
    """Give the worker n new cases; the manager overrides where the maximum is reached."""
    cases = []
    for i in range(n):
        case = open_case(f"Person {worker.username} {i}")
        try:
            perpetrator_case_assign(actor=manager, case=case, worker=worker)
        except ValidationError:
            perpetrator_case_assign(
                actor=manager, case=case, worker=worker, override_reason=override
            )
        cases.append(case)
    return cases


# -- who may use the pages ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [HOME, WORKLOAD, STAFF, SETTINGS],
)
def test_manager_pages_open_for_a_provider_manager(client, manager, case_service, url):
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200
    assert "Provider One" in response.content.decode()


@pytest.mark.parametrize(
    "role",
    [
        Role.PERPETRATOR_WORKER,
        Role.SUPPORT_WORKER,
        Role.COMMISSIONER,
        Role.ANALYST,
        Role.TRIAGE,
        Role.ADMIN,
    ],
)
def test_manager_pages_refuse_everyone_but_provider_managers(
    client, role_users, case_service, role
):
    client.force_login(role_users[role])
    for url in (HOME, WORKLOAD, STAFF, SETTINGS, f"{SETTINGS}{case_service.pk}/"):
        assert client.get(url).status_code == 403, url


def test_manager_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get(WORKLOAD)
    assert response.status_code == 302
    assert "/accounts/sign-in/" in response["Location"]


def test_manager_of_several_organisations_chooses_one(
    client, manager, other_provider_org, make_service
):
    manager.memberships.create(organisation=other_provider_org, role=Role.PROVIDER_MANAGER)
    make_service("Elsewhere service", organisation=other_provider_org)
    client.force_login(manager)
    response = client.get(WORKLOAD)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Whose workload do you want to see?" in html
    assert f"?organisation={other_provider_org.pk}" in html
    response = client.get(WORKLOAD, {"organisation": str(other_provider_org.pk)})
    assert response.status_code == 200
    assert "Provider Two" in response.content.decode()


def test_organisation_the_manager_does_not_manage_is_not_found(
    client, manager, other_provider_org, case_service
):
    client.force_login(manager)
    for url in (HOME, WORKLOAD, STAFF, SETTINGS):
        assert client.get(url, {"organisation": str(other_provider_org.pk)}).status_code == 404
        assert client.get(url, {"organisation": "not-an-id"}).status_code == 404


# -- workload ----------------------------------------------------------------------------


def test_workload_highlights_a_worker_over_the_lowest_service_maximum(
    client, manager, perp_worker, support_worker, case_service, make_service, open_case
):
    _settings(manager, case_service, max_caseload=2)
    _settings(manager, make_service("Roomier service"), max_caseload=5)
    _allocate(open_case, manager, perp_worker, 3)
    client.force_login(manager)
    html = client.get(WORKLOAD).content.decode()
    assert "Maximum caseload: 2 open cases" in html
    assert "lowest maximum" in html
    assert "Roomier service: 5" in html
    worker_row = _row(html, "worker", perp_worker.username)
    assert "Over maximum" in worker_row
    assert "<strong>3</strong>" in worker_row
    assert "Below maximum" in _row(html, "worker", support_worker.username)


def test_workload_counts_allocations_made_above_the_maximum(
    client, manager, perp_worker, case_service, open_case
):
    _settings(manager, case_service, max_caseload=1)
    _allocate(open_case, manager, perp_worker, 3)
    client.force_login(manager)
    html = client.get(WORKLOAD).content.decode()
    row = _row(html, "worker", perp_worker.username)
    cells = re.findall(r'govuk-table__cell--numeric">([^<]*)<', row)
    assert cells[-1] == "2"  # the second and third cases needed an override
    assert "2 cases on your services were allocated above the maximum" in html


def test_workload_at_the_maximum_is_flagged_before_it_is_passed(
    client, manager, perp_worker, case_service, open_case
):
    _settings(manager, case_service, max_caseload=2)
    _allocate(open_case, manager, perp_worker, 2)
    client.force_login(manager)
    row = _row(client.get(WORKLOAD).content.decode(), "worker", perp_worker.username)
    assert "At maximum" in row
    assert "Over maximum" not in row


def test_workload_shows_only_the_managers_organisation(
    client, manager, perp_worker, make_user, other_provider_org, case_service
):
    stranger = make_user("elsewhere-worker", Role.PERPETRATOR_WORKER, other_provider_org)
    client.force_login(manager)
    html = client.get(WORKLOAD).content.decode()
    assert f'data-worker="{perp_worker.username}"' in html
    assert stranger.username not in html


def test_no_victim_reason_awaiting_approval_is_queued_with_an_approve_button(
    client, manager, perp_worker, open_case
):
    case = open_case("No Victim Person")
    case_no_victim_record(actor=perp_worker, case=case, reason="Single adult, no partner")
    client.force_login(manager)
    html = client.get(WORKLOAD).content.decode()
    row = _row(html, "reference", case.reference)
    assert "Single adult, no partner" in row
    assert f'action="/cases/{case.reference}/no-victim/approve/"' in row
    assert 'method="post"' in row
    assert "csrfmiddlewaretoken" in row


def test_approve_button_approves_the_reason_through_the_case_pages(
    client, manager, perp_worker, open_case
):
    case = open_case("Button Person")
    case_no_victim_record(actor=perp_worker, case=case, reason="Lives alone, no partner")
    client.force_login(manager)
    row = _row(client.get(WORKLOAD).content.decode(), "reference", case.reference)
    action = re.search(r'<form method="post" action="([^"]+)"', row).group(1)
    assert client.post(action).status_code == 302
    case.refresh_from_db()
    assert case.no_victim_approved_by == manager
    assert case.reference not in client.get(WORKLOAD).content.decode()


def test_approved_reasons_leave_the_queue(client, manager, perp_worker, open_case):
    case = open_case("Approved Person")
    case_no_victim_record(actor=perp_worker, case=case, reason="No identifiable partner")
    case_no_victim_approve(actor=manager, case=case)
    client.force_login(manager)
    html = client.get(WORKLOAD).content.decode()
    assert case.reference not in html
    assert "No reasons are waiting for approval." in html


def test_manager_who_is_the_case_worker_is_not_offered_approval(
    client, manager, perp_worker, open_case
):
    from pathways.accounts.models import User

    manager.memberships.create(
        organisation=manager.memberships.get().organisation, role=Role.PERPETRATOR_WORKER
    )
    manager = User.objects.get(pk=manager.pk)  # fresh, without cached roles
    case = open_case("Own Case Person")
    perpetrator_case_assign(actor=manager, case=case, worker=manager)
    case_no_victim_record(actor=manager, case=case, reason="No partner at all")
    client.force_login(manager)
    row = _row(client.get(WORKLOAD).content.decode(), "reference", case.reference)
    assert "Another manager must approve" in row
    assert "no-victim/approve" not in row


def test_no_victim_queue_leaves_out_other_organisations(
    client, manager, make_user, other_provider_org, make_service
):
    from pathways.cases.services.perpetrator import CaseInput, perpetrator_case_open

    other_worker = make_user("other-perp", Role.PERPETRATOR_WORKER, other_provider_org)
    other_case = perpetrator_case_open(
        actor=other_worker,
        service=make_service("Other case service", organisation=other_provider_org),
        data=CaseInput(
            person_name="Elsewhere Person", intervention="Programme", tier="standard_risk"
        ),
    )
    case_no_victim_record(actor=other_worker, case=other_case, reason="Elsewhere reason")
    client.force_login(manager)
    html = client.get(WORKLOAD).content.decode()
    assert other_case.reference not in html
    assert "Elsewhere reason" not in html


def _workload_queries(client, manager):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(WORKLOAD).status_code == 200
    return len(ctx.captured_queries)


def test_workload_query_count_does_not_grow_with_workers_cases_or_approvals(
    client, manager, perp_worker, make_user, provider_org, case_service, open_case
):
    _settings(manager, case_service, max_caseload=1)
    _allocate(open_case, manager, perp_worker, 2)
    case_no_victim_record(actor=perp_worker, case=open_case("Queued 0"), reason="Reason 0")
    few = _workload_queries(client, manager)
    for i in range(4):
        worker = make_user(f"extra-worker-{i}", Role.PERPETRATOR_WORKER, provider_org)
        _allocate(open_case, manager, worker, 2)
        case_no_victim_record(
            actor=perp_worker, case=open_case(f"Queued {i + 1}"), reason=f"Reason {i + 1}"
        )
    many = _workload_queries(client, manager)
    assert many == few


# -- staff records -----------------------------------------------------------------------


def test_staff_list_shows_every_member_with_their_roles_including_those_without_a_record(
    client, manager, perp_worker, support_worker
):
    staff_record_save(
        actor=manager,
        user=perp_worker,
        organisation=manager.memberships.get().organisation,
        induction_completed_on=dt.date(2024, 1, 10),
        last_supervision_on=timezone.localdate(),
        dbs_checked_on=timezone.localdate() - dt.timedelta(days=30),
    )
    client.force_login(manager)
    html = client.get(STAFF).content.decode()
    worker_row = _row(html, "staff", perp_worker.username)
    assert "Perpetrator-side worker" in worker_row
    assert "Up to date" in worker_row
    support_row = _row(html, "staff", support_worker.username)
    assert "No staff record yet" in support_row
    assert "Victim-survivor support worker" in support_row
    assert f'data-staff="{manager.username}"' in html


def test_staff_list_highlights_what_is_overdue(client, manager, perp_worker, provider_org):
    today = timezone.localdate()
    staff_record_save(
        actor=manager,
        user=perp_worker,
        organisation=provider_org,
        induction_completed_on=None,
        last_supervision_on=today - dt.timedelta(days=90),
        dbs_checked_on=today.replace(year=today.year - 4),
    )
    client.force_login(manager)
    row = _row(client.get(STAFF).content.decode(), "staff", perp_worker.username)
    assert "Induction training not recorded" in row
    assert "Clinical supervision overdue" in row
    assert "Enhanced DBS check due for renewal" in row
    assert "govuk-tag--red" in row


def test_staff_list_leaves_out_other_organisations_members(
    client, manager, make_user, other_provider_org
):
    stranger = make_user("elsewhere-staff", Role.PERPETRATOR_WORKER, other_provider_org)
    client.force_login(manager)
    assert stranger.username not in client.get(STAFF).content.decode()


def _staff_queries(client, manager):
    client.force_login(manager)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(STAFF).status_code == 200
    return len(ctx.captured_queries)


def test_staff_list_query_count_does_not_grow_with_members(
    client, manager, make_user, provider_org
):
    few = _staff_queries(client, manager)
    for i in range(5):
        member = make_user(f"member-{i}", Role.SUPPORT_WORKER, provider_org)
        member.memberships.create(organisation=provider_org, role=Role.PERPETRATOR_WORKER)
        staff_record_save(
            actor=manager,
            user=member,
            organisation=provider_org,
            induction_completed_on=None,
            last_supervision_on=None,
            dbs_checked_on=None,
        )
    assert _staff_queries(client, manager) == few


def test_staff_record_form_saves_and_is_audited(client, manager, support_worker, provider_org):
    client.force_login(manager)
    url = reverse("cases:manage-staff-edit", args=[support_worker.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "induction_completed_on": "2024-02-01",
            "last_supervision_on": timezone.localdate().isoformat(),
            "supervision_interval_days": "28",
            "dbs_checked_on": "2024-03-01",
            "dbs_recheck_years": "3",
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("cases:manage-staff"))
    record = StaffRecord.objects.get(user=support_worker, organisation=provider_org)
    assert record.induction_completed_on == dt.date(2024, 2, 1)
    assert record.supervision_interval_days == 28
    assert AuditEvent.objects.filter(
        action=AuditAction.STAFF_RECORD_SAVED, actor=manager, object_id=str(record.pk)
    ).exists()


def test_staff_record_form_shows_saved_dates_in_the_date_inputs(
    client, manager, perp_worker, provider_org
):
    staff_record_save(
        actor=manager,
        user=perp_worker,
        organisation=provider_org,
        induction_completed_on=dt.date(2024, 1, 10),
        last_supervision_on=None,
        dbs_checked_on=None,
    )
    client.force_login(manager)
    html = client.get(reverse("cases:manage-staff-edit", args=[perp_worker.pk])).content.decode()
    assert 'value="2024-01-10"' in html


def test_staff_record_for_someone_outside_the_organisation_is_not_found(
    client, manager, make_user, other_provider_org
):
    stranger = make_user("elsewhere-staff", Role.PERPETRATOR_WORKER, other_provider_org)
    client.force_login(manager)
    url = reverse("cases:manage-staff-edit", args=[stranger.pk])
    assert client.get(url).status_code == 404
    response = client.post(
        url,
        {"supervision_interval_days": "30", "dbs_recheck_years": "3"},
    )
    assert response.status_code == 404
    assert not StaffRecord.objects.filter(user=stranger).exists()


def test_staff_record_with_a_future_date_is_refused_with_an_error_summary(
    client, manager, perp_worker
):
    client.force_login(manager)
    future = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    response = client.post(
        reverse("cases:manage-staff-edit", args=[perp_worker.pk]),
        {
            "induction_completed_on": future,
            "supervision_interval_days": "30",
            "dbs_recheck_years": "3",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in html
    assert "The date must be today or in the past" in html
    assert 'href="#id_induction_completed_on"' in html
    assert not StaffRecord.objects.filter(user=perp_worker).exists()


def test_staff_record_with_numbers_out_of_range_is_refused(client, manager, perp_worker):
    client.force_login(manager)
    response = client.post(
        reverse("cases:manage-staff-edit", args=[perp_worker.pk]),
        {"supervision_interval_days": "0", "dbs_recheck_years": "many"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a number of days from 1 to 366" in html
    assert "Years between DBS checks must be a whole number" in html
    assert not StaffRecord.objects.exists()


# -- case settings -----------------------------------------------------------------------


def test_settings_list_shows_each_service_with_defaults_until_set(
    client, manager, case_service, make_service
):
    other = make_service("Second service")
    _settings(manager, other, max_caseload=9)
    client.force_login(manager)
    html = client.get(SETTINGS).content.decode()
    assert "Defaults" in _row(html, "service", str(case_service.pk))
    row = _row(html, "service", str(other.pk))
    assert "Defaults" not in row
    assert ">9<" in row


def test_settings_form_saves_and_is_audited(client, manager, case_service):
    client.force_login(manager)
    url = reverse("cases:manage-settings-edit", args=[case_service.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "assessment_interval_days": "56",
            "max_caseload": "12",
            "missed_sessions_warning": "2",
            "missed_sessions_review": "4",
        },
    )
    assert response.status_code == 302
    saved = ServiceCaseSettings.objects.get(service=case_service)
    assert (saved.assessment_interval_days, saved.max_caseload) == (56, 12)
    event = AuditEvent.objects.get(
        action=AuditAction.CASE_RECORDED, object_type="service_case_settings"
    )
    assert event.object_id == str(case_service.pk)
    assert event.actor == manager
    assert event.detail["max_caseload"] == 12


def test_settings_out_of_range_are_refused_with_an_error_summary(client, manager, case_service):
    client.force_login(manager)
    response = client.post(
        reverse("cases:manage-settings-edit", args=[case_service.pk]),
        {
            "assessment_interval_days": "2",
            "max_caseload": "0",
            "missed_sessions_warning": "2",
            "missed_sessions_review": "3",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in html
    assert "Enter a number of days from 7 to 365" in html
    assert "Enter a number of cases from 1 to 100" in html
    assert not ServiceCaseSettings.objects.exists()


def test_settings_review_threshold_below_the_warning_is_refused(client, manager, case_service):
    client.force_login(manager)
    response = client.post(
        reverse("cases:manage-settings-edit", args=[case_service.pk]),
        {
            "assessment_interval_days": "42",
            "max_caseload": "15",
            "missed_sessions_warning": "4",
            "missed_sessions_review": "2",
        },
    )
    assert response.status_code == 400
    assert "must be at least the number that alerts the worker" in response.content.decode()
    assert not ServiceCaseSettings.objects.exists()


def test_settings_of_another_organisations_service_are_not_found(
    client, manager, other_provider_org, make_service
):
    elsewhere = make_service("Elsewhere", organisation=other_provider_org)
    client.force_login(manager)
    url = reverse("cases:manage-settings-edit", args=[elsewhere.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"max_caseload": "1"}).status_code == 404
    assert not ServiceCaseSettings.objects.exists()


def test_settings_service_refuses_anyone_but_the_organisations_managers(
    perp_worker, make_user, other_provider_org, case_service
):
    other_manager = make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org)
    for actor in (perp_worker, other_manager):
        with pytest.raises(PermissionDenied):
            _settings(actor, case_service)
    assert not ServiceCaseSettings.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("assessment_interval_days", 6, "Enter a number of days from 7 to 365"),
        ("assessment_interval_days", 366, "Enter a number of days from 7 to 365"),
        ("max_caseload", 101, "Enter a number of cases from 1 to 100"),
        ("missed_sessions_warning", 0, "Enter a number of sessions from 1 to 20"),
        ("missed_sessions_review", 31, "Enter a number of sessions from 1 to 30"),
        ("max_caseload", "12", "Enter a whole number of cases from 1 to 100"),
    ],
)
def test_settings_service_refuses_values_out_of_range(manager, case_service, field, value, message):
    with pytest.raises(ValidationError) as exc:
        _settings(manager, case_service, **{field: value})
    assert exc.value.message_dict[field] == [message]
    assert not ServiceCaseSettings.objects.exists()


def test_settings_service_updates_the_one_row_per_service(manager, case_service):
    _settings(manager, case_service, max_caseload=10)
    saved = _settings(manager, case_service, max_caseload=11)
    assert ServiceCaseSettings.objects.get(service=case_service).pk == saved.pk
    assert saved.max_caseload == 11
    events = AuditEvent.objects.filter(object_type="service_case_settings").order_by("sequence")
    assert [e.detail["created"] for e in events] == [True, False]
    assert events.last().detail["changed"] == ["max_caseload"]
