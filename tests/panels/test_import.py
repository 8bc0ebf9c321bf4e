"""Importing police incident extracts: all or nothing, row-level errors, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathways.audit.models import AuditEvent
from pathways.panels.models import Incident, IncidentImport, IncidentImportStatus
from pathways.panels.services import IncidentImportError, incidents_import, scoring_config_save

from .files import csv_bytes, xlsx_bytes

GOOD = csv_bytes(
    "P1,V1,2025-05-01,ABH",
    "P1,V2,01/03/2025,Threats to kill",
    "P2,,2024-01-01,stalking",
)


def errors_of(caught) -> list[tuple]:
    return [(e.row, e.column) for e in caught.value.errors]


def test_an_extract_is_imported_with_its_rows_counted(leeds, chair):
    job = incidents_import(actor=chair, area=leeds, file_name="extract.csv", content=GOOD)
    assert job.status == IncidentImportStatus.SUCCEEDED
    assert (job.total_rows, job.processed_rows, job.created_count) == (3, 3, 3)
    assert job.already_present_count == 0
    assert job.file_format == "csv"
    stored = list(
        Incident.objects.order_by("source_row").values_list(
            "source_row", "perpetrator_ref", "victim_ref", "occurred_on", "category"
        )
    )
    assert stored == [
        (2, "P1", "V1", dt.date(2025, 5, 1), "abh"),
        (3, "P1", "V2", dt.date(2025, 3, 1), "threats_to_kill"),
        (4, "P2", "", dt.date(2024, 1, 1), "stalking"),
    ]
    assert set(Incident.objects.values_list("domestic_abuse", flat=True)) == {True}


def test_the_import_is_audited_without_personal_data(leeds, chair):
    job = incidents_import(actor=chair, area=leeds, file_name="extract.csv", content=GOOD)
    event = AuditEvent.objects.get(object_type="incident_import", object_id=str(job.pk))
    assert event.action == "import"
    assert event.actor_id == chair.pk
    assert event.detail["created"] == 3 and event.detail["status"] == "succeeded"
    assert "P1" not in str(event.detail) and "V1" not in str(event.detail)


def test_importing_the_same_extract_again_changes_nothing(leeds, chair):
    incidents_import(actor=chair, area=leeds, file_name="extract.csv", content=GOOD)
    before = list(Incident.objects.order_by("pk").values())
    again = incidents_import(actor=chair, area=leeds, file_name="extract.csv", content=GOOD)
    assert again.status == IncidentImportStatus.SUCCEEDED
    assert (again.created_count, again.already_present_count) == (0, 3)
    assert list(Incident.objects.order_by("pk").values()) == before


def test_an_overlapping_extract_adds_only_the_new_incidents(leeds, chair):
    incidents_import(actor=chair, area=leeds, file_name="may.csv", content=GOOD)
    june = csv_bytes("P1,V1,2025-05-01,abh", "P3,V7,2025-06-01,gbh or wounding")
    job = incidents_import(actor=chair, area=leeds, file_name="june.csv", content=june)
    assert (job.created_count, job.already_present_count) == (1, 1)
    assert Incident.objects.count() == 4


def test_the_same_incident_in_another_area_is_another_incident(leeds, force, chair):
    incidents_import(actor=chair, area=leeds, file_name="a.csv", content=GOOD)
    job = incidents_import(actor=chair, area=force, file_name="a.csv", content=GOOD)
    assert job.created_count == 3


def test_one_bad_row_imports_nothing_and_says_where_and_why(leeds, chair):
    content = csv_bytes(
        "P1,V1,2025-05-01,abh",
        ",V1,2025-05-01,abh",
        "P3,V1,2025-02-30,abh",
        "P4,V1,2025-05-01,burglary",
    )
    with pytest.raises(IncidentImportError) as caught:
        incidents_import(actor=chair, area=leeds, file_name="bad.csv", content=content)
    assert errors_of(caught) == [(3, "perpetrator_id"), (4, "date"), (5, "category")]
    messages = [e.message for e in caught.value.errors]
    assert messages[0] == "enter the perpetrator's pseudonymised id"
    assert messages[1] == "enter the date as YYYY-MM-DD or DD/MM/YYYY"
    assert "'burglary' is not a category of the gravity table in force" in messages[2]
    assert "there is no default weight" in messages[2]
    assert not Incident.objects.exists()
    job = caught.value.incident_import
    job.refresh_from_db()
    assert job.status == IncidentImportStatus.FAILED
    assert job.errors[0] == {
        "row": 3,
        "column": "perpetrator_id",
        "message": "enter the perpetrator's pseudonymised id",
    }
    event = AuditEvent.objects.get(object_type="incident_import", object_id=str(job.pk))
    assert event.detail["status"] == "failed"


def test_a_category_is_checked_against_the_gravity_table_in_force_for_the_area(leeds, force, chair):
    scoring_config_save(
        actor=None, area=force, name="Ours", definition={"gravity_table": {"burglary": 3}}
    )
    job = incidents_import(
        actor=chair, area=leeds, file_name="a.csv", content=csv_bytes("P1,V1,2025-01-01,Burglary")
    )
    assert job.created_count == 1
    with pytest.raises(IncidentImportError, match="'ABH' is not a category"):
        incidents_import(actor=chair, area=leeds, file_name="b.csv", content=GOOD)


def test_missing_columns_are_named(leeds, chair):
    with pytest.raises(IncidentImportError) as caught:
        incidents_import(
            actor=chair,
            area=leeds,
            file_name="a.csv",
            content=csv_bytes("P1,2025-01-01", header="perpetrator_id,date"),
        )
    assert errors_of(caught) == [(1, "victim_id"), (1, "category")]


def test_a_row_repeating_another_is_refused_unless_an_incident_ref_tells_them_apart(leeds, chair):
    twice = csv_bytes("P1,V1,2025-05-01,abh", "P1,V1,2025-05-01,ABH")
    with pytest.raises(IncidentImportError, match="same incident as row 2") as caught:
        incidents_import(actor=chair, area=leeds, file_name="a.csv", content=twice)
    assert errors_of(caught) == [(3, "row")]
    with_refs = csv_bytes(
        "P1,V1,2025-05-01,abh,INC-1",
        "P1,V1,2025-05-01,abh,INC-2",
        header="perpetrator_id,victim_id,date,category,incident_ref",
    )
    job = incidents_import(actor=chair, area=leeds, file_name="b.csv", content=with_refs)
    assert job.created_count == 2


def test_a_stored_incident_is_never_changed_by_a_later_import(leeds, chair):
    header = "perpetrator_id,victim_id,date,category,domestic_abuse"
    incidents_import(
        actor=chair,
        area=leeds,
        file_name="a.csv",
        content=csv_bytes("P1,V1,2025-05-01,abh,yes", header=header),
    )
    with pytest.raises(IncidentImportError, match="imported before with the domestic-abuse flag"):
        incidents_import(
            actor=chair,
            area=leeds,
            file_name="b.csv",
            content=csv_bytes("P1,V1,2025-05-01,abh,no", "P9,V9,2025-05-01,abh,no", header=header),
        )
    assert Incident.objects.count() == 1


def test_an_xlsx_extract_is_read_from_its_contents_whatever_its_name(leeds, chair):
    content = xlsx_bytes(
        [
            # Spreadsheet cells carry no time zone.
            ["P1", "V1", dt.datetime(2025, 5, 1, 14, 30), "ABH", True, "Leeds"],  # noqa: DTZ001
            ["P2", None, "01/03/2025", "stalking", False, "Leeds"],
        ],
        header=["Perpetrator ID", "Victim ID", "Date", "Category", "Domestic abuse", "Station"],
    )
    job = incidents_import(actor=chair, area=leeds, file_name="extract.csv", content=content)
    assert job.file_format == "xlsx"
    assert sorted(
        Incident.objects.values_list(
            "perpetrator_ref", "victim_ref", "occurred_on", "domestic_abuse"
        )
    ) == [
        ("P1", "V1", dt.date(2025, 5, 1), True),
        ("P2", "", dt.date(2025, 3, 1), False),
    ]
    # And CSV named .xlsx is CSV.
    job = incidents_import(actor=chair, area=leeds, file_name="extract.xlsx", content=GOOD)
    assert job.file_format == "csv"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "first row must name the columns"),
        (b"PK\x03\x04 not really a zip", "not a CSV file or an Excel workbook"),
        (b"\x00\x01\x02binary", "not a CSV or XLSX file"),
        (b"perpetrator_id;victim_id;date;category\nP1;V1;2025-01-01;abh\n", "semicolons"),
        (csv_bytes(), "no incidents below its header row"),
    ],
)
def test_files_that_are_not_extracts_are_refused_plainly(leeds, chair, content, message):
    with pytest.raises(IncidentImportError, match=message):
        incidents_import(actor=chair, area=leeds, file_name="x.csv", content=content)
    assert not Incident.objects.exists()


def test_only_panel_chairs_and_administrators_import(leeds, referrer, member):
    for user in (referrer, member):
        with pytest.raises(PermissionDenied):
            incidents_import(actor=user, area=leeds, file_name="a.csv", content=GOOD)
    assert not IncidentImport.objects.exists()


def test_progress_is_recorded_on_the_import(leeds, chair, monkeypatch):
    seen = []
    original = IncidentImport.save

    def spy(self, *args, **kwargs):
        if kwargs.get("update_fields") == ["processed_rows", "total_rows", "updated_at"]:
            seen.append((self.processed_rows, self.total_rows))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(IncidentImport, "save", spy)
    rows = [f"P{n},V{n},2025-01-01,abh" for n in range(120)]
    incidents_import(actor=chair, area=leeds, file_name="a.csv", content=csv_bytes(*rows))
    assert seen[-1] == (120, 120)
    assert len(seen) > 10
    assert [done for done, _total in seen] == sorted(done for done, _total in seen)


# --------------------------------------------------------------------------------------
# Malformed input never gets past validation, never raises anything else
# --------------------------------------------------------------------------------------

cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "P1", "V1", "2025-01-01", "31/12/2024", "abh", "yes", "=1+1", "\x00"]),
)


@st.composite
def malformed(draw) -> bytes:
    kind = draw(st.sampled_from(["bytes", "csv", "zip"]))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "zip":
        return b"PK\x03\x04" + draw(st.binary(max_size=100))
    header = draw(
        st.one_of(
            st.just(["perpetrator_id", "victim_id", "date", "category"]),
            st.lists(
                st.sampled_from(["perpetrator_id", "victim_id", "date", "category", "x"]),
                max_size=5,
            ),
        )
    )
    rows = draw(st.lists(st.lists(cells, max_size=6), max_size=6))
    text = "\n".join(",".join(row) for row in [header, *rows])
    return text.encode(draw(st.sampled_from(["utf-8", "utf-16"])), errors="replace")


@pytest.mark.django_db
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(content=malformed())
def test_malformed_files_fail_validation_and_write_nothing(leeds, chair, content):
    before = Incident.objects.count()
    try:
        job = incidents_import(actor=chair, area=leeds, file_name="fuzz.csv", content=content)
    except IncidentImportError as exc:
        assert exc.errors
        assert Incident.objects.count() == before
        assert exc.incident_import.status == IncidentImportStatus.FAILED
    else:
        # A file that happens to be a valid extract is imported as one.
        assert job.status == IncidentImportStatus.SUCCEEDED
        assert Incident.objects.count() == before + job.created_count
