"""Forms for directory curation, with GOV.UK Design System error wording.

Forms parse and check input; the rules that matter for integrity (who may verify a claim,
visibility dates in order) are enforced again in `directory.curation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pathways.areas.models import Area, AreaKind
from pathways.core.models import TriState

from .curation import (
    EDITOR_SOURCES,
    FIELD_LABELS,
    MAX_AGE_ERROR,
    PROPOSABLE_TAXONOMIES,
    REVIEW_REASONS,
    REVIEW_SORTS,
    SELF_REFERRAL_PERCENT_ERROR,
    VISIBLE_TO_ERROR,
)
from .models import (
    CapacityStatus,
    ClaimDimension,
    DeliveryStatus,
    EvidenceLevel,
    InterventionType,
    ProvenanceSource,
    ServiceClaim,
    ServiceStatus,
    SuiteTier,
    TaxonomyTerm,
    VictimSupport,
)
from .services import EDITABLE_FIELDS


class DateInput(forms.DateInput):
    """A native date input; values are ISO dates (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _choices(enum: Any) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


def _required(label: str) -> dict[str, str]:
    return {"required": f"Select {label.lower()}"}


def _whole_number(label: str, low: int, high: int) -> dict[str, Any]:
    return {
        "label": label,
        "required": False,
        "min_value": low,
        "max_value": high,
        "error_messages": {
            "invalid": f"{label} must be a whole number, like {max(low, 12)}",
            "min_value": f"{label} must be {low} or more",
            "max_value": f"{label} must be {high} or less",
        },
        "widget": forms.TextInput(attrs={"data-govuk-width": "4", "inputmode": "numeric"}),
    }


def _text(label: Any, max_length: int = 255, *, hint: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        help_text=hint,
        error_messages={"max_length": f"{label} must be {max_length} characters or fewer"},
    )


def _textarea(label: Any, *, hint: Any = "", rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=5000,
        help_text=hint,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"max_length": f"{label} must be 5000 characters or fewer"},
    )


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("For example, 2026-03-27"),
        widget=DateInput(),
        error_messages={"invalid": f"{label} date must be a real date, like 2026-03-27"},
    )


def _list_text(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    return form.fields[name]  # type: ignore[return-value]


LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# Checkbox groups of the service form -> the taxonomy whose terms they set. They must
# cover `curation.PROPOSABLE_TAXONOMIES`: the form replaces the terms of each of them.
TERM_FIELDS: dict[str, str] = {
    "abuse_types": "abuse-types",
    "referral_routes": "referral-routes",
    "delivery_formats": "delivery-formats",
    "exclusion_criteria": "exclusion-criteria",
}
AREA_KIND_ORDER: list[str] = [
    AreaKind.COMBINED_AUTHORITY,
    AreaKind.POLICE_FORCE_AREA,
    AreaKind.HEALTH_BOARD,
    AreaKind.REGION,
    AreaKind.COUNTRY,
]


class ServiceDetailsForm(forms.Form):
    """Everything about a service a provider or editor may change, claims and areas included.

    `snapshot` (from `services.service_snapshot`) fills the form for an existing service and
    tells the form which claims are currently verified. With `editor=False` (a provider)
    a claim may be self-reported or evidenced; a verified claim may only stay verified
    while nothing about it changes.
    """

    name = forms.CharField(
        label=FIELD_LABELS["name"],
        max_length=255,
        error_messages={
            "required": _("Enter the service name"),
            "max_length": _("Service name must be 255 characters or fewer"),
        },
    )
    description = _textarea(FIELD_LABELS["description"])
    url = forms.URLField(
        label=FIELD_LABELS["url"],
        required=False,
        assume_scheme="https",
        max_length=200,
        error_messages={
            "invalid": _(
                "Enter a website address in the correct format, like https://www.example.org"
            ),
            "max_length": _("Website must be 200 characters or fewer"),
        },
    )
    email = forms.EmailField(
        label=FIELD_LABELS["email"],
        required=False,
        error_messages={
            "invalid": _("Enter an email address in the correct format, like name@example.com")
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = _text(FIELD_LABELS["phone"], 40)
    status = forms.ChoiceField(
        label=FIELD_LABELS["status"],
        choices=_choices(ServiceStatus),
        error_messages=_required(FIELD_LABELS["status"]),
    )
    delivery_status = forms.ChoiceField(
        label=FIELD_LABELS["delivery_status"],
        choices=_choices(DeliveryStatus),
        error_messages=_required(FIELD_LABELS["delivery_status"]),
    )
    intervention_type = forms.ChoiceField(
        label=FIELD_LABELS["intervention_type"],
        choices=_choices(InterventionType),
        error_messages=_required(FIELD_LABELS["intervention_type"]),
    )
    suite_tier = forms.ChoiceField(
        label=FIELD_LABELS["suite_tier"],
        choices=_choices(SuiteTier),
        error_messages=_required(FIELD_LABELS["suite_tier"]),
    )
    genders_served = _text(
        FIELD_LABELS["genders_served"], 255, hint=_("Separate with commas, for example men, women")
    )
    min_age = forms.IntegerField(**_whole_number(FIELD_LABELS["min_age"], 0, 120))
    max_age = forms.IntegerField(**_whole_number(FIELD_LABELS["max_age"], 0, 120))
    languages = _text(
        FIELD_LABELS["languages"],
        255,
        hint=_("Language codes separated by commas, like en, cy, ur"),
    )
    eligibility_text = _textarea(FIELD_LABELS["eligibility_text"])
    exclusions_text = _textarea(FIELD_LABELS["exclusions_text"])
    exclusion_criteria = forms.MultipleChoiceField(
        label=_("Exclusion criteria"),
        required=False,
        help_text=_(
            "Select the circumstances in which the service cannot take a person on. "
            "Matching will not offer the service for a referral that records any "
            "circumstance you select"
        ),
        widget=forms.CheckboxSelectMultiple,
    )
    referral_routes = forms.MultipleChoiceField(
        label=_("Who can refer"), required=False, widget=forms.CheckboxSelectMultiple
    )
    referral_routes_text = _textarea(
        FIELD_LABELS["referral_routes_text"],
        hint=_("Anything about referrals the choices above do not say"),
    )
    capacity_status = forms.ChoiceField(
        label=FIELD_LABELS["capacity_status"],
        choices=_choices(CapacityStatus),
        error_messages=_required(FIELD_LABELS["capacity_status"]),
    )
    capacity_places = forms.IntegerField(
        **_whole_number(FIELD_LABELS["capacity_places"], 0, 100000)
    )
    waiting_weeks = forms.IntegerField(**_whole_number(FIELD_LABELS["waiting_weeks"], 0, 520))
    self_referral_max_percent = forms.IntegerField(
        label=FIELD_LABELS["self_referral_max_percent"],
        required=False,
        min_value=1,
        max_value=100,
        help_text=_(
            "The largest share of its referrals the service takes from people referring "
            "themselves, as a whole number from 1 to 100, like 40. While self-referrals "
            "over the last 90 days are at or above this share, matching does not offer the "
            "service to people referring themselves. Leave blank for no limit"
        ),
        error_messages={
            "invalid": _("Maximum share of self-referrals must be a whole number, like 40"),
            "min_value": SELF_REFERRAL_PERCENT_ERROR,
            "max_value": SELF_REFERRAL_PERCENT_ERROR,
        },
        widget=forms.TextInput(
            attrs={"data-govuk-width": "3", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    duration_weeks = forms.IntegerField(**_whole_number(FIELD_LABELS["duration_weeks"], 0, 520))
    delivery_formats = forms.MultipleChoiceField(
        label=_("How it is delivered"), required=False, widget=forms.CheckboxSelectMultiple
    )
    is_virtual = forms.BooleanField(
        label=FIELD_LABELS["is_virtual"],
        required=False,
        help_text=_("No venue is published for services delivered only by phone or online"),
    )
    integrated_victim_support = forms.ChoiceField(
        label=FIELD_LABELS["integrated_victim_support"],
        choices=_choices(VictimSupport),
        error_messages=_required(FIELD_LABELS["integrated_victim_support"]),
    )
    victim_support_partner = _text(FIELD_LABELS["victim_support_partner"])
    cost_per_user = forms.DecimalField(
        label=FIELD_LABELS["cost_per_user"],
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.TextInput(attrs={"data-govuk-width": "10", "inputmode": "decimal"}),
        error_messages={
            "invalid": _("Cost per person must be an amount of money, like 1250.00"),
            "min_value": _("Cost per person must be 0 or more"),
            "max_digits": _("Cost per person must be less than 100000000"),
            "max_decimal_places": _("Cost per person must have no more than 2 decimal places"),
            "max_whole_digits": _("Cost per person must be less than 100000000"),
        },
    )
    funding_source = _text(FIELD_LABELS["funding_source"])
    funding_ends = _date(FIELD_LABELS["funding_ends"])
    accreditation = _text(FIELD_LABELS["accreditation"])
    evaluation_status = _textarea(FIELD_LABELS["evaluation_status"])
    evidence_approach = _text(FIELD_LABELS["evidence_approach"])
    notes = _textarea(FIELD_LABELS["notes"])
    districts = forms.MultipleChoiceField(
        label=_("Local authority areas served"), required=False, widget=forms.CheckboxSelectMultiple
    )
    wider_areas = forms.MultipleChoiceField(
        label=_("Wider areas served"),
        required=False,
        help_text=_("Choose a wider area only if the service covers all of it"),
        widget=forms.CheckboxSelectMultiple,
    )
    abuse_types = forms.MultipleChoiceField(
        label=_("Types of abuse the service works with"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visible_from = _date(FIELD_LABELS["visible_from"])
    visible_to = _date(FIELD_LABELS["visible_to"])

    # Plain fields that map one to one onto `services.EDITABLE_FIELDS`; the list-valued ones
    # (genders, languages, delivery formats) have their own widgets. Every editable field
    # must have a widget here: one left out would be cleared by every edit.
    PLAIN_FIELDS = tuple(
        f for f in EDITABLE_FIELDS if f not in {"genders_served", "languages", "delivery_formats"}
    )
    SECTIONS = (
        (
            _("About the service"),
            (
                "name",
                "description",
                "url",
                "email",
                "phone",
                "status",
                "delivery_status",
                "intervention_type",
                "suite_tier",
            ),
        ),
        (
            _("Who it is for"),
            (
                "abuse_types",
                "genders_served",
                "min_age",
                "max_age",
                "languages",
                "eligibility_text",
                "exclusions_text",
                "exclusion_criteria",
            ),
        ),
        (
            _("Referrals and capacity"),
            (
                "referral_routes",
                "referral_routes_text",
                "capacity_status",
                "capacity_places",
                "waiting_weeks",
                "self_referral_max_percent",
                "duration_weeks",
                "delivery_formats",
                "is_virtual",
            ),
        ),
        (
            _("Support for partners and ex-partners"),
            ("integrated_victim_support", "victim_support_partner"),
        ),
        (
            _("Funding and evidence"),
            (
                "cost_per_user",
                "funding_source",
                "funding_ends",
                "accreditation",
                "evaluation_status",
                "evidence_approach",
                "notes",
            ),
        ),
        (_("Where it is offered"), ("districts", "wider_areas")),
        (_("When the public can see it"), ("visible_from", "visible_to")),
    )

    def __init__(
        self,
        *args: Any,
        snapshot: Mapping[str, Any] | None = None,
        editor: bool = False,
        **kwargs: Any,
    ) -> None:
        self.snapshot = snapshot or {}
        self.editor = editor
        self.live_claims: Mapping[str, Mapping[str, Any]] = self.snapshot.get("claims") or {}
        if snapshot is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from_snapshot(snapshot)
        super().__init__(*args, **kwargs)
        self._set_reference_choices()
        self._add_claim_fields()
        # One list of area slugs fills two checkbox groups: keep each group's own values.
        for name, form_field in self.fields.items():
            if isinstance(form_field, forms.MultipleChoiceField) and name in self.initial:
                allowed = {str(value) for value, _label in form_field.choices}  # type: ignore[misc,union-attr]
                self.initial[name] = [v for v in self.initial[name] if str(v) in allowed]

    # -- set-up -------------------------------------------------------------------------

    def _set_reference_choices(self) -> None:
        terms: dict[str, list[tuple[str, str]]] = {}
        for slug, code, name in (
            TaxonomyTerm.objects.filter(taxonomy__slug__in=PROPOSABLE_TAXONOMIES)
            .order_by("sort_order", "name")
            .values_list("taxonomy__slug", "code", "name")
        ):
            terms.setdefault(slug, []).append((code, name))
        for field_name, slug in TERM_FIELDS.items():
            _choice(self, field_name).choices = terms.get(slug, [])
        districts, wider = [], []
        areas = sorted(
            Area.objects.only("slug", "name", "kind"),
            key=lambda a: (
                AREA_KIND_ORDER.index(a.kind) if a.kind in AREA_KIND_ORDER else -1,
                a.name,
            ),
        )
        for area in areas:
            if area.kind == AreaKind.LOCAL_AUTHORITY:
                districts.append((area.slug, area.name))
            else:
                wider.append((area.slug, f"{area.name} ({area.get_kind_display().lower()})"))
        _choice(self, "districts").choices = districts
        _choice(self, "wider_areas").choices = wider

    def _add_claim_fields(self) -> None:
        for dimension in ClaimDimension:
            current = self.live_claims.get(dimension.value) or {}
            levels = [
                (EvidenceLevel.SELF_REPORTED.value, EvidenceLevel.SELF_REPORTED.label),
                (EvidenceLevel.EVIDENCED.value, EvidenceLevel.EVIDENCED.label),
            ]
            if self.editor or current.get("evidence_level") == EvidenceLevel.VERIFIED:
                label: Any = EvidenceLevel.VERIFIED.label
                if not self.editor:
                    label = _(
                        "Commissioner-verified (keep only if nothing about this claim changes)"
                    )
                levels.append((EvidenceLevel.VERIFIED.value, label))
            prefix = f"claim_{dimension.value}"
            self.fields[prefix] = forms.ChoiceField(
                label=dimension.label,
                choices=_choices(TriState),
                initial=current.get("value", TriState.NOT_STATED),
                error_messages={"required": f"Select an answer for ‘{dimension.label}’"},
                widget=forms.RadioSelect(
                    attrs={"data-govuk-inline": "true", "data-govuk-small": "true"}
                ),
            )
            self.fields[f"{prefix}_level"] = forms.ChoiceField(
                label=_("How sure can we be of this?"),
                choices=levels,
                initial=current.get("evidence_level", EvidenceLevel.SELF_REPORTED),
                error_messages={"required": f"Select how sure we are of ‘{dimension.label}’"},
                widget=forms.RadioSelect(
                    attrs={"data-govuk-inline": "true", "data-govuk-small": "true"}
                ),
            )
            self.fields[f"{prefix}_note"] = forms.CharField(
                label=_("Evidence or note"),
                required=False,
                max_length=2000,
                initial=current.get("evidence_note", ""),
                error_messages={"max_length": "The note must be 2000 characters or fewer"},
            )

    @staticmethod
    def initial_from_snapshot(snapshot: Mapping[str, Any]) -> dict[str, Any]:
        """Form values for a service as its snapshot describes it."""
        initial: dict[str, Any] = {
            name: snapshot.get(name) for name in ServiceDetailsForm.PLAIN_FIELDS if name in snapshot
        }
        initial["genders_served"] = ", ".join(snapshot.get("genders_served") or [])
        initial["languages"] = ", ".join(snapshot.get("languages") or [])
        terms = snapshot.get("taxonomy_terms") or []

        def codes(taxonomy: str) -> list[str]:
            return [t.split(":", 1)[1] for t in terms if t.startswith(f"{taxonomy}:")]

        initial["abuse_types"] = codes("abuse-types")
        initial["referral_routes"] = codes("referral-routes")
        initial["exclusion_criteria"] = codes("exclusion-criteria")
        initial["delivery_formats"] = sorted(
            set(codes("delivery-formats")) | set(snapshot.get("delivery_formats") or [])
        )
        areas = snapshot.get("areas") or []
        initial["districts"] = list(areas)
        initial["wider_areas"] = list(areas)
        return initial

    # -- what the template shows ---------------------------------------------------------

    @property
    def sections(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(heading, [self[name] for name in names]) for heading, names in self.SECTIONS]

    @property
    def claim_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "dimension": dimension.value,
                "label": dimension.label,
                "value": self[f"claim_{dimension.value}"],
                "level": self[f"claim_{dimension.value}_level"],
                "note": self[f"claim_{dimension.value}_note"],
            }
            for dimension in ClaimDimension
        ]

    # -- validation ----------------------------------------------------------------------

    def clean_languages(self) -> list[str]:
        codes = [code.lower() for code in _list_text(self.cleaned_data.get("languages", ""))]
        if any(not LANGUAGE_CODE.match(code) for code in codes):
            raise forms.ValidationError(
                _("Enter languages as codes separated by commas, like en, cy, ur")
            )
        return codes

    def clean_genders_served(self) -> list[str]:
        return _list_text(self.cleaned_data.get("genders_served", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        visible_from, visible_to = cleaned.get("visible_from"), cleaned.get("visible_to")
        if visible_from and visible_to and visible_to < visible_from:
            self.add_error("visible_to", VISIBLE_TO_ERROR)
        min_age, max_age = cleaned.get("min_age"), cleaned.get("max_age")
        if min_age is not None and max_age is not None and max_age < min_age:
            self.add_error("max_age", MAX_AGE_ERROR)
        for dimension in ClaimDimension:
            self._clean_claim(cleaned, dimension)
        return cleaned

    def _clean_claim(self, cleaned: Mapping[str, Any], dimension: ClaimDimension) -> None:
        prefix = f"claim_{dimension.value}"
        value, level = cleaned.get(prefix), cleaned.get(f"{prefix}_level")
        note = (cleaned.get(f"{prefix}_note") or "").strip()
        if value is None or level is None:
            return
        current = self.live_claims.get(dimension.value) or {
            "value": TriState.NOT_STATED,
            "evidence_level": EvidenceLevel.SELF_REPORTED,
            "evidence_note": "",
        }
        unchanged = (
            value == current.get("value")
            and level == current.get("evidence_level")
            and note == (current.get("evidence_note") or "")
        )
        if unchanged:
            return
        if level == EvidenceLevel.VERIFIED and not self.editor:
            self.add_error(
                f"{prefix}_level",
                f"‘{dimension.label}’ has changed, so it is no longer commissioner-verified. "
                "Choose self-reported or evidenced",
            )
        elif level != EvidenceLevel.SELF_REPORTED and not note:
            self.add_error(
                f"{prefix}_note", f"Enter a note describing the evidence for ‘{dimension.label}’"
            )

    # -- output --------------------------------------------------------------------------

    def proposal(self) -> dict[str, Any]:
        """Keyword arguments for `service_change_propose` / `service_edit` (fields, claims, areas, terms)."""
        cleaned = self.cleaned_data
        data: dict[str, Any] = {name: cleaned.get(name) for name in self.PLAIN_FIELDS}
        data["genders_served"] = cleaned.get("genders_served") or []
        data["languages"] = cleaned.get("languages") or []
        data["delivery_formats"] = sorted(cleaned.get("delivery_formats") or [])
        claims = {
            dimension.value: {
                "value": cleaned[f"claim_{dimension.value}"],
                "evidence_level": cleaned[f"claim_{dimension.value}_level"],
                "evidence_note": (cleaned.get(f"claim_{dimension.value}_note") or "").strip(),
            }
            for dimension in ClaimDimension
        }
        # Every proposable taxonomy is sent, so the service's terms in it are replaced by
        # what is ticked (an untouched group is sent as it was and so does not change).
        term_codes = [
            f"{slug}:{code}"
            for field_name, slug in TERM_FIELDS.items()
            for code in cleaned.get(field_name) or []
        ]
        areas = sorted({*(cleaned.get("districts") or []), *(cleaned.get("wider_areas") or [])})
        return {"data": data, "claims": claims, "area_slugs": areas, "term_codes": term_codes}


class EditorServiceForm(ServiceDetailsForm):
    """A directory editor's direct edit: the same fields, plus where the information comes from."""

    source = forms.ChoiceField(
        label=_("Where does this information come from?"),
        choices=[(s, ProvenanceSource(s).label) for s in EDITOR_SOURCES],
        error_messages={"required": _("Select where this information comes from")},
        widget=forms.RadioSelect,
    )
    provenance_detail = _text(
        _("Source detail"),
        500,
        hint=_("For example, the questionnaire return or the document you checked"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["editor"] = True
        super().__init__(*args, **kwargs)


class NewServiceForm(ServiceDetailsForm):
    """A provider proposes a new service; the organisation is asked only if they act for several."""

    organisation = forms.ChoiceField(
        label=_("Organisation"),
        error_messages={"required": _("Select the organisation that runs the service")},
    )

    def __init__(self, *args: Any, organisations: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations = {str(org.pk): org for org in organisations}
        _choice(self, "organisation").choices = [("", _("Choose an organisation"))] + [
            (pk, org.name) for pk, org in self.organisations.items()
        ]
        if len(self.organisations) == 1:
            self.fields["organisation"].initial = next(iter(self.organisations))
            self.fields["organisation"].widget = forms.HiddenInput()

    @property
    def asks_organisation(self) -> bool:
        return len(self.organisations) > 1

    def clean_organisation(self) -> Any:
        return self.organisations[self.cleaned_data["organisation"]]


class ClaimsVerifyForm(forms.Form):
    """An editor marks each of a service's claims verified, evidenced or self-reported, with a note."""

    def __init__(self, *args: Any, claims: Iterable[ServiceClaim], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.claims = list(claims)
        for claim in self.claims:
            self.fields[f"level_{claim.dimension}"] = forms.ChoiceField(
                label=f"{claim.get_dimension_display()}: {claim.get_value_display()}",
                choices=[
                    (EvidenceLevel.VERIFIED.value, EvidenceLevel.VERIFIED.label),
                    (EvidenceLevel.EVIDENCED.value, EvidenceLevel.EVIDENCED.label),
                    (EvidenceLevel.SELF_REPORTED.value, EvidenceLevel.SELF_REPORTED.label),
                ],
                initial=claim.evidence_level,
                error_messages={
                    "required": f"Select how sure we are of ‘{claim.get_dimension_display()}’"
                },
                widget=forms.RadioSelect(
                    attrs={"data-govuk-inline": "true", "data-govuk-small": "true"}
                ),
            )
            self.fields[f"note_{claim.dimension}"] = forms.CharField(
                label=_("How it was checked"),
                required=False,
                max_length=2000,
                initial=claim.evidence_note,
                error_messages={"max_length": "The note must be 2000 characters or fewer"},
            )

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "claim": claim,
                "level": self[f"level_{claim.dimension}"],
                "note": self[f"note_{claim.dimension}"],
            }
            for claim in self.claims
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for claim in self.claims:
            level = cleaned.get(f"level_{claim.dimension}")
            note = (cleaned.get(f"note_{claim.dimension}") or "").strip()
            changed = level != claim.evidence_level or note != claim.evidence_note
            if changed and level in (EvidenceLevel.VERIFIED, EvidenceLevel.EVIDENCED) and not note:
                self.add_error(
                    f"note_{claim.dimension}",
                    f"Enter a note saying how ‘{claim.get_dimension_display()}’ was checked",
                )
        return cleaned

    def updates(self) -> dict[str, dict[str, str]]:
        return {
            claim.dimension: {
                "evidence_level": self.cleaned_data[f"level_{claim.dimension}"],
                "evidence_note": (self.cleaned_data.get(f"note_{claim.dimension}") or "").strip(),
            }
            for claim in self.claims
        }


class ApproveForm(forms.Form):
    """Approving a change; when the service changed after the proposal, the editor must confirm."""

    confirm_stale = forms.BooleanField(
        label=_("I have checked the changes made since this was proposed and want to approve it"),
        required=False,
    )

    def __init__(self, *args: Any, stale: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stale = stale

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.stale and not cleaned.get("confirm_stale"):
            self.add_error(
                "confirm_stale",
                _("Confirm that you have checked the changes made since this was proposed"),
            )
        return cleaned


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you rejecting this change?"),
        help_text=_("The provider will see this"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Enter a reason for rejecting the change"),
            "max_length": _("The reason must be 2000 characters or fewer"),
        },
    )


class ManageSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by service or organisation name"), required=False, max_length=100
    )


class ReviewFilterForm(forms.Form):
    """Filters and sort order for the review list."""

    area = forms.ChoiceField(label=_("Area"), required=False)
    provenance = forms.ChoiceField(
        label=_("Source of the record"),
        required=False,
        choices=[("", _("Any source")), *_choices(ProvenanceSource)],
    )
    reason = forms.ChoiceField(
        label=_("Needs attention because"),
        required=False,
        choices=[("", _("Any reason")), *REVIEW_REASONS.items()],
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(REVIEW_SORTS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.areas = {a.slug: a for a in Area.objects.only("id", "slug", "name").order_by("name")}
        _choice(self, "area").choices = [("", _("Any area"))] + [
            (slug, a.name) for slug, a in self.areas.items()
        ]

    def area_id(self) -> int | None:
        slug = self.cleaned_data.get("area") if self.is_valid() else None
        return self.areas[slug].id if slug else None


class VersionCompareForm(forms.Form):
    """Pick two versions of a service (or a version and the current record) to compare."""

    a = forms.ChoiceField(
        label=_("Compare version"),
        error_messages={"required": _("Select the first version to compare")},
    )
    b = forms.ChoiceField(
        label=_("with"), error_messages={"required": _("Select the second version to compare")}
    )

    def __init__(self, *args: Any, numbers: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = [(str(n), f"Version {n}") for n in numbers]
        invalid = {"invalid_choice": _("Select a version of this service")}
        _choice(self, "a").choices = versions
        self.fields["a"].error_messages.update(invalid)
        _choice(self, "b").choices = [("current", _("The current record")), *versions]
        self.fields["b"].error_messages.update(invalid)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("a") and cleaned.get("a") == cleaned.get("b"):
            self.add_error("b", _("Select two different versions"))
        return cleaned
