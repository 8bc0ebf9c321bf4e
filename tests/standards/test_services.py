"""Assessment writes: who may, the review rules, any red fails, ambers carry review dates."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.standards import selectors, services
from pathways.standards.models import Assessment, Framework, Item, Rating

from .conftest import FUTURE, agree_all, rate_all

pytestmark = pytest.mark.django_db


def test_provider_manager_starts_a_self_assessment_of_their_own_service(
    service, commissioning, manager
):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    assert assessment.status == "draft" and assessment.number == 1
    assert assessment.ratings.count() == 13
    assert {r.status for r in assessment.ratings.all()} == {Rating.NOT_RATED}
    assert AuditEvent.objects.filter(
        object_type="standards_assessment", object_id=str(assessment.pk), action="create"
    ).exists()


def test_provider_manager_cannot_assess_another_organisations_service(
    other_service, commissioning, manager
):
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=manager, service=other_service, checklist=commissioning)


def test_analysts_and_other_roles_cannot_start_any_assessment(service, commissioning, role_users):
    for role in (Role.ANALYST, Role.PERPETRATOR_WORKER, Role.REFERRER):
        for kind in (None, "self", "commissioner", "published"):
            with pytest.raises(PermissionDenied):
                services.assessment_start(
                    actor=role_users[role], service=service, checklist=commissioning, kind=kind
                )
    assert not Assessment.objects.exists()


def test_commissioners_cannot_start_a_self_assessment_nor_providers_a_commissioner_one(
    service, commissioning, commissioner, manager
):
    with pytest.raises(PermissionDenied):
        services.assessment_start(
            actor=commissioner, service=service, checklist=commissioning, kind="self"
        )
    for kind in ("commissioner", "published"):
        with pytest.raises(PermissionDenied):
            services.assessment_start(
                actor=manager, service=service, checklist=commissioning, kind=kind
            )
    assert not Assessment.objects.exists()


def test_only_one_assessment_per_checklist_in_progress(service, commissioning, manager):
    services.assessment_start(actor=manager, service=service, checklist=commissioning)
    with pytest.raises(ValidationError, match="already has an assessment"):
        services.assessment_start(actor=manager, service=service, checklist=commissioning)


def test_amber_needs_a_review_date_and_sources_must_be_known(service, commissioning, manager):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rating = assessment.ratings.first()
    with pytest.raises(ValidationError) as exc:
        services.rating_update(
            actor=manager,
            rating=rating,
            status="amber",
            finding="Partly",
            evidence_sources=["gossip"],
        )
    assert set(exc.value.message_dict) == {"review_date", "evidence_sources"}
    rating.refresh_from_db()
    assert rating.status == Rating.NOT_RATED


def test_submit_needs_every_item_rated(service, commissioning, manager):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    with pytest.raises(ValidationError) as exc:
        services.assessment_submit(actor=manager, assessment=assessment)
    assert len(exc.value.messages) == 13
    assert "Rate “What need does the service address?”" in exc.value.messages


def test_submitted_assessment_can_no_longer_be_edited_by_the_provider(submitted, manager):
    with pytest.raises(PermissionDenied):
        services.rating_update(
            actor=manager,
            rating=submitted.ratings.first(),
            status="red",
            finding="x",
            evidence_sources=[],
        )


def test_commissioner_changing_a_rating_must_give_a_reason(submitted, commissioner):
    rating = submitted.ratings.first()
    with pytest.raises(ValidationError) as exc:
        services.rating_review(
            actor=commissioner, rating=rating, decision="changed", agreed_status="red"
        )
    assert exc.value.message_dict == {"reason": ["Enter the reason for changing the rating"]}
    reviewed = services.rating_review(
        actor=commissioner,
        rating=rating,
        decision="changed",
        agreed_status="red",
        reason="No plan seen",
    )
    assert reviewed.status == "green" and reviewed.final_status == "red"


def test_provider_managers_cannot_review_or_finalise(submitted, manager):
    with pytest.raises(PermissionDenied):
        services.rating_review(actor=manager, rating=submitted.ratings.first(), decision="agreed")
    with pytest.raises(PermissionDenied):
        services.assessment_finalise(actor=manager, assessment=submitted)


def test_finalise_needs_every_item_reviewed(submitted, commissioner):
    with pytest.raises(ValidationError) as exc:
        services.assessment_finalise(actor=commissioner, assessment=submitted)
    assert len(exc.value.messages) == 13


def test_all_agreed_without_red_meets_the_standard(submitted, commissioner):
    agree_all(submitted, commissioner)
    done = services.assessment_finalise(actor=commissioner, assessment=submitted)
    assert done.status == "finalised" and done.outcome == "meets"
    counts = selectors.assessment_counts(Assessment.objects.get(pk=done.pk))
    assert counts == {"green": 12, "amber": 1, "red": 0, "not_applicable": 0, "not_rated": 0}


def test_any_red_means_does_not_meet_and_needs_reassessment(
    submitted, commissioner, manager, commissioning
):
    agree_all(submitted, commissioner)
    rating = submitted.ratings.get(question__key="need")
    services.rating_review(
        actor=commissioner,
        rating=rating,
        decision="changed",
        agreed_status="red",
        reason="Need unproven",
    )
    done = services.assessment_finalise(actor=commissioner, assessment=submitted)
    assert done.outcome == "does_not_meet"
    assert list(selectors.assessments_needing_reassessment_for_user(user=commissioner)) == [done]
    again = services.assessment_start(actor=manager, service=done.service, checklist=commissioning)
    assert again.number == 2 and again.previous == done
    assert list(selectors.assessments_needing_reassessment_for_user(user=commissioner)) == []


def test_overdue_ambers_are_listed_until_a_later_assessment(
    submitted, commissioner, manager, commissioning
):
    agree_all(submitted, commissioner)
    services.assessment_finalise(actor=commissioner, assessment=submitted)
    later = FUTURE + dt.timedelta(days=1)
    overdue = list(selectors.overdue_ambers_for_user(user=commissioner, today=later))
    assert [r.question.key for r in overdue] == ["value-for-money"]
    assert list(selectors.overdue_ambers_for_user(user=commissioner, today=FUTURE)) == []
    # The provider sees its own; another provider does not.
    assert len(selectors.overdue_ambers_for_user(user=manager, today=later)) == 1
    second = services.assessment_start(
        actor=manager, service=submitted.service, checklist=commissioning
    )
    rate_all(second, manager)
    services.assessment_submit(actor=manager, assessment=second)
    agree_all(second, commissioner)
    services.assessment_finalise(actor=commissioner, assessment=second)
    assert list(selectors.overdue_ambers_for_user(user=commissioner, today=later)) == []


def test_compare_pairs_two_versions_item_by_item(submitted, commissioner, manager, commissioning):
    agree_all(submitted, commissioner)
    services.assessment_finalise(actor=commissioner, assessment=submitted)
    second = services.assessment_start(
        actor=manager, service=submitted.service, checklist=commissioning
    )
    rate_all(second, manager, overrides={"need": Rating.RED})
    rows = selectors.assessment_compare(
        selectors.assessment_rows(submitted), selectors.assessment_rows(second)
    )
    assert len(rows) == 13
    changed = {r.key: (r.first, r.second) for r in rows if r.changed}
    assert changed == {"need": ("green", "red"), "value-for-money": ("amber", "green")}


def test_drafts_are_hidden_from_commissioners_and_other_providers(
    service, commissioning, manager, role_users, make_user, other_provider_org
):
    draft = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    other_manager = make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org)
    assert list(selectors.assessment_list_for_user(user=manager)) == [draft]
    for user in (
        role_users[Role.COMMISSIONER],
        role_users[Role.ANALYST],
        other_manager,
        role_users[Role.REFERRER],
    ):
        assert list(selectors.assessment_list_for_user(user=user)) == []
    assert list(selectors.assessment_list_for_user(user=role_users[Role.ADMIN])) == [draft]


# --- Attachments -----------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_attachments_are_typed_by_content_and_stored_under_media_root(
    service, commissioning, manager
):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rating = assessment.ratings.first()
    pdf = services.attachment_add(
        actor=manager, rating=rating, filename="../../policy.exe", content=PDF
    )
    assert pdf.content_type == "application/pdf" and pdf.original_name == "policy.exe"
    assert Path(pdf.file.path).resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    docx = services.attachment_add(
        actor=manager, rating=rating, filename="plan.docx", content=_docx()
    )
    assert docx.content_type.endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00\x03binary\x00\x00", "must be a PDF"),
        (b"PK\x03\x04not really a zip", "must be a PDF"),
        (b"", "is empty"),
    ],
)
def test_attachments_of_other_types_are_refused(service, commissioning, manager, content, message):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    with pytest.raises(ValidationError, match=message):
        services.attachment_add(
            actor=manager, rating=assessment.ratings.first(), filename="policy.pdf", content=content
        )


def test_attachments_over_the_size_limit_are_refused(service, commissioning, manager, settings):
    settings.STANDARDS_ATTACHMENT_MAX_BYTES = 1024 * 1024
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    with pytest.raises(ValidationError, match="smaller than 1MB"):
        services.attachment_add(
            actor=manager,
            rating=assessment.ratings.first(),
            filename="big.txt",
            content=b"a" * (1024 * 1024 + 1),
        )


def test_another_provider_cannot_attach(
    service, commissioning, manager, make_user, other_provider_org
):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    stranger = make_user("stranger", Role.PROVIDER_MANAGER, other_provider_org)
    with pytest.raises(PermissionDenied):
        services.attachment_add(
            actor=stranger, rating=assessment.ratings.first(), filename="a.pdf", content=PDF
        )


# --- Framework import ------------------------------------------------------------------


def _edition(version="2025", year=2025, title="Revised standard"):
    payload = json.loads((services.FIXTURES / "csaap_2021.json").read_text())
    payload["framework"].update(version=version, year=year)
    payload["items"][0]["title"] = title
    return payload


def test_a_new_edition_is_an_import_and_becomes_current(reference):
    framework, outcome = services.framework_import(payload=_edition())
    assert outcome == "created" and framework.is_current
    assert not Framework.objects.get(slug="csaap", version="2021").is_current
    assert selectors.framework_get(slug="csaap").version == "2025"
    assert services.framework_import(payload=_edition())[1] == "unchanged"
    assert (
        AuditEvent.objects.filter(object_type="standards_framework", action="import").count() == 1
    )


def test_an_invalid_import_names_every_problem_and_writes_nothing(reference):
    payload = _edition()
    payload["items"][1]["parent"] = "99"
    payload["items"][2]["code"] = payload["items"][0]["code"]
    payload["items"][3]["check"] = "mind_reading"
    payload["framework"]["year"] = "soon"
    before = (Framework.objects.count(), Item.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.framework_import(payload=payload)
    text = "\n".join(exc.value.messages)
    for expected in (
        "framework.year",
        "items[1] (2).parent",
        "appears more than once",
        "unknown check",
    ):
        assert expected in text
    assert (Framework.objects.count(), Item.objects.count()) == before


def test_an_edition_in_use_cannot_be_silently_rewritten(submitted):
    payload = json.loads((services.FIXTURES / "vawdasv_2018.json").read_text())
    payload["items"][0]["summary"] = "Changed after assessments were made."
    with pytest.raises(ValidationError, match="import the new content as a new version"):
        services.framework_import(payload=payload)


# --- Risk-tier definitions -------------------------------------------------------------


def test_only_commissioners_record_tier_definitions(reference, role_users):
    from pathways.areas.models import Area

    area = Area.objects.get(slug="west-yorkshire")
    with pytest.raises(PermissionDenied):
        services.tier_definition_save(
            actor=role_users[Role.ANALYST], area=area, title="x", criteria={}
        )
    with pytest.raises(ValidationError):
        services.tier_definition_save(
            actor=role_users[Role.COMMISSIONER], area=area, title="WY", criteria={"extreme": {}}
        )
    definition = services.tier_definition_save(
        actor=role_users[Role.COMMISSIONER],
        area=area,
        title="WY tiers",
        criteria={"high": {"requires_intensive_case_management": True}},
    )
    assert definition.criteria.get().tier == "high"


def test_tier_claim_checks_for_services_uses_the_definition_of_areas_above(
    reference, make_service, role_users, django_assert_max_num_queries
):
    from pathways.areas.models import Area

    services.tier_definition_save(
        actor=role_users[Role.COMMISSIONER],
        area=Area.objects.get(slug="west-yorkshire"),
        title="WY tiers",
        criteria={
            "high": {
                "requires_intensive_case_management": True,
                "requires_integrated_victim_support": True,
            }
        },
    )
    claims = {"risk_high": {"value": "yes"}}
    good = make_service(
        "Good",
        areas=("leeds",),
        claims=claims,
        intervention_type="intensive_case_management",
        integrated_victim_support="own",
    )
    weak = make_service(
        "Weak",
        areas=("leeds",),
        claims=claims,
        intervention_type="behaviour_change",
        integrated_victim_support="own",
    )
    elsewhere = make_service(
        "Far", areas=("leicester",), claims=claims, intervention_type="behaviour_change"
    )
    quiet = make_service("No claim", areas=("leeds",))
    ids = [good.pk, weak.pk, elsewhere.pk, quiet.pk]
    with django_assert_max_num_queries(7):
        result = selectors.tier_claim_checks_for_services(ids)
    assert [c.result for c in result[good.pk]] == ["meets"]
    assert [c.result for c in result[weak.pk]] == ["does_not_meet"]
    assert result[elsewhere.pk] == [] and result[quiet.pk] == []
