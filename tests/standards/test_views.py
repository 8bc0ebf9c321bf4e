"""Pages: the self-assessment, review and compare journey; scoping; public counts; bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.standards import services
from pathways.standards.models import Assessment

from .conftest import agree_all, rate_all

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def test_provider_manager_assesses_and_commissioner_reviews_in_the_browser(
    client_for, service, commissioning, manager, commissioner
):
    client = client_for(manager)
    response = client.post(
        reverse("standards:start", args=[service.pk]), {"checklist": commissioning.pk}
    )
    assessment = Assessment.objects.get(service=service)
    assert response.status_code == 302 and response["Location"].endswith(f"{assessment.pk}/")
    ratings = list(assessment.ratings.order_by("position"))
    assert client.get(reverse("standards:start", args=[service.pk])).status_code == 200
    form = client.get(reverse("standards:rating-edit", args=[assessment.pk, ratings[0].pk]))
    assert form.status_code == 200 and 'type="file"' in form.content.decode()
    for rating in ratings:
        data = {"status": "green", "evidence_sources": ["documents", "interviews"]}
        if rating.question.key == "value-for-money":
            data = {
                "status": "amber",
                "finding": "Awaiting evaluation",
                "review_date": "2099-06-30",
            }
            data["file"] = SimpleUploadedFile("costs.pdf", PDF, content_type="application/pdf")
        url = reverse("standards:rating-edit", args=[assessment.pk, rating.pk])
        assert client.post(url, data).status_code == 302
    assert client.post(reverse("standards:submit", args=[assessment.pk])).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "submitted"

    client = client_for(commissioner)
    page = client.get(reverse("standards:assessment", args=[assessment.pk]))
    assert page.status_code == 200 and b"Finalise the assessment" in page.content
    review = client.get(reverse("standards:rating-review", args=[assessment.pk, ratings[0].pk]))
    assert review.status_code == 200 and "Do you agree" in review.content.decode()
    for rating in ratings:
        url = reverse("standards:rating-review", args=[assessment.pk, rating.pk])
        data = {"decision": "agreed"}
        if rating.question.key == "need":
            data = {
                "decision": "changed",
                "agreed_status": "amber",
                "reason": "Thin evidence",
                "review_date": "2099-01-01",
            }
        assert client.post(url, data).status_code == 302
    assert client.post(reverse("standards:finalise", args=[assessment.pk])).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "finalised" and assessment.outcome == "meets"
    page = client.get(reverse("standards:assessment", args=[assessment.pk]))
    assert b"Thin evidence" in page.content and b"costs.pdf" in page.content


def test_rating_form_shows_the_error_summary_and_changes_nothing(
    client_for, service, commissioning, manager
):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rating = assessment.ratings.first()
    response = client_for(manager).post(
        reverse("standards:rating-edit", args=[assessment.pk, rating.pk]),
        {"status": "amber", "review_date": "31/02/2020", "evidence_sources": ["telepathy"]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter a real date" in body and "Enter the finding for an amber or red item" in body
    rating.refresh_from_db()
    assert rating.status == "not_rated"


def test_bad_upload_is_refused_with_a_message(client_for, service, commissioning, manager):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rating = assessment.ratings.first()
    response = client_for(manager).post(
        reverse("standards:rating-edit", args=[assessment.pk, rating.pk]),
        {
            "status": "green",
            "file": SimpleUploadedFile(
                "evil.pdf", b"MZ\x90\x00\x00", content_type="application/pdf"
            ),
        },
    )
    assert response.status_code == 400
    assert "must be a PDF, Word document" in response.content.decode()
    assert not rating.attachments.exists()


def test_review_change_without_reason_shows_an_error(client_for, submitted, commissioner):
    rating = submitted.ratings.first()
    response = client_for(commissioner).post(
        reverse("standards:rating-review", args=[submitted.pk, rating.pk]),
        {"decision": "changed", "agreed_status": "red"},
    )
    assert response.status_code == 400
    assert "Enter the reason for changing the rating" in response.content.decode()


def test_submitting_an_incomplete_assessment_explains_why(
    client_for, service, commissioning, manager
):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    response = client_for(manager).post(
        reverse("standards:submit", args=[assessment.pk]), follow=True
    )
    assert "Rate “What need does the service address?”" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "draft"


def test_another_organisations_service_and_assessment_are_not_found(
    client_for, other_service, service, commissioning, manager, make_user, other_provider_org
):
    client = client_for(manager)
    assert client.get(reverse("standards:start", args=[other_service.pk])).status_code == 404
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rating = assessment.ratings.first()
    attachment = services.attachment_add(
        actor=manager, rating=rating, filename="a.pdf", content=PDF
    )
    stranger = client_for(make_user("stranger", Role.PROVIDER_MANAGER, other_provider_org))
    for url in (
        reverse("standards:assessment", args=[assessment.pk]),
        reverse("standards:rating-edit", args=[assessment.pk, rating.pk]),
        reverse("standards:attachment", args=[attachment.pk]),
        reverse("standards:export", args=[assessment.pk, "pdf"]),
    ):
        assert stranger.get(url).status_code == 404, url


def test_attachment_download_is_access_checked_and_served_as_a_download(
    client_for, service, commissioning, manager, commissioner, role_users
):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rate_all(assessment, manager)
    attachment = services.attachment_add(
        actor=manager, rating=assessment.ratings.first(), filename="plan.pdf", content=PDF
    )
    url = reverse("standards:attachment", args=[attachment.pk])
    # A draft is the provider's own: commissioners see it only once submitted.
    assert client_for(commissioner).get(url).status_code == 404
    services.assessment_submit(actor=manager, assessment=assessment)
    response = client_for(commissioner).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert client_for(role_users[Role.REFERRER]).get(url).status_code == 403


def test_assessment_page_shows_automatic_check_proposals_beside_items(
    client_for, reference, make_service, manager
):
    service = make_service(
        "No Partner Support",
        integrated_victim_support="none",
        intervention_type="behaviour_change",
        duration_weeks=12,
    )
    from pathways.standards.models import Checklist

    checklist = Checklist.objects.get(framework__slug="home-office", key="items")
    assessment = services.assessment_start(actor=manager, service=service, checklist=checklist)
    body = (
        client_for(manager)
        .get(reverse("standards:assessment", args=[assessment.pk]))
        .content.decode()
    )
    assert "Automatic check" in body
    assert "The directory records no integrated victim-survivor support." in body
    assert "12 weeks is shorter than the 22 weeks expected" in body
    # A proposal is never applied by itself.
    assert set(assessment.ratings.values_list("status", flat=True)) == {"not_rated"}


def test_compare_two_versions_on_the_service_page(
    client_for, submitted, commissioner, manager, commissioning
):
    agree_all(submitted, commissioner)
    services.assessment_finalise(actor=commissioner, assessment=submitted)
    second = services.assessment_start(
        actor=manager, service=submitted.service, checklist=commissioning
    )
    rate_all(second, manager, overrides={"need": "red"})
    response = client_for(manager).get(
        reverse("standards:service", args=[submitted.service_id]),
        {"first": str(submitted.pk), "second": str(second.pk)},
    )
    assert response.status_code == 200
    assert "Assessment #1 compared with #2" in response.content.decode()
    bad = client_for(manager).get(
        reverse("standards:service", args=[submitted.service_id]),
        {"first": "nope", "second": "nope"},
    )
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()


def test_assessment_list_has_a_constant_number_of_queries(
    client_for, reference, make_service, manager, commissioning, django_assert_num_queries
):
    def add(n):
        for i in range(n):
            s = make_service(f"Listed {Assessment.objects.count()}-{i}")
            services.assessment_start(actor=manager, service=s, checklist=commissioning)

    client = client_for(manager)
    add(2)
    client.get(reverse("standards:assessment-list"))  # warm caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("standards:assessment-list")).status_code == 200
    add(5)
    with django_assert_num_queries(len(few)):
        assert client.get(reverse("standards:assessment-list")).status_code == 200


def test_public_service_page_shows_only_the_per_status_counts(client, settings):
    from pathways.core.demo import load_demo
    from pathways.directory.models import Service

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    load_demo(synthetic_services=2, users=False)
    drive = Service.objects.get(external_ref="cv-drive")
    body = client.get(reverse("public:service", args=[drive.pk])).content.decode()
    assert "Assessment against the standards" in body
    for rating, count in {
        "green": 37,
        "amber": 4,
        "red": 0,
        "not_applicable": 2,
        "not_rated": 1,
    }.items():
        assert f'data-rating="{rating}">{count}<' in body
    assert "IIZUKA" not in body  # findings stay inside Pathways
    assert body.index("Assessment against the standards") < body.index(
        "Where this information comes from"
    )


def test_tier_definition_page_saves_and_rejects_bad_input(
    client_for, reference, commissioner, role_users
):
    client = client_for(commissioner)
    url = reverse("standards:tier-edit", args=["west-yorkshire"])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"title": "", "high__min_duration_weeks": "lots"})
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()
    ok = client.post(
        url,
        {
            "title": "WY tiers",
            "high__requires_intensive_case_management": "on",
            "high__min_duration_weeks": "26",
            "medium__accepted_referral_routes": ["police"],
        },
    )
    assert ok.status_code == 302
    assert AuditEvent.objects.filter(object_type="risk_tier_definition").exists()
    page = client_for(role_users[Role.ANALYST]).get(
        reverse("standards:tier-detail", args=["west-yorkshire"])
    )
    assert page.status_code == 200 and "WY tiers" in page.content.decode()
    assert client_for(role_users[Role.ANALYST]).get(url).status_code == 403


def test_every_standards_page_renders_with_the_demo_data(client_for, settings, role_users):
    from pathways.core.demo import load_demo
    from pathways.directory.models import Service

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    load_demo(synthetic_services=2, users=False)
    drive = Assessment.objects.get(service__external_ref="cv-drive")
    urls = [
        reverse("standards:index"),
        reverse("standards:framework", args=["vawdasv"]),
        reverse("standards:framework-edition", args=["home-office", "2023"]),
        reverse("standards:assessment-list"),
        reverse("standards:assessment-list") + "?status=finalised",
        reverse("standards:overdue"),
        reverse("standards:assessment", args=[drive.pk]),
        reverse("standards:service", args=[Service.objects.get(external_ref="cv-drive").pk]),
        reverse("standards:tier-list"),
        reverse("standards:tier-detail", args=["west-yorkshire"]),
    ]
    drive_pages = set(urls[6:8])  # Drive is not the test provider manager's service
    for role in (Role.COMMISSIONER, Role.ANALYST, Role.ADMIN, Role.PROVIDER_MANAGER):
        client = client_for(role_users[role])
        for url in urls:
            hidden = role == Role.PROVIDER_MANAGER and url in drive_pages
            assert client.get(url).status_code == (404 if hidden else 200), (role, url)
    body = (
        client_for(role_users[Role.COMMISSIONER])
        .get(reverse("standards:assessment", args=[drive.pk]))
        .content.decode()
    )
    assert "Trans-theoretical" in body or "trans-theoretical" in body
    assert "Automatic check" in body  # 5.i+5.iii and 11.iv carry checks


# --- Commissioner assessments and sending back ------------------------------------------


def test_commissioner_assesses_any_service_and_finalises_it_in_pages(
    client_for, other_service, commissioning, commissioner, role_users
):
    client = client_for(commissioner)
    index = client.get(reverse("standards:index"), {"q": "Elsewhere"}).content.decode()
    assert "Assess a service yourself" in index
    assert reverse("standards:service", args=[other_service.pk]) in index
    service_page = client.get(reverse("standards:service", args=[other_service.pk]))
    assert "Start a commissioner assessment" in service_page.content.decode()
    start = client.get(reverse("standards:start", args=[other_service.pk]))
    assert start.status_code == 200 and "Commissioner assessment" in start.content.decode()
    response = client.post(
        reverse("standards:start", args=[other_service.pk]), {"checklist": commissioning.pk}
    )
    assessment = Assessment.objects.get(service=other_service)
    assert response.status_code == 302 and assessment.kind == "commissioner"
    body = client.get(reverse("standards:assessment", args=[assessment.pk])).content.decode()
    assert "A commissioner (independent assessment)" in body
    assert "Finalise the assessment" in body and "Submit for review" not in body
    assert (
        "Commissioner assessments in progress"
        in client.get(reverse("standards:index")).content.decode()
    )
    for rating in assessment.ratings.all():
        url = reverse("standards:rating-edit", args=[assessment.pk, rating.pk])
        assert client.post(url, {"status": "green"}).status_code == 302
    # Submitting is the provider's step; the commissioner finalises directly.
    assert client.post(reverse("standards:submit", args=[assessment.pk])).status_code == 403
    assert client.post(reverse("standards:finalise", args=[assessment.pk])).status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == "finalised" and assessment.outcome == "meets"
    # The analyst saw nothing while it was a draft and sees it now.
    analyst = client_for(role_users[Role.ANALYST])
    assert analyst.get(reverse("standards:assessment", args=[assessment.pk])).status_code == 200


def test_start_is_refused_to_analysts_and_other_organisations_managers(
    client_for, service, other_service, commissioning, role_users, manager
):
    analyst = client_for(role_users[Role.ANALYST])
    url = reverse("standards:start", args=[service.pk])
    assert analyst.get(url).status_code == 403
    assert analyst.post(url, {"checklist": commissioning.pk}).status_code == 403
    client = client_for(manager)
    other = reverse("standards:start", args=[other_service.pk])
    assert client.get(other).status_code == 404
    assert client.post(other, {"checklist": commissioning.pk}).status_code == 404
    page = client.get(reverse("standards:service", args=[service.pk])).content.decode()
    assert "Start a self-assessment" in page and "commissioner assessment" not in page
    assert not Assessment.objects.exists()


def test_provider_cannot_finalise_review_or_send_back_through_pages(client_for, submitted, manager):
    client = client_for(manager)
    rating = submitted.ratings.first()
    assert client.post(reverse("standards:finalise", args=[submitted.pk])).status_code == 403
    assert client.get(reverse("standards:return", args=[submitted.pk])).status_code == 403
    assert (
        client.post(
            reverse("standards:rating-review", args=[submitted.pk, rating.pk]),
            {"decision": "agreed"},
        ).status_code
        == 403
    )
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_commissioner_cannot_rate_a_providers_draft(
    client_for, service, commissioning, manager, commissioner
):
    draft = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    rating = draft.ratings.first()
    url = reverse("standards:rating-edit", args=[draft.pk, rating.pk])
    assert client_for(commissioner).post(url, {"status": "red"}).status_code == 404


def test_send_back_needs_a_reason_and_the_provider_sees_it(
    client_for, submitted, commissioner, manager
):
    client = client_for(commissioner)
    page = client.get(reverse("standards:assessment", args=[submitted.pk])).content.decode()
    assert "Send back to the provider" in page
    url = reverse("standards:return", args=[submitted.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"reason": "  "})
    assert bad.status_code == 400
    assert "Enter the reason for sending it back" in bad.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
    assert client.post(url, {"reason": "Attach the costing"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "draft"
    assert client.get(url).status_code == 404  # a draft is the provider's own again
    body = (
        client_for(manager)
        .get(reverse("standards:assessment", args=[submitted.pk]))
        .content.decode()
    )
    assert "Sent back by a commissioner" in body and "Attach the costing" in body
    assert "Submit for review" in body
