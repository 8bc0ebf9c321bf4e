"""Mapping outputs: JSON, an XLSX workbook, a PDF report and the SVG heatmap.

Every output prints the counting rule in force and the data date. Builders take a computed
`engine.MappingResult` and return bytes (or SVG text); writing the audit event is the job
of `services.mapping_export`, which calls these.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from pathways.directory.models import InterventionType, SuiteTier

from . import engine

FORMATS = ("json", "xlsx", "pdf")
CONTENT_TYPES = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
GAP_KINDS = {
    "no_provision": "No provision",
    "unverified_only": "Only claims below the gap threshold",
}
REACH_LABELS = {
    engine.LOCAL: "Serves the district",
    engine.AREA_WIDE: "Serves the whole area",
    engine.WIDER_AREA: "Serves a wider area",
}
FRAGILITY_KINDS = {
    "funding_ending": "Funding ends within 6 months",
    "unconfirmed": "Record not confirmed in the last 12 months",
    "single_provider": "District relies on a single provider",
}
EVIDENCE_LABELS = {c.value: c.label for c in engine.CERTAINTIES}
REASON_LABELS = {
    "no_evidence": "No evidence or verification recorded",
    "does_not_meet_definition": "Does not meet the agreed risk-tier definition",
}
TIER_LABELS = {"standard": "Standard risk", "medium": "Medium risk", "high": "High risk"}
SUITE_TIER_LABELS = dict(SuiteTier.choices)
INTERVENTION_TYPE_LABELS = dict(InterventionType.choices)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str


# --------------------------------------------------------------------------------------
# Shared labels
# --------------------------------------------------------------------------------------


class Labels:
    """Display names for the slugs in a result."""

    def __init__(self, result: engine.MappingResult):
        self.result = result
        self.districts = {d.slug: d.name for d in result.districts}
        self.columns = {c.slug: c.label for c in result.columns}

    def district(self, slug: str) -> str:
        return self.districts.get(slug, slug)

    def column(self, slug: str) -> str:
        return self.columns.get(slug, slug)

    def abuse_type(self, code: str) -> str:
        return self.result.abuse_type_names.get(code, code)

    @staticmethod
    def suite_tier(slug: str) -> str:
        return SUITE_TIER_LABELS.get(slug, slug)

    @staticmethod
    def intervention_type(slug: str) -> str:
        return INTERVENTION_TYPE_LABELS.get(slug, slug)

    def data_date(self) -> str:
        r = self.result
        data = (
            timezone.localtime(r.data_as_of).strftime("%d %B %Y %H:%M")
            if r.data_as_of
            else "no services"
        )
        made = (
            timezone.localtime(r.generated_at).strftime("%d %B %Y %H:%M") if r.generated_at else ""
        )
        return f"Directory data last changed {data}; computed {made} for {r.as_of:%d %B %Y}."


def filename(result: engine.MappingResult, fmt: str) -> str:
    return f"mapping-{result.area or 'services'}-{result.as_of.isoformat()}.{fmt}"


def cell_breakdown(cell: engine.Cell) -> str:
    """'3: 1 self-reported, 2 unknown' style text for a cell, for tables and titles."""
    parts = [
        f"{cell.counts[c.value]} {c.label.lower()}"
        for c in engine.CERTAINTIES
        if cell.counts[c.value]
    ]
    return ", ".join(parts) if parts else "none"


# --------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------


def to_json_bytes(result: engine.MappingResult) -> bytes:
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------------------
# Tables shared by the workbook and the PDF: (title, header, rows)
# --------------------------------------------------------------------------------------

Table = tuple[str, list[str], list[list[Any]]]


def summary_tables(result: engine.MappingResult, labels: Labels) -> list[Table]:
    s = result.summary
    headline = [
        ["Services counted", s["services"]],
        ["Organisations", s["organisations"]],
        ["Serving a district directly", s["local_services"]],
        ["Serving the whole area", s["area_wide_services"]],
        ["Serving a wider area only", s["wider_area_services"]],
        ["Districts", len(result.districts)],
    ]
    return [
        ("Headline", ["Measure", "Count"], headline),
        (
            "By district (a service for a wider area counts in each district)",
            ["District", "Services"],
            [[labels.district(k), v] for k, v in s["by_district"].items()],
        ),
        (
            "By abuse type",
            ["Abuse type", "Services"],
            [[labels.abuse_type(k), v] for k, v in s["by_abuse_type"].items()],
        ),
        (
            "By suite component (under the counting rule)",
            ["Component", "Services"],
            [[labels.column(k), v] for k, v in s["by_tier"].items()],
        ),
        (
            "By cohort (under the counting rule)",
            ["Cohort", "Services"],
            [[labels.column(k), v] for k, v in s["by_cohort"].items()],
        ),
        (
            "By suite tier as recorded",
            ["Suite tier", "Services"],
            [[labels.suite_tier(k), v] for k, v in s["by_suite_tier"].items()],
        ),
    ]


def coverage_table(result: engine.MappingResult, labels: Labels) -> Table:
    header = ["District", *[c.label for c in result.columns]]
    rows = [[d.name, *[cell.total for cell in cells]] for d, cells in result.rows()]
    return ("Coverage: services counted per district and column", header, rows)


def matrix_table(result: engine.MappingResult, labels: Labels) -> Table:
    header = [
        "District",
        "Column",
        "Group",
        "Counted",
        *[c.label for c in engine.CERTAINTIES],
        "Serving the district",
        "Whole area",
        "Wider area",
        "Unmet need",
    ]
    rows = []
    for district, cells in result.rows():
        for cell in cells:
            rows.append(
                [
                    district.name,
                    labels.column(cell.column),
                    cell.group,
                    cell.total,
                    *[cell.counts[c.value] for c in engine.CERTAINTIES],
                    cell.reach[engine.LOCAL],
                    cell.reach[engine.AREA_WIDE],
                    cell.reach[engine.WIDER_AREA],
                    unmet_need_words(cell.unmet_need),
                ]
            )
    return ("Matrix: counts by certainty", header, rows)


# Unmet need counts people the front door could not place: counts from 1 to 4 are shown as
# "fewer than 5" so nobody can be singled out. No total is published beside them (a
# person's need counts in its tier and its cohort columns), so none can be recovered.
SMALL_COUNT = 5


def unmet_need_words(count: int | None) -> str | int:
    """A cell's unmet need as published: not recorded, 0, fewer than 5, or the count."""
    if count is None:
        return "not recorded"
    if 0 < count < SMALL_COUNT:
        return "fewer than 5"
    return count


def unmet_need_table(result: engine.MappingResult, labels: Labels) -> Table:
    """Demand the One Front Door could not meet, by district and column (non-zero only)."""
    rows = [
        [district.name, labels.column(cell.column), unmet_need_words(cell.unmet_need)]
        for district, cells in result.rows()
        for cell in cells
        if cell.unmet_need
    ]
    return (
        "Unmet need: referrals with no suitable service in the last 12 months",
        ["District", "Component or cohort", "Referrals"],
        rows,
    )


def gaps_table(result: engine.MappingResult, labels: Labels) -> Table:
    return (
        "Gaps",
        ["District", "Component", "Kind", "Services counted", "Unknown claims"],
        [
            [
                labels.district(g["district"]),
                labels.column(g["component"]),
                GAP_KINDS[g["kind"]],
                g["services"],
                g["unknown"],
            ]
            for g in result.gaps
        ],
    )


def duplication_table(result: engine.MappingResult, labels: Labels) -> Table:
    return (
        "Duplication: two or more services of one intervention type for a component",
        ["District", "Component", "Intervention type", "Services"],
        [
            [
                labels.district(d["district"]),
                labels.column(d["component"]),
                labels.intervention_type(d["intervention_type"]),
                "; ".join(f"{s['name']} ({s['organisation']})" for s in d["services"]),
            ]
            for d in result.duplication
        ],
    )


def questionable_table(result: engine.MappingResult, labels: Labels) -> Table:
    in_force = result.tier_definition
    checked = (
        f" Checked against {definition_label(in_force.to_json())}."
        if in_force
        else " No agreed risk-tier definition is recorded for this area or an area above it."
        if result.area
        else ""
    )
    return (
        "Questionable claims: medium- or high-risk work that does not meet the agreed "
        "risk-tier definition, or, where no definition applies, claimed without evidence."
        + checked,
        [
            "Service",
            "Organisation",
            "Claim",
            "Evidence level",
            "Reason",
            "Definition",
            "Criteria (directory data)",
        ],
        [
            [
                q["name"],
                q["organisation"],
                claim_label(q["claim"]),
                EVIDENCE_LABELS.get(q["evidence_level"], q["evidence_level"]),
                REASON_LABELS.get(q["reason"], q["reason"]),
                definition_label(q.get("definition"), q.get("tier")),
                criteria_text(q.get("criteria") or []),
            ]
            for q in result.questionable_claims
        ],
    )


def _version(value: str | dt.datetime | None) -> str:
    if not value:
        return ""
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if timezone.is_aware(when):
        when = timezone.localtime(when)
    return f"{when:%d %B %Y %H:%M}"


def definition_label(definition: dict[str, Any] | None, tier: str | None = None) -> str:
    """'WY risk tiers (West Yorkshire), high risk, as changed 01 May 2025 10:00', or the
    fallback's explanation when no definition applied."""
    if not definition:
        return "No agreed risk-tier definition applies"
    parts = [f"{definition['title']} ({definition['area_name']})"]
    if tier:
        parts.append(TIER_LABELS.get(tier, tier).lower())
    version = _version(definition.get("updated_at"))
    if version:
        parts.append(f"as changed {version}")
    return ", ".join(parts)


def criteria_text(criteria: Iterable[dict[str, Any]]) -> str:
    """Criteria not met, then those the directory cannot decide, each with its data."""
    out = [f"Not met: {c['label']} ({c['detail']})" for c in criteria if c["met"] is False]
    out += [f"Cannot tell: {c['label']} ({c['detail']})" for c in criteria if c["met"] is None]
    return "; ".join(out)


def claim_label(claim: str) -> str:
    if claim.startswith("suite_tier:"):
        return "Suite tier: " + SUITE_TIER_LABELS.get(claim.split(":", 1)[1], claim)
    return {
        "risk_high": "Works with high-risk perpetrators",
        "risk_medium": "Works with medium-risk perpetrators",
    }.get(claim, claim)


def fragility_table(result: engine.MappingResult, labels: Labels) -> Table:
    rows: list[list[Any]] = []
    for f in result.fragility["funding_ending"]:
        detail = f"Funding {'ended' if f['ended'] else 'ends'} {f['funding_ends']}"
        rows.append([FRAGILITY_KINDS["funding_ending"], f["name"], f["organisation"], "", detail])
    for f in result.fragility["unconfirmed"]:
        detail = f"Last confirmed {f['confirmed_on']}" if f["confirmed_on"] else "Never confirmed"
        rows.append([FRAGILITY_KINDS["unconfirmed"], f["name"], f["organisation"], "", detail])
    for f in result.fragility["single_provider"]:
        rows.append(
            [
                FRAGILITY_KINDS["single_provider"],
                "",
                f["organisation"],
                labels.district(f["district"]),
                f"{labels.column(f['component'])}: {f['services']} service(s), one provider",
            ]
        )
    return ("Fragility", ["Kind", "Service", "Organisation", "District", "Detail"], rows)


def rating_words(rating: dict[str, Any]) -> str:
    """One source's rating in its own words: 'some or mixed', or 'quality of evidence
    ‘moderate’, impact ‘high’', or 'no rating given'."""
    if rating.get("rating"):
        return str(rating["rating"])
    parts = []
    if rating.get("evidence_rating"):
        parts.append(f"quality of evidence ‘{rating['evidence_rating']}’")
    if rating.get("impact_rating"):
        parts.append(f"impact ‘{rating['impact_rating']}’")
    return ", ".join(parts) or "no rating given"


def studies_words(studies: Sequence[int]) -> str:
    """'6', or '38, 23 and 8 (3 reviews)'; 'not stated' when the source gives none."""
    if not studies:
        return "not stated"
    if len(studies) == 1:
        return str(studies[0])
    counts = ", ".join(str(n) for n in studies[:-1]) + f" and {studies[-1]}"
    return f"{counts} ({len(studies)} reviews)"


def agreement_words(agreement: dict[str, Any] | None) -> str:
    """'Sources disagree (2 bands apart)', 'Sources agree', 'One source', 'Not rated'; or,
    for the reference-data fallback, where that came from."""
    if not agreement:
        return "Reference data (the evidence library holds no approaches)"
    if agreement["status"] == engine.DISAGREE:
        apart = agreement.get("spread") or 1
        return f"Sources disagree ({apart} band{'s' if apart > 1 else ''} apart)"
    return str(agreement["label"])


def ratings_text(ratings: Iterable[dict[str, Any]]) -> str:
    """'College of Policing: some or mixed; Crest Advisory review: quality of evidence …'."""
    return "; ".join(f"{r['source_name']}: {rating_words(r)}" for r in ratings)


def recommended_by_component(result: engine.MappingResult) -> list[dict[str, Any]]:
    """Each component missing somewhere: its label, the districts missing it, and the
    approaches worth commissioning (the JSON entries), in column order."""
    labels = Labels(result)
    out = []
    for column in result.columns:
        if column.group != engine.COMPONENT:
            continue
        missing: list[str] = []
        approaches: list[dict[str, Any]] = []
        for entry in result.suite_check:
            for c in entry["components"]:
                if c["component"] == column.slug and not c["present"]:
                    missing.append(labels.district(entry["district"]))
                    approaches = c["recommended"]
        if missing:
            out.append(
                {
                    "component": column.slug,
                    "label": column.label,
                    "districts": missing,
                    "approaches": approaches,
                }
            )
    return out


def approaches_in_use(result: engine.MappingResult) -> list[dict[str, Any]]:
    """For each component, the approaches its counted services follow across the area, with
    every source's rating, the services (once each) and the districts where they count."""
    labels = Labels(result)
    out = []
    for column in result.columns:
        if column.group != engine.COMPONENT:
            continue
        found: dict[str, dict[str, Any]] = {}
        for entry in result.suite_check:
            for c in entry["components"]:
                if c["component"] != column.slug:
                    continue
                for item in c.get("in_use", ()):
                    into = found.setdefault(
                        item["approach"], {**item, "services": {}, "districts": []}
                    )
                    for service in item["services"]:
                        into["services"][service["id"]] = service
                    into["districts"].append(labels.district(entry["district"]))
        for item in sorted(found.values(), key=lambda i: (i["name"], i["approach"])):
            out.append(
                {
                    **item,
                    "component": column.slug,
                    "label": column.label,
                    "services": sorted(item["services"].values(), key=lambda s: s["name"]),
                }
            )
    return out


def suite_table(result: engine.MappingResult, labels: Labels) -> Table:
    rows = []
    for district in result.suite_check:
        for c in district["components"]:
            rows.append(
                [
                    labels.district(district["district"]),
                    labels.column(c["component"]),
                    "Yes" if c["present"] else "No",
                    "Yes" if c["assured"] else "No",
                    "; ".join(
                        f"{a['name']} ({agreement_words(a.get('agreement'))})"
                        for a in c["recommended"]
                    ),
                    "; ".join(
                        f"{a['name']} ({len(a['services'])} service(s); "
                        f"{agreement_words(a['agreement'])})"
                        for a in c.get("in_use", ())
                    ),
                    c.get("services_without_approach", 0),
                ]
            )
    return (
        "Suite check: the five recommended components per district",
        [
            "District",
            "Component",
            "Present",
            "At the gap threshold",
            "Worth commissioning",
            "Approaches counted services follow",
            "Counted services with no approach recorded",
        ],
        rows,
    )


def recommended_table(result: engine.MappingResult, labels: Labels) -> Table:
    """Every source's rating of every approach worth commissioning, one row per rating, in
    the source's own words. Ratings are compared by band, never averaged."""
    rows: list[list[Any]] = []
    for item in recommended_by_component(result):
        for a in item["approaches"]:
            base = [item["label"], ", ".join(item["districts"]), a["name"], a["basis"]]
            agreement = agreement_words(a.get("agreement"))
            if not a.get("ratings"):
                rows.append([*base, a["source"], "", a["evidence"], "", "", agreement])
            for r in a.get("ratings", ()):
                rows.append(
                    [
                        *base,
                        r["source_name"],
                        r["name_as_published"],
                        rating_words(r),
                        studies_words(r["studies"]),
                        r["band"] or "no rating given",
                        agreement,
                    ]
                )
    return (
        "Approaches worth commissioning for missing components: every source's rating in its "
        "own words, never averaged. Ratings are about research on the approach.",
        [
            "Component",
            "Missing in",
            "Approach",
            "Why it is listed",
            "Source",
            "What the source rated",
            "Rating, in the source's words",
            "Studies",
            "Band used to compare",
            "Agreement",
        ],
        rows,
    )


def in_use_table(result: engine.MappingResult, labels: Labels) -> Table:
    """The evidence for the approaches counted services follow, per component."""
    return (
        "Approaches counted services follow: what each source says about the approach "
        "(research on the approach, not on the service)",
        [
            "Component",
            "Approach",
            "Services",
            "Districts",
            "Ratings, in each source's words",
            "Agreement",
        ],
        [
            [
                item["label"],
                item["name"],
                "; ".join(f"{s['name']} ({s['organisation']})" for s in item["services"]),
                ", ".join(item["districts"]),
                ratings_text(item["ratings"]),
                agreement_words(item["agreement"]),
            ]
            for item in approaches_in_use(result)
        ],
    )


def services_table(result: engine.MappingResult, labels: Labels) -> Table:
    rows = []
    for s in result.services:
        rows.append(
            [
                s.name,
                s.organisation,
                ", ".join(s.areas),
                labels.suite_tier(s.suite_tier),
                labels.intervention_type(s.intervention_type),
                ", ".join(s.abuse_types),
                "; ".join(f"{labels.column(k)}: {v.label}" for k, v in s.columns.items()),
            ]
        )
    return (
        "Services counted",
        [
            "Service",
            "Organisation",
            "Areas served",
            "Suite tier",
            "Intervention type",
            "Abuse types",
            "Columns (certainty)",
        ],
        rows,
    )


def all_tables(result: engine.MappingResult, labels: Labels) -> list[tuple[str, list[Table]]]:
    """(sheet name, tables) for each view, in report order."""
    return [
        ("Summary", summary_tables(result, labels)),
        ("Coverage", [coverage_table(result, labels)]),
        ("Matrix", [matrix_table(result, labels)]),
        ("Gaps", [gaps_table(result, labels)]),
        ("Unmet need", [unmet_need_table(result, labels)]),
        (
            "Suite check",
            [
                suite_table(result, labels),
                recommended_table(result, labels),
                in_use_table(result, labels),
            ],
        ),
        ("Duplication", [duplication_table(result, labels)]),
        ("Questionable claims", [questionable_table(result, labels)]),
        ("Fragility", [fragility_table(result, labels)]),
        ("Services", [services_table(result, labels)]),
    ]


# --------------------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------------------


def _put(ws: Any, row: int, column: int, value: Any, bold: bool = False) -> None:
    from openpyxl.styles import Font

    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula, whatever a service is called
    if bold:
        cell.font = Font(bold=True)


def to_xlsx(result: engine.MappingResult) -> bytes:
    """One sheet per view; each starts with the title, the counting rule and the data date."""
    from openpyxl import Workbook

    labels = Labels(result)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet_name, tables in all_tables(result, labels):
        ws = workbook.create_sheet(sheet_name)
        _put(ws, 1, 1, f"Mapping: {result.area_name or 'your services'} – {sheet_name}", bold=True)
        _put(ws, 2, 1, f"Counting rule: {result.rule.describe()}")
        _put(ws, 3, 1, labels.data_date())
        row = 5
        for title, header, rows in tables:
            _put(ws, row, 1, title, bold=True)
            row += 1
            for col, name in enumerate(header, start=1):
                _put(ws, row, col, name, bold=True)
            row += 1
            if not rows:
                _put(ws, row, 1, "None")
                row += 1
            for values in rows:
                for col, value in enumerate(values, start=1):
                    _put(ws, row, col, value)
                row += 1
            row += 1
        ws.column_dimensions["A"].width = 34
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------
# Heatmap colours (shared by the SVG and the PDF)
# --------------------------------------------------------------------------------------

# (least total, fill, text colour); text colours meet WCAG contrast on their fill.
SCALE = (
    (5, "#1d70b8", "#ffffff"),
    (3, "#5694ca", "#0b0c0c"),
    (2, "#9fc3e7", "#0b0c0c"),
    (1, "#d2e2f1", "#0b0c0c"),
)
GAP_FILL = "#f6d7d2"
EMPTY_FILL = "#f3f2f1"
TEXT = "#0b0c0c"


def cell_colours(cell: engine.Cell) -> tuple[str, str]:
    for least, fill, text in SCALE:
        if cell.total >= least:
            return fill, text
    return (GAP_FILL if cell.group == engine.COMPONENT else EMPTY_FILL), TEXT


# --------------------------------------------------------------------------------------
# SVG heatmap
# --------------------------------------------------------------------------------------


def _a(value: Any) -> str:
    return escape(str(value), {'"': "&quot;"})


def svg_heatmap(result: engine.MappingResult, *, svg_id: str = "mapping-heatmap") -> str:
    """The coverage matrix as an SVG heatmap: numbers in every cell, so colour is not the only cue.

    Presentation attributes only (no style attributes), so it passes the strict CSP inline.
    """
    left, top, width, height = 190, 230, 58, 28
    columns = result.columns
    rows = result.rows()
    # Room on the right for the last rotated column label and for the legend.
    total_width = max(left + width * len(columns) + 130, 930)
    legend_top = top + height * len(rows) + 20
    total_height = legend_top + 80
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{_a(svg_id)}" class="app-heatmap" '
        f'viewBox="0 0 {total_width} {total_height}" width="{total_width}" height="{total_height}" '
        f'role="img" aria-labelledby="{_a(svg_id)}-title {_a(svg_id)}-desc" '
        f'font-family="Arial, sans-serif" font-size="14">',
        f'<title id="{_a(svg_id)}-title">Coverage heatmap: {_a(result.area_name)}</title>',
        f'<desc id="{_a(svg_id)}-desc">Services counted in each district (rows) for each suite '
        f"component and cohort (columns). The same figures are in the coverage table. "
        f"Counting rule: {_a(result.rule.describe())}</desc>",
    ]
    for i, column in enumerate(columns):
        x = left + i * width + width / 2
        out.append(
            f'<text x="{x:.0f}" y="{top - 8}" transform="rotate(-50 {x:.0f} {top - 8})" '
            f'fill="{TEXT}">{_a(column.label)}</text>'
        )
    components = sum(1 for c in columns if c.group == engine.COMPONENT)
    if components and components < len(columns):
        x = left + components * width
        out.append(
            f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{top + height * len(rows)}" '
            f'stroke="{TEXT}" stroke-width="2"/>'
        )
    for r, (district, cells) in enumerate(rows):
        y = top + r * height
        out.append(
            f'<text x="{left - 8}" y="{y + height / 2 + 5:.0f}" text-anchor="end" '
            f'fill="{TEXT}">{_a(district.name)}</text>'
        )
        for i, cell in enumerate(cells):
            fill, text = cell_colours(cell)
            x = left + i * width
            unassured = cell.group == engine.COMPONENT and cell.total and not cell.assured
            dash = ' stroke-dasharray="4 3"' if unassured else ""
            stroke_colour = TEXT if unassured else "#ffffff"
            label = (
                f"{district.name}, {column_label(result, cell.column)}: "
                f"{cell.total} counted ({cell_breakdown(cell)})"
            )
            out.append(
                f"<g><title>{_a(label)}</title>"
                f'<rect x="{x + 1}" y="{y + 1}" width="{width - 2}" height="{height - 2}" '
                f'fill="{fill}" stroke="{stroke_colour}" stroke-width="2"{dash}/>'
                f'<text x="{x + width / 2:.0f}" y="{y + height / 2 + 5:.0f}" text-anchor="middle" '
                f'fill="{text}">{cell.total}</text></g>'
            )
    legend = [
        (GAP_FILL, TEXT, "0", "component with nothing counted", ""),
        (EMPTY_FILL, TEXT, "0", "cohort with nothing counted", ""),
        ("#d2e2f1", TEXT, "1", "one service", ""),
        ("#5694ca", TEXT, "3", "three or four", ""),
        ("#1d70b8", "#ffffff", "5", "five or more", ""),
        ("#d2e2f1", TEXT, "1", "dashed: none at the gap threshold", ' stroke-dasharray="4 3"'),
    ]
    for i, (fill, text, number, words, dash) in enumerate(legend):
        col, row = i % 3, i // 3
        x = 10 + col * 300
        y = legend_top + row * 36
        stroke = TEXT if dash else "#ffffff"
        out.append(
            f'<rect x="{x}" y="{y}" width="40" height="26" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="2"{dash}/><text x="{x + 20}" y="{y + 18}" text-anchor="middle" '
            f'fill="{text}">{number}</text><text x="{x + 48}" y="{y + 18}" fill="{TEXT}">'
            f"{_a(words)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def column_label(result: engine.MappingResult, slug: str) -> str:
    for column in result.columns:
        if column.slug == slug:
            return column.label
    return slug


# --------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------


def to_pdf(result: engine.MappingResult, *, compress: bool = True) -> bytes:
    """A report a board can read: rule and data date first, then each view as a table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    labels = Labels(result)
    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    for name in ("Heading2", "Heading3"):
        styles[name].keepWithNext = 1
    buffer = io.BytesIO()
    title = f"Mapping: {result.area_name or 'your services'}"
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

    def table(
        header: Sequence[str],
        rows: Iterable[Sequence[Any]],
        fills: Any = None,
        cells: list[list[Any]] | None = None,
    ) -> Any:
        data = [[p(h) for h in header]] + (cells or [[p(v) for v in row] for row in rows])
        t = LongTable(data, repeatRows=1)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b1b4b6")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3f2f1")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
        style.extend(fills or [])
        t.setStyle(TableStyle(style))
        return t

    story: list[Any] = [
        Paragraph(escape(title), styles["Title"]),
        p(f"Counting rule: {result.rule.describe()}", styles["BodyText"]),
        p(labels.data_date(), styles["BodyText"]),
        Spacer(1, 4 * mm),
    ]
    for heading, header, rows in summary_tables(result, labels):
        story += [p(heading, styles["Heading3"]), table(header, rows or [["None", ""]])]
    # The heatmap: the coverage table coloured like the page's SVG.
    heading, header, rows = coverage_table(result, labels)
    fills = []
    coloured: list[list[Any]] = []
    for r, (district, cells) in enumerate(result.rows(), start=1):
        line = [p(district.name)]
        for c, cell in enumerate(cells, start=1):
            fill, text = cell_colours(cell)
            fills.append(("BACKGROUND", (c, r), (c, r), colors.HexColor(fill)))
            line.append(p(cell.total, small.clone(f"cell{r}-{c}", textColor=colors.HexColor(text))))
        coloured.append(line)
    story += [
        p("Coverage heatmap", styles["Heading2"]),
        p(
            "Services counted per district and column; red components have nothing counted. "
            "Numbers are printed in every cell.",
        ),
        table(header, rows, fills, cells=coloured),
    ]
    for heading, header, rows in [
        gaps_table(result, labels),
        unmet_need_table(result, labels),
        suite_table(result, labels),
        recommended_table(result, labels),
        in_use_table(result, labels),
        duplication_table(result, labels),
        questionable_table(result, labels),
        fragility_table(result, labels),
        services_table(result, labels),
    ]:
        story += [p(heading, styles["Heading2"])]
        story += [table(header, rows)] if rows else [p("None.")]

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        rule = ", ".join(f"{k}={v}" for k, v in result.rule.to_params().items())
        canvas.drawString(12 * mm, 6 * mm, f"{title}. Page {document.page}. Counting rule: {rule}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def render(result: engine.MappingResult, fmt: str) -> ExportFile:
    """Build one output format; ValueError for an unknown one."""
    if fmt == "json":
        content = to_json_bytes(result)
    elif fmt == "xlsx":
        content = to_xlsx(result)
    elif fmt == "pdf":
        content = to_pdf(result)
    else:
        raise ValueError(f"Unknown format {fmt!r}: use json, xlsx or pdf")
    return ExportFile(
        content=content, filename=filename(result, fmt), content_type=CONTENT_TYPES[fmt]
    )
