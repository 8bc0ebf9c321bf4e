"""Forms for assessments and risk-tier definitions, with GOV.UK Design System error wording.

Forms parse input; the rules (who may, amber needs a review date, a change needs a reason)
are enforced again in `standards.services`.
"""

from __future__ import annotations

from typing import Any

from django import forms

from pathways.directory.models import TaxonomyTerm

from .models import EvidenceSource, Rating, ReviewDecision, TierName

ATTACHMENT_HELP = "PDF, Word, Excel, image (PNG or JPEG) or text file, smaller than 5MB."


class DateInput(forms.DateInput):
    """A native date input; values are ISO dates (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label: str, help_text: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        help_text=help_text,
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter a real date, for example 2026-03-31"},
    )


class StartAssessmentForm(forms.Form):
    checklist = forms.ModelChoiceField(
        queryset=None,
        label="Which checklist do you want to assess the service against?",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Select a checklist",
            "invalid_choice": "Select a checklist from the list",
        },
    )

    def __init__(self, *args: Any, checklists: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["checklist"]
        field.queryset = checklists
        field.label_from_instance = lambda c: (
            f"{c.framework.title} ({c.framework.version}): {c.title}, {c.question_count} questions"
        )


class RatingForm(forms.Form):
    status = forms.ChoiceField(
        label="Rating",
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a rating"},
    )
    finding = forms.CharField(
        label="Finding",
        help_text="What you found, in a sentence or two. Required for amber and red.",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    evidence_sources = forms.MultipleChoiceField(
        label="Sources of evidence",
        choices=EvidenceSource.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"data-govuk-small": "true"}),
    )
    evidence_note = forms.CharField(
        label="Note on the evidence (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    review_date = _date_field(
        "Review date", "For amber: the date by which the item should be green."
    )
    file = forms.FileField(
        label="Attach a file (optional)",
        help_text=ATTACHMENT_HELP,
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.docx,.xlsx,.png,.jpg,.jpeg,.txt,.csv"}
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        status = data.get("status")
        if (
            status == Rating.AMBER
            and not data.get("review_date")
            and "review_date" not in self.errors
        ):
            self.add_error("review_date", "Enter the date by which an amber item should be green")
        if status in (Rating.AMBER, Rating.RED) and not (data.get("finding") or "").strip():
            self.add_error("finding", "Enter the finding for an amber or red item")
        return data


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Do you agree with the provider's rating?",
        choices=[
            (ReviewDecision.AGREED, "Yes, agree"),
            (ReviewDecision.CHANGED, "No, change the rating"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether you agree with the rating"},
    )
    agreed_status = forms.ChoiceField(
        label="Your rating (if you change it)",
        choices=[("", "Choose a rating"), *Rating.choices],
        required=False,
    )
    reason = forms.CharField(
        label="Reason for the change",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    review_date = _date_field(
        "Review date", "Needed when the rating is amber and the provider gave none."
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == ReviewDecision.CHANGED:
            if not data.get("agreed_status"):
                self.add_error("agreed_status", "Select the rating you give")
            if not (data.get("reason") or "").strip():
                self.add_error("reason", "Enter the reason for changing the rating")
        return data


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label="Why are you sending it back?",
        help_text="The provider sees this, changes the assessment and submits it again.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Enter the reason for sending it back",
            "max_length": "The reason must be 2000 characters or fewer",
        },
    )


class CompareForm(forms.Form):
    first = forms.ChoiceField(
        label="First assessment", error_messages={"required": "Select the first assessment"}
    )
    second = forms.ChoiceField(
        label="Second assessment", error_messages={"required": "Select the second assessment"}
    )

    def __init__(self, *args: Any, assessments: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [
            (
                str(a.pk),
                f"#{a.number} {a.get_kind_display()}, {a.checklist.title} – "
                f"{a.get_status_display()}",
            )
            for a in assessments
        ]
        for name in ("first", "second"):
            self.fields[name].choices = [("", "Choose an assessment"), *choices]
            self.fields[name].error_messages["invalid_choice"] = (
                "Select an assessment from the list"
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("first") and data.get("first") == data.get("second"):
            self.add_error("second", "Select two different assessments")
        return data


TIER_FIELDS = (
    ("requires_intensive_case_management", "Requires intensive case management"),
    (
        "requires_multi_agency_links",
        "Requires multi-agency links (MARAC, police, probation or children's social care referrals)",
    ),
    ("requires_integrated_victim_support", "Requires integrated victim-survivor support"),
)


class TierDefinitionForm(forms.Form):
    title = forms.CharField(
        label="Title", max_length=255, error_messages={"required": "Enter a title"}
    )
    notes = forms.CharField(
        label="Notes (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        routes = [
            (t.code, t.name)
            for t in TaxonomyTerm.objects.filter(taxonomy__slug="referral-routes").order_by(
                "sort_order", "name"
            )
        ]
        self.tiers: list[tuple[str, str, list[str]]] = []
        for tier, label in TierName.choices:
            names = []
            for key, text in TIER_FIELDS:
                name = f"{tier}__{key}"
                self.fields[name] = forms.BooleanField(label=text, required=False)
                names.append(name)
            name = f"{tier}__min_duration_weeks"
            self.fields[name] = forms.IntegerField(
                label="Minimum duration in weeks (optional)",
                required=False,
                min_value=1,
                max_value=260,
                widget=forms.NumberInput(attrs={"data-govuk-width": "3", "inputmode": "numeric"}),
                error_messages={
                    "invalid": "Enter the minimum duration as a whole number of weeks",
                    "min_value": "The minimum duration must be at least 1 week",
                    "max_value": "The minimum duration must be 260 weeks or fewer",
                },
            )
            names.append(name)
            name = f"{tier}__accepted_referral_routes"
            self.fields[name] = forms.MultipleChoiceField(
                label="Accepted referral routes (the service must accept at least one; none means any)",
                choices=routes,
                required=False,
                widget=forms.CheckboxSelectMultiple(attrs={"data-govuk-small": "true"}),
            )
            names.append(name)
            self.tiers.append((tier, label, names))

    def tier_fields(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(label, [self[n] for n in names]) for _, label, names in self.tiers]

    def criteria(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for tier, _, names in self.tiers:
            out[tier] = {name.split("__", 1)[1]: self.cleaned_data[name] for name in names}
        return out

    @staticmethod
    def initial_from(definition: Any) -> dict[str, Any]:
        if definition is None:
            return {}
        initial: dict[str, Any] = {"title": definition.title, "notes": definition.notes}
        for c in definition.criteria.all():
            for key, _ in TIER_FIELDS:
                initial[f"{c.tier}__{key}"] = getattr(c, key)
            initial[f"{c.tier}__min_duration_weeks"] = c.min_duration_weeks
            initial[f"{c.tier}__accepted_referral_routes"] = list(c.accepted_referral_routes)
        return initial
