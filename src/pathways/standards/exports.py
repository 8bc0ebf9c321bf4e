"""Assessment outputs: a PDF in the layout commissioners use (item, finding and evidence,
status) and an XLSX workbook. Builders take an assessment and return bytes; the audit event
is written by `services.assessment_export`, which calls these.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.text import slugify

from . import selectors
from .models import Assessment, Rating

FORMATS = ("pdf", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
RAG_FILLS = {
    Rating.GREEN: ("#00703c", "#ffffff"),
    Rating.AMBER: ("#ffdd00", "#0b0c0c"),
    Rating.RED: ("#d4351c", "#ffffff"),
    Rating.NOT_APPLICABLE: ("#f3f2f1", "#0b0c0c"),
    Rating.NOT_RATED: ("#ffffff", "#0b0c0c"),
}
RATING_LABELS = dict(Rating.choices)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str


def filename(assessment: Assessment, fmt: str) -> str:
    name = slugify(assessment.service.name)[:60] or "service"
    return f"assessment-{name}-{assessment.checklist.key}-{assessment.number}.{fmt}"


def header_lines(assessment: Assessment) -> list[tuple[str, str]]:
    """The facts printed above the table, in both formats."""
    counts = selectors.assessment_counts(assessment)
    lines = [
        ("Service", assessment.service.name),
        ("Provider", assessment.service.organisation.name),
        ("Framework", f"{assessment.framework.title} ({assessment.framework.version})"),
        ("Checklist", assessment.checklist.title),
        ("Kind", assessment.get_kind_display()),
        ("Status", assessment.get_status_display()),
        ("Outcome", assessment.get_outcome_display() or "Not decided"),
        ("Counts", ", ".join(f"{RATING_LABELS[k]} {v}" for k, v in counts.items())),
    ]
    if assessment.source:
        lines.append(("Source", assessment.source))
    lines.append(("Printed", timezone.localtime().strftime("%d %B %Y %H:%M")))
    return lines


def evidence_text(row: selectors.RatingRow) -> str:
    parts = []
    if row.evidence:
        parts.append("Evidence: " + ", ".join(row.evidence))
    if row.evidence_note:
        parts.append(row.evidence_note)
    if row.review_date:
        parts.append(f"Review by {row.review_date:%d %B %Y}")
    if row.decision:
        parts.append(
            f"Commissioner: {row.decision}"
            + (f" – {row.review_reason}" if row.review_reason else "")
        )
    return ". ".join(parts)


def to_xlsx(assessment: Assessment) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Assessment"
    row = 1
    for label, value in header_lines(assessment):
        ws.cell(row=row, column=1, value=label).font = Font(bold=True)
        ws.cell(row=row, column=2, value=value)
        row += 1
    row += 1
    header = [
        "Codes",
        "Item",
        "Finding",
        "Evidence",
        "Provider's rating",
        "Status",
        "Review date",
        "Commissioner's decision",
        "Reason",
    ]
    for col, text in enumerate(header, start=1):
        ws.cell(row=row, column=col, value=text).font = Font(bold=True)
    for r in selectors.assessment_rows(assessment):
        row += 1
        values = [
            ", ".join(r.codes),
            r.question,
            r.finding,
            "; ".join([*r.evidence, *([r.evidence_note] if r.evidence_note else [])]),
            RATING_LABELS[r.status],
            RATING_LABELS[r.final_status],
            r.review_date.isoformat() if r.review_date else "",
            r.decision,
            r.review_reason,
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        fill, _ = RAG_FILLS[Rating(r.final_status)]
        ws.cell(row=row, column=6).fill = PatternFill("solid", fgColor=fill.lstrip("#"))
    for col, width in zip("ABCDEFGHI", (14, 40, 60, 30, 14, 14, 12, 16, 30), strict=True):
        ws.column_dimensions[col].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_pdf(assessment: Assessment, *, compress: bool = True) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    buffer = io.BytesIO()
    title = f"{assessment.service.name}: {assessment.checklist.title}"
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="Pathways",
        pageCompression=1 if compress else 0,
        invariant=1,
    )

    def p(text: Any, style: Any = small) -> Any:
        return Paragraph(escape(str(text)), style)

    story: list[Any] = [Paragraph(escape(title), styles["Title"])]
    for label, value in header_lines(assessment):
        story.append(p(f"{label}: {value}", styles["BodyText"]))
    story.append(Spacer(1, 4 * mm))
    data: list[list[Any]] = [[p("Item"), p("Finding and evidence"), p("Status")]]
    fills = []
    for n, r in enumerate(selectors.assessment_rows(assessment), start=1):
        codes = f"{', '.join(r.codes)} " if r.codes else ""
        finding = r.finding or "No finding recorded."
        evidence = evidence_text(r)
        fill, text = RAG_FILLS[Rating(r.final_status)]
        data.append(
            [
                p(f"{codes}{r.question}"),
                p(f"{finding}{' ' + evidence + '.' if evidence else ''}"),
                p(
                    RATING_LABELS[r.final_status],
                    small.clone(f"s{n}", textColor=colors.HexColor(text)),
                ),
            ]
        )
        fills.append(("BACKGROUND", (2, n), (2, n), colors.HexColor(fill)))
    table = LongTable(data, colWidths=[80 * mm, 160 * mm, 30 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *fills,
            ]
        )
    )
    story.append(table)
    if assessment.summary:
        story += [
            Spacer(1, 4 * mm),
            p("Overall", styles["Heading3"]),
            p(assessment.summary, styles["BodyText"]),
        ]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(12 * mm, 6 * mm, f"{title}. Page {document.page}.")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def render(assessment: Assessment, fmt: str) -> ExportFile:
    """Build one output format; ValueError for an unknown one."""
    if fmt == "pdf":
        content = to_pdf(assessment)
    elif fmt == "xlsx":
        content = to_xlsx(assessment)
    else:
        raise ValueError(f"Unknown format {fmt!r}: use pdf or xlsx")
    return ExportFile(
        content=content, filename=filename(assessment, fmt), content_type=CONTENT_TYPES[fmt]
    )
