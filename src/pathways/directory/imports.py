"""Importing services into the directory from CSV, XLSX or Open Referral UK JSON.

All-or-nothing: every row is checked first and every problem is recorded on the
`ImportJob` as {row, field, message}. Only when every row is valid are the rows written,
in one transaction, through `directory.services` (so each write is versioned and
audited). A row whose data matches the record already in the directory is left alone,
so importing the same file twice changes nothing.

The column layout (`COLUMNS`) is defined here once and shared by the import, the
CSV/XLSX export and the downloadable template (`directory.exports`).
See docs/directory-import-export.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import DatabaseError, models, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pathways.accounts.policies import can_curate_directory
from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record
from pathways.core.models import TriState

from . import services as directory_services
from .models import (
    CONFIRMING_SOURCES,
    CapacityStatus,
    ClaimDimension,
    DeliveryStatus,
    EvidenceLevel,
    ImportFormat,
    ImportJob,
    ImportStatus,
    InterventionType,
    Organisation,
    Service,
    ServiceArea,
    ServiceClaim,
    ServiceStatus,
    SuiteTier,
    TaxonomyTerm,
    VictimSupport,
)

# The template's example row carries this external_ref; importing it is refused.
EXAMPLE_REF = "EXAMPLE"
# A file may hold at most this many services (a guard against runaway spreadsheets).
MAX_ROWS = 50_000
# An XLSX is a zip; refuse one that would unpack to more than this (a "zip bomb").
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024
# processed_rows is saved at most about this many times while a job is checked, and
# never more often than every PROGRESS_MIN_BATCH rows.
PROGRESS_STEPS = 50
PROGRESS_MIN_BATCH = 25
LIST_SEPARATOR = ";"


# --------------------------------------------------------------------------------------
# The column layout
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the CSV/XLSX layout: how to read it, write it and explain it."""

    name: str
    kind: str
    guidance: str
    example: str = ""
    field: str = ""
    choices: type[models.TextChoices] | None = None
    taxonomy: str = ""
    dimension: str = ""
    minimum: int = 0
    maximum: int | None = None
    required: bool = False

    @property
    def max_length(self) -> int | None:
        if self.field and self.kind in {"text", "url", "email"}:
            return _service_field(self.field).max_length
        if self.kind == "external_ref":
            return Service._meta.get_field("external_ref").max_length
        if self.kind == "organisation":
            return Organisation._meta.get_field("name").max_length
        return None

    def allowed(self) -> str:
        """The allowed values, for guidance and error messages."""
        if self.choices is not None:
            return _one_of(self.choices.values)
        if self.kind == "claim":
            return "yes, no, unknown or blank (not stated)"
        if self.kind == "evidence":
            return _one_of(EvidenceLevel.values) + " (blank: self_reported)"
        if self.kind == "bool":
            return "yes or no (blank: no)"
        return ""


def _service_field(name: str) -> models.Field:
    field = Service._meta.get_field(name)
    assert isinstance(field, models.Field)  # noqa: S101 - the layout names only concrete fields
    return field


def _one_of(values: Sequence[str]) -> str:
    values = list(values)
    if len(values) <= 1:
        return "".join(values)
    return ", ".join(values[:-1]) + " or " + values[-1]


def _text(name: str, guidance: str, example: str = "", required: bool = False) -> Column:
    return Column(name, "text", guidance, example, field=name, required=required)


def _choice(name: str, choices: type[models.TextChoices], guidance: str, example: str) -> Column:
    return Column(name, "choice", guidance, example, field=name, choices=choices)


def _integer(name: str, guidance: str, example: str, maximum: int, minimum: int = 0) -> Column:
    return Column(name, "integer", guidance, example, field=name, minimum=minimum, maximum=maximum)


def _date(name: str, guidance: str, example: str = "") -> Column:
    return Column(name, "date", guidance + " Format YYYY-MM-DD.", example, field=name)


def _terms(name: str, taxonomy: str, guidance: str, example: str) -> Column:
    return Column(name, "terms", guidance, example, taxonomy=taxonomy)


_CLAIM_EXAMPLES = {
    ClaimDimension.RISK_HIGH: ("no", ""),
    ClaimDimension.RISK_MEDIUM: ("yes", "evidenced"),
    ClaimDimension.RISK_STANDARD: ("yes", "self_reported"),
    ClaimDimension.ADULTS: ("yes", ""),
    ClaimDimension.SELF_REFERRAL: ("yes", ""),
}


def _claim_columns() -> list[Column]:
    columns = []
    for dimension in ClaimDimension:
        value, evidence = _CLAIM_EXAMPLES.get(dimension, ("", ""))
        columns.append(
            Column(
                dimension.value,
                "claim",
                f"Claim: {dimension.label}.",
                value,
                dimension=dimension.value,
            )
        )
        columns.append(
            Column(
                f"{dimension.value}_evidence",
                "evidence",
                f"How sure we are of the claim '{dimension.label}'.",
                evidence,
                dimension=dimension.value,
            )
        )
    return columns


COLUMNS: tuple[Column, ...] = (
    Column(
        "id",
        "id",
        "The Pathways id of a service already in the directory (from an export). "
        "Leave blank for a new service.",
    ),
    Column(
        "external_ref",
        "external_ref",
        "A stable reference from your source, such as wy-2023-4. A row whose external_ref "
        "matches a service updates it; otherwise a new service is added.",
        EXAMPLE_REF,
    ),
    Column(
        "organisation",
        "organisation",
        "The organisation that runs the service: its name (or slug). A new name adds the "
        "organisation. Required for new services.",
        "Example Provider",
    ),
    _text(
        "name",
        "The name of the service.",
        "Example service – delete this row before importing",
        required=True,
    ),
    _text("description", "What the service does.", "A 26-week group programme for adults."),
    Column(
        "url",
        "url",
        "Web address starting with http:// or https://.",
        "https://example.org/",
        "url",
    ),
    Column("email", "email", "Contact email address.", "referrals@example.org", "email"),
    _text("phone", "Contact phone number.", "0113 496 0000"),
    _choice("status", ServiceStatus, "Open Referral UK status (blank: active).", "active"),
    _choice("delivery_status", DeliveryStatus, "Where the service is in its life.", "running"),
    _choice(
        "intervention_type", InterventionType, "Home Office 2023 typology.", "behaviour_change"
    ),
    _choice("suite_tier", SuiteTier, "Tier in the published mapping.", "medium_risk"),
    Column(
        "areas",
        "areas",
        "Areas served: area slugs separated by semicolons.",
        "leeds; bradford",
    ),
    _terms(
        "abuse_types",
        "abuse-types",
        "Abuse types worked with: codes separated by semicolons.",
        "DA; stalking",
    ),
    _terms(
        "referral_routes",
        "referral-routes",
        "Who can refer: codes separated by semicolons.",
        "self; police; probation",
    ),
    Column(
        "delivery_formats",
        "formats",
        "How it is delivered: codes separated by semicolons.",
        "group; one-to-one",
        field="delivery_formats",
        taxonomy="delivery-formats",
    ),
    Column(
        "genders_served",
        "list",
        "Genders served, separated by semicolons (free text).",
        "men",
        field="genders_served",
    ),
    _integer("min_age", "Youngest age served, in years.", "18", 120),
    _integer("max_age", "Oldest age served, in years (blank: no upper limit).", "", 120),
    Column(
        "languages",
        "languages",
        "ISO 639 language codes separated by semicolons.",
        "en; ur",
        field="languages",
    ),
    _text("eligibility_text", "Who is eligible, as published."),
    _text("exclusions_text", "Who is excluded, as published."),
    _terms(
        "exclusion_criteria",
        "exclusion-criteria",
        "Circumstances in which the service cannot take a person on: codes separated by "
        "semicolons. Matching does not offer the service for a referral with any of them.",
        "",
    ),
    _text("referral_routes_text", "Referral routes as published (free text)."),
    _choice("capacity_status", CapacityStatus, "Whether it is taking referrals.", "open"),
    _integer("capacity_places", "Places available.", "12", 1_000_000),
    _integer("waiting_weeks", "Typical wait, in weeks.", "4", 520),
    _integer(
        "self_referral_max_percent",
        "The largest share of referrals the service takes as self-referrals, as a "
        "percentage from 1 to 100 (blank: no limit).",
        "",
        100,
        minimum=1,
    ),
    _integer("duration_weeks", "Length of the intervention, in weeks.", "26", 520),
    Column(
        "is_virtual",
        "bool",
        "Delivered by phone or online only, with no venue.",
        "no",
        field="is_virtual",
    ),
    _choice(
        "integrated_victim_support",
        VictimSupport,
        "Integrated support for the victim-survivor.",
        "partner",
    ),
    _text(
        "victim_support_partner",
        "The partner providing victim-survivor support.",
        "Example Women's Aid",
    ),
    Column(
        "cost_per_user",
        "decimal",
        "Cost per person in pounds, up to 2 decimal places.",
        "1250.00",
        field="cost_per_user",
    ),
    _text("funding_source", "Who funds it.", "Police and crime commissioner"),
    _date("funding_ends", "When the funding ends.", "2027-03-31"),
    _text("accreditation", "Accreditation held.", "Respect accredited"),
    _text("evaluation_status", "Whether and how it has been evaluated."),
    _text("evidence_approach", "The evidence-based approach it follows."),
    _date("visible_from", "First day it is shown publicly (blank: now)."),
    _date("visible_to", "Last day it is shown publicly (blank: no end)."),
    _text("notes", "Notes for directory editors."),
    *_claim_columns(),
)

COLUMN_NAMES: tuple[str, ...] = tuple(column.name for column in COLUMNS)
COLUMNS_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
REQUIRED_COLUMNS = ("name", "organisation")
_COLUMN_ORDER = {name: index for index, name in enumerate(COLUMN_NAMES)}


# --------------------------------------------------------------------------------------
# Errors and row inputs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem: the line in the file (header is line 1), the column and what is wrong."""

    row: int | None
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"Row {self.row}" if self.row is not None else "File"
        return f"{where}, {self.field}: {self.message}"


class CellError(Exception):
    """A cell's value cannot be used; the message says why in plain English."""


class FileTypeError(Exception):
    """The upload is not a CSV, XLSX or JSON file that Pathways can read."""


@dataclass
class RowInput:
    """What one row asks for, before it is matched against the directory."""

    row: int
    service_id: uuid.UUID | None = None
    external_ref: str | None = None
    # ORUK ids are Pathways ids when they match a service, otherwise the source's reference.
    external_ref_is_fallback: bool = False
    organisation: str = ""
    organisation_field: str = "organisation"
    data: dict[str, Any] = field(default_factory=dict)
    # dimension -> (value or None to keep, evidence level or None when not given)
    claims: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    areas: list[str] | None = None
    areas_field: str = "areas"
    # taxonomy slug -> codes; the service's terms in these taxonomies are replaced.
    terms: dict[str, list[str]] | None = None
    terms_fields: dict[str, str] = field(default_factory=dict)
    # ORUK: (term id, vocabulary, code) for each term; terms that match nothing are ignored.
    term_candidates: list[tuple[str, str, str]] | None = None
    # ORUK: the organisation's id, used before its name when it is a Pathways organisation.
    organisation_id: str = ""


# --------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------


def detect_format(content: bytes) -> str:
    """Work out from the bytes (never the file name) whether a file is XLSX, JSON or CSV."""
    if content.startswith(b"PK\x03\x04"):
        _check_xlsx_container(content)
        return ImportFormat.XLSX
    if b"\x00" in content[:65536]:
        raise FileTypeError("binary file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    stripped = text.lstrip()
    if stripped[:1] in {"[", "{"}:
        try:
            json.loads(text)
        except ValueError as exc:
            raise FileTypeError("not valid JSON") from exc
        return ImportFormat.ORUK_JSON
    _decode_text(content)  # raises FileTypeError for text we cannot read
    return ImportFormat.CSV


def _check_xlsx_container(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileTypeError("not a zip file") from exc
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise FileTypeError("a zip file that is not an Excel workbook")
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise FileTypeError("the workbook unpacks to more than Pathways will read")


def _decode_text(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text[:65536]):
            raise FileTypeError("contains control characters")
        return text
    raise FileTypeError("not text")


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _unescape_csv(text: str) -> str:
    # The CSV export protects cells from spreadsheet formula injection with a leading
    # apostrophe (see exports.csv_safe); take it off again so a round trip is exact.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def read_table(content: bytes, fmt: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows (with their line numbers) of a CSV or XLSX file."""
    if fmt == ImportFormat.XLSX:
        return _read_xlsx(content)
    text = _decode_text(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    previous_end = 0
    for record in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if header is None:
            header = [cell.strip() for cell in record]
            continue
        rows.append((start, [_unescape_csv(cell.strip()) for cell in record]))
        if len(rows) > MAX_ROWS:
            break
    return header or [], rows


def _read_xlsx(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad workbook
        raise FileTypeError("unreadable workbook") from exc
    try:
        names = workbook.sheetnames
        sheet = workbook["Services"] if "Services" in names else workbook.worksheets[0]
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            if line == 1:
                header = cells
                continue
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                break
    finally:
        workbook.close()
    return header, rows


def _normalise_header(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _check_header(header: list[str]) -> tuple[dict[int, Column], list[RowError]]:
    errors: list[RowError] = []
    positions: dict[int, Column] = {}
    seen: set[str] = set()
    for index, raw in enumerate(header):
        name = _normalise_header(raw)
        if not name:
            continue
        column = COLUMNS_BY_NAME.get(name)
        if column is None and (";" in raw or "\t" in raw):
            errors.append(
                RowError(
                    1,
                    "header",
                    "the column names are separated by semicolons or tabs; "
                    "save the file as CSV with commas between the columns",
                )
            )
            continue
        if column is None:
            errors.append(
                RowError(
                    1,
                    raw,
                    f"'{raw}' is not a column Pathways knows; use the column names in the template",
                )
            )
            continue
        if name in seen:
            errors.append(RowError(1, name, f"the column '{name}' appears more than once"))
            continue
        seen.add(name)
        positions[index] = column
    if not header or not any(cell.strip() for cell in header):
        errors.append(
            RowError(1, "header", "the first row must be the column names from the template")
        )
        return positions, errors
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            errors.append(RowError(1, name, f"the '{name}' column is missing"))
    return positions, errors


# --------------------------------------------------------------------------------------
# Reading cells
# --------------------------------------------------------------------------------------

_TRISTATE_WORDS = {
    "yes": TriState.YES,
    "y": TriState.YES,
    "no": TriState.NO,
    "n": TriState.NO,
    "unknown": TriState.UNKNOWN,
    "?": TriState.UNKNOWN,
    "not_stated": TriState.NOT_STATED,
    "not stated": TriState.NOT_STATED,
    "": TriState.NOT_STATED,
}
_BOOL_WORDS = {
    "yes": True,
    "y": True,
    "true": True,
    "1": True,
    "no": False,
    "n": False,
    "false": False,
    "0": False,
    "": False,
}
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_email_validator = EmailValidator()
_url_validator = URLValidator(schemes=["http", "https"])


def _norm_choice(text: str) -> str:
    return re.sub(r"[\s\-_]+", "_", text.strip().lower())


def _parse_choice(column: Column, text: str) -> str:
    assert column.choices is not None  # noqa: S101 - guaranteed by the layout
    field = _service_field(column.field)
    if not text:
        return str(field.default)
    wanted = _norm_choice(text)
    for value, label in column.choices.choices:
        if wanted in {_norm_choice(str(value)), _norm_choice(str(label))}:
            return str(value)
    raise CellError(f"'{text}' is not one of {column.allowed()}")


def _parse_integer(column: Column, text: str) -> int | None:
    if not text:
        return None
    if not re.fullmatch(r"\d+", text):
        raise CellError(f"'{text}' is not a whole number of 0 or more")
    number = int(text)
    if number < column.minimum:
        raise CellError(f"{number} is less than {column.minimum}")
    if column.maximum is not None and number > column.maximum:
        raise CellError(f"{number} is more than {column.maximum}")
    return number


def _parse_decimal(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace("£", "").strip()
    if not cleaned:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation as exc:
        raise CellError(f"'{text}' is not an amount in pounds, such as 1250.00") from exc
    if not number.is_finite() or number < 0:
        raise CellError(f"'{text}' is not an amount in pounds of 0 or more")
    if number != number.quantize(Decimal("0.01")):
        raise CellError(f"'{text}' has more than 2 decimal places")
    if number >= Decimal("100000000"):
        raise CellError(f"'{text}' is too large")
    return number.quantize(Decimal("0.01"))


def _parse_date(text: str) -> dt.date | None:
    if not text:
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise CellError(f"'{text}' is not a date in the form YYYY-MM-DD, such as 2027-03-31")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CellError(f"'{text}' is not a real date") from exc


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


def _parse_languages(text: str) -> list[str]:
    codes = []
    for part in _split(text):
        code = part.lower()
        if not _LANGUAGE_CODE.match(code):
            raise CellError(f"'{part}' is not a language code such as en, cy or ur")
        if code not in codes:
            codes.append(code)
    return codes


def _check_length(column: Column, text: str) -> None:
    limit = column.max_length
    if limit is not None and len(text) > limit:
        raise CellError(f"must be {limit} characters or fewer (it has {len(text)})")


def _parse_cell(column: Column, text: str, inp: RowInput) -> None:
    """Read one cell into the row input, or raise CellError."""
    kind = column.kind
    if kind == "id":
        if text:
            try:
                inp.service_id = uuid.UUID(text)
            except ValueError as exc:
                raise CellError(f"'{text}' is not a Pathways service id") from exc
    elif kind == "external_ref":
        _check_length(column, text)
        if text.upper() == EXAMPLE_REF:
            raise CellError("this is the template's example row; delete it before importing")
        inp.external_ref = text or None
    elif kind == "organisation":
        _check_length(column, text)
        inp.organisation = text
    elif kind == "text":
        _check_length(column, text)
        if column.required and not text:
            raise CellError(f"Enter the {column.name} of the service")
        inp.data[column.field] = text
    elif kind == "url":
        _check_length(column, text)
        if text:
            try:
                _url_validator(text)
            except ValidationError as exc:
                raise CellError(
                    f"'{text}' is not a web address starting with http:// or https://"
                ) from exc
        inp.data[column.field] = text
    elif kind == "email":
        _check_length(column, text)
        if text:
            try:
                _email_validator(text)
            except ValidationError as exc:
                raise CellError(
                    f"'{text}' is not an email address, such as name@example.org"
                ) from exc
        inp.data[column.field] = text
    elif kind == "choice":
        inp.data[column.field] = _parse_choice(column, text)
    elif kind == "integer":
        inp.data[column.field] = _parse_integer(column, text)
    elif kind == "decimal":
        inp.data[column.field] = _parse_decimal(text)
    elif kind == "date":
        inp.data[column.field] = _parse_date(text)
    elif kind == "bool":
        if text.lower() not in _BOOL_WORDS:
            raise CellError(f"'{text}' is not one of {column.allowed()}")
        inp.data[column.field] = _BOOL_WORDS[text.lower()]
    elif kind == "list":
        inp.data[column.field] = _split(text)
    elif kind == "languages":
        inp.data[column.field] = _parse_languages(text)
    elif kind == "areas":
        inp.areas = _split(text)
    elif kind in {"terms", "formats"}:
        codes = _split(text)
        inp.terms = inp.terms or {}
        inp.terms[column.taxonomy] = codes
        inp.terms_fields[column.taxonomy] = column.name
        if kind == "formats":
            inp.data[column.field] = codes  # checked against the taxonomy when planning
    elif kind == "claim":
        tristate = _TRISTATE_WORDS.get(text.lower())
        if tristate is None:
            raise CellError(f"'{text}' is not one of {column.allowed()}")
        _value, evidence = inp.claims.get(column.dimension, (None, None))
        inp.claims[column.dimension] = (str(tristate), evidence)
    elif kind == "evidence":
        level: str | None = None
        if text:
            wanted = _norm_choice(text)
            for choice, label in EvidenceLevel.choices:
                if wanted in {_norm_choice(str(choice)), _norm_choice(str(label))}:
                    level = str(choice)
            if level is None:
                raise CellError(f"'{text}' is not one of {column.allowed()}")
        value_, _evidence = inp.claims.get(column.dimension, (None, None))
        inp.claims[column.dimension] = (value_, level)
    else:  # pragma: no cover - the layout only uses the kinds above
        raise AssertionError(kind)


def row_input_from_cells(
    line: int, cells: Sequence[str], positions: dict[int, Column]
) -> tuple[RowInput | None, list[RowError]]:
    """Read one CSV/XLSX row. Blank rows give (None, [])."""
    if not any(cells):
        return None, []
    errors: list[RowError] = []
    inp = RowInput(row=line)
    for index, text in enumerate(cells):
        column = positions.get(index)
        if column is None:
            if text:
                errors.append(
                    RowError(
                        line, f"column {index + 1}", f"'{text}' is in a column with no heading"
                    )
                )
            continue
        try:
            _parse_cell(column, text, inp)
        except CellError as exc:
            errors.append(RowError(line, column.name, str(exc)))
    # A row shorter than the header: the missing cells are blank.
    for index, column in positions.items():
        if index >= len(cells):
            try:
                _parse_cell(column, "", inp)
            except CellError as exc:
                errors.append(RowError(line, column.name, str(exc)))
    return inp, errors


# --------------------------------------------------------------------------------------
# Open Referral UK JSON
# --------------------------------------------------------------------------------------


def oruk_items(payload: Any) -> list[Any]:
    """The service objects in an ORUK payload: a list, a paged envelope or one service."""
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        if isinstance(payload.get("contents"), list):
            return payload["contents"]
        if "name" in payload:
            return [payload]
    raise CellError(
        "the file must be a list of Open Referral UK services, or a page of them with 'contents'"
    )


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return _cell_text(value)
    raise CellError("must be text")


def _gss_code(uri: Any) -> str:
    """The GSS code at the end of an ONS statistical-geography URI, if that is what this is."""
    if isinstance(uri, str):
        match = re.search(r"/statistical-geography/([A-Z]\d{8})/?$", uri)
        if match:
            return match.group(1)
    return ""


def row_input_from_oruk(position: int, item: Any) -> tuple[RowInput | None, list[RowError]]:
    """Read one ORUK service object (position counts services from 1)."""
    if not isinstance(item, dict):
        return None, [
            RowError(position, "service", "each item must be an Open Referral UK service object")
        ]
    errors: list[RowError] = []
    inp = RowInput(
        row=position, organisation_field="organization.name", areas_field="service_areas"
    )

    def take(key: str, column_name: str, label: str | None = None) -> None:
        if key not in item:
            return
        try:
            _parse_cell(COLUMNS_BY_NAME[column_name], _json_text(item[key]), inp)
        except CellError as exc:
            errors.append(RowError(position, label or key, str(exc)))

    raw_id = item.get("id")
    if raw_id not in (None, ""):
        source_id = str(raw_id).strip()
        try:
            inp.service_id = uuid.UUID(source_id)
        except ValueError:
            inp.service_id = None
        if len(source_id) > (COLUMNS_BY_NAME["external_ref"].max_length or 80):
            errors.append(RowError(position, "id", "must be 80 characters or fewer"))
        else:
            inp.external_ref = source_id
            inp.external_ref_is_fallback = True
    if "name" not in item:
        errors.append(RowError(position, "name", "Enter the name of the service"))
    take("name", "name")
    take("description", "description")
    take("url", "url")
    take("email", "email")
    take("status", "status")
    take("accreditations", "accreditation")
    organisation = item.get("organization")
    if isinstance(organisation, dict):
        inp.organisation_id = str(organisation.get("id") or "").strip()
        try:
            text = _json_text(organisation.get("name"))
            _check_length(COLUMNS_BY_NAME["organisation"], text)
            inp.organisation = text
        except CellError as exc:
            errors.append(RowError(position, "organization.name", str(exc)))
    phones = item.get("phones")
    if isinstance(phones, list):
        numbers = [p.get("number") for p in phones if isinstance(p, dict) and p.get("number")]
        try:
            _parse_cell(COLUMNS_BY_NAME["phone"], _json_text(numbers[0]) if numbers else "", inp)
        except CellError as exc:
            errors.append(RowError(position, "phones", str(exc)))
    ages = dict(item)
    eligibilities = item.get("eligibilitys")
    if isinstance(eligibilities, list) and eligibilities and isinstance(eligibilities[0], dict):
        ages = {**eligibilities[0], **{k: v for k, v in item.items() if k.endswith("_age")}}
    for key, column_name in (("minimum_age", "min_age"), ("maximum_age", "max_age")):
        if key in ages:
            try:
                _parse_cell(COLUMNS_BY_NAME[column_name], _json_text(ages[key]), inp)
            except CellError as exc:
                errors.append(RowError(position, key, str(exc)))
    languages = item.get("languages")
    if isinstance(languages, list):
        codes = [lang.get("code") if isinstance(lang, dict) else lang for lang in languages]
        try:
            inp.data["languages"] = _parse_languages("; ".join(str(c) for c in codes if c))
        except CellError as exc:
            errors.append(RowError(position, "languages", str(exc)))
    areas = item.get("service_areas")
    if isinstance(areas, list):
        refs = []
        for area in areas:
            if isinstance(area, dict):
                ref = (
                    area.get("slug")
                    or _gss_code(area.get("uri"))
                    or area.get("name")
                    or area.get("service_area")
                )
            else:
                ref = area
            if ref:
                refs.append(str(ref).strip())
        inp.areas = refs
    candidates: list[tuple[str, str, str]] = []
    found_taxonomy = False
    for key in ("attributes", "service_taxonomys", "taxonomy_terms"):
        entries = item.get(key)
        if not isinstance(entries, list):
            continue
        found_taxonomy = True
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            term = entry.get("taxonomy_term") or entry.get("taxonomy") or entry
            if not isinstance(term, dict):
                continue
            # ORUK 3.0 (and Pathways' feed) put the code in "term"; HSDS 3.0 in "code".
            code = term.get("code") or term.get("term") or ""
            vocabulary = (
                term.get("vocabulary") or term.get("taxonomy") or term.get("taxonomy_detail") or ""
            )
            if isinstance(vocabulary, dict):
                vocabulary = vocabulary.get("slug") or vocabulary.get("name") or ""
            candidates.append(
                (str(term.get("id") or "").strip(), str(vocabulary).strip(), str(code).strip())
            )
    if found_taxonomy:
        inp.term_candidates = candidates
    return inp, errors


# --------------------------------------------------------------------------------------
# Matching rows against the directory
# --------------------------------------------------------------------------------------

_AMBIGUOUS = object()


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


class _Lookups:
    """Everything a job needs from the database, loaded in a few queries up front."""

    def __init__(self, inputs: Sequence[RowInput]) -> None:
        self.areas_by_slug: dict[str, int] = {}
        self.areas_by_code: dict[str, int] = {}
        names: dict[str, list[int]] = {}
        for pk, slug, name, code in Area.objects.values_list("pk", "slug", "name", "code"):
            self.areas_by_slug[slug.lower()] = pk
            if code:
                self.areas_by_code[code] = pk
            names.setdefault(_fold(name), []).append(pk)
        self.areas_by_name = names
        self.area_slug_examples = sorted(self.areas_by_slug)[:3]
        self.terms: dict[tuple[str, str], Any] = {}
        self.term_taxonomy: dict[Any, str] = {}
        self.codes_by_taxonomy: dict[str, list[str]] = {}
        self.terms_by_code: dict[str, list[tuple[str, Any]]] = {}
        self.term_codes: dict[Any, str] = {}
        self.terms_by_id: dict[str, Any] = {}
        self.taxonomy_slugs: dict[str, str] = {}
        for term_pk, slug, taxonomy_name, code in TaxonomyTerm.objects.order_by(
            "taxonomy__slug", "sort_order"
        ).values_list("pk", "taxonomy__slug", "taxonomy__name", "code"):
            self.terms_by_id[str(term_pk)] = term_pk
            self.taxonomy_slugs[slug] = slug
            self.taxonomy_slugs[_fold(taxonomy_name)] = slug
            self.terms[(slug, code.lower())] = term_pk
            self.term_taxonomy[term_pk] = slug
            self.term_codes[term_pk] = code
            self.codes_by_taxonomy.setdefault(slug, []).append(code)
            self.terms_by_code.setdefault(code.lower(), []).append((slug, term_pk))
        self.orgs_by_slug: dict[str, Organisation] = {}
        self.orgs_by_id: dict[str, Organisation] = {}
        self.orgs_by_name: dict[str, list[Organisation]] = {}
        for org in Organisation.objects.only("pk", "name", "slug"):
            self.orgs_by_slug[org.slug] = org
            self.orgs_by_id[str(org.pk)] = org
            self.orgs_by_name.setdefault(_fold(org.name), []).append(org)
        ids = {inp.service_id for inp in inputs if inp.service_id}
        refs = {inp.external_ref for inp in inputs if inp.external_ref}
        self.services_by_id: dict[Any, Service] = {}
        self.services_by_ref: dict[str, Service] = {}
        for service in _services_matching(ids, refs):
            self.services_by_id[service.pk] = service
            if service.external_ref:
                self.services_by_ref[service.external_ref] = service

    def organisation(self, text: str) -> Organisation | None | object:
        if text in self.orgs_by_slug:
            return self.orgs_by_slug[text]
        matches = self.orgs_by_name.get(_fold(text), [])
        if len(matches) > 1:
            return _AMBIGUOUS
        return matches[0] if matches else None

    def area(self, ref: str) -> int | None | object:
        pk = self.areas_by_slug.get(ref.lower()) or self.areas_by_code.get(ref)
        if pk is not None:
            return pk
        matches = self.areas_by_name.get(_fold(ref), [])
        if len(matches) > 1:
            return _AMBIGUOUS
        return matches[0] if matches else None


def _services_matching(ids: Iterable[Any], refs: Iterable[str]) -> list[Service]:
    ids, refs = list(ids), list(refs)
    base = Service.objects.select_related("organisation").prefetch_related(
        Prefetch("claims", queryset=ServiceClaim.objects.order_by("dimension")),
        Prefetch("service_areas", queryset=ServiceArea.objects.only("pk", "service_id", "area_id")),
        Prefetch("taxonomy_terms", queryset=TaxonomyTerm.objects.only("pk")),
    )
    found: list[Service] = []
    chunk = 500
    for start in range(0, max(len(ids), len(refs)), chunk):
        condition = Q(pk__in=ids[start : start + chunk]) | Q(
            external_ref__in=refs[start : start + chunk]
        )
        found.extend(base.filter(condition))
    unique = {service.pk: service for service in found}
    return list(unique.values())


@dataclass
class Plan:
    """What will be written for one valid row."""

    row: int
    action: str  # create, update, confirm (no data change but a confirming source) or unchanged
    service: Service | None
    organisation: Organisation | None
    new_organisation: str = ""
    external_ref: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    claims: dict[str, dict[str, str]] = field(default_factory=dict)
    area_ids: list[int] | None = None
    term_ids: list[Any] | None = None
    changed: list[str] = field(default_factory=list)


def _resolve_areas(inp: RowInput, lookups: _Lookups, errors: list[RowError]) -> list[int] | None:
    if inp.areas is None:
        return None
    ids: list[int] = []
    for ref in inp.areas:
        pk = lookups.area(ref)
        if pk is _AMBIGUOUS:
            errors.append(
                RowError(
                    inp.row,
                    inp.areas_field,
                    f"'{ref}' matches more than one area; use the area's slug",
                )
            )
        elif pk is None:
            examples = ", ".join(lookups.area_slug_examples)
            errors.append(
                RowError(
                    inp.row,
                    inp.areas_field,
                    f"'{ref}' is not an area slug Pathways knows (such as {examples})",
                )
            )
        elif pk not in ids:
            ids.append(pk)  # type: ignore[arg-type]
    return ids


def _resolve_terms(
    inp: RowInput, lookups: _Lookups, errors: list[RowError]
) -> dict[str, list[Any]] | None:
    if inp.terms is not None:
        resolved: dict[str, list[Any]] = {}
        for taxonomy, codes in inp.terms.items():
            column = inp.terms_fields.get(taxonomy, taxonomy)
            ids = resolved.setdefault(taxonomy, [])
            for code in codes:
                pk = lookups.terms.get((taxonomy, code.lower()))
                if pk is None:
                    known = _one_of(lookups.codes_by_taxonomy.get(taxonomy, []))
                    errors.append(RowError(inp.row, column, f"'{code}' is not one of {known}"))
                elif pk not in ids:
                    ids.append(pk)
        return resolved
    if inp.term_candidates is not None:
        matched: dict[str, list[Any]] = {}
        for term_id, vocabulary, code in inp.term_candidates:
            pk = lookups.terms_by_id.get(term_id)
            taxonomy_slug = lookups.taxonomy_slugs.get(vocabulary) or lookups.taxonomy_slugs.get(
                _fold(vocabulary)
            )
            if pk is None and taxonomy_slug and code:
                pk = lookups.terms.get((taxonomy_slug, code.lower()))
            if pk is None and code and not vocabulary:
                options = lookups.terms_by_code.get(code.lower(), [])
                pk = options[0][1] if len(options) == 1 else None
            if pk is not None:
                ids = matched.setdefault(lookups.term_taxonomy[pk], [])
                if pk not in ids:
                    ids.append(pk)
        return matched
    return None


def _claim_changes(inp: RowInput, service: Service | None) -> dict[str, dict[str, str]]:
    existing = {claim.dimension: claim for claim in service.claims.all()} if service else {}
    changes: dict[str, dict[str, str]] = {}
    for dimension, (value, evidence) in inp.claims.items():
        current = existing.get(dimension)
        current_value = current.value if current else TriState.NOT_STATED
        current_level = current.evidence_level if current else EvidenceLevel.SELF_REPORTED
        new_value = value if value is not None else current_value
        if evidence is not None:
            new_level = evidence
        elif new_value == current_value:
            new_level = current_level  # an unchanged claim keeps how sure we are of it
        else:
            new_level = EvidenceLevel.SELF_REPORTED  # a changed claim is not yet checked
        if new_value == current_value and new_level == current_level:
            continue
        changes[dimension] = {
            "value": new_value,
            "evidence_level": new_level,
            "evidence_note": current.evidence_note if current else "",
        }
    return changes


def _comparable(name: str, value: Any) -> Any:
    # Cells are trimmed when read and spreadsheets rewrite line endings; neither is a change.
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    if name == "delivery_formats":
        return sorted(value or [])  # a set of codes: order means nothing
    return value


def _plan(
    inp: RowInput, lookups: _Lookups, source: str, seen: dict[str, int]
) -> tuple[Plan | None, list[RowError]]:
    errors: list[RowError] = []
    row = inp.row
    service: Service | None = None
    external_ref = inp.external_ref
    id_field = "id"
    if inp.service_id is not None:
        service = lookups.services_by_id.get(inp.service_id)
        if service is None and not inp.external_ref_is_fallback:
            errors.append(RowError(row, "id", "no service in the directory has this id"))
        elif service is not None and inp.external_ref_is_fallback:
            external_ref = service.external_ref
    if service is None and inp.external_ref and not errors:
        service = lookups.services_by_ref.get(inp.external_ref)
        id_field = "id" if inp.external_ref_is_fallback else "external_ref"
    elif service is not None and not inp.external_ref_is_fallback and inp.external_ref:
        if service.external_ref != inp.external_ref:
            have = f"'{service.external_ref}'" if service.external_ref else "none"
            errors.append(
                RowError(
                    row,
                    "external_ref",
                    f"the service with this id has external_ref {have}; an import cannot change it",
                )
            )
    if service is not None and service.deleted_at is not None:
        errors.append(
            RowError(
                row,
                id_field,
                "this service has been deleted; restore it before importing changes to it",
            )
        )
    key = (
        f"id:{service.pk}"
        if service is not None
        else (f"ref:{external_ref}" if external_ref else "")
    )
    if key:
        if key in seen:
            errors.append(
                RowError(
                    row,
                    id_field if service else "external_ref",
                    f"the same service is also on row {seen[key]}; each service can appear only once",
                )
            )
        else:
            seen[key] = row

    organisation: Organisation | None = None
    new_organisation = ""
    ambiguous = False
    if inp.organisation_id in lookups.orgs_by_id:
        organisation = lookups.orgs_by_id[inp.organisation_id]
    elif inp.organisation:
        found = lookups.organisation(inp.organisation)
        if found is _AMBIGUOUS:
            ambiguous = True
            errors.append(
                RowError(
                    row,
                    inp.organisation_field,
                    f"'{inp.organisation}' matches more than one organisation; use the organisation's slug",
                )
            )
        elif isinstance(found, Organisation):
            organisation = found
        else:
            new_organisation = inp.organisation
    if service is not None:
        moved = organisation is None or organisation.pk != service.organisation_id
        if (inp.organisation or organisation) and moved and not ambiguous:
            errors.append(
                RowError(
                    row,
                    inp.organisation_field,
                    f"the service belongs to '{service.organisation.name}'; "
                    "an import cannot move a service to another organisation",
                )
            )
        organisation, new_organisation = service.organisation, ""
    elif not inp.organisation and organisation is None:
        errors.append(
            RowError(row, inp.organisation_field, "Enter the organisation that runs the service")
        )

    area_ids = _resolve_areas(inp, lookups, errors)
    terms = _resolve_terms(inp, lookups, errors)

    # Checks across fields, using the directory's value for a column the file does not have.
    def effective(name: str) -> Any:
        if name in inp.data:
            return inp.data[name]
        return getattr(service, name) if service is not None else None

    min_age, max_age = effective("min_age"), effective("max_age")
    if min_age is not None and max_age is not None and max_age < min_age:
        errors.append(RowError(row, "max_age", f"{max_age} is less than min_age ({min_age})"))
    start, end = effective("visible_from"), effective("visible_to")
    if start is not None and end is not None and end < start:
        errors.append(
            RowError(
                row, "visible_to", f"{end.isoformat()} is before visible_from ({start.isoformat()})"
            )
        )
    if errors:
        return None, errors

    if "delivery_formats" in inp.data and terms is not None:
        # Store the codes as the taxonomy spells them, whatever case the file used.
        inp.data["delivery_formats"] = sorted(
            lookups.term_codes[pk] for pk in terms.get("delivery-formats", [])
        )
    claims = _claim_changes(inp, service)
    term_ids: list[Any] | None = None
    if service is None:
        flat_terms = [pk for ids in (terms or {}).values() for pk in ids]
        return (
            Plan(
                row=row,
                action="create",
                service=None,
                organisation=organisation,
                new_organisation=new_organisation,
                external_ref=external_ref,
                data=dict(inp.data),
                claims=claims,
                area_ids=area_ids or [],
                term_ids=flat_terms,
            ),
            [],
        )

    data = {
        name: value
        for name, value in inp.data.items()
        if _comparable(name, getattr(service, name)) != _comparable(name, value)
    }
    changed = list(data)
    if claims:
        changed.append("claims")
    if area_ids is not None:
        current_areas = {sa.area_id for sa in service.service_areas.all()}
        if set(area_ids) != current_areas:
            changed.append("areas")
        else:
            area_ids = None
    if terms is not None:
        current_terms = [term.pk for term in service.taxonomy_terms.all()]
        kept = [pk for pk in current_terms if lookups.term_taxonomy.get(pk) not in terms]
        wanted = kept + [pk for ids in terms.values() for pk in ids]
        if set(wanted) != set(current_terms):
            term_ids = wanted
            changed.append("taxonomy_terms")
    if changed:
        action = "update"
    elif source in CONFIRMING_SOURCES:
        action = "confirm"
    else:
        action = "unchanged"
    return (
        Plan(
            row=row,
            action=action,
            service=service,
            organisation=organisation,
            data=data,
            claims=claims,
            area_ids=area_ids,
            term_ids=term_ids,
            changed=changed,
        ),
        [],
    )


# --------------------------------------------------------------------------------------
# Checking a whole file
# --------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    total_rows: int = 0
    plans: list[Plan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _sort_key(error: RowError) -> tuple[int, int, str]:
    return (error.row or 0, _COLUMN_ORDER.get(error.field, len(_COLUMN_ORDER)), error.field)


def check_file(
    content: bytes,
    fmt: str,
    *,
    source: str,
    progress: Callable[[int, int], None] | None = None,
) -> CheckResult:
    """Read a file and check every row against the directory. Writes nothing."""
    result = CheckResult()
    inputs: list[RowInput] = []
    errors: list[RowError] = []
    try:
        if fmt == ImportFormat.ORUK_JSON:
            try:
                payload = json.loads(content.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError):
                raise CellError("the file is not valid JSON") from None
            items = oruk_items(payload)
            if len(items) > MAX_ROWS:
                raise CellError(
                    f"the file has more than {MAX_ROWS:,} services; split it into smaller files"
                )
            for position, item in enumerate(items, start=1):
                inp, row_errors = row_input_from_oruk(position, item)
                errors.extend(row_errors)
                if inp is not None:
                    inputs.append(inp)
            result.total_rows = len(items)
        else:
            header, rows = read_table(content, fmt)
            if len(rows) > MAX_ROWS:
                raise CellError(
                    f"the file has more than {MAX_ROWS:,} rows; split it into smaller files"
                )
            positions, header_errors = _check_header(header)
            if header_errors:
                result.errors = header_errors
                return result
            for line, cells in rows:
                inp, row_errors = row_input_from_cells(line, cells, positions)
                errors.extend(row_errors)
                if inp is not None:
                    inputs.append(inp)
                    result.total_rows += 1
    except (CellError, FileTypeError) as exc:
        message = str(exc) if isinstance(exc, CellError) else "Pathways could not read the file"
        result.errors = [RowError(None, "file", message)]
        return result
    if result.total_rows == 0:
        result.errors = [RowError(None, "file", "the file has no services in it")]
        return result

    lookups = _Lookups(inputs)
    seen: dict[str, int] = {}
    step = max(PROGRESS_MIN_BATCH, -(-len(inputs) // PROGRESS_STEPS))
    for done, inp in enumerate(inputs, start=1):
        plan, row_errors = _plan(inp, lookups, source, seen)
        errors.extend(row_errors)
        if plan is not None:
            result.plans.append(plan)
        if progress is not None and (done % step == 0 or done == len(inputs)):
            progress(done, result.total_rows)
    result.errors = sorted(errors, key=_sort_key)
    return result


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


class _WriteError(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("import failed while writing")
        self.errors = errors


def _errors_from_validation(row: int, exc: ValidationError) -> list[RowError]:
    if hasattr(exc, "error_dict"):
        return [
            RowError(row, "name" if name == "__all__" else name, message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError(row, "row", message) for message in exc.messages]


def _write(job: ImportJob, plans: Sequence[Plan]) -> tuple[int, int]:
    actor = job.created_by
    source = job.provenance_source
    created_orgs: dict[str, Organisation] = {}
    created = updated = 0
    summary_prefix = f"Imported from {job.filename}"
    for plan in plans:
        try:
            organisation = plan.organisation
            if plan.new_organisation:
                key = _fold(plan.new_organisation)
                if key not in created_orgs:
                    created_orgs[key] = directory_services.organisation_create(
                        name=plan.new_organisation, actor=actor
                    )
                organisation = created_orgs[key]
            if plan.action == "create":
                assert organisation is not None  # noqa: S101 - the plan always has one
                directory_services.service_create(
                    organisation=organisation,
                    data=plan.data,
                    actor=actor,
                    source=source,
                    provenance_detail=job.provenance_detail or f"Import of {job.filename}",
                    external_ref=plan.external_ref,
                    claims=plan.claims,
                    area_ids=plan.area_ids or [],
                    term_ids=plan.term_ids or [],
                )
                created += 1
            elif plan.action in {"update", "confirm"}:
                assert plan.service is not None  # noqa: S101 - the plan always has one
                summary = (
                    f"{summary_prefix}: {', '.join(plan.changed)}"
                    if plan.changed
                    else f"{summary_prefix}: confirmed with no changes"
                )
                directory_services.service_update(
                    service=plan.service,
                    data=plan.data,
                    actor=actor,
                    source=source,
                    provenance_detail=job.provenance_detail or None,
                    claims=plan.claims or None,
                    area_ids=plan.area_ids,
                    term_ids=plan.term_ids,
                    summary=summary,
                )
                updated += 1
        except ValidationError as exc:
            raise _WriteError(_errors_from_validation(plan.row, exc)) from exc
    return created, updated


# --------------------------------------------------------------------------------------
# Jobs: the service functions views and tasks call
# --------------------------------------------------------------------------------------


def import_job_create(
    *,
    actor: Any,
    filename: str,
    fmt: str,
    content: bytes,
    provenance_source: str,
    provenance_detail: str = "",
    request: Any = None,
) -> ImportJob:
    """Store an uploaded file as a queued import job and audit the upload. Directory curators only."""
    if not can_curate_directory(actor):
        raise PermissionDenied("Only directory curators may import services.")
    with transaction.atomic():
        job = ImportJob.objects.create(
            created_by=actor,
            format=fmt,
            filename=filename[:255],
            content=content,
            provenance_source=provenance_source,
            provenance_detail=provenance_detail[:500],
        )
        audit_record(
            actor=actor,
            action=AuditAction.IMPORT,
            object_type="import_job",
            object_id=job.pk,
            detail={
                "event": "uploaded",
                "filename": job.filename,
                "format": fmt,
                "bytes": len(content),
                "provenance_source": provenance_source,
            },
            request=request,
        )
    return job


def _finish(
    job: ImportJob,
    *,
    status: str,
    errors: Sequence[RowError] = (),
    created: int = 0,
    updated: int = 0,
) -> ImportJob:
    job.status = status
    job.errors = [error.as_dict() for error in errors]
    job.created_count = created
    job.updated_count = updated
    job.finished_at = timezone.now()
    job.save(
        update_fields=[
            "status",
            "errors",
            "created_count",
            "updated_count",
            "finished_at",
            "processed_rows",
            "total_rows",
            "updated_at",
        ]
    )
    audit_record(
        actor=job.created_by,
        action=AuditAction.IMPORT,
        object_type="import_job",
        object_id=job.pk,
        detail={
            "event": "finished",
            "status": status,
            "rows": job.total_rows,
            "created": created,
            "updated": updated,
            "errors": len(job.errors),
        },
    )
    return job


def import_job_run(*, job_id: Any) -> ImportJob:
    """Check every row of a queued job and, only if all are valid, write them in one transaction.

    Called by `directory.tasks` (inline or in a background thread). A job runs once: a job
    that is not queued is returned untouched.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, updated_at=timezone.now()
    )
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job

    def progress(done: int, total: int) -> None:
        job.processed_rows, job.total_rows = done, total
        job.save(update_fields=["processed_rows", "total_rows", "updated_at"])

    result = check_file(
        bytes(job.content), job.format, source=job.provenance_source, progress=progress
    )
    job.total_rows = result.total_rows
    if result.errors:
        return _finish(job, status=ImportStatus.FAILED, errors=result.errors)
    job.processed_rows = result.total_rows
    try:
        with transaction.atomic():
            created, updated = _write(job, result.plans)
    except _WriteError as exc:
        return _finish(job, status=ImportStatus.FAILED, errors=exc.errors)
    except DatabaseError:
        return _finish(
            job,
            status=ImportStatus.FAILED,
            errors=[
                RowError(
                    None,
                    "file",
                    "the directory changed while this file was being imported; nothing was "
                    "imported, so upload the file again",
                )
            ],
        )
    return _finish(job, status=ImportStatus.SUCCEEDED, created=created, updated=updated)


def import_job_fail(*, job_id: Any, message: str) -> None:
    """Mark a job that stopped unexpectedly as failed, so nobody waits on it for ever."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status in {ImportStatus.SUCCEEDED, ImportStatus.FAILED}:
        return
    _finish(job, status=ImportStatus.FAILED, errors=[RowError(None, "file", message)])


def import_job_list_for_user(*, user: Any, limit: int = 10) -> QuerySet[ImportJob]:
    """Recent import jobs (without their file contents) for directory curators; none for anyone else."""
    if not can_curate_directory(user):
        return ImportJob.objects.none()
    return (
        ImportJob.objects.select_related("created_by")
        .defer("content")
        .order_by("-created_at")[:limit]
    )


def import_job_get_for_user(*, user: Any, job_id: Any) -> ImportJob:
    """One import job for a directory curator, or 404 (for anyone else, every job is not found)."""
    if not can_curate_directory(user):
        raise Http404("No such import")
    job = ImportJob.objects.select_related("created_by").defer("content").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import")
    if _is_interrupted(job):
        import_job_fail(job_id=job.pk, message=INTERRUPTED_MESSAGE)
        job.refresh_from_db()
    return job


# A job that has not moved for this long was cut off (a server restart kills its thread).
IMPORT_STALL_AFTER = dt.timedelta(minutes=30)
INTERRUPTED_MESSAGE = (
    "this import was interrupted (the server restarted while it ran); nothing was imported, "
    "so upload the file again"
)


def _is_interrupted(job: ImportJob) -> bool:
    return (
        job.status in {ImportStatus.QUEUED, ImportStatus.RUNNING}
        and job.updated_at < timezone.now() - IMPORT_STALL_AFTER
    )
