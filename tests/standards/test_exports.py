"""PDF and XLSX of an assessment, in the commissioners' layout, and every export audited."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from pathways.audit.models import AuditEvent
from pathways.standards import exports, selectors, services

pytestmark = pytest.mark.django_db


def test_pdf_has_item_finding_and_evidence_and_status_columns(submitted):
    assessment = selectors.assessment_get_for_user(
        user=submitted.started_by, assessment_id=submitted.pk
    )
    content = exports.to_pdf(assessment, compress=False)
    assert content.startswith(b"%PDF")
    for text in (b"Finding and evidence", b"Status", b"Amber", b"Evidence: Documents"):
        assert text in content


def test_xlsx_has_one_row_per_item_with_codes_and_statuses(submitted):
    assessment = selectors.assessment_get_for_user(
        user=submitted.started_by, assessment_id=submitted.pk
    )
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(assessment))).active
    rows = [r for r in sheet.iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r[0] == "Codes"))
    items = rows[header + 1 :]
    assert len(items) == 13
    assert [r[5] for r in items].count("Amber") == 1


def test_exports_are_audited_and_refused_to_those_who_cannot_read(
    client_for, submitted, commissioner, manager
):
    for fmt, content_type in exports.CONTENT_TYPES.items():
        response = client_for(commissioner).get(
            reverse("standards:export", args=[submitted.pk, fmt])
        )
        assert response.status_code == 200 and response["Content-Type"] == content_type
        assert response["Content-Disposition"].startswith("attachment")
    events = AuditEvent.objects.filter(action="export", object_type="standards_assessment")
    assert sorted(e.detail["format"] for e in events) == ["pdf", "xlsx"]
    assert (
        client_for(commissioner)
        .get(reverse("standards:export", args=[submitted.pk, "docx"]))
        .status_code
        == 404
    )


def test_service_layer_refuses_an_export_to_a_stranger(submitted, make_user, other_provider_org):
    from django.core.exceptions import PermissionDenied

    from pathways.accounts.models import Role

    stranger = make_user("stranger", Role.PROVIDER_MANAGER, other_provider_org)
    with pytest.raises(PermissionDenied):
        services.assessment_export(actor=stranger, assessment=submitted, fmt="pdf")
    assert not AuditEvent.objects.filter(action="export").exists()
