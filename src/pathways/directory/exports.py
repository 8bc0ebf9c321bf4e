"""Exporting the directory (CSV, XLSX, Open Referral UK JSON) and the import template.

CSV and XLSX use the one column layout in `directory.imports.COLUMNS`, so an export can be
edited and imported again. Every export writes an audit event. Rows are read with a fixed
number of queries however many services there are (one for the services, one per
prefetched relation), and CSV and JSON are streamed rather than built in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from pathways.accounts.policies import can_curate_directory, can_export_directory
from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from .imports import COLUMN_NAMES, COLUMNS, EXAMPLE_REF, Column
from .models import (
    ImportFormat,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceClaim,
    TaxonomyTerm,
)
from .oruk import oruk_service_full

EXPORT_FORMATS = (ImportFormat.CSV, ImportFormat.XLSX, ImportFormat.ORUK_JSON)
TEMPLATE_FORMATS = (ImportFormat.CSV, ImportFormat.XLSX)
CONTENT_TYPES: dict[str, str] = {
    ImportFormat.CSV: "text/csv; charset=utf-8",
    ImportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ImportFormat.ORUK_JSON: "application/json",
}
EXTENSIONS: dict[str, str] = {
    ImportFormat.CSV: "csv",
    ImportFormat.XLSX: "xlsx",
    ImportFormat.ORUK_JSON: "json",
}
CHUNK_SIZE = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes | Iterator[bytes]
    rows: int


def export_queryset() -> QuerySet[Service]:
    """Every service not deleted, with everything an export row needs prefetched."""
    # Belongs with directory.selectors; kept here while selectors.py is being edited.
    return (
        Service.objects.filter(deleted_at__isnull=True)
        .select_related("organisation")
        .prefetch_related(
            Prefetch("claims", queryset=ServiceClaim.objects.order_by("dimension")),
            Prefetch(
                "service_areas",
                queryset=ServiceArea.objects.select_related("area").order_by("area__slug"),
            ),
            Prefetch(
                "taxonomy_terms",
                queryset=TaxonomyTerm.objects.select_related("taxonomy").order_by(
                    "taxonomy__slug", "sort_order", "code"
                ),
            ),
            # The ORUK shape publishes only venues that are not sensitive.
            Prefetch(
                "service_at_locations",
                queryset=ServiceAtLocation.objects.filter(location__is_sensitive=False)
                .select_related("location")
                .order_by("location__name", "id"),
                to_attr="oruk_locations",
            ),
        )
        .order_by("name", "id")
    )


# --- Rows in the shared layout -----------------------------------------------------------


def _join(values: list[str]) -> str:
    return "; ".join(values)


def _term_codes(service: Service, taxonomy: str) -> list[str]:
    return [term.code for term in service.taxonomy_terms.all() if term.taxonomy.slug == taxonomy]


def _value(column: Column, service: Service, claims: dict[str, ServiceClaim]) -> Any:
    kind = column.kind
    if kind == "id":
        return str(service.pk)
    if kind == "external_ref":
        return service.external_ref or ""
    if kind == "organisation":
        return service.organisation.name
    if kind == "areas":
        return _join([sa.area.slug for sa in service.service_areas.all()])
    if kind == "terms":
        return _join(_term_codes(service, column.taxonomy))
    if kind == "formats":
        # The field and the delivery-formats terms are kept as one set (as the editing form does).
        codes = set(service.delivery_formats or []) | set(_term_codes(service, column.taxonomy))
        return _join(sorted(codes))
    if kind in {"list", "languages"}:
        return _join([str(item) for item in getattr(service, column.field) or []])
    if kind == "bool":
        return "yes" if getattr(service, column.field) else "no"
    if kind == "claim":
        claim = claims.get(column.dimension)
        return claim.value if claim and claim.value != "not_stated" else ""
    if kind == "evidence":
        claim = claims.get(column.dimension)
        return claim.evidence_level if claim else ""
    value = getattr(service, column.field)
    return "" if value is None else value


def service_row(service: Service) -> list[Any]:
    """One service in the shared column layout (typed: numbers, dates and text)."""
    claims = {claim.dimension: claim for claim in service.claims.all()}
    return [_value(column, service, claims) for column in COLUMNS]


def csv_safe(value: Any) -> str:
    """A cell as CSV text, with formula-like text defused for spreadsheets.

    Text that starts with = + - @ would run as a formula when the file is opened in a
    spreadsheet; a leading apostrophe stops that. The importer takes it off again.
    """
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


class _Line:
    """A file-like object whose write() returns what was written, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: Iterator[list[Any]]) -> Iterator[bytes]:
    writer = csv.writer(_Line())
    yield "\ufeff".encode()  # a byte-order mark, so Excel reads UTF-8 correctly
    yield writer.writerow(list(COLUMN_NAMES)).encode()
    for row in rows:
        yield writer.writerow([csv_safe(value) for value in row]).encode()


def _xlsx(rows: Iterator[list[Any]], *, guidance: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Services")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(value: Any, *, header: bool = False) -> Any:
        item = WriteOnlyCell(sheet, value=None if value == "" else value)
        if isinstance(value, str) and value:
            item.data_type = "s"  # text stays text: never a formula, never a number
        if header:
            item.font = bold
        elif hasattr(value, "isoformat"):
            item.number_format = "yyyy-mm-dd"
        return item

    sheet.append([cell(name, header=True) for name in COLUMN_NAMES])
    for row in rows:
        sheet.append([cell(value) for value in row])
    if guidance:
        _guidance_sheets(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rows(queryset: QuerySet[Service]) -> Iterator[list[Any]]:
    for service in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield service_row(service)


def _oruk_json(queryset: QuerySet[Service], total: int) -> Iterator[bytes]:
    envelope = {
        "total_items": total,
        "total_pages": 1 if total else 0,
        "page_number": 1,
        "size": total,
        "first_page": True,
        "last_page": True,
        "empty": total == 0,
    }
    head = json.dumps(envelope, ensure_ascii=False)[:-1]
    yield (head + ', "contents": [').encode()
    for index, service in enumerate(queryset.iterator(chunk_size=CHUNK_SIZE)):
        prefix = ",\n" if index else "\n"
        yield (prefix + json.dumps(oruk_service_full(service), ensure_ascii=False)).encode()
    yield b"\n]}\n"


def directory_export(*, actor: Any, fmt: str, request: Any = None) -> ExportFile:
    """Every service not deleted, as CSV, XLSX or ORUK JSON; the export is audited.

    Commissioners, analysts and administrators only (`can_export_directory`).
    """
    if not can_export_directory(actor):
        raise PermissionDenied("Only commissioners, analysts and administrators may export.")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}")
    queryset = export_queryset()
    total = queryset.count()
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="directory",
        object_id="services",
        detail={"format": fmt, "rows": total},
        request=request,
    )
    filename = f"pathways-directory-{timezone.localdate():%Y-%m-%d}.{EXTENSIONS[fmt]}"
    content: bytes | Iterator[bytes]
    if fmt == ImportFormat.CSV:
        content = _csv_lines(_rows(queryset))
    elif fmt == ImportFormat.XLSX:
        content = _xlsx(_rows(queryset))
    else:
        content = _oruk_json(queryset, total)
    return ExportFile(filename, CONTENT_TYPES[fmt], content, total)


# --- The import template ------------------------------------------------------------------


def _example_row() -> list[Any]:
    return [column.example for column in COLUMNS]


def _guidance_sheets(workbook: Any) -> None:
    codes: dict[str, list[tuple[str, str]]] = {}
    for slug, code, name in TaxonomyTerm.objects.order_by(
        "taxonomy__slug", "sort_order", "code"
    ).values_list("taxonomy__slug", "code", "name"):
        codes.setdefault(slug, []).append((code, name))
    guidance = workbook.create_sheet("Guidance")
    guidance.append(["Column", "What to enter", "Allowed values", "Example"])
    guidance.append(
        [
            "",
            f"Row 2 of the Services sheet is an example (its external_ref is {EXAMPLE_REF}). "
            "Delete it before importing: the import refuses it.",
            "",
            "",
        ]
    )
    for column in COLUMNS:
        allowed = column.allowed()
        if column.kind in {"terms", "formats"}:
            allowed = "; ".join(code for code, _name in codes.get(column.taxonomy, []))
        elif column.kind == "areas":
            allowed = "Slugs from the Areas sheet"
        guidance.append([column.name, column.guidance, allowed, column.example])
    areas = workbook.create_sheet("Areas")
    areas.append(["slug", "name", "kind"])
    for slug, name, kind in Area.objects.order_by("kind", "name").values_list(
        "slug", "name", "kind"
    ):
        areas.append([slug, name, kind])
    terms = workbook.create_sheet("Codes")
    terms.append(["column", "code", "meaning"])
    for column in COLUMNS:
        if column.kind in {"terms", "formats"}:
            for code, name in codes.get(column.taxonomy, []):
                terms.append([column.name, code, name])


def import_template(*, actor: Any, fmt: str) -> ExportFile:
    """The empty import layout with one example row (and, for XLSX, guidance sheets).

    Directory curators only. It holds no directory data, so it is not audited.
    """
    if not can_curate_directory(actor):
        raise PermissionDenied("Only directory curators may import services.")
    if fmt not in TEMPLATE_FORMATS:
        raise ValueError(f"Unknown template format {fmt!r}")
    filename = f"pathways-import-template.{EXTENSIONS[fmt]}"
    if fmt == ImportFormat.CSV:
        content = b"".join(_csv_lines(iter([_example_row()])))
    else:
        content = _xlsx(iter([_example_row()]), guidance=True)
    return ExportFile(filename, CONTENT_TYPES[fmt], content, 1)
