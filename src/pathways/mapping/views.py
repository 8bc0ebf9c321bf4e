"""Mapping pages. Thin: parse the area and counting rule, call a selector or service, render.

Every view names its policy: `MAPPING` (commissioners, analysts, administrators) for the
area pages, exports and snapshots; `MAPPING_OWN_SERVICES` for a provider manager's view of
their own services; `MAPPING_PUBLISH` (administrators) to publish or unpublish a public
summary; `PUBLIC` for the published summaries themselves. Bad input (an unknown area, format or counting rule) gets a GOV.UK
error page or form errors with status 400 or 404, never a server error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.accounts.policies import PUBLIC

from . import engine, exports, selectors, services
from .forms import AreaForm, CompareForm, RuleForm, SnapshotForm
from .policies import MAPPING, MAPPING_OWN_SERVICES, MAPPING_PUBLISH, can_publish_mapping


def _area_or_404(slug: str) -> tuple[str, str]:
    for area_slug, name, _kind in selectors.mapping_area_choices():
        if area_slug == slug:
            return area_slug, name
    raise Http404("No such area")


def _problem(request: HttpRequest, errors: list[str], *, status: int = 400) -> HttpResponse:
    return render(request, "mapping/problem.html", {"errors": errors}, status=status)


def _rule_query(rule: engine.CountingRule) -> str:
    return urlencode(rule.to_params())


@policy_required(MAPPING)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Choose an area (and a counting rule); a valid choice goes to that area's mapping."""
    chosen = "area" in request.GET
    area_form = AreaForm(request.GET if chosen else None)
    rule_form = RuleForm(request.GET)
    rule = rule_form.valid_rule()
    if chosen and area_form.is_valid() and rule is not None:
        url = reverse("mapping:area", args=[area_form.cleaned_data["area"]])
        return redirect(f"{url}?{_rule_query(rule)}")
    status = 400 if chosen else 200
    return render(
        request,
        "mapping/index.html",
        {"area_form": area_form, "rule_form": rule_form},
        status=status,
    )


@policy_required(MAPPING)
@require_GET
def area_mapping(request: HttpRequest, area: str) -> HttpResponse:
    """The mapping of one area: heatmap, coverage table, gaps and the rest."""
    area_slug, area_name = _area_or_404(area)
    rule_form = RuleForm(request.GET)
    context: dict[str, Any] = {
        "area_slug": area_slug,
        "area_name": area_name,
        "rule_form": rule_form,
    }
    rule = rule_form.valid_rule()
    if rule is None:
        return render(request, "mapping/area.html", context, status=400)
    result = selectors.mapping_for_area(user=request.user, area_slug=area_slug, rule=rule)
    labels = exports.Labels(result)
    context.update(
        {
            "result": result,
            "table_rows": [
                (
                    district,
                    [
                        {
                            "cell": cell,
                            "breakdown": exports.cell_breakdown(cell),
                            "unmet": exports.unmet_need_words(cell.unmet_need)
                            if cell.unmet_need
                            else None,
                            "unassured": cell.group == engine.COMPONENT
                            and cell.total > 0
                            and cell.assured == 0,
                        }
                        for cell in cells
                    ],
                )
                for district, cells in result.rows()
            ],
            "suite": [
                {
                    "district": labels.district(entry["district"]),
                    "present": entry["present"],
                    "of": entry["of"],
                    "components": entry["components"],
                }
                for entry in result.suite_check
            ],
            "component_columns": [c for c in result.columns if c.group == engine.COMPONENT],
            "missing_approaches": _missing_approaches(result),
            "approaches_in_use": [_with_words(a) for a in exports.approaches_in_use(result)],
            "labels": labels,
            "heatmap": mark_safe(exports.svg_heatmap(result)),  # noqa: S308 - every value escaped by svg_heatmap
            "rule_query": _rule_query(rule),
            "rule_params": rule.to_params(),
            "gaps_none": [_gap_row(g, labels) for g in result.gaps if g["kind"] == "no_provision"],
            "gaps_unverified": [
                _gap_row(g, labels) for g in result.gaps if g["kind"] == "unverified_only"
            ],
            "unmet_need_table": exports.unmet_need_table(result, labels),
            "unmet_need_recorded": result.unmet_need_recorded,
            "snapshot_form": SnapshotForm(),
            "summary_tables": exports.summary_tables(result, labels),
            "fragility_table": _capped(exports.fragility_table(result, labels)),
            "questionable_table": _capped(exports.questionable_table(result, labels)),
            "tier_definition": result.tier_definition,
            "duplication_table": _capped(exports.duplication_table(result, labels)),
            "certainties": engine.CERTAINTIES,
        }
    )
    return render(request, "mapping/area.html", context)


PAGE_ROWS = 100


def _capped(table: exports.Table) -> tuple[str, list[str], list[Any], int]:
    """A long table cut to its first rows on the page; the downloads have every row."""
    title, header, rows = table
    return title, header, rows[:PAGE_ROWS], len(rows)


def _missing_approaches(result: engine.MappingResult) -> list[dict[str, Any]]:
    """Each component missing somewhere, with its districts and what is worth commissioning,
    each rating put in the source's own words for the page."""
    return [
        {
            **item,
            "approaches": [_with_words(a) for a in item["approaches"]],
        }
        for item in exports.recommended_by_component(result)
    ]


def _with_words(approach: dict[str, Any]) -> dict[str, Any]:
    return {
        **approach,
        "agreement_words": exports.agreement_words(approach.get("agreement")),
        "disagree": (approach.get("agreement") or {}).get("status") == engine.DISAGREE,
        "ratings": [
            {
                **r,
                "words": exports.rating_words(r),
                "studies_words": exports.studies_words(r["studies"]),
            }
            for r in approach.get("ratings", ())
        ],
    }


def _gap_row(gap: dict[str, Any], labels: exports.Labels) -> dict[str, Any]:
    return {
        **gap,
        "district_name": labels.district(gap["district"]),
        "component_label": labels.column(gap["component"]),
    }


def _attachment(export: exports.ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@policy_required(MAPPING)
@require_GET
def export(request: HttpRequest, area: str, fmt: str) -> HttpResponse:
    """Download the mapping as XLSX, PDF or JSON; each download is audited."""
    if fmt not in exports.FORMATS:
        return _problem(request, ["Choose a download format: xlsx, pdf or json."])
    area_slug, _name = _area_or_404(area)
    rule_form = RuleForm(request.GET)
    rule = rule_form.valid_rule()
    if rule is None:
        return _problem(request, [str(e) for errors in rule_form.errors.values() for e in errors])
    return _attachment(
        services.mapping_export(
            actor=request.user,
            area_slug=area_slug,
            rule=rule,
            fmt=fmt,
            request=request,
        )
    )


@policy_required(MAPPING)
@require_http_methods(["GET", "POST"])
def snapshots(request: HttpRequest, area: str) -> HttpResponse:
    """An area's saved snapshots; POST saves a new one under the counting rule given."""
    area_slug, area_name = _area_or_404(area)
    form = SnapshotForm(request.POST or None)
    rule_form = RuleForm(request.POST if request.method == "POST" else None)
    rule = rule_form.valid_rule()
    if request.method == "POST" and form.is_valid() and rule is not None:
        try:
            snapshot = services.snapshot_save(
                actor=request.user,
                area_slug=area_slug,
                rule=rule,
                label=form.cleaned_data["label"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Snapshot saved")
            return redirect("mapping:snapshot", snapshot_id=snapshot.pk)
    snapshot_list = list(selectors.snapshot_list_for_area(user=request.user, area_slug=area_slug))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "mapping/snapshots.html",
        {
            "area_slug": area_slug,
            "area_name": area_name,
            "snapshots": snapshot_list,
            "form": form,
            "rule_form": rule_form,
            "compare_form": CompareForm(snapshots=snapshot_list),
        },
        status=status,
    )


@policy_required(MAPPING)
@require_GET
def snapshot_detail(request: HttpRequest, snapshot_id: Any) -> HttpResponse:
    snapshot = selectors.snapshot_get(user=request.user, snapshot_id=snapshot_id)
    payload = snapshot.payload
    names = {d["slug"]: d["name"] for d in payload.get("districts", [])}
    columns = {c["slug"]: c["label"] for c in payload.get("columns", [])}
    gaps = [
        {
            "district": names.get(g["district"], g["district"]),
            "component": columns.get(g["component"], g["component"]),
            "kind": exports.GAP_KINDS.get(g["kind"], g["kind"]),
        }
        for g in payload.get("gaps", [])
    ]
    by_district = [
        (names.get(k, k), v) for k, v in payload.get("summary", {}).get("by_district", {}).items()
    ]
    live = selectors.published_summary_live_for_area_of(user=request.user, snapshot=snapshot)
    return render(
        request,
        "mapping/snapshot.html",
        {
            "snapshot": snapshot,
            "payload": payload,
            "gaps": gaps,
            "by_district": by_district,
            "live_summary": live,
            "live_is_this": live is not None and live.snapshot_id == snapshot.pk,
            "can_publish": can_publish_mapping(request.user),
        },
    )


# --------------------------------------------------------------------------------------
# Publishing a summary for the public
# --------------------------------------------------------------------------------------


def public_view(content: dict[str, Any]) -> dict[str, Any]:
    """A published summary's content as the rows the public page (and its preview) shows."""
    districts = {d["slug"]: d["name"] for d in content.get("districts", [])}
    columns = {c["slug"]: c["label"] for c in content.get("columns", [])}
    summary = content.get("summary", {})
    threshold = content.get("counting_rule", {}).get("gap_threshold") or "verified"
    level = engine.Certainty(threshold).label.lower()

    def named(kind: str) -> list[dict[str, str]]:
        return [
            {
                "district": districts.get(g["district"], g["district"]),
                "component": columns.get(g["component"], g["component"]),
            }
            for g in content.get("gaps", [])
            if g["kind"] == kind
        ]

    as_of = content.get("as_of")
    return {
        "area_name": content.get("area_name", ""),
        "as_of": dt.date.fromisoformat(as_of) if as_of else None,
        "rule": content.get("counting_rule", {}).get("description", ""),
        "level": level,
        "headline": [
            (_("Services counted"), summary.get("services", 0)),
            (_("Organisations providing them"), summary.get("organisations", 0)),
            (_("Councils (districts)"), len(districts)),
        ],
        "by_district": [
            (districts.get(k, k), v) for k, v in summary.get("by_district", {}).items()
        ],
        "by_component": [(columns.get(k, k), v) for k, v in summary.get("by_tier", {}).items()],
        "by_cohort": [(columns.get(k, k), v) for k, v in summary.get("by_cohort", {}).items()],
        "by_abuse_type": [
            (content.get("abuse_type_names", {}).get(k, k), v)
            for k, v in summary.get("by_abuse_type", {}).items()
        ],
        "gaps_none": named("no_provision"),
        "gaps_unverified": named("unverified_only"),
    }


@policy_required(MAPPING_PUBLISH)
@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, snapshot_id: Any) -> HttpResponse:
    """Confirm, then publish a snapshot's headline figures and gaps for the public."""
    snapshot = selectors.snapshot_get(user=request.user, snapshot_id=snapshot_id)
    preview = selectors.publish_preview(user=request.user, snapshot=snapshot)
    errors: list[str] = []
    if request.method == "POST":
        try:
            services.summary_publish(actor=request.user, snapshot_id=snapshot.pk, request=request)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(request, _("Summary published"))
            return redirect("mapping:snapshot", snapshot_id=snapshot.pk)
    live = selectors.published_summary_live_for_area_of(user=request.user, snapshot=snapshot)
    return render(
        request,
        "mapping/publish_confirm.html",
        {
            "snapshot": snapshot,
            "view": public_view(preview),
            "live_summary": live,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@policy_required(MAPPING_PUBLISH)
@require_http_methods(["GET", "POST"])
def unpublish(request: HttpRequest, area: str) -> HttpResponse:
    """Confirm, then withdraw the area's public summary."""
    live = selectors.published_summary_for_area(area_slug=area)
    if request.method == "POST":
        services.summary_unpublish(actor=request.user, area_slug=area, request=request)
        messages.success(request, _("Summary unpublished"))
        return redirect("mapping:snapshot", snapshot_id=live.snapshot_id)
    return render(request, "mapping/unpublish_confirm.html", {"summary": live})


@policy_required(PUBLIC)
@require_GET
def published_list(request: HttpRequest) -> HttpResponse:
    """Every area with a published summary (one query)."""
    summaries = list(selectors.published_summary_list())
    return render(request, "mapping/published_list.html", {"summaries": summaries})


@policy_required(PUBLIC)
@require_GET
def published_area(request: HttpRequest, area: str) -> HttpResponse:
    """An area's published summary: headline figures and gaps only; 404 when none."""
    summary = selectors.published_summary_for_area(area_slug=area)
    return render(
        request,
        "mapping/published_area.html",
        {"summary": summary, "view": public_view(summary.content)},
    )


@policy_required(MAPPING)
@require_GET
def snapshot_compare(request: HttpRequest, area: str) -> HttpResponse:
    """Compare two snapshots of an area: gaps closed and opened, services added and lost."""
    area_slug, area_name = _area_or_404(area)
    snapshot_list = list(selectors.snapshot_list_for_area(user=request.user, area_slug=area_slug))
    bound = "before" in request.GET or "after" in request.GET
    form = CompareForm(request.GET if bound else None, snapshots=snapshot_list)
    context: dict[str, Any] = {"area_slug": area_slug, "area_name": area_name, "form": form}
    if not bound:
        return render(request, "mapping/compare.html", context)
    if form.is_valid():
        try:
            before, after, comparison = selectors.snapshot_compare(
                user=request.user,
                before_id=form.cleaned_data["before"],
                after_id=form.cleaned_data["after"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            names = {d["slug"]: d["name"] for d in after.payload.get("districts", [])}
            names |= {d["slug"]: d["name"] for d in before.payload.get("districts", [])}
            columns = {c["slug"]: c["label"] for c in after.payload.get("columns", [])}

            def named(gaps: list[dict[str, Any]]) -> list[dict[str, Any]]:
                return [
                    {
                        **g,
                        "district": names.get(g["district"], g["district"]),
                        "component": columns.get(g["component"], g["component"]),
                    }
                    for g in gaps
                ]

            context.update(
                {
                    "before": before,
                    "after": after,
                    "comparison": comparison,
                    "gaps_closed": named(comparison.gaps_closed),
                    "gaps_opened": named(comparison.gaps_opened),
                    "gaps_changed": [
                        {
                            **g,
                            "from": exports.GAP_KINDS.get(g["from"], g["from"]),
                            "to": exports.GAP_KINDS.get(g["to"], g["to"]),
                        }
                        for g in named(comparison.gaps_changed)
                    ],
                }
            )
            return render(request, "mapping/compare.html", context)
    return render(request, "mapping/compare.html", context, status=400)


@policy_required(MAPPING_OWN_SERVICES)
@require_GET
def your_services(request: HttpRequest) -> HttpResponse:
    """A provider manager's own services and where each counts; other providers are not named."""
    rule_form = RuleForm(request.GET)
    context: dict[str, Any] = {"rule_form": rule_form}
    rule = rule_form.valid_rule()
    if rule is None:
        return render(request, "mapping/your_services.html", context, status=400)
    place = selectors.mapping_for_provider(user=request.user, rule=rule)
    columns = {c.slug: c.label for c in place.columns}
    services_view = []
    for item in place.place["services"]:
        cells = [
            {
                **cell,
                "district_name": place.district_names.get(cell["district"], cell["district"]),
                "column_label": columns.get(cell["column"], cell["column"]),
                "certainty_label": engine.Certainty(cell["certainty"]).label,
                "reach_label": exports.REACH_LABELS[cell["reach"]],
            }
            for cell in item["cells"]
        ]
        services_view.append({"service": item["service"], "cells": cells})
    context.update(
        {
            "place": place,
            "services": services_view,
            "questionable": [
                {
                    **q,
                    "claim_label": exports.claim_label(q["claim"]),
                    "reason_label": exports.REASON_LABELS.get(q["reason"], q["reason"]),
                    "definition_label": exports.definition_label(q.get("definition"), q["tier"])
                    if q.get("definition")
                    else "",
                    "criteria_text": exports.criteria_text(q.get("criteria") or []),
                }
                for q in place.place["questionable_claims"]
            ],
        }
    )
    return render(request, "mapping/your_services.html", context)
