"""`pathways mapping --area <slug> --format json|xlsx|pdf [--output FILE]`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from pathways.audit.models import AuditAction, AuditEvent
from pathways.mapping.engine import CountingRule


def _run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("mapping", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_json_to_standard_output_in_the_api_shape(make_service):
    make_service("Leeds service", claims={"risk_high": {"value": "yes"}})
    body = json.loads(_run("--area", "leeds", "--format", "json", "--count-unknown", "yes"))
    assert body["area"] == "leeds"
    assert body["summary"]["services"] == 1
    assert body["counting_rule"]["description"] == CountingRule(count_unknown=True).describe()
    event = AuditEvent.objects.order_by("-sequence").first()
    assert event.action == AuditAction.EXPORT and event.detail["channel"] == "command"
    assert event.actor is None


def test_xlsx_and_pdf_to_a_file(reference, tmp_path):
    xlsx = tmp_path / "wy.xlsx"
    _run("--area", "west-yorkshire", "--format", "xlsx", "--output", str(xlsx))
    book = load_workbook(xlsx)
    assert book["Summary"]["A2"].value.startswith("Counting rule:")
    pdf = tmp_path / "wy.pdf"
    _run("--area", "west-yorkshire", "--format", "pdf", "--output", str(pdf), "--wider-areas", "no")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_bad_input_is_a_command_error(reference, tmp_path):
    with pytest.raises(CommandError, match="atlantis"):
        _run("--area", "atlantis", "--format", "json")
    with pytest.raises(CommandError):
        _run("--area", "leeds", "--format", "docx")
    with pytest.raises(CommandError):
        _run("--area", "leeds", "--format", "json", "--gap-threshold", "unknown")
    with pytest.raises(CommandError, match="binary"):
        _run("--area", "leeds", "--format", "pdf")
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
