"""The public service search form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pathways.areas.selectors import area_list_districts
from pathways.directory.models import COHORT_DIMENSIONS, ClaimDimension, TaxonomyTerm
from pathways.directory.selectors import ServiceFilters

from .labels import translated
from .language import is_welsh, local_name

RISK_CHOICES = [
    ("", _("Any level of risk")),
    (ClaimDimension.RISK_STANDARD, _("Standard or low risk")),
    (ClaimDimension.RISK_MEDIUM, _("Medium risk")),
    (ClaimDimension.RISK_HIGH, _("High risk")),
]


def _term_choices(taxonomy: str, blank: str) -> list[tuple[str, str]]:
    welsh = is_welsh()
    return [("", blank)] + [
        (code, name_cy if welsh and name_cy else name)
        for code, name, name_cy in TaxonomyTerm.objects.filter(taxonomy__slug=taxonomy)
        .order_by("sort_order")
        .values_list("code", "name", "name_cy")
    ]


class ServiceSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by name or keyword"),
        required=False,
        max_length=100,
        error_messages={"max_length": _("Search must be 100 characters or fewer")},
    )
    area = forms.ChoiceField(
        label=_("Where do you live?"),
        required=False,
        error_messages={"invalid_choice": _("Select where you live from the list")},
    )
    risk = forms.ChoiceField(
        label=_("Level of risk the service works with"),
        required=False,
        choices=RISK_CHOICES,
        error_messages={"invalid_choice": _("Select a level of risk from the list")},
    )
    abuse = forms.ChoiceField(
        label=_("Type of abuse"),
        required=False,
        error_messages={"invalid_choice": _("Select a type of abuse from the list")},
    )
    cohort = forms.ChoiceField(
        label=_("Specific provision for"),
        required=False,
        error_messages={"invalid_choice": _("Select who the provision is for from the list")},
    )
    route = forms.ChoiceField(
        label=_("Who can refer"),
        required=False,
        error_messages={"invalid_choice": _("Select who can refer from the list")},
    )
    self_referral = forms.BooleanField(
        label=_("I want to contact the service myself"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Place and term names in the page's language; places sorted as they are shown.
        places = sorted(
            ((a.slug, local_name(a)) for a in area_list_districts()),
            key=lambda choice: choice[1].casefold(),
        )
        self.fields["area"].choices = [("", _("Anywhere")), *places]
        self.fields["abuse"].choices = _term_choices("abuse-types", _("Any type of abuse"))
        self.fields["route"].choices = _term_choices("referral-routes", _("Anyone"))
        self.fields["cohort"].choices = [("", _("Anyone"))] + [
            (d.value, translated(d.label)) for d in COHORT_DIMENSIONS
        ]

    def to_filters(self) -> ServiceFilters:
        data = self.cleaned_data if self.is_valid() else {}
        area_id = None
        if data.get("area"):
            from pathways.areas.selectors import area_get_by_slug

            area = area_get_by_slug(slug=data["area"])
            area_id = area.id if area else None
        return ServiceFilters(
            area_id=area_id,
            risk_tier=data.get("risk", ""),
            abuse_type=data.get("abuse", ""),
            cohort=data.get("cohort", ""),
            referral_route=data.get("route", ""),
            self_referral=bool(data.get("self_referral")),
            text=data.get("q", "").strip(),
        )
