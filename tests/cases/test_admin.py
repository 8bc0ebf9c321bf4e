"""The admin and case records: read-only for everyone, and records about people only behind
an audited, time-limited break-glass that only administrators can open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.cases import models as case_models
from pathways.cases.admin import BreakGlassAdmin
from pathways.cases.models import ConsentState, SupportNote
from pathways.cases.services.perpetrator import case_handover_record
from pathways.cases.services.records import (
    case_assessment_record,
    case_note_add,
    consent_record,
    equality_record,
    session_record,
)
from pathways.cases.services.risk import risk_event_raise
from pathways.cases.services.settings import service_case_settings_save
from pathways.cases.services.sharing import share_record, sharing_agreement_save
from pathways.cases.services.staff import staff_record_save
from pathways.cases.views.break_glass import SESSION_KEY, WINDOW_MINUTES

pytestmark = pytest.mark.django_db

BREAK_GLASS = "/cases/manage/break-glass/"
REASON = "Subject access request 2026-041 needs the support record checked"

CASE_MODELS = [
    case_models.PerpetratorCase,
    case_models.SupportCase,
    case_models.SupportNote,
    case_models.CaseNote,
    case_models.RiskEvent,
    case_models.Alert,
    case_models.Consent,
    case_models.Handover,
    case_models.SharingAgreement,
    case_models.Share,
    case_models.StaffRecord,
    case_models.ServiceCaseSettings,
    case_models.CaseAssessment,
    case_models.Attendance,
    case_models.GroupSession,
    case_models.EqualityProfile,
    case_models.CaseStatusChange,
]
NOT_IDENTIFYING = {
    case_models.SharingAgreement,
    case_models.ServiceCaseSettings,
    case_models.GroupSession,
}


@pytest.fixture
def admin_user(role_users):
    return role_users[Role.ADMIN]


@pytest.fixture
def support_note(ready_case, support_worker):
    _, support = ready_case()
    return case_note_add(
        actor=support_worker, support_case=support, text="Confidential: safe house arrangements"
    )


def _admin_url(obj, view="change"):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _open_break_glass(client, reason=REASON, **extra):
    return client.post(BREAK_GLASS, {"reason": reason, **extra})


@pytest.fixture
def every_case_record(
    ready_case,
    manager,
    perp_worker,
    support_worker,
    case_service,
    partnership_org,
    role_users,
    provider_org,
):
    """At least one row of every case model, made through the services."""
    case, support = ready_case("Everything Person", tier="high_risk")
    case_note_add(actor=perp_worker, case=case, text="Perpetrator-side note")
    case_note_add(actor=support_worker, support_case=support, text="Support-side note")
    case_assessment_record(
        actor=perp_worker, case=case, kind="intake", tool="Tool", tier="high_risk"
    )
    consent_record(actor=support_worker, support_case=support, state=ConsentState.GIVEN)
    risk_event_raise(actor=perp_worker, case=case, kind="escalation", summary="Risk rose")
    session_record(
        actor=perp_worker,
        service=case_service,
        format="group",
        held_on=timezone.localdate(),
        attendance={case: "attended"},
    )
    equality_record(actor=perp_worker, case=case, answers={"age_band": "25_34"})
    case_handover_record(
        actor=perp_worker,
        case=case,
        to_agency="Probation",
        to_contact="Duty officer",
        summary="Handed over",
    )
    sharing_agreement_save(
        actor=role_users[Role.COMMISSIONER],
        name="Agreement",
        parties=[provider_org, partnership_org],
        purpose="Risk",
        lawful_basis="public_task",
        categories=["risk"],
        starts_on=timezone.localdate() - dt.timedelta(days=1),
        review_on=timezone.localdate() + dt.timedelta(days=100),
        status="active",
    )
    share_record(
        actor=perp_worker, case=case, to_organisation=partnership_org, category="risk", purpose="x"
    )
    staff_record_save(
        actor=manager,
        user=perp_worker,
        organisation=provider_org,
        induction_completed_on=None,
        last_supervision_on=None,
        dbs_checked_on=None,
    )
    service_case_settings_save(
        actor=manager,
        service=case_service,
        assessment_interval_days=42,
        max_caseload=15,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )
    for model in CASE_MODELS:
        assert model.objects.exists(), model.__name__
    return case, support


# -- every case model is registered, read-only ------------------------------------------


def test_every_case_model_is_registered_read_only(admin_user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model in CASE_MODELS:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_add_permission(request), model
        assert not model_admin.has_change_permission(request), model
        assert not model_admin.has_delete_permission(request), model
        assert model_admin.has_view_permission(request), model
        assert isinstance(model_admin, BreakGlassAdmin) == (model not in NOT_IDENTIFYING), model


def test_nobody_can_add_change_or_delete_case_rows_through_the_admin(
    client, admin_user, every_case_record
):
    client.force_login(admin_user)
    assert _open_break_glass(client).status_code == 302
    for model in CASE_MODELS:
        obj = model.objects.first()
        before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
        change = _admin_url(obj)
        assert client.get(change).status_code == 200, change
        assert client.post(change, {}).status_code == 403, change
        add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        assert client.get(add).status_code == 403, add
        assert client.post(add, {}).status_code == 403, add
        delete = _admin_url(obj, "delete")
        assert client.get(delete).status_code == 403, delete
        assert client.post(delete, {"post": "yes"}).status_code == 403, delete
        changelist = _changelist(model)
        response = client.post(
            changelist, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
        )
        assert response.status_code in (200, 302, 403), changelist
        obj.refresh_from_db()
        assert {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} == before


def test_every_case_changelist_opens_inside_a_break_glass_window(
    client, admin_user, every_case_record
):
    client.force_login(admin_user)
    _open_break_glass(client)
    for model in CASE_MODELS:
        response = client.get(_changelist(model))
        assert response.status_code == 200, model


def test_case_lists_in_the_admin_show_references_not_names(client, admin_user, every_case_record):
    case, support = every_case_record
    client.force_login(admin_user)
    _open_break_glass(client)
    for model in (case_models.PerpetratorCase, case_models.SupportCase):
        html = client.get(_changelist(model)).content.decode()
        assert "Everything Person" not in html
        assert "Partner" not in html
    assert case.reference in client.get(_changelist(case_models.PerpetratorCase)).content.decode()
    assert support.reference in client.get(_changelist(case_models.SupportCase)).content.decode()


# -- break-glass -------------------------------------------------------------------------


def test_admin_cannot_read_a_support_note_without_break_glass(client, admin_user, support_note):
    client.force_login(admin_user)
    for url in (_admin_url(support_note), _changelist(SupportNote)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(BREAK_GLASS + "?next=")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Case records in the admin need break-glass" in page.content.decode()
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.SUPPORT_CASE_VIEWED, AuditAction.BREAK_GLASS]
    ).exists()


def test_admin_reads_a_support_note_with_break_glass_and_both_are_audited(
    client, admin_user, support_note
):
    client.force_login(admin_user)
    url = _admin_url(support_note)
    response = _open_break_glass(client, next=url)
    assert response.status_code == 302
    assert response["Location"] == url
    opened = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert opened.actor == admin_user
    assert opened.detail == {"minutes": WINDOW_MINUTES, "reason": REASON}

    response = client.get(url)
    assert response.status_code == 200
    assert "Confidential: safe house arrangements" in response.content.decode()
    read = AuditEvent.objects.get(action=AuditAction.SUPPORT_CASE_VIEWED, actor=admin_user)
    assert read.object_type == "support_case"
    assert read.object_id == support_note.support_case.reference
    assert read.detail["audience"] == "admin_break_glass"
    assert read.detail["record"] == "supportnote"
    assert read.sequence > opened.sequence


def test_reading_a_perpetrator_case_in_the_admin_is_audited(client, admin_user, open_case):
    case = open_case("Admin Read Person")
    client.force_login(admin_user)
    _open_break_glass(client)
    assert client.get(_admin_url(case)).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.CASE_VIEWED, actor=admin_user)
    assert (event.object_type, event.object_id) == ("perpetrator_case", case.reference)
    assert event.detail["audience"] == "admin_break_glass"


def test_reading_a_support_case_in_the_admin_is_audited(client, admin_user, ready_case):
    _, support = ready_case()
    client.force_login(admin_user)
    _open_break_glass(client)
    assert client.get(_admin_url(support)).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.SUPPORT_CASE_VIEWED, actor=admin_user)
    assert (event.object_type, event.object_id) == ("support_case", support.reference)
    assert event.detail["audience"] == "admin_break_glass"


def test_break_glass_needs_a_reason_of_some_length(client, admin_user, support_note):
    client.force_login(admin_user)
    for reason in ("", "   ", "just looking"):
        response = _open_break_glass(client, reason=reason)
        html = response.content.decode()
        assert response.status_code == 400
        assert "govuk-error-summary" in html
        assert "Enter why you need to read case records" in html or (
            "Reason must be 20 characters or more" in html
        )
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).exists()
    assert client.get(_admin_url(support_note)).status_code == 302


def test_break_glass_audit_keeps_at_most_300_characters_of_the_reason(client, admin_user):
    client.force_login(admin_user)
    _open_break_glass(client, reason="x" * 900)
    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert event.detail == {"minutes": WINDOW_MINUTES, "reason": "x" * 300}


def test_break_glass_window_closes_by_itself(client, admin_user, support_note):
    client.force_login(admin_user)
    _open_break_glass(client)
    assert client.get(_admin_url(support_note)).status_code == 200
    session = client.session
    session[SESSION_KEY] = {
        **session[SESSION_KEY],
        "until": (timezone.now() - dt.timedelta(seconds=1)).isoformat(),
    }
    session.save()
    assert client.get(_admin_url(support_note)).status_code == 302


def test_break_glass_can_be_closed_early(client, admin_user, support_note):
    client.force_login(admin_user)
    _open_break_glass(client)
    assert "Break-glass is open until" in client.get(BREAK_GLASS).content.decode()
    client.post(BREAK_GLASS, {"close": "1"})
    assert client.get(_admin_url(support_note)).status_code == 302


def test_break_glass_window_belongs_to_the_user_who_opened_it(
    client, admin_user, make_user, partnership_org, support_note
):
    client.force_login(admin_user)
    _open_break_glass(client)
    other_admin = make_user("second-admin", Role.ADMIN, partnership_org, is_staff=True)
    session = client.session
    window = session[SESSION_KEY]
    client.force_login(other_admin)
    session = client.session
    session[SESSION_KEY] = window  # carried over somehow: it is not theirs
    session.save()
    assert client.get(_admin_url(support_note)).status_code == 302


def test_break_glass_sends_only_to_admin_pages_afterwards(client, admin_user):
    client.force_login(admin_user)
    response = _open_break_glass(client, next="https://elsewhere.example/admin/")
    assert response["Location"] == reverse("admin:index")
    response = _open_break_glass(client, next="/cases/")
    assert response["Location"] == reverse("admin:index")


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMIN])
def test_only_administrators_can_open_break_glass(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get(BREAK_GLASS).status_code == 403
    assert _open_break_glass(client).status_code == 403
    assert SESSION_KEY not in client.session
    assert not AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).exists()


def test_anonymous_visitor_is_sent_to_sign_in_from_break_glass(client):
    response = client.get(BREAK_GLASS)
    assert response.status_code == 302
    assert "/accounts/sign-in/" in response["Location"]


def test_non_identifying_case_models_open_without_break_glass(
    client, admin_user, manager, case_service
):
    service_case_settings_save(
        actor=manager,
        service=case_service,
        assessment_interval_days=42,
        max_caseload=15,
        missed_sessions_warning=2,
        missed_sessions_review=3,
    )
    client.force_login(admin_user)
    for model in NOT_IDENTIFYING:
        assert client.get(_changelist(model)).status_code == 200, model


def test_staff_who_are_not_administrators_do_not_see_case_models(
    client, make_user, partnership_org, support_note
):
    staff = make_user("plain-staff", Role.COMMISSIONER, partnership_org, is_staff=True)
    client.force_login(staff)
    assert client.get(_changelist(SupportNote)).status_code in (302, 403)
    assert client.get(_admin_url(support_note)).status_code in (302, 403)
    assert "Confidential" not in client.get(_admin_url(support_note)).content.decode()
