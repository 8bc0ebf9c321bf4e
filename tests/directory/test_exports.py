"""Directory exports: CSV, XLSX and ORUK JSON; audited; constant query count; who may export."""

from __future__ import annotations

import csv
import io
import json
from itertools import zip_longest

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.directory import exports, imports
from pathways.directory.models import Service

DOWNLOAD_URL = reverse("directory:export-download")


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def commissioner_client(client_for, role_users):
    return client_for(role_users[Role.COMMISSIONER])


@pytest.fixture
def two_services_and_a_deleted_one(make_service):
    kept = make_service(
        "Alpha Service",
        claims={"risk_high": {"value": "yes", "evidence_level": "evidenced"}},
        terms=("abuse-types:DA", "abuse-types:SV", "referral-routes:police"),
        areas=("leeds", "bradford"),
        suite_tier="high_harm",
        funding_ends=timezone.datetime(2027, 3, 31).date(),
    )
    make_service("Beta Service")
    deleted = make_service("Gone Service")
    # Soft delete as the curation service does; only deleted_at matters to the export.
    Service.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    return kept


def test_csv_export_has_every_service_not_deleted_in_the_import_layout(
    two_services_and_a_deleted_one, commissioner_client
):
    response = commissioner_client.get(DOWNLOAD_URL, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="pathways-directory-' in response["Content-Disposition"]
    content = body(response)
    header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(header) == imports.COLUMN_NAMES
    rows = csv_rows(content)
    assert [r["name"] for r in rows] == ["Alpha Service", "Beta Service"]
    alpha = rows[0]
    assert alpha["id"] == str(two_services_and_a_deleted_one.pk)
    assert alpha["organisation"] == "Provider One"
    assert alpha["areas"] == "bradford; leeds"
    assert alpha["abuse_types"] == "DA; SV"
    assert alpha["referral_routes"] == "police"
    assert alpha["suite_tier"] == "high_harm"
    assert alpha["funding_ends"] == "2027-03-31"
    assert (alpha["risk_high"], alpha["risk_high_evidence"]) == ("yes", "evidenced")
    assert (alpha["risk_medium"], alpha["risk_medium_evidence"]) == ("", "")


def test_xlsx_export_has_the_same_columns_and_typed_cells(
    two_services_and_a_deleted_one, commissioner_client
):
    response = commissioner_client.get(DOWNLOAD_URL, {"format": "xlsx"})

    assert response["Content-Type"] == exports.CONTENT_TYPES["xlsx"]
    workbook = load_workbook(io.BytesIO(body(response)), read_only=True)
    rows = list(workbook["Services"].iter_rows(values_only=True))
    assert tuple(rows[0]) == imports.COLUMN_NAMES
    assert len(rows) == 3
    alpha = dict(zip_longest(rows[0], rows[1]))  # trailing empty cells are not stored
    assert alpha["name"] == "Alpha Service"
    assert alpha["funding_ends"].date().isoformat() == "2027-03-31"
    assert alpha["areas"] == "bradford; leeds"


def test_oruk_json_export_is_a_page_of_oruk_services(
    two_services_and_a_deleted_one, commissioner_client
):
    response = commissioner_client.get(DOWNLOAD_URL, {"format": "oruk_json"})

    payload = json.loads(body(response))
    assert (payload["total_items"], payload["size"], payload["empty"]) == (2, 2, False)
    alpha = payload["contents"][0]
    assert alpha["id"] == str(two_services_and_a_deleted_one.pk)
    assert alpha["organization"]["name"] == "Provider One"
    assert sorted(area["name"] for area in alpha["service_areas"]) == ["Bradford", "Leeds"]
    assert {a["taxonomy_term"]["term"] for a in alpha["attributes"]} == {"DA", "SV", "police"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "oruk_json"])
def test_every_export_writes_an_audit_event_with_format_and_row_count(
    two_services_and_a_deleted_one, role_users, commissioner_client, fmt
):
    body(commissioner_client.get(DOWNLOAD_URL, {"format": fmt}))

    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).get()
    assert event.actor == role_users[Role.COMMISSIONER]
    assert event.detail == {"format": fmt, "rows": 2}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "oruk_json"])
def test_export_query_count_does_not_grow_with_the_number_of_services(
    make_service, commissioner_client, fmt
):
    def queries_for_export() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = commissioner_client.get(DOWNLOAD_URL, {"format": fmt})
            body(response)
        return len(captured)

    def add(count: int) -> None:
        start = Service.objects.count()
        for n in range(start, start + count):
            make_service(
                f"Service {n}",
                claims={"risk_high": {"value": "yes"}, "adults": {"value": "no"}},
                terms=("abuse-types:DA", "referral-routes:self"),
                areas=("leeds", "bradford"),
            )

    add(3)
    with_three = queries_for_export()
    add(27)
    with_thirty = queries_for_export()

    assert with_thirty == with_three


def test_csv_export_defuses_spreadsheet_formulas_and_import_restores_the_text(
    make_service, role_users
):
    commissioner = role_users[Role.COMMISSIONER]
    make_service("Formula", description='=HYPERLINK("http://evil.example")', phone="+44 1")

    export = exports.directory_export(actor=commissioner, fmt="csv")
    content = b"".join(export.content)
    row = csv_rows(content)[0]
    result = imports.check_file(content, "csv", source="desk_review")

    assert row["description"].startswith("'=HYPERLINK")
    assert row["phone"] == "'+44 1"
    assert not result.errors
    assert [plan.action for plan in result.plans] == ["unchanged"]


def test_xlsx_export_stores_formula_like_text_as_text(make_service, role_users):
    make_service("Formula", description="=1+1")

    export = exports.directory_export(actor=role_users[Role.COMMISSIONER], fmt="xlsx")
    sheet = load_workbook(io.BytesIO(export.content))["Services"]
    column = imports.COLUMN_NAMES.index("description") + 1

    assert sheet.cell(row=2, column=column).data_type == "s"
    assert sheet.cell(row=2, column=column).value == "=1+1"


def test_export_page_lists_each_format_with_the_service_count(
    two_services_and_a_deleted_one, commissioner_client
):
    response = commissioner_client.get(reverse("directory:export"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "The export has 2 services" in page
    for fmt in ("csv", "xlsx", "oruk_json"):
        assert f"{DOWNLOAD_URL}?format={fmt}" in page


def test_unknown_export_format_is_not_found(commissioner_client, db):
    response = commissioner_client.get(DOWNLOAD_URL, {"format": "pdf"})

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.ANALYST, Role.ADMIN])
def test_commissioners_analysts_and_admins_may_export(role_users, client_for, role):
    response = client_for(role_users[role]).get(DOWNLOAD_URL, {"format": "csv"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "role", [Role.PROVIDER_MANAGER, Role.TRIAGE, Role.REFERRER, Role.PERPETRATOR_WORKER]
)
def test_other_roles_may_not_export(role_users, client_for, role):
    client = client_for(role_users[role])

    assert client.get(reverse("directory:export")).status_code == 403
    assert client.get(DOWNLOAD_URL, {"format": "csv"}).status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_anonymous_export_is_sent_to_sign_in(client, db):
    response = client.get(DOWNLOAD_URL, {"format": "csv"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign-in"))


def test_export_writes_the_self_referral_quota_and_exclusion_criteria(
    make_service, commissioner_client
):
    make_service(
        "Limited Service",
        terms=(
            "abuse-types:DA",
            "exclusion-criteria:denies-all-abuse",
            "exclusion-criteria:untreated-substance-dependency",
        ),
        self_referral_max_percent=40,
    )
    make_service("Open Service")

    csv_content = body(commissioner_client.get(DOWNLOAD_URL, {"format": "csv"}))
    limited, plain = csv_rows(csv_content)
    # Codes in the taxonomy's own order, as the other term columns are.
    assert limited["exclusion_criteria"] == "untreated-substance-dependency; denies-all-abuse"
    assert limited["self_referral_max_percent"] == "40"
    assert limited["abuse_types"] == "DA"
    assert (plain["exclusion_criteria"], plain["self_referral_max_percent"]) == ("", "")

    workbook = load_workbook(
        io.BytesIO(body(commissioner_client.get(DOWNLOAD_URL, {"format": "xlsx"}))),
        read_only=True,
    )
    header, first, *_ = workbook["Services"].iter_rows(values_only=True)
    cells = dict(zip_longest(header, first))
    assert cells["self_referral_max_percent"] == 40  # a number, not text
    assert cells["exclusion_criteria"] == "untreated-substance-dependency; denies-all-abuse"
