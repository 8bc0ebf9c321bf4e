"""Forms: filtering the library, and saying which approach a service follows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import AbuseFocus, PreventionLevel
from .selectors import AGREEMENT_LABELS, ApproachFilters, ApproachSort

SORT_CHOICES = [
    (ApproachSort.NAME.value, _("Name")),
    (ApproachSort.SOURCES.value, _("Most sources first")),
    (ApproachSort.DISAGREEMENT.value, _("Disagreement first")),
]


class ApproachFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search approaches"),
        required=False,
        max_length=200,
        error_messages={"max_length": _("Search must be 200 characters or fewer")},
    )
    focus = forms.ChoiceField(
        label=_("Type of abuse"),
        required=False,
        choices=[("", _("Any")), *[(c.value, c.label) for c in AbuseFocus if c != "not_stated"]],
        error_messages={"invalid_choice": _("Select a type of abuse from the list")},
    )
    level = forms.ChoiceField(
        label=_("Prevention level"),
        required=False,
        choices=[("", _("Any")), *PreventionLevel.choices],
        error_messages={"invalid_choice": _("Select a prevention level from the list")},
    )
    source = forms.ChoiceField(
        label=_("Rated by"),
        required=False,
        error_messages={"invalid_choice": _("Select a source from the list")},
    )
    agreement = forms.ChoiceField(
        label=_("Agreement between sources"),
        required=False,
        choices=[("", _("Any")), *[(k.value, v) for k, v in AGREEMENT_LABELS.items()]],
        error_messages={"invalid_choice": _("Select an agreement option from the list")},
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=SORT_CHOICES,
        error_messages={"invalid_choice": _("Select a sort order from the list")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *[(s.slug, s.name) for s in selectors.source_list()],
        ]

    def to_filters(self) -> ApproachFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return ApproachFilters(
            text=(data.get("q") or "").strip(),
            abuse_focus=data.get("focus") or "",
            prevention_level=data.get("level") or "",
            source=data.get("source") or "",
            agreement=data.get("agreement") or "",
            sort=data.get("sort") or ApproachSort.NAME,
        )


class ServiceApproachForm(forms.Form):
    approach = forms.ChoiceField(
        label="Approach this service follows",
        required=False,
        help_text="Choose the approach from the evidence library that this service's work "
        "is based on. Choose ‘None’ if it follows none of them.",
        error_messages={"invalid_choice": "Select an approach from the list"},
    )
    note = forms.CharField(
        label="How do you know? (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example, the programme manual it uses or what the provider told you.",
        error_messages={"max_length": "Note must be 1000 characters or fewer"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approach"].choices = [  # type: ignore[attr-defined]
            ("", "None – it follows no approach in the library"),
            *selectors.approach_choices(),
        ]
