"""Reading police incident extracts (CSV or XLSX) and gravity tables (CSV). Pure: no database.

One reader for both paths, so the import (`services.incidents_import`) and the file-only
command (`pathways rfg-score`) accept and refuse exactly the same files. Every problem is
a `RowError` (row number as a spreadsheet shows it, column, message); nothing is skipped
quietly. The type of a file is worked out from its bytes, never from its name.

Columns (the first row names them; case, spaces and hyphens do not matter; other columns
are allowed and ignored):

    perpetrator_id   required: the pseudonymised id of the person who perpetrated
    victim_id        required column; a blank cell means no victim-survivor was recorded
    date             required: YYYY-MM-DD or DD/MM/YYYY (a time after the date is ignored)
    category         required: a category of the gravity table in force
    domestic_abuse   optional: yes/no (true/false, y/n, 1/0); every row counts as yes without it
    incident_ref     optional: the force's (pseudonymised) incident reference
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from .rfg import INCIDENT_SCHEMA, MAX_WEIGHT, normalise_category

MAX_ROWS = 2_000_000
MAX_ERRORS = 500
MAX_ID_LENGTH = 64
MAX_XLSX_UNPACKED_BYTES = 500 * 1024 * 1024
REQUIRED = ("perpetrator_id", "victim_id", "date", "category")
OPTIONAL = ("domestic_abuse", "incident_ref")
YES = frozenset({"yes", "y", "true", "t", "1"})
NO = frozenset({"no", "n", "false", "f", "0"})
# A cell starting like a spreadsheet formula is refused: ids are echoed into CSV output.
FORMULA_START = ("=", "+", "-", "@")
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    row: int | None  # None: the file as a whole
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return f"{where}, {self.column}: {self.message}"


class IncidentFileError(ValueError):
    """A file that cannot be read as incidents (or a gravity table); `errors` lists why."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors[:5]))
        self.errors = errors


@dataclass
class ParsedIncidents:
    """Valid rows as columns (ready for Polars), or the errors that stop the file."""

    format: str = ""
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    has_incident_ref: bool = False
    source_rows: list[int] = field(default_factory=list)
    perpetrator_id: list[str] = field(default_factory=list)
    victim_id: list[str] = field(default_factory=list)
    date: list[dt.date] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    domestic_abuse: list[bool] = field(default_factory=list)
    incident_ref: list[str] = field(default_factory=list)

    def add_error(self, row: int | None, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, column, message))

    def frame(self) -> pl.DataFrame:
        """The incidents as the frame `rfg.score` reads (plus incident_ref and source_row)."""
        return pl.DataFrame(
            {
                "perpetrator_id": self.perpetrator_id,
                "victim_id": self.victim_id,
                "date": self.date,
                "category": self.category,
                "domestic_abuse": self.domestic_abuse,
                "incident_ref": self.incident_ref,
                "source_row": self.source_rows,
            },
            schema={**INCIDENT_SCHEMA, "incident_ref": pl.String, "source_row": pl.Int64},
        )


# --------------------------------------------------------------------------------------
# Bytes to a table
# --------------------------------------------------------------------------------------


def detect_format(content: bytes) -> str:
    """ "xlsx" or "csv" from the bytes; IncidentFileError for anything else."""
    if content.startswith(b"PK\x03\x04"):
        _check_xlsx_container(content)
        return "xlsx"
    if b"\x00" in content[:65536]:
        raise IncidentFileError([RowError(None, "file", "this is not a CSV or XLSX file")])
    _decode(content)
    return "csv"


def _check_xlsx_container(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise IncidentFileError(
            [RowError(None, "file", "this is not a CSV file or an Excel workbook")]
        ) from exc
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise IncidentFileError(
            [RowError(None, "file", "this zip file is not an Excel workbook (XLSX)")]
        )
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise IncidentFileError(
            [RowError(None, "file", "the workbook unpacks to more than Pathways will read")]
        )


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text[:65536]):
            break
        return text
    raise IncidentFileError(
        [RowError(None, "file", "this is not a CSV file (save it as CSV UTF-8) or XLSX")]
    )


def _cell_text(value: Any) -> str:
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


def read_table(content: bytes) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """The format, the header and the data rows (with their row numbers) of a file."""
    fmt = detect_format(content)
    if fmt == "xlsx":
        return (fmt, *_read_xlsx(content))
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        for record in reader:
            if header is None:
                header = [cell.strip() for cell in record]
                continue
            rows.append((reader.line_num, record))
            if len(rows) > MAX_ROWS:
                break
    except csv.Error as exc:
        raise IncidentFileError(
            [RowError(reader.line_num, "file", f"this line cannot be read as CSV ({exc})")]
        ) from exc
    return fmt, header or [], rows


def _read_xlsx(content: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad workbook
        raise IncidentFileError([RowError(None, "file", "the workbook cannot be read")]) from exc
    try:
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return header, rows
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            if line == 1:
                header = cells
                continue
            rows.append((line, cells))
            if len(rows) > MAX_ROWS:
                break
    except Exception as exc:  # noqa: BLE001 - a damaged sheet fails while it is read
        raise IncidentFileError([RowError(None, "file", "the workbook cannot be read")]) from exc
    finally:
        workbook.close()
    return header, rows


def _column_name(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


# --------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------

_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD or DD/MM/YYYY, optionally followed by a time; None when not a date."""
    text = text.strip()
    try:
        if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
            rest = text[10:]
            if rest and rest[0] not in " T":
                return None
            day = dt.date.fromisoformat(text[:10])
        else:
            head = text.split(" ", 1)[0]
            match = _DMY.fullmatch(head)
            if not match:
                return None
            day = dt.date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2100 else None


def _id_problem(value: str, *, what: str) -> str:
    if len(value) > MAX_ID_LENGTH:
        return f"the {what} is longer than {MAX_ID_LENGTH} characters"
    if not value.isprintable():
        return f"the {what} contains characters that cannot be shown"
    if value.startswith(FORMULA_START):
        return f"the {what} starts with {value[0]!r}, like a spreadsheet formula"
    return ""


# --------------------------------------------------------------------------------------
# Incidents
# --------------------------------------------------------------------------------------


def parse_incidents(
    content: bytes,
    *,
    categories: Collection[str] | None,
    progress: ProgressFn | None = None,
) -> ParsedIncidents:
    """Every row of an incident extract checked; `errors` is empty only when all are valid.

    `categories` are the gravity table's codes (None: any category is accepted, for a
    caller that checks them itself). A row repeating an earlier row's incident (same
    incident_ref, perpetrator, victim, date and category) is an error: counted twice it
    would inflate frequency and gravity.
    """
    parsed = ParsedIncidents()
    try:
        parsed.format, header, rows = read_table(content)
    except IncidentFileError as exc:
        for error in exc.errors:
            parsed.add_error(error.row, error.column, error.message)
        return parsed
    positions = _check_header(header, parsed)
    if parsed.errors:
        return parsed
    if len(rows) > MAX_ROWS:
        parsed.add_error(None, "file", f"the file has more than {MAX_ROWS:,} rows")
        return parsed
    rows = [(line, cells) for line, cells in rows if any(c.strip() for c in cells)]
    parsed.total_rows = len(rows)
    parsed.has_incident_ref = "incident_ref" in positions
    known = frozenset(categories) if categories is not None else None
    seen: dict[tuple[str, str, str, dt.date, str], int] = {}
    step = max(1, len(rows) // 50)
    col = positions
    width = max(col.values()) + 1
    for done, (line, cells) in enumerate(rows, start=1):
        if progress is not None and done % step == 0:
            progress(done, len(rows))
        if len(cells) < width:
            cells = [*cells, *([""] * (width - len(cells)))]
        before = parsed.error_count
        perpetrator = cells[col["perpetrator_id"]].strip()
        if not perpetrator:
            parsed.add_error(line, "perpetrator_id", "enter the perpetrator's pseudonymised id")
        elif problem := _id_problem(perpetrator, what="perpetrator id"):
            parsed.add_error(line, "perpetrator_id", problem)
        victim = cells[col["victim_id"]].strip()
        if victim and (problem := _id_problem(victim, what="victim id")):
            parsed.add_error(line, "victim_id", problem)
        raw_date = cells[col["date"]].strip()
        day = parse_date(raw_date)
        if day is None:
            parsed.add_error(
                line,
                "date",
                "enter the date as YYYY-MM-DD or DD/MM/YYYY"
                if raw_date
                else "enter the date of the incident",
            )
        raw_category = cells[col["category"]].strip()
        category = normalise_category(raw_category)
        if not category:
            parsed.add_error(line, "category", "enter the incident's category")
        elif known is not None and category not in known:
            parsed.add_error(
                line,
                "category",
                f"{raw_category!r} is not a category of the gravity table in force; add it "
                "to the table or correct the row (there is no default weight)",
            )
        domestic = True
        if "domestic_abuse" in col:
            flag = cells[col["domestic_abuse"]].strip().lower()
            if flag in YES:
                domestic = True
            elif flag in NO:
                domestic = False
            else:
                parsed.add_error(line, "domestic_abuse", "enter yes or no")
        ref = cells[col["incident_ref"]].strip() if "incident_ref" in col else ""
        if ref and (problem := _id_problem(ref, what="incident reference")):
            parsed.add_error(line, "incident_ref", problem)
        if parsed.error_count != before or day is None:
            continue
        key = (ref, perpetrator, victim, day, category)
        first = seen.get(key)
        if first is not None:
            parsed.add_error(
                line,
                "row",
                f"this is the same incident as row {first} (same "
                + ("incident reference, " if ref else "")
                + "perpetrator, victim, date and category); remove one"
                + ("" if ref else ", or add an incident_ref column that tells them apart"),
            )
            continue
        seen[key] = line
        if parsed.error_count:
            continue  # the file fails: stop collecting rows, keep checking them
        parsed.source_rows.append(line)
        parsed.perpetrator_id.append(perpetrator)
        parsed.victim_id.append(victim)
        parsed.date.append(day)
        parsed.category.append(category)
        parsed.domestic_abuse.append(domestic)
        parsed.incident_ref.append(ref)
    if progress is not None:
        progress(len(rows), len(rows))
    if not parsed.error_count and not rows:
        parsed.add_error(None, "file", "the file has no incidents below its header row")
    if parsed.error_count > len(parsed.errors):
        parsed.errors.append(
            RowError(
                None,
                "file",
                f"{parsed.error_count - len(parsed.errors)} more problems are not listed",
            )
        )
    return parsed


def _check_header(header: list[str], parsed: ParsedIncidents) -> dict[str, int]:
    positions: dict[str, int] = {}
    if not any(cell.strip() for cell in header):
        parsed.add_error(
            1,
            "header",
            "the first row must name the columns: " + ", ".join(REQUIRED),
        )
        return positions
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        parsed.add_error(
            1,
            "header",
            "the columns are separated by semicolons or tabs; save the file as CSV with commas",
        )
        return positions
    for index, raw in enumerate(header):
        name = _column_name(raw)
        if name not in REQUIRED and name not in OPTIONAL:
            continue  # other columns are allowed, and ignored
        if name in positions:
            parsed.add_error(1, name, f"the column {name!r} appears more than once")
            continue
        positions[name] = index
    for name in REQUIRED:
        if name not in positions:
            parsed.add_error(1, name, f"the {name!r} column is missing")
    return positions


# --------------------------------------------------------------------------------------
# Gravity tables
# --------------------------------------------------------------------------------------


def parse_gravity_csv(content: bytes) -> dict[str, Decimal]:
    """A gravity table from a CSV with the columns category,weight (other columns ignored).
    Raises IncidentFileError naming every bad row."""
    fmt, header, rows = read_table(content)
    errors: list[RowError] = []
    if fmt != "csv":
        raise IncidentFileError([RowError(None, "file", "the gravity table must be a CSV file")])
    names = [_column_name(h) for h in header]
    for needed in ("category", "weight"):
        if names.count(needed) != 1:
            errors.append(RowError(1, needed, f"the gravity table needs one {needed!r} column"))
    if errors:
        raise IncidentFileError(errors)
    at_category, at_weight = names.index("category"), names.index("weight")
    table: dict[str, Decimal] = {}
    first_row: dict[str, int] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        padded = [*cells, "", ""]
        raw = padded[at_category].strip()
        code = normalise_category(raw)
        weight_text = padded[at_weight].strip()
        if not code:
            errors.append(RowError(line, "category", "enter a category"))
            continue
        if code in first_row:
            errors.append(
                RowError(line, "category", f"{raw!r} is already listed on row {first_row[code]}")
            )
            continue
        first_row[code] = line
        try:
            weight = Decimal(weight_text)
        except ArithmeticError:
            weight = Decimal("NaN")
        if (
            not weight.is_finite()
            or weight < 0
            or weight > MAX_WEIGHT
            or weight * 100 != (weight * 100).to_integral_value()
        ):
            errors.append(
                RowError(
                    line,
                    "weight",
                    f"enter a weight from 0 to {MAX_WEIGHT} with at most two decimal places",
                )
            )
            continue
        table[code] = weight
    if not errors and not table:
        errors.append(RowError(None, "file", "the gravity table lists no categories"))
    if errors:
        raise IncidentFileError(errors)
    return table
