"""The public service search form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pathways.areas.selectors import area_list_districts
from pathways.directory.models import COHORT_DIMENSIONS, ClaimDimension, TaxonomyTerm
from pathways.directory.selectors import ServiceFilters

RISK_CHOICES = [
    ("", _("Any level of risk")),
    (ClaimDimension.RISK_STANDARD, _("Standard or low risk")),
    (ClaimDimension.RISK_MEDIUM, _("Medium risk")),
    (ClaimDimension.RISK_HIGH, _("High risk")),
]


def _term_choices(taxonomy: str, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [
        (code, name)
        for code, name in TaxonomyTerm.objects.filter(taxonomy__slug=taxonomy)
        .order_by("sort_order")
        .values_list("code", "name")
    ]


class ServiceSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name or keyword"), required=False, max_length=100)
    area = forms.ChoiceField(label=_("Where do you live?"), required=False)
    risk = forms.ChoiceField(
        label=_("Level of risk the service works with"), required=False, choices=RISK_CHOICES
    )
    abuse = forms.ChoiceField(label=_("Type of abuse"), required=False)
    cohort = forms.ChoiceField(label=_("Specific provision for"), required=False)
    route = forms.ChoiceField(label=_("Who can refer"), required=False)
    self_referral = forms.BooleanField(
        label=_("I want to contact the service myself"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("Anywhere"))] + [
            (a.slug, a.name) for a in area_list_districts()
        ]
        self.fields["abuse"].choices = _term_choices("abuse-types", _("Any type of abuse"))
        self.fields["route"].choices = _term_choices("referral-routes", _("Anyone"))
        self.fields["cohort"].choices = [("", _("Anyone"))] + [
            (d.value, d.label) for d in COHORT_DIMENSIONS
        ]
        self._areas = None

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
