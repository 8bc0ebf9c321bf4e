"""The GOV.UK Design System component layer: forms, error summaries, pagination, tags.

Templates use these tags instead of copying component HTML, so markup stays consistent
and error messages follow the Design System's pattern everywhere.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms, template
from django.utils.http import urlencode

register = template.Library()


def _widget_kind(field: forms.BoundField) -> str:
    widget = field.field.widget
    # CheckboxSelectMultiple subclasses RadioSelect, so it must be tested first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.FileInput):
        return "file"
    return "input"


def _css_width(field: forms.BoundField, default: str) -> str:
    return field.field.widget.attrs.get("data-govuk-width", default)


@register.inclusion_tag("govuk/field.html")
def govuk_field(
    field: forms.BoundField, label_size: str = "", page_heading: bool = False
) -> dict[str, Any]:
    """Render one form field with label, hint, error message and the right GOV.UK input."""
    kind = _widget_kind(field)
    value = field.value()
    if value is None:
        value = ""
    if isinstance(value, dt.date | dt.time):
        # Let the widget format dates (a native date input needs YYYY-MM-DD; the
        # template's default date format would be thrown away by the browser).
        value = field.field.widget.format_value(value) or ""
    selected: set[str] = set()
    if kind in {"radios", "checkboxes", "select"}:
        raw = value if isinstance(value, list | tuple) else [value]
        selected = {str(v) for v in raw if v not in (None, "")}
    choices = []
    if kind in {"radios", "checkboxes", "select"}:
        for choice_value, choice_label in field.field.choices:  # type: ignore[attr-defined]
            choice_value = getattr(choice_value, "value", choice_value)
            choices.append(
                {
                    "value": "" if choice_value is None else str(choice_value),
                    "label": choice_label,
                    "checked": str(choice_value) in selected,
                }
            )
    input_type = getattr(field.field.widget, "input_type", "text") or "text"
    return {
        "field": field,
        "kind": kind,
        "value": value,
        "choices": choices,
        "input_type": input_type,
        "label_size": label_size,
        "page_heading": page_heading,
        "width": _css_width(field, "" if kind != "input" else ""),
        "autocomplete": field.field.widget.attrs.get("autocomplete", ""),
        "inputmode": field.field.widget.attrs.get("inputmode", ""),
        "inline": field.field.widget.attrs.get("data-govuk-inline") == "true",
        "small": field.field.widget.attrs.get("data-govuk-small") == "true",
        "accept": field.field.widget.attrs.get("accept", ""),
        "rows": field.field.widget.attrs.get("rows", 5),
    }


@register.inclusion_tag("govuk/error_summary.html")
def govuk_error_summary(*forms_: forms.BaseForm) -> dict[str, Any]:
    """The error summary at the top of a page, linking to each field in error."""
    errors: list[dict[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        for message in form.non_field_errors():
            errors.append({"href": "#main-content", "message": message})
        for field in form:
            for message in field.errors:
                target = field.id_for_label or field.auto_id
                kind = _widget_kind(field)
                if kind in {"radios", "checkboxes"}:
                    target = f"{field.auto_id}_0" if field.auto_id else target
                errors.append({"href": f"#{target}", "message": message})
    return {"errors": errors}


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.inclusion_tag("govuk/pagination.html", takes_context=True)
def govuk_pagination(context: template.Context, page_obj: Any) -> dict[str, Any]:
    """GOV.UK pagination for a Django page, keeping every other query parameter."""
    request = context["request"]
    paginator = page_obj.paginator
    current = page_obj.number

    def href(number: int) -> str:
        params = request.GET.copy()
        params["page"] = str(number)
        return "?" + params.urlencode()

    items: list[dict[str, Any]] = []
    last_added = 0
    for number in paginator.page_range:
        if number in (1, paginator.num_pages) or abs(number - current) <= 1:
            if last_added and number - last_added > 1:
                items.append({"ellipsis": True})
            items.append({"number": number, "href": href(number), "current": number == current})
            last_added = number
    return {
        "page_obj": page_obj,
        "items": items if paginator.num_pages > 1 else [],
        "previous_href": href(page_obj.previous_page_number()) if page_obj.has_previous() else "",
        "next_href": href(page_obj.next_page_number()) if page_obj.has_next() else "",
    }


TAG_COLOURS = {
    "verified": "green",
    "commissioner_verified": "green",
    "evidenced": "blue",
    "provider_confirmed": "blue",
    "self_reported": "yellow",
    "published_mapping": "grey",
    "questionnaire": "grey",
    "desk_review": "grey",
    "synthetic": "purple",
    "yes": "green",
    "no": "grey",
    "unknown": "yellow",
    "not_stated": "grey",
    "pending": "yellow",
    "approved": "green",
    "rejected": "red",
    "withdrawn": "grey",
    "stale": "orange",
    "unconfirmed": "yellow",
    "queued": "grey",
    "running": "blue",
    "succeeded": "green",
    "failed": "red",
}


@register.inclusion_tag("govuk/tag.html")
def govuk_tag(text: Any, key: str = "") -> dict[str, Any]:
    """A GOV.UK tag coloured by what it means (verified green, unknown yellow…)."""
    return {"text": text, "colour": TAG_COLOURS.get(str(key), "")}


@register.filter
def urlencode_dict(value: dict[str, Any]) -> str:
    return urlencode(value, doseq=True)
