"""Directory curation pages: who gets in, what they see, forms, and constant-query lists."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.directory import curation
from pathways.directory.models import (
    ChangeStatus,
    EvidenceLevel,
    ProvenanceSource,
    Service,
    ServiceChange,
)
from pathways.directory.services import service_update


def url(name, *args):
    return reverse(f"directory:{name}", args=args)


def form_post(form) -> dict:
    """What a browser would post for a form as it was rendered (every field at its value)."""
    data: dict = {}
    for bound in form:
        value = bound.value()
        widget = bound.field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple):
            data[bound.html_name] = [str(v) for v in value or []]
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else str(value)
    return data


def body(response) -> str:
    return response.content.decode()


@pytest.fixture
def manager(role_users):
    return role_users[Role.PROVIDER_MANAGER]


@pytest.fixture
def editor(role_users):
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def service(make_service):
    return make_service(
        "Respect Group",
        claims={
            "risk_high": {
                "value": "yes",
                "evidence_level": "verified",
                "evidence_note": "Checked 2025",
            },
            "adults": {"value": "yes"},
        },
    )


@pytest.fixture
def other_service(make_service, other_provider_org):
    return make_service("Someone Else's Service", organisation=other_provider_org)


def assert_constant_queries(client, path, make_rows, *, expect_rows):
    """The page costs the same number of queries with 3 rows as with 30 (one page of 20)."""
    make_rows(3)
    with CaptureQueriesContext(connection) as few:
        response = client.get(path)
    assert response.status_code == 200
    assert expect_rows(response) == 3
    make_rows(27)
    with CaptureQueriesContext(connection) as many:
        response = client.get(path)
    assert response.status_code == 200
    assert expect_rows(response) == 20
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def page_rows(response) -> int:
    return len(response.context["page"].object_list)


# -- access and scoping -----------------------------------------------------------------


@pytest.mark.django_db
def test_provider_manager_lists_only_their_own_organisations_services(
    client_for, manager, service, other_service
):
    response = client_for(manager).get(url("manage-list"))
    assert response.status_code == 200
    assert [s.name for s in response.context["page"].object_list] == ["Respect Group"]
    assert "Someone Else" not in body(response)


@pytest.mark.django_db
def test_another_organisations_service_is_not_found_for_a_provider_manager(
    client_for, manager, other_service
):
    client = client_for(manager)
    for name in ("manage-service", "propose-change", "versions", "version-compare"):
        assert client.get(url(name, other_service.pk)).status_code == 404, name
    assert client.post(url("service-confirm", other_service.pk)).status_code == 404
    other_service.refresh_from_db()
    assert other_service.confirmed_at is None


@pytest.mark.django_db
def test_editor_pages_are_closed_to_provider_managers(client_for, manager, service):
    client = client_for(manager)
    for path in (
        url("review"),
        url("deleted-list"),
        url("claims-verify", service.pk),
        url("service-edit", service.pk),
        url("service-delete", service.pk),
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(url("service-delete", service.pk)).status_code == 403
    service.refresh_from_db()
    assert service.deleted_at is None


@pytest.mark.django_db
def test_provider_manager_cannot_approve_or_reject_through_the_site(client_for, manager, service):
    change = curation.service_change_propose(actor=manager, service=service, data={"name": "Mine"})
    client = client_for(manager)
    assert client.post(url("change-approve", change.pk)).status_code == 403
    assert client.post(url("change-reject", change.pk), {"reason": "no"}).status_code == 403
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING


@pytest.mark.django_db
def test_commissioner_cannot_propose_or_withdraw_as_a_provider(
    client_for, editor, manager, service
):
    change = curation.service_change_propose(actor=manager, service=service, data={"name": "Mine"})
    client = client_for(editor)
    assert client.get(url("propose-change", service.pk)).status_code == 403
    assert client.get(url("propose-new")).status_code == 403
    assert client.post(url("change-withdraw", change.pk)).status_code == 403


@pytest.mark.django_db
def test_another_organisations_change_is_not_found_for_a_provider_manager(
    client_for, make_user, manager, other_provider_org, service
):
    change = curation.service_change_propose(actor=manager, service=service, data={"name": "Mine"})
    outsider = client_for(make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org))
    assert outsider.get(url("change-detail", change.pk)).status_code == 404
    assert outsider.post(url("change-withdraw", change.pk)).status_code == 404
    assert outsider.get(url("change-queue")).context["page"].paginator.count == 0
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING


@pytest.mark.django_db
def test_provider_cannot_propose_a_new_service_for_another_organisation(
    client_for, manager, other_provider_org, reference
):
    client = client_for(manager)
    data = form_post(client.get(url("propose-new")).context["form"])
    data.update({"name": "Squatter", "organisation": str(other_provider_org.pk)})
    response = client.post(url("propose-new"), data)
    assert response.status_code == 400
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_other_roles_and_anonymous_visitors_are_kept_out(client, client_for, role_users, service):
    response = client.get(url("manage-list"))
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]
    for role in (Role.REFERRER, Role.ANALYST, Role.PERPETRATOR_WORKER):
        assert client_for(role_users[role]).get(url("manage-list")).status_code == 403


# -- the manage page --------------------------------------------------------------------


@pytest.mark.django_db
def test_manage_page_shows_each_claim_with_value_and_evidence_tag(client_for, manager, service):
    response = client_for(manager).get(url("manage-service", service.pk))
    assert response.status_code == 200
    page = body(response)
    assert 'data-claim="risk_high"' in page and "Commissioner-verified" in page
    assert 'data-claim="adults"' in page and "Self-reported" in page
    assert "Never confirmed" in page
    assert url("propose-change", service.pk) in page
    assert url("service-delete", service.pk) not in page  # editors only


# -- proposing --------------------------------------------------------------------------


@pytest.mark.django_db
def test_provider_proposes_a_change_through_the_form_without_changing_the_live_record(
    client_for, manager, service
):
    client = client_for(manager)
    form = client.get(url("propose-change", service.pk)).context["form"]
    data = form_post(form)
    data.update(
        {
            "name": "Respect Group (Leeds)",
            "districts": ["leeds", "kirklees"],
            "referral_routes": ["self"],
            "claim_adults": "no",
            "visible_from": "2026-01-01",
        }
    )
    response = client.post(url("propose-change", service.pk), data)
    change = ServiceChange.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("change-detail", change.pk)
    assert change.data["name"] == "Respect Group (Leeds)"
    assert change.data["areas"] == ["kirklees", "leeds"]
    assert change.data["visible_from"] == "2026-01-01"
    assert "referral-routes:self" in change.data["taxonomy_terms"]
    assert set(change.data["claims"]) == {"adults"}  # the verified claim was left alone
    service.refresh_from_db()
    assert service.name == "Respect Group"
    followed = client.get(response["Location"])
    assert "Your change has been sent to a directory editor for approval" in body(followed)


@pytest.mark.django_db
def test_proposal_form_errors_follow_the_design_system(client_for, manager, service):
    client = client_for(manager)
    data = form_post(client.get(url("propose-change", service.pk)).context["form"])
    data.update(
        {"name": "", "visible_from": "2026-05-01", "visible_to": "2026-04-01", "email": "nope"}
    )
    response = client.post(url("propose-change", service.pk), data)
    assert response.status_code == 400
    page = body(response)
    assert "There is a problem" in page
    assert "Enter the service name" in page
    assert "Visible to date must be the same as or after visible from date" in page
    assert "Enter an email address in the correct format, like name@example.com" in page
    assert 'href="#id_name"' in page
    assert "<title>Error:" in page
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_provider_cannot_smuggle_a_verified_claim_through_the_form(client_for, manager, service):
    client = client_for(manager)
    data = form_post(client.get(url("propose-change", service.pk)).context["form"])
    data.update({"claim_adults_level": "verified", "claim_adults_note": "I say so"})
    response = client.post(url("propose-change", service.pk), data)
    assert response.status_code == 400
    assert "Select a valid choice" in body(response)
    data = form_post(client.get(url("propose-change", service.pk)).context["form"])
    data.update({"claim_risk_high": "no"})  # changed, but still marked verified
    response = client.post(url("propose-change", service.pk), data)
    assert response.status_code == 400
    assert "no longer commissioner-verified" in body(response)
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_submitting_the_form_unchanged_says_nothing_changed(client_for, manager, service):
    client = client_for(manager)
    data = form_post(client.get(url("propose-change", service.pk)).context["form"])
    response = client.post(url("propose-change", service.pk), data)
    assert response.status_code == 400
    assert "You have not changed anything" in body(response)


@pytest.mark.django_db
def test_provider_proposes_a_new_service(client_for, manager, provider_org, reference):
    client = client_for(manager)
    form = client.get(url("propose-new")).context["form"]
    assert not form.asks_organisation
    data = form_post(form)
    data.update(
        {"name": "Young People's Programme", "districts": ["leeds"], "abuse_types": ["CAPVA"]}
    )
    response = client.post(url("propose-new"), data)
    assert response.status_code == 302
    change = ServiceChange.objects.get()
    assert change.service is None and change.organisation == provider_org
    assert change.data["name"] == "Young People's Programme"
    assert not Service.objects.filter(name="Young People's Programme").exists()


@pytest.mark.django_db
def test_provider_withdraws_their_change(client_for, manager, service):
    change = curation.service_change_propose(actor=manager, service=service, data={"name": "Mine"})
    response = client_for(manager).post(url("change-withdraw", change.pk))
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN


@pytest.mark.django_db
def test_provider_confirms_the_entry(client_for, manager, service):
    response = client_for(manager).post(url("service-confirm", service.pk), follow=True)
    service.refresh_from_db()
    assert service.provenance_source == ProvenanceSource.PROVIDER_CONFIRMED
    assert "You have confirmed that ‘Respect Group’ is up to date" in body(response)


# -- the queue, approval and rejection ---------------------------------------------------


@pytest.mark.django_db
def test_change_detail_shows_a_field_by_field_diff_against_the_live_record(
    client_for, manager, editor, service
):
    change = curation.service_change_propose(
        actor=manager,
        service=service,
        data={"name": "Respect Group (Leeds)"},
        area_slugs=["leeds", "bradford"],
    )
    response = client_for(editor).get(url("change-detail", change.pk))
    assert response.status_code == 200
    assert [row.key for row in response.context["diff"]] == ["name", "areas"]
    page = body(response)
    assert 'data-field="name"' in page and "Respect Group (Leeds)" in page
    assert "Bradford" in page
    assert "stale-warning" not in page


@pytest.mark.django_db
def test_editor_approves_a_change(client_for, manager, editor, service):
    change = curation.service_change_propose(
        actor=manager, service=service, data={"waiting_weeks": 5}
    )
    client = client_for(editor)
    response = client.post(url("change-approve", change.pk))
    assert response.status_code == 302 and response["Location"] == url("change-queue")
    service.refresh_from_db()
    assert service.waiting_weeks == 5
    assert service.provenance_source == ProvenanceSource.PROVIDER_CONFIRMED
    assert AuditEvent.objects.filter(action=AuditAction.APPROVE, object_id=str(change.pk)).exists()
    assert "Change approved" in body(client.get(response["Location"]))


@pytest.mark.django_db
def test_approving_a_stale_change_warns_and_needs_confirmation(
    client_for, manager, editor, service
):
    change = curation.service_change_propose(
        actor=manager, service=service, data={"waiting_weeks": 5}
    )
    service_update(
        service=service, data={"description": "Meanwhile"}, actor=editor, source="desk_review"
    )
    client = client_for(editor)
    detail = client.get(url("change-detail", change.pk))
    assert detail.context["stale"] is True
    assert "stale-warning" in body(detail)
    assert [row.key for row in detail.context["since"]][:1] == ["description"]
    refused = client.post(url("change-approve", change.pk))
    assert refused.status_code == 400
    assert "Confirm that you have checked the changes made since this was proposed" in body(refused)
    service.refresh_from_db()
    assert service.waiting_weeks is None
    accepted = client.post(url("change-approve", change.pk), {"confirm_stale": "on"})
    assert accepted.status_code == 302
    service.refresh_from_db()
    assert service.waiting_weeks == 5


@pytest.mark.django_db
def test_rejection_needs_a_reason_on_the_page(client_for, manager, editor, service):
    change = curation.service_change_propose(actor=manager, service=service, data={"name": "Nope"})
    client = client_for(editor)
    response = client.post(url("change-reject", change.pk), {"reason": ""})
    assert response.status_code == 400
    assert "Enter a reason for rejecting the change" in body(response)
    response = client.post(
        url("change-reject", change.pk), {"reason": "Not funded under that name"}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    # The provider sees the reason.
    assert "Not funded under that name" in body(
        client_for(manager).get(url("change-detail", change.pk))
    )


@pytest.mark.django_db
def test_change_queue_is_oldest_first_with_constant_queries(
    client_for, manager, editor, make_service
):
    made = []

    def make_rows(n):
        for _ in range(n):
            service = make_service(f"Service {len(made):02d}")
            made.append(
                curation.service_change_propose(actor=manager, service=service, data={"phone": "1"})
            )

    client = client_for(editor)
    assert_constant_queries(client, url("change-queue"), make_rows, expect_rows=page_rows)
    listed = client.get(url("change-queue")).context["page"].object_list
    assert list(listed) == made[:20]


# -- direct edits and claims -------------------------------------------------------------


@pytest.mark.django_db
def test_editor_edits_directly_with_a_source(client_for, editor, service):
    client = client_for(editor)
    data = form_post(client.get(url("service-edit", service.pk)).context["form"])
    data.update(
        {"waiting_weeks": "3", "source": "questionnaire", "provenance_detail": "2026 return"}
    )
    response = client.post(url("service-edit", service.pk), data)
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.waiting_weeks == 3
    assert (service.provenance_source, service.provenance_detail) == (
        "questionnaire",
        "2026 return",
    )


@pytest.mark.django_db
def test_direct_edit_with_dates_out_of_order_is_a_form_error_not_a_crash(
    client_for, editor, service
):
    client = client_for(editor)
    data = form_post(client.get(url("service-edit", service.pk)).context["form"])
    data.update({"source": "desk_review", "visible_from": "2026-05-01", "visible_to": "2026-04-30"})
    response = client.post(url("service-edit", service.pk), data)
    assert response.status_code == 400
    assert "Visible to date must be the same as or after visible from date" in body(response)
    service.refresh_from_db()
    assert service.visible_to is None


@pytest.mark.django_db
def test_editor_verifies_claims_and_the_manage_page_shows_it(client_for, editor, service):
    client = client_for(editor)
    response = client.post(
        url("claims-verify", service.pk),
        {
            "level_adults": "verified",
            "level_risk_high": "verified",
            "note_risk_high": "Checked 2025",
        },
    )
    assert response.status_code == 400
    assert "Enter a note saying how ‘Works with adults’ was checked" in body(response)
    response = client.post(
        url("claims-verify", service.pk),
        {
            "level_adults": "verified",
            "note_adults": "Read the referral criteria",
            "level_risk_high": "verified",
            "note_risk_high": "Checked 2025",
        },
    )
    assert response.status_code == 302
    assert service.claims.get(dimension="adults").evidence_level == EvidenceLevel.VERIFIED
    assert AuditEvent.objects.filter(action=AuditAction.VERIFY, object_id=str(service.pk)).exists()
    page = body(client.get(url("manage-service", service.pk)))
    assert "Read the referral criteria" in page


# -- review ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_review_page_lists_records_needing_attention_and_filters(
    client_for, editor, manager, make_service
):
    make_service("Never confirmed", areas=("leeds",))
    confirmed = make_service(
        "Confirmed and verified", claims={"adults": {"value": "yes", "evidence_level": "verified"}}
    )
    curation.service_confirm(service=confirmed, actor=manager)
    client = client_for(editor)
    response = client.get(url("review"))
    assert [s.name for s in response.context["page"].object_list] == ["Never confirmed"]
    assert "Never confirmed" in body(response)
    assert client.get(url("review"), {"area": "cardiff"}).context["page"].paginator.count == 0
    assert (
        client.get(url("review"), {"area": "leeds", "provenance": "desk_review"})
        .context["page"]
        .paginator.count
        == 1
    )
    bad = client.get(url("review"), {"sort": "nonsense"})
    assert bad.status_code == 400 and "There is a problem" in body(bad)


@pytest.mark.django_db
def test_review_page_has_constant_queries(client_for, editor, make_service):
    count = [0]

    def make_rows(n):
        for _ in range(n):
            make_service(f"Review {count[0]:02d}", claims={"adults": {"value": "yes"}})
            count[0] += 1

    assert_constant_queries(
        client_for(editor), url("review") + "?sort=name", make_rows, expect_rows=page_rows
    )


# -- versions ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_versions_page_has_constant_queries(client_for, editor, service):
    def rows_after(n):
        existing = service.versions.count()
        for i in range(n):
            service_update(
                service=service,
                data={"waiting_weeks": existing + i},
                actor=editor,
                source="desk_review",
            )

    client = client_for(editor)
    rows_after(2)  # 3 versions
    with CaptureQueriesContext(connection) as few:
        response = client.get(url("versions", service.pk))
    assert page_rows(response) == 3
    rows_after(27)  # 30 versions
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("versions", service.pk))
    assert page_rows(response) == 20
    assert len(many) == len(few)
    assert response.context["page"].object_list[0].number == 30


@pytest.mark.django_db
def test_comparing_two_versions_shows_only_changed_fields(client_for, manager, editor, service):
    service_update(service=service, data={"waiting_weeks": 4}, actor=editor, source="desk_review")
    service_update(service=service, data={"phone": "0113 000"}, actor=editor, source="desk_review")
    client = client_for(manager)
    response = client.get(url("version-compare", service.pk), {"a": "1", "b": "2"})
    assert response.status_code == 200
    keys = [row.key for row in response.context["diff"]]
    assert "waiting_weeks" in keys and "phone" not in keys and "name" not in keys
    # Newer first is put back in order.
    swapped = client.get(url("version-compare", service.pk), {"a": "3", "b": "2"})
    assert [row.key for row in swapped.context["diff"]] == ["phone"]
    current = client.get(url("version-compare", service.pk), {"a": "1", "b": "current"})
    assert {"waiting_weeks", "phone"} <= {row.key for row in current.context["diff"]}


@pytest.mark.django_db
def test_comparing_with_bad_input_is_a_clear_error(client_for, editor, service):
    client = client_for(editor)
    assert client.get(url("version-compare", service.pk)).status_code == 200
    same = client.get(url("version-compare", service.pk), {"a": "1", "b": "1"})
    assert same.status_code == 400 and "Select two different versions" in body(same)
    missing = client.get(url("version-compare", service.pk), {"a": "99", "b": "current"})
    assert missing.status_code == 400 and "Select a version of this service" in body(missing)


# -- delete and restore ---------------------------------------------------------------------


@pytest.mark.django_db
def test_delete_asks_for_confirmation_then_hides_the_service(client, client_for, editor, service):
    staff = client_for(editor)
    confirm = staff.get(url("service-delete", service.pk))
    assert confirm.status_code == 200
    assert "govuk-warning-text" in body(confirm)
    service.refresh_from_db()
    assert service.deleted_at is None  # a GET deletes nothing
    response = staff.post(url("service-delete", service.pk), follow=True)
    assert "has been deleted" in body(response)
    staff.logout()
    assert client.get(reverse("public:service", args=[service.pk])).status_code == 404
    assert "Respect Group" not in body(client.get("/", {"q": "Respect"}))


@pytest.mark.django_db
def test_recently_deleted_service_is_restored_from_the_list(client_for, editor, service):
    curation.service_soft_delete(service=service, actor=editor)
    client = client_for(editor)
    listed = client.get(url("deleted-list"))
    assert [s.name for s in listed.context["page"].object_list] == ["Respect Group"]
    response = client.post(url("service-restore", service.pk), follow=True)
    assert "‘Respect Group’ has been restored" in body(response)
    service.refresh_from_db()
    assert service.deleted_at is None


@pytest.mark.django_db
def test_restore_after_the_window_is_refused_on_the_page(client_for, editor, service, settings):
    curation.service_soft_delete(service=service, actor=editor)
    Service.objects.filter(pk=service.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=settings.DIRECTORY_RESTORE_WINDOW_DAYS + 2)
    )
    response = client_for(editor).post(url("service-restore", service.pk), follow=True)
    assert "can no longer be restored" in body(response)
    service.refresh_from_db()
    assert service.deleted_at is not None


@pytest.mark.django_db
def test_deleted_list_has_constant_queries(client_for, editor, make_service):
    count = [0]

    def make_rows(n):
        for _ in range(n):
            deleted = make_service(f"Gone {count[0]:02d}")
            count[0] += 1
            curation.service_soft_delete(service=deleted, actor=editor)

    assert_constant_queries(
        client_for(editor), url("deleted-list"), make_rows, expect_rows=page_rows
    )


@pytest.mark.django_db
def test_manage_list_has_constant_queries(client_for, manager, make_service):
    count = [0]

    def make_rows(n):
        for _ in range(n):
            made = make_service(f"Managed {count[0]:02d}", claims={"adults": {"value": "yes"}})
            count[0] += 1
            curation.service_change_propose(actor=manager, service=made, data={"phone": "1"})

    assert_constant_queries(
        client_for(manager), url("manage-list"), make_rows, expect_rows=page_rows
    )


@pytest.mark.django_db
def test_areas_and_taxonomy_terms_render_as_checkboxes(client_for, manager, service):
    page = body(client_for(manager).get(url("propose-change", service.pk)))
    assert 'name="districts" type="checkbox"' in page
    assert 'name="abuse_types" type="checkbox"' in page


# -- the self-referral quota and exclusion criteria ------------------------------------------


@pytest.fixture
def limited_service(make_service):
    return make_service(
        "Limited Service",
        terms=(
            "abuse-types:DA",
            "referral-routes:self",
            "exclusion-criteria:untreated-substance-dependency",
            "exclusion-criteria:sexual-offence-conviction",
        ),
        self_referral_max_percent=40,
    )


def _criteria(service) -> set[str]:
    return set(
        service.taxonomy_terms.filter(taxonomy__slug="exclusion-criteria").values_list(
            "code", flat=True
        )
    )


@pytest.mark.django_db
def test_every_editable_field_and_proposable_taxonomy_has_a_widget_on_the_service_form(reference):
    from pathways.directory.forms_curation import TERM_FIELDS, ServiceDetailsForm
    from pathways.directory.services import EDITABLE_FIELDS

    form = ServiceDetailsForm(snapshot=curation.empty_snapshot())
    assert set(EDITABLE_FIELDS) <= set(form.fields)
    assert set(TERM_FIELDS.values()) == set(curation.PROPOSABLE_TAXONOMIES)
    assert [code for code, _name in form.fields["exclusion_criteria"].choices] == [
        "untreated-substance-dependency",
        "acute-mental-health-crisis",
        "current-da-proceedings",
        "sexual-offence-conviction",
        "denies-all-abuse",
    ]


@pytest.mark.django_db
def test_form_shows_the_quota_and_ticks_the_exclusion_criteria(
    client_for, manager, limited_service
):
    response = client_for(manager).get(url("propose-change", limited_service.pk))
    form = response.context["form"]
    assert form["self_referral_max_percent"].value() == 40
    assert set(form["exclusion_criteria"].value()) == {
        "untreated-substance-dependency",
        "sexual-offence-conviction",
    }
    page = body(response)
    assert "Maximum share of self-referrals (%)" in page
    assert 'name="self_referral_max_percent"' in page and 'inputmode="numeric"' in page
    assert 'name="exclusion_criteria" type="checkbox"' in page
    assert "Matching will not offer the service for a referral that records any" in page


@pytest.mark.django_db
def test_proposing_another_field_through_the_form_keeps_quota_and_criteria(
    client_for, manager, editor, limited_service
):
    client = client_for(manager)
    data = form_post(client.get(url("propose-change", limited_service.pk)).context["form"])
    data["waiting_weeks"] = "7"
    response = client.post(url("propose-change", limited_service.pk), data)
    assert response.status_code == 302
    change = ServiceChange.objects.get()
    assert change.data == {"waiting_weeks": 7}
    curation.service_change_approve(change=change, actor=editor)
    limited_service.refresh_from_db()
    assert limited_service.waiting_weeks == 7
    assert limited_service.self_referral_max_percent == 40
    assert _criteria(limited_service) == {
        "untreated-substance-dependency",
        "sexual-offence-conviction",
    }


@pytest.mark.django_db
def test_a_direct_edit_of_another_field_keeps_quota_and_criteria(
    client_for, editor, limited_service
):
    client = client_for(editor)
    data = form_post(client.get(url("service-edit", limited_service.pk)).context["form"])
    data.update({"phone": "0113 496 0001", "source": "desk_review"})
    response = client.post(url("service-edit", limited_service.pk), data)
    assert response.status_code == 302
    limited_service.refresh_from_db()
    assert limited_service.phone == "0113 496 0001"
    assert limited_service.self_referral_max_percent == 40
    assert _criteria(limited_service) == {
        "untreated-substance-dependency",
        "sexual-offence-conviction",
    }
    latest = limited_service.versions.order_by("-number").first()
    assert latest.summary == "Edited by a directory editor: phone number"


@pytest.mark.django_db
def test_provider_proposes_quota_and_criteria_and_the_editor_sees_and_approves_them(
    client_for, manager, editor, service
):
    client = client_for(manager)
    data = form_post(client.get(url("propose-change", service.pk)).context["form"])
    data.update(
        {
            "self_referral_max_percent": "35",
            "exclusion_criteria": ["acute-mental-health-crisis", "denies-all-abuse"],
        }
    )
    response = client.post(url("propose-change", service.pk), data)
    assert response.status_code == 302
    change = ServiceChange.objects.get()
    assert change.data["self_referral_max_percent"] == 35
    assert {
        "exclusion-criteria:acute-mental-health-crisis",
        "exclusion-criteria:denies-all-abuse",
    } <= set(change.data["taxonomy_terms"])

    staff = client_for(editor)
    detail = staff.get(url("change-detail", change.pk))
    assert [row.key for row in detail.context["diff"]] == [
        "self_referral_max_percent",
        "taxonomy_terms.exclusion-criteria",
    ]
    page = body(detail)
    assert 'data-field="taxonomy_terms.exclusion-criteria"' in page
    assert "Exclusion criteria" in page and "Acute mental health crisis" in page
    assert "Maximum share of self-referrals (%)" in page

    assert staff.post(url("change-approve", change.pk)).status_code == 302
    service.refresh_from_db()
    assert service.self_referral_max_percent == 35
    assert _criteria(service) == {"acute-mental-health-crisis", "denies-all-abuse"}
    versions = staff.get(url("version-compare", service.pk), {"a": "1", "b": "2"})
    assert {"self_referral_max_percent", "taxonomy_terms.exclusion-criteria"} <= {
        row.key for row in versions.context["diff"]
    }


@pytest.mark.django_db
def test_clearing_the_quota_and_unticking_the_criteria_removes_them(
    client_for, editor, limited_service
):
    client = client_for(editor)
    data = form_post(client.get(url("service-edit", limited_service.pk)).context["form"])
    data.update(
        {"self_referral_max_percent": "", "exclusion_criteria": [], "source": "desk_review"}
    )
    assert client.post(url("service-edit", limited_service.pk), data).status_code == 302
    limited_service.refresh_from_db()
    assert limited_service.self_referral_max_percent is None
    assert _criteria(limited_service) == set()
    assert limited_service.taxonomy_terms.filter(code="DA").exists()  # other terms stay


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Maximum share of self-referrals must be between 1 and 100"),
        ("101", "Maximum share of self-referrals must be between 1 and 100"),
        ("forty", "Maximum share of self-referrals must be a whole number, like 40"),
        ("40.5", "Maximum share of self-referrals must be a whole number, like 40"),
    ],
)
def test_a_quota_outside_1_to_100_is_a_form_error(
    client_for, manager, limited_service, value, message
):
    client = client_for(manager)
    data = form_post(client.get(url("propose-change", limited_service.pk)).context["form"])
    data["self_referral_max_percent"] = value
    response = client.post(url("propose-change", limited_service.pk), data)
    assert response.status_code == 400
    page = body(response)
    assert "There is a problem" in page and message in page
    assert 'href="#id_self_referral_max_percent"' in page
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_an_unknown_exclusion_criterion_is_a_form_error(client_for, manager, limited_service):
    client = client_for(manager)
    data = form_post(client.get(url("propose-change", limited_service.pk)).context["form"])
    data["exclusion_criteria"] = ["smoking"]
    response = client.post(url("propose-change", limited_service.pk), data)
    assert response.status_code == 400
    assert "Select a valid choice" in body(response)
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_manage_page_shows_the_quota_and_the_exclusion_criteria(
    client_for, manager, limited_service, service
):
    client = client_for(manager)
    page = body(client.get(url("manage-service", limited_service.pk)))
    assert 'data-field="self_referral_max_percent"' in page and "40%" in page
    assert 'data-field="exclusion_criteria"' in page
    assert "Untreated drug or alcohol dependency, Conviction for a sexual offence" in page
    plain = body(client.get(url("manage-service", service.pk)))
    assert "No limit" in plain and "None stated" in plain
