"""Forms for the mapping pages. The counting rule is validated by `engine.CountingRule`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from . import engine
from .selectors import mapping_area_choices

YES_NO = [("no", "No"), ("yes", "Yes")]
KIND_LABELS = {
    "country": "Countries",
    "region": "Regions",
    "combined_authority": "Combined authorities",
    "police_force_area": "Police force areas",
    "health_board": "Health boards",
    "local_authority": "Councils",
}


# Design System wording: say what to choose.
INVALID = {
    "count_unknown": "Select yes if unknown claims should be counted",
    "gap_threshold": "Select what closes a gap",
    "wider_areas": "Select yes if services for wider areas should be counted",
    "synthetic": "Select yes if synthetic services should be counted",
}


class RuleForm(forms.Form):
    """The counting rule, from the query string. Missing values take the default rule."""

    count_unknown = forms.ChoiceField(
        label="Count unknown or not-stated claims?",
        help_text="A published “?” is unknown; an empty cell is not stated.",
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true", "data-govuk-small": "true"}),
    )
    gap_threshold = forms.ChoiceField(
        label="What closes a gap?",
        help_text="A component with provision only below this is still shown as a gap.",
        choices=[
            ("verified", "A commissioner-verified claim"),
            ("evidenced", "An evidenced claim or better"),
            ("self_reported", "Any claim, even self-reported"),
        ],
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-small": "true"}),
    )
    wider_areas = forms.ChoiceField(
        label="Count services for areas wider than this one?",
        help_text="For example a national helpline in every district.",
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true", "data-govuk-small": "true"}),
    )
    synthetic = forms.ChoiceField(
        label="Count synthetic demonstration services?",
        choices=YES_NO,
        required=False,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true", "data-govuk-small": "true"}),
    )

    def __init__(self, data: Any = None, **kwargs: Any):
        defaults = engine.CountingRule().to_params()
        bound = data is not None and any(key in data for key in defaults)
        super().__init__(data if bound else None, initial=defaults, **kwargs)
        self.rule: engine.CountingRule | None = None if bound else engine.CountingRule()
        for name, message in INVALID.items():
            self.fields[name].error_messages["invalid_choice"] = message

    def valid_rule(self) -> engine.CountingRule | None:
        """The rule asked for (the default when none was), or None when the input is bad."""
        if not self.is_bound:
            return self.rule
        return self.rule if self.is_valid() else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                self.rule = engine.CountingRule.from_params(cleaned)
            except engine.RuleError as exc:
                for field, message in exc.errors.items():
                    self.add_error(field if field in self.fields else None, message)
        return cleaned


class AreaForm(forms.Form):
    area = forms.ChoiceField(label="Area", help_text="Its councils become the matrix's rows.")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, str]] = [("", "Choose an area")]
        for slug, name, kind in mapping_area_choices():
            choices.append((slug, f"{name} ({KIND_LABELS.get(kind, kind)})"))
        field = self.fields["area"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type
        field.choices = choices
        field.error_messages["required"] = "Select an area"
        field.error_messages["invalid_choice"] = "Select an area from the list"


class SnapshotForm(forms.Form):
    label = forms.CharField(
        label="Label (optional)",
        help_text="For example “Before the 2025 re-commission”.",
        max_length=200,
        required=False,
    )


class CompareForm(forms.Form):
    before = forms.ChoiceField(label="Earlier snapshot")
    after = forms.ChoiceField(label="Later snapshot")

    def __init__(self, *args: Any, snapshots: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a snapshot")] + [
            (str(s.pk), f"{timezone.localtime(s.created_at):%d %b %Y %H:%M} {s.label}".strip())
            for s in snapshots
        ]
        for name in ("before", "after"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type
            field.choices = choices
            field.error_messages["required"] = "Select a snapshot"
            field.error_messages["invalid_choice"] = "Select a snapshot from the list"
