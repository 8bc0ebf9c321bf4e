"""Incident files for tests: CSV and XLSX bytes."""

from __future__ import annotations

import datetime as dt
import io

T = dt.date(2025, 6, 1)
HEADER = "perpetrator_id,victim_id,date,category"


def csv_bytes(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def xlsx_bytes(rows: list[list], header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER.split(","))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
