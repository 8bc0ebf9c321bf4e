"""Directory imports: CSV, XLSX and ORUK JSON; all-or-nothing; idempotent; the pages."""

from __future__ import annotations

import csv
import io
import json
import threading
import zipfile

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.directory import exports, imports, tasks
from pathways.directory import services as directory_services
from pathways.directory.models import (
    ImportJob,
    ImportStatus,
    Organisation,
    ProvenanceSource,
    Service,
    ServiceClaim,
    ServiceVersion,
)

IMPORT_URL = reverse("directory:import")

GOOD_ROW = {
    "external_ref": "imp-1",
    "organisation": "Northbrook Change Trust",
    "name": "Respect Group Northbrook",
    "description": "A 26-week group programme.",
    "url": "https://example.org/respect",
    "email": "referrals@example.org",
    "phone": "0113 496 0000",
    "status": "active",
    "delivery_status": "running",
    "intervention_type": "behaviour_change",
    "suite_tier": "medium_risk",
    "areas": "leeds; bradford",
    "abuse_types": "DA; stalking",
    "referral_routes": "self; police",
    "delivery_formats": "group",
    "min_age": "18",
    "max_age": "",
    "languages": "en; ur",
    "capacity_status": "open",
    "waiting_weeks": "4",
    "self_referral_max_percent": "40",
    "exclusion_criteria": "acute-mental-health-crisis; Denies-All-Abuse",
    "duration_weeks": "26",
    "integrated_victim_support": "partner",
    "cost_per_user": "1250.00",
    "funding_source": "PCC",
    "funding_ends": "2027-03-31",
    "accreditation": "Respect accredited",
    "visible_from": "",
    "visible_to": "",
    "risk_high": "no",
    "risk_medium": "yes",
    "risk_medium_evidence": "evidenced",
    "risk_standard": "unknown",
    "self_referral": "yes",
}


def row(**changes: str) -> dict[str, str]:
    return {**GOOD_ROW, **changes}


def csv_bytes(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    header = header or list(GOOD_ROW)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def xlsx_bytes(rows: list[dict[str, str]], header: list[str] | None = None) -> bytes:
    header = header or list(GOOD_ROW)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for item in rows:
        sheet.append([item.get(name, "") for name in header])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content: bytes, name: str = "services.csv", **data):
    file = io.BytesIO(content)
    file.name = name
    form = {"format": "detect", "provenance_source": ProvenanceSource.QUESTIONNAIRE, **data}
    return client.post(IMPORT_URL, {"file": file, **form})


def latest_job() -> ImportJob:
    return ImportJob.objects.order_by("-created_at").first()


def counts() -> dict[str, int]:
    return {
        "services": Service.objects.count(),
        "versions": ServiceVersion.objects.count(),
        "organisations": Organisation.objects.count(),
        "claims": ServiceClaim.objects.count(),
    }


def run_job(
    user, content: bytes, fmt: str, source: str = ProvenanceSource.DESK_REVIEW
) -> ImportJob:
    job = imports.import_job_create(
        actor=user, filename=f"file.{fmt}", fmt=fmt, content=content, provenance_source=source
    )
    return imports.import_job_run(job_id=job.pk)


@pytest.fixture
def commissioner(role_users):
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def curator_client(client_for, commissioner):
    return client_for(commissioner)


# --- Happy paths ----------------------------------------------------------------------------


def test_csv_upload_creates_services_with_claims_areas_terms_and_provenance(
    reference, curator_client
):
    content = csv_bytes([row(), row(external_ref="imp-2", name="Second Service", areas="leeds")])

    response = upload(curator_client, content, provenance_detail="Provider questionnaire 2026")

    job = latest_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:import-job", args=[job.pk])
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.total_rows, job.processed_rows, job.created_count, job.updated_count) == (
        2,
        2,
        2,
        0,
    )
    service = Service.objects.get(external_ref="imp-1")
    assert service.organisation.name == "Northbrook Change Trust"
    assert service.suite_tier == "medium_risk"
    assert service.min_age == 18 and service.max_age is None
    assert str(service.cost_per_user) == "1250.00"
    assert service.funding_ends.isoformat() == "2027-03-31"
    assert service.languages == ["en", "ur"]
    assert service.delivery_formats == ["group"]
    assert service.self_referral_max_percent == 40
    assert service.provenance_source == ProvenanceSource.QUESTIONNAIRE
    assert service.provenance_detail == "Provider questionnaire 2026"
    claims = {c.dimension: (c.value, c.evidence_level) for c in service.claims.all()}
    assert claims["risk_medium"] == ("yes", "evidenced")
    assert claims["risk_high"] == ("no", "self_reported")
    assert claims["self_referral"] == ("yes", "self_reported")
    assert "adults" not in claims  # a claim not stated is not stored
    assert sorted(sa.area.slug for sa in service.service_areas.all()) == ["bradford", "leeds"]
    assert sorted(f"{t.taxonomy.slug}:{t.code}" for t in service.taxonomy_terms.all()) == [
        "abuse-types:DA",
        "abuse-types:stalking",
        "delivery-formats:group",
        "exclusion-criteria:acute-mental-health-crisis",
        "exclusion-criteria:denies-all-abuse",  # stored as the taxonomy spells it
        "referral-routes:police",
        "referral-routes:self",
    ]
    assert service.versions.count() == 1
    assert Organisation.objects.filter(name="Northbrook Change Trust").count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT, object_id=str(job.pk)).exists()


def test_xlsx_upload_creates_services(reference, curator_client):
    content = xlsx_bytes([row(), row(external_ref="imp-2", name="Second Service")])

    upload(curator_client, content, name="services.xlsx")

    job = latest_job()
    assert job.format == "xlsx"
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert job.created_count == 2
    service = Service.objects.get(external_ref="imp-2")
    assert service.name == "Second Service"
    assert service.waiting_weeks == 4
    assert {c.dimension: c.value for c in service.claims.all()}["risk_medium"] == "yes"


def test_xlsx_typed_cells_are_read_as_people_typed_them(reference, commissioner):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["organisation", "name", "min_age", "funding_ends", "cost_per_user", "is_virtual"])
    sheet.append(["Org", "Typed cells", 18, timezone.datetime(2027, 3, 31), 99.5, True])
    buffer = io.BytesIO()
    workbook.save(buffer)

    job = run_job(commissioner, buffer.getvalue(), "xlsx")

    assert job.status == ImportStatus.SUCCEEDED, job.errors
    service = Service.objects.get(name="Typed cells")
    assert (service.min_age, service.funding_ends.isoformat(), str(service.cost_per_user)) == (
        18,
        "2027-03-31",
        "99.50",
    )
    assert service.is_virtual is True


def test_row_with_existing_external_ref_updates_the_service_and_writes_a_new_version(
    reference, commissioner
):
    run_job(commissioner, csv_bytes([row()]), "csv")
    service = Service.objects.get(external_ref="imp-1")

    job = run_job(commissioner, csv_bytes([row(suite_tier="high_harm", risk_high="yes")]), "csv")

    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.SUCCEEDED, 0, 1)
    service.refresh_from_db()
    assert service.suite_tier == "high_harm"
    assert service.claims.get(dimension="risk_high").value == "yes"
    assert Service.objects.filter(external_ref="imp-1").count() == 1
    latest = service.versions.order_by("-number").first()
    assert latest.number == 2
    assert latest.snapshot["suite_tier"] == "high_harm"
    assert "suite_tier" in latest.summary


def test_row_with_pathways_id_updates_a_service_that_has_no_external_ref(
    make_service, commissioner
):
    service = make_service("No Ref Service")
    header = ["id", "organisation", "name", "phone"]
    content = csv_bytes(
        [{"id": str(service.pk), "organisation": "", "name": "No Ref Service", "phone": "0800"}],
        header,
    )

    job = run_job(commissioner, content, "csv")

    assert job.updated_count == 1, job.errors
    service.refresh_from_db()
    assert service.phone == "0800"
    assert service.suite_tier == "not_stated"  # columns not in the file are left alone


def test_importing_the_same_file_twice_changes_nothing_the_second_time(reference, commissioner):
    content = csv_bytes([row(), row(external_ref="imp-2", name="Second")])
    run_job(commissioner, content, "csv")
    before = counts()

    job = run_job(commissioner, content, "csv")

    assert (job.status, job.created_count, job.updated_count) == (ImportStatus.SUCCEEDED, 0, 0)
    assert counts() == before


def test_reimport_with_a_confirming_source_confirms_records_without_duplicates(
    reference, commissioner
):
    content = csv_bytes([row()])
    run_job(commissioner, content, "csv")
    service = Service.objects.get(external_ref="imp-1")
    assert service.confirmed_at is None

    job = run_job(commissioner, content, "csv", source=ProvenanceSource.PROVIDER_CONFIRMED)

    service.refresh_from_db()
    assert job.updated_count == 1
    assert service.confirmed_at is not None
    assert Service.objects.filter(external_ref="imp-1").count() == 1


def test_changing_a_claim_value_resets_its_evidence_unless_the_file_gives_one(
    reference, commissioner
):
    run_job(
        commissioner, csv_bytes([row(risk_medium="yes", risk_medium_evidence="verified")]), "csv"
    )
    claim = ServiceClaim.objects.get(service__external_ref="imp-1", dimension="risk_medium")
    assert (claim.value, claim.evidence_level) == ("yes", "verified")

    run_job(commissioner, csv_bytes([row(risk_medium="no", risk_medium_evidence="")]), "csv")

    claim.refresh_from_db()
    assert (claim.value, claim.evidence_level) == ("no", "self_reported")


# --- All or nothing -------------------------------------------------------------------------


def test_one_bad_row_among_good_ones_writes_nothing_and_names_its_line_and_column(
    reference, curator_client, make_service
):
    make_service("Already There")
    before = counts()
    content = csv_bytes(
        [
            row(external_ref="ok-1", organisation="Brand New Org"),
            row(external_ref="bad-1", suite_tier="highrisk"),
            row(external_ref="ok-2"),
        ]
    )

    upload(curator_client, content)

    job = latest_job()
    assert job.status == ImportStatus.FAILED
    assert (job.created_count, job.updated_count) == (0, 0)
    assert counts() == before
    assert not Organisation.objects.filter(name="Brand New Org").exists()
    assert len(job.errors) == 1
    error = job.errors[0]
    assert (error["row"], error["field"]) == (3, "suite_tier")
    assert error["message"].startswith("'highrisk' is not one of preventative, early_intervention")
    assert str(imports.RowError(**error)).startswith("Row 3, suite_tier: 'highrisk' is not one of")


def test_a_bad_row_in_an_update_leaves_the_existing_service_unchanged(reference, commissioner):
    run_job(commissioner, csv_bytes([row()]), "csv")
    before = counts()

    job = run_job(
        commissioner,
        csv_bytes([row(name="Renamed"), row(external_ref="new", min_age="30", max_age="20")]),
        "csv",
    )

    assert job.status == ImportStatus.FAILED
    assert counts() == before
    assert Service.objects.get(external_ref="imp-1").name == GOOD_ROW["name"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"areas": "leeds; atlantis"}, "areas", "'atlantis' is not an area slug Pathways knows"),
        ({"risk_high": "maybe"}, "risk_high", "'maybe' is not one of yes, no, unknown or blank"),
        ({"min_age": "30", "max_age": "18"}, "max_age", "18 is less than min_age (30)"),
        (
            {"funding_ends": "31/03/2027"},
            "funding_ends",
            "'31/03/2027' is not a date in the form YYYY-MM-DD",
        ),
        ({"funding_ends": "2027-02-30"}, "funding_ends", "'2027-02-30' is not a real date"),
        ({"name": ""}, "name", "Enter the name of the service"),
        ({"abuse_types": "DA; XX"}, "abuse_types", "'XX' is not one of DA, SV, CSE"),
        (
            {"exclusion_criteria": "denies-all-abuse; smoking"},
            "exclusion_criteria",
            "'smoking' is not one of untreated-substance-dependency, acute-mental-health-crisis",
        ),
        ({"self_referral_max_percent": "0"}, "self_referral_max_percent", "0 is less than 1"),
        (
            {"self_referral_max_percent": "101"},
            "self_referral_max_percent",
            "101 is more than 100",
        ),
        (
            {"self_referral_max_percent": "40%"},
            "self_referral_max_percent",
            "'40%' is not a whole number",
        ),
        ({"email": "not-an-email"}, "email", "'not-an-email' is not an email address"),
        ({"url": "example.org"}, "url", "is not a web address starting with http"),
        ({"min_age": "eighteen"}, "min_age", "'eighteen' is not a whole number"),
        ({"cost_per_user": "12.345"}, "cost_per_user", "has more than 2 decimal places"),
        ({"risk_medium_evidence": "certain"}, "risk_medium_evidence", "'certain' is not one of"),
        ({"languages": "English"}, "languages", "'English' is not a language code"),
        ({"organisation": ""}, "organisation", "Enter the organisation that runs the service"),
        ({"external_ref": "EXAMPLE"}, "external_ref", "example row"),
    ],
)
def test_each_kind_of_bad_cell_is_reported_with_row_column_and_plain_message(
    reference, commissioner, changes, field, message
):
    before = counts()

    job = run_job(commissioner, csv_bytes([row(external_ref="fine"), row(**changes)]), "csv")

    assert job.status == ImportStatus.FAILED
    assert counts() == before
    matching = [e for e in job.errors if e["field"] == field]
    assert matching, job.errors
    assert matching[0]["row"] == 3
    assert message in matching[0]["message"]


def test_every_error_in_the_file_is_recorded_not_just_the_first(reference, commissioner):
    content = csv_bytes(
        [
            row(external_ref="a", areas="nowhere"),
            row(external_ref="b"),
            row(external_ref="c", risk_high="perhaps", funding_ends="soon"),
            row(external_ref="d", name=""),
        ]
    )

    job = run_job(commissioner, content, "csv")

    assert [(e["row"], e["field"]) for e in job.errors] == [
        (2, "areas"),
        (4, "funding_ends"),
        (4, "risk_high"),
        (5, "name"),
    ]


def test_row_numbers_are_file_lines_even_when_a_cell_spans_lines(reference, commissioner):
    content = csv_bytes(
        [row(external_ref="a", description="Line one\nLine two\nLine three"), row(suite_tier="x")]
    )

    job = run_job(commissioner, content, "csv")

    assert [(e["row"], e["field"]) for e in job.errors] == [(5, "suite_tier")]


def test_the_same_service_twice_in_one_file_is_an_error(reference, commissioner):
    job = run_job(commissioner, csv_bytes([row(), row()]), "csv")

    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["row"] == 3
    assert "also on row 2" in job.errors[0]["message"]


def test_unknown_and_missing_columns_are_reported_against_the_header(reference, commissioner):
    content = csv_bytes([{"name": "x", "suite tier": "x", "colour": "red"}], ["name", "colour"])

    job = run_job(commissioner, content, "csv")

    assert {(e["row"], e["field"]) for e in job.errors} == {(1, "colour"), (1, "organisation")}
    assert Service.objects.count() == 0


def test_a_csv_separated_by_semicolons_gets_a_clear_message(reference, commissioner):
    job = run_job(commissioner, b"organisation;name\nOrg;Service\n", "csv")

    assert [(e["row"], e["field"]) for e in job.errors][0] == (1, "header")
    assert "separated by semicolons" in job.errors[0]["message"]


def test_an_import_cannot_move_a_service_to_another_organisation(reference, commissioner):
    run_job(commissioner, csv_bytes([row()]), "csv")

    job = run_job(commissioner, csv_bytes([row(organisation="Someone Else")]), "csv")

    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["field"] == "organisation"
    assert "cannot move a service" in job.errors[0]["message"]


def test_a_deleted_service_is_not_updated_by_import(reference, commissioner):
    run_job(commissioner, csv_bytes([row()]), "csv")
    # Soft delete as the curation service does; only deleted_at matters here.
    Service.objects.filter(external_ref="imp-1").update(deleted_at=timezone.now())

    job = run_job(commissioner, csv_bytes([row(name="Back again")]), "csv")

    assert job.status == ImportStatus.FAILED
    assert "deleted" in job.errors[0]["message"]


def test_progress_is_reported_in_batches_while_rows_are_checked(reference):
    content = csv_bytes([row(external_ref=f"p-{n}", name=f"S{n}") for n in range(120)])
    seen: list[tuple[int, int]] = []

    result = imports.check_file(
        content,
        "csv",
        source="desk_review",
        progress=lambda done, total: seen.append((done, total)),
    )

    assert not result.errors
    assert 1 < len(seen) <= imports.PROGRESS_STEPS + 1
    assert seen == sorted(seen)
    assert seen[-1] == (120, 120)


# --- Uploads --------------------------------------------------------------------------------


def test_upload_without_a_file_asks_for_one(curator_client):
    response = curator_client.post(
        IMPORT_URL, {"format": "detect", "provenance_source": "desk_review"}
    )

    assert response.status_code == 400
    assert "Select a file to import" in response.content.decode()
    assert 'class="govuk-error-summary"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_oversize_upload_is_rejected(settings, curator_client):
    content = b"name,organisation\n" + b"x" * settings.PATHWAYS_IMPORT_MAX_BYTES

    response = upload(curator_client, content)

    assert response.status_code == 400
    assert "The selected file must be smaller than 10MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def _zip_that_is_not_a_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "services.csv"),
        (b"%PDF-1.7\n\x00\x01binary", "services.xlsx"),
        (b"PK\x03\x04 this is not really a zip", "services.xlsx"),
        (_zip_that_is_not_a_workbook(), "services.xlsx"),
        (b"{ not json", "services.json"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "old-excel.xls"),
    ],
    ids=["png", "pdf", "fake-zip", "word-document", "broken-json", "xls"],
)
def test_upload_that_is_not_csv_xlsx_or_json_by_content_is_rejected(curator_client, content, name):
    response = upload(curator_client, content, name=name)

    assert response.status_code == 400
    assert "The selected file must be a CSV, XLSX or JSON file" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_file_type_comes_from_content_not_the_name(reference, curator_client):
    upload(curator_client, xlsx_bytes([row()]), name="actually-a-workbook.csv")

    job = latest_job()
    assert job.format == "xlsx"
    assert job.status == ImportStatus.SUCCEEDED


def test_a_chosen_format_must_match_the_file(curator_client):
    response = upload(curator_client, csv_bytes([row()]), format="xlsx")

    assert response.status_code == 400
    assert "The selected file must be an XLSX file" in response.content.decode()


def test_empty_upload_is_rejected(curator_client):
    response = upload(curator_client, b"")

    assert response.status_code == 400
    assert "The selected file is empty" in response.content.decode()


# --- ORUK JSON ------------------------------------------------------------------------------


def _oruk_service(**changes):
    service = {
        "id": "5f0b7a1c-0000-4000-8000-000000000001",
        "name": "Feed Service",
        "description": "From another directory.",
        "url": "https://feed.example.org/service",
        "email": "hello@feed.example.org",
        "status": "active",
        "organization": {"id": "org-1", "name": "Feed Org"},
        "service_areas": [{"name": "Leeds"}, {"service_area": "bradford"}],
        "phones": [{"number": "0113 000 0000"}],
        "attributes": [
            {"taxonomy_term": {"term": "DA", "taxonomy": "Abuse types"}},
            {"taxonomy_term": {"code": "police", "vocabulary": "referral-routes"}},
            {"taxonomy_term": {"code": "NOT-OURS", "vocabulary": "esd"}},
        ],
    }
    service.update(changes)
    return service


def test_oruk_json_list_imports_services_with_areas_and_matching_terms(reference, curator_client):
    content = json.dumps([_oruk_service()]).encode()

    upload(curator_client, content, name="feed.json")

    job = latest_job()
    assert job.format == "oruk_json"
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    service = Service.objects.get(name="Feed Service")
    assert service.external_ref == "5f0b7a1c-0000-4000-8000-000000000001"
    assert (service.email, service.url, service.phone) == (
        "hello@feed.example.org",
        "https://feed.example.org/service",
        "0113 000 0000",
    )
    assert service.organisation.name == "Feed Org"
    assert sorted(sa.area.slug for sa in service.service_areas.all()) == ["bradford", "leeds"]
    assert sorted(f"{t.taxonomy.slug}:{t.code}" for t in service.taxonomy_terms.all()) == [
        "abuse-types:DA",
        "referral-routes:police",
    ]


def test_oruk_paged_envelope_is_imported_and_reimport_changes_nothing(reference, commissioner):
    payload = {
        "total_items": 2,
        "page_number": 1,
        "contents": [
            _oruk_service(),
            _oruk_service(id="feed-2", name="Second Feed Service", status="temporarily closed"),
        ],
    }
    content = json.dumps(payload).encode()

    first = run_job(commissioner, content, "oruk_json")
    before = counts()
    second = run_job(commissioner, content, "oruk_json")

    assert (first.status, first.created_count) == (ImportStatus.SUCCEEDED, 2)
    assert Service.objects.get(external_ref="feed-2").status == "temporarily closed"
    assert (second.created_count, second.updated_count) == (0, 0)
    assert counts() == before


def test_oruk_errors_name_the_service_position_and_field(reference, commissioner):
    content = json.dumps(
        [_oruk_service(), _oruk_service(id="x", status="open", service_areas=[{"name": "Narnia"}])]
    ).encode()

    job = run_job(commissioner, content, "oruk_json")

    assert job.status == ImportStatus.FAILED
    assert {(e["row"], e["field"]) for e in job.errors} == {(2, "status"), (2, "service_areas")}
    assert Service.objects.count() == 0


def test_json_that_is_not_oruk_shaped_fails_with_a_file_error(reference, commissioner):
    job = run_job(commissioner, json.dumps({"services": []}).encode(), "oruk_json")

    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["field"] == "file"
    assert "Open Referral UK" in job.errors[0]["message"]


# --- Self-referral quota and exclusion criteria ---------------------------------------------


def _criteria(service: Service) -> set[str]:
    return set(
        service.taxonomy_terms.filter(taxonomy__slug="exclusion-criteria").values_list(
            "code", flat=True
        )
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"exclusion_criteria": "denies-all-abuse; no-such-code"},
        {"self_referral_max_percent": "0"},
        {"self_referral_max_percent": "150"},
    ],
)
def test_a_bad_quota_or_criterion_fails_the_import_and_changes_nothing(
    reference, commissioner, bad
):
    run_job(commissioner, csv_bytes([row()]), "csv")
    service = Service.objects.get(external_ref="imp-1")
    before = counts()

    changed = row(self_referral_max_percent="25", exclusion_criteria="sexual-offence-conviction")
    job = run_job(commissioner, csv_bytes([changed, row(external_ref="imp-2", **bad)]), "csv")

    assert job.status == ImportStatus.FAILED
    [field] = bad
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, field)]
    assert counts() == before
    service.refresh_from_db()
    assert service.self_referral_max_percent == 40
    assert _criteria(service) == {"acute-mental-health-crisis", "denies-all-abuse"}


def test_the_exclusion_criteria_column_replaces_only_those_terms(reference, commissioner):
    run_job(commissioner, csv_bytes([row()]), "csv")
    service = Service.objects.get(external_ref="imp-1")
    header = ["external_ref", "organisation", "name", "exclusion_criteria"]
    content = csv_bytes([row(exclusion_criteria="current-da-proceedings")], header)

    job = run_job(commissioner, content, "csv")

    assert job.updated_count == 1, job.errors
    assert _criteria(service) == {"current-da-proceedings"}
    assert set(
        service.taxonomy_terms.filter(taxonomy__slug="abuse-types").values_list("code", flat=True)
    ) == {"DA", "stalking"}
    service.refresh_from_db()
    assert service.self_referral_max_percent == 40  # its column is not in the file

    blank = run_job(commissioner, csv_bytes([row(exclusion_criteria="")], header), "csv")
    assert blank.updated_count == 1, blank.errors
    assert _criteria(service) == set()


# --- Round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "oruk_json"])
def test_exported_directory_imports_back_with_no_changes_or_duplicates(
    make_service, commissioner, fmt
):
    make_service(
        "Round Trip One",
        claims={
            "risk_high": {"value": "yes", "evidence_level": "verified"},
            "adults": {"value": "unknown"},
        },
        terms=(
            "abuse-types:DA",
            "referral-routes:self",
            "delivery-formats:group",
            "exclusion-criteria:acute-mental-health-crisis",
            "exclusion-criteria:current-da-proceedings",
        ),
        areas=("leeds", "bradford"),
        description="=SUM(A1:A2) is not a formula\nsecond line",
        phone="+44 113 496 0000",
        min_age=16,
        languages=["en", "cy"],
        cost_per_user="99.90",
        delivery_formats=["group"],
        self_referral_max_percent=40,
    )
    directory_services.service_create(
        organisation=Organisation.objects.get(name="Provider One"),
        data={"name": "Round Trip Two", "visible_to": timezone.localdate()},
        external_ref="rt-2",
        actor=None,
        source=ProvenanceSource.PUBLISHED_MAPPING,
    )
    export = exports.directory_export(actor=commissioner, fmt=fmt)
    content = export.content if isinstance(export.content, bytes) else b"".join(export.content)
    before = counts()
    snapshots = {
        s.pk: s.versions.order_by("-number").first().snapshot for s in Service.objects.all()
    }

    job = run_job(commissioner, content, fmt)

    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert (job.total_rows, job.created_count, job.updated_count) == (2, 0, 0)
    assert counts() == before
    for service in Service.objects.all():
        assert service.versions.order_by("-number").first().snapshot == snapshots[service.pk]


def test_an_edited_export_updates_only_what_changed(make_service, commissioner):
    service = make_service("Editable", suite_tier="medium_risk")
    make_service("Untouched")
    export = exports.directory_export(actor=commissioner, fmt="csv")
    lines = list(csv.DictReader(io.StringIO(b"".join(export.content).decode("utf-8-sig"))))
    for line in lines:
        if line["name"] == "Editable":
            line["suite_tier"] = "high_harm"

    job = run_job(commissioner, csv_bytes(lines, list(imports.COLUMN_NAMES)), "csv")

    assert (job.created_count, job.updated_count) == (0, 1), job.errors
    service.refresh_from_db()
    assert service.suite_tier == "high_harm"
    assert service.versions.order_by("-number").first().summary.endswith("suite_tier")


# --- Template -------------------------------------------------------------------------------


def test_csv_template_has_the_layout_and_a_marked_example_row(reference, curator_client):
    response = curator_client.get(reverse("directory:import-template"), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(lines[0]) == imports.COLUMN_NAMES
    example = dict(zip(lines[0], lines[1], strict=True))
    assert example["external_ref"] == imports.EXAMPLE_REF
    assert "example" in example["name"].lower()
    assert len(lines) == 2


def test_xlsx_template_has_guidance_areas_and_codes_sheets(reference, curator_client):
    response = curator_client.get(reverse("directory:import-template"), {"format": "xlsx"})

    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert workbook.sheetnames == ["Services", "Guidance", "Areas", "Codes"]
    header = next(workbook["Services"].iter_rows(values_only=True))
    assert tuple(header) == imports.COLUMN_NAMES
    guidance = [r[0] for r in workbook["Guidance"].iter_rows(values_only=True)]
    assert "suite_tier" in guidance


def test_the_template_example_row_is_refused_if_left_in(reference, commissioner):
    template = exports.import_template(actor=commissioner, fmt="xlsx")

    job = run_job(commissioner, template.content, "xlsx")

    assert job.status == ImportStatus.FAILED
    assert [(e["row"], e["field"]) for e in job.errors] == [(2, "external_ref")]
    assert Service.objects.count() == 0


# --- Job pages and background running -------------------------------------------------------


def test_failed_job_page_lists_errors_with_pagination(reference, curator_client):
    content = csv_bytes([row(external_ref=f"e{n}", suite_tier="bad") for n in range(60)])
    upload(curator_client, content)
    job = latest_job()
    url = reverse("directory:import-job", args=[job.pk])

    first = curator_client.get(url).content.decode()
    second = curator_client.get(url, {"page": 2}).content.decode()

    assert "60 problems found" in first
    assert "Nothing was imported" in first
    assert first.count("&#x27;bad&#x27; is not one of") == 50
    assert second.count("&#x27;bad&#x27; is not one of") == 10
    assert 'class="govuk-pagination"' in first


def test_running_job_page_polls_with_htmx_and_has_a_refresh_link(
    reference, curator_client, commissioner
):
    job = imports.import_job_create(
        actor=commissioner,
        filename="slow.csv",
        fmt="csv",
        content=csv_bytes([row()]),
        provenance_source="desk_review",
    )
    page_url = reverse("directory:import-job", args=[job.pk])
    progress_url = reverse("directory:import-job-progress", args=[job.pk])

    page = curator_client.get(page_url).content.decode()
    partial = curator_client.get(progress_url, headers={"HX-Request": "true"})

    assert f'hx-get="{progress_url}"' in page
    assert 'hx-trigger="every 1s"' in page
    assert f'href="{page_url}"' in page and "Refresh this page" in page
    assert "<html" not in partial.content.decode()
    assert f'hx-get="{progress_url}"' in partial.content.decode()
    assert "HX-Refresh" not in partial


def test_finished_job_progress_stops_polling_and_reloads_the_page(reference, curator_client):
    upload(curator_client, csv_bytes([row()]))
    job = latest_job()
    progress_url = reverse("directory:import-job-progress", args=[job.pk])

    partial = curator_client.get(progress_url, headers={"HX-Request": "true"})
    plain = curator_client.get(progress_url)

    assert partial["HX-Refresh"] == "true"
    assert "hx-get" not in partial.content.decode()
    assert plain.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_without_eager_tasks_the_job_runs_in_a_background_thread_after_commit(
    settings, reference, curator_client, monkeypatch
):
    settings.TASKS_EAGER = False
    started: list[threading.Thread] = []
    real_start = tasks._start_thread

    def spy(job_id):
        thread = real_start(job_id)
        started.append(thread)
        return thread

    monkeypatch.setattr(tasks, "_start_thread", spy)

    upload(curator_client, csv_bytes([row()]))
    for thread in started:
        thread.join(timeout=30)

    assert len(started) == 1
    job = latest_job()
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert Service.objects.filter(external_ref="imp-1").exists()


def test_a_crash_marks_the_job_failed_instead_of_leaving_it_running(
    reference, commissioner, monkeypatch
):
    job = imports.import_job_create(
        actor=commissioner,
        filename="f.csv",
        fmt="csv",
        content=csv_bytes([row()]),
        provenance_source="desk_review",
    )

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "check_file", explode)
    tasks.import_job_execute(job.pk)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "stopped unexpectedly" in job.errors[0]["message"]


# --- Who may import -------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["directory:import", "directory:import-template"])
def test_analyst_cannot_use_import_pages(role_users, client_for, url_name):
    response = client_for(role_users[Role.ANALYST]).get(reverse(url_name))

    assert response.status_code == 403


def test_analyst_cannot_upload(role_users, client_for):
    response = upload(client_for(role_users[Role.ANALYST]), csv_bytes([row()]))

    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.ADMIN])
def test_curators_can_open_the_import_page(role_users, client_for, role):
    response = client_for(role_users[role]).get(IMPORT_URL)

    assert response.status_code == 200
    assert "Import services" in response.content.decode()


def test_import_jobs_are_not_found_for_non_curators(reference, role_users, commissioner):
    job = run_job(commissioner, csv_bytes([row()]), "csv")

    for role in (Role.ANALYST, Role.PROVIDER_MANAGER, Role.TRIAGE):
        with pytest.raises(Http404):
            imports.import_job_get_for_user(user=role_users[role], job_id=job.pk)
    assert imports.import_job_get_for_user(user=role_users[Role.ADMIN], job_id=job.pk) == job


@pytest.mark.django_db
def test_job_cut_off_by_a_restart_is_shown_as_failed_not_running_for_ever(client_for, role_users):
    from django.utils import timezone

    from pathways.accounts.models import Role
    from pathways.directory.imports import IMPORT_STALL_AFTER, import_job_get_for_user
    from pathways.directory.models import ImportJob, ImportStatus

    commissioner = role_users[Role.COMMISSIONER]
    job = ImportJob.objects.create(
        created_by=commissioner,
        format="csv",
        filename="a.csv",
        content=b"",
        status=ImportStatus.RUNNING,
    )
    assert import_job_get_for_user(user=commissioner, job_id=job.pk).status == ImportStatus.RUNNING
    ImportJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - IMPORT_STALL_AFTER - timezone.timedelta(minutes=1)
    )
    page = client_for(commissioner).get(f"/directory/import/{job.pk}/")
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "interrupted" in page.content.decode()
