"""Forms for the manager pages, the sharing agreements register and break-glass, with
GOV.UK error wording.

Forms only parse input. Who may act and the rules (ranges, dates in the past, parties of
an agreement) are enforced again in the services; their errors are put back on these
forms by the views.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from .models import AgreementStatus, SharingCategory, SharingLawfulBasis

BREAK_GLASS_REASON_MIN = 20
BREAK_GLASS_REASON_MAX = 1000


class DateInput(forms.DateInput):
    """A native date input; values are ISO dates (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date(label: str, *, required: bool = False, help_text: str = "") -> forms.DateField:
    errors = {"invalid": f"{label} must be a real date, for example 2026-03-31"}
    if required:
        errors["required"] = f"Enter the {label[0].lower()}{label[1:]}"
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text or "For example, 2026-03-31",
        widget=DateInput(),
        error_messages=errors,
    )


def _number(
    label: str, help_text: str, *, low: int, high: int, what: str, required: str
) -> forms.IntegerField:
    message = f"Enter a number of {what} from {low} to {high}"
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-govuk-width": "4"}),
        error_messages={
            "required": required,
            "invalid": f"{label} must be a whole number",
            "min_value": message,
            "max_value": message,
        },
    )


def iso_initial(values: dict[str, Any]) -> dict[str, Any]:
    """Initial values with dates as ISO strings, which is what a native date input shows
    (a date object would be rendered in the page's local format)."""
    return {
        key: value.isoformat() if isinstance(value, dt.date) else value
        for key, value in values.items()
    }


class StaffRecordForm(forms.Form):
    induction_completed_on = _date("Induction training completed on")
    last_supervision_on = _date("Last clinical supervision on")
    supervision_interval_days = _number(
        "Days between clinical supervisions",
        "Supervision is overdue when this many days have passed since the last one.",
        low=1,
        high=366,
        what="days",
        required="Enter the number of days between clinical supervisions",
    )
    dbs_checked_on = _date("Enhanced DBS check on", help_text="The date of the last check.")
    dbs_recheck_years = _number(
        "Years between DBS checks",
        "The check is due for renewal this many years after the last one.",
        low=1,
        high=10,
        what="years",
        required="Enter the number of years between DBS checks",
    )


class ServiceCaseSettingsForm(forms.Form):
    assessment_interval_days = _number(
        "Days between review assessments",
        "How often a person on a case is reassessed after the intake assessment.",
        low=7,
        high=365,
        what="days",
        required="Enter the number of days between review assessments",
    )
    max_caseload = _number(
        "Maximum caseload per worker",
        "Open perpetrator and support cases one worker holds before a manager must agree "
        "to another allocation.",
        low=1,
        high=100,
        what="cases",
        required="Enter the maximum caseload per worker",
    )
    missed_sessions_warning = _number(
        "Missed sessions in a row that alert the worker",
        "The worker gets an alert after this many missed sessions in a row.",
        low=1,
        high=20,
        what="sessions",
        required="Enter how many missed sessions in a row alert the worker",
    )
    missed_sessions_review = _number(
        "Missed sessions in all before an engagement review",
        "The case is put up for an engagement review after this many missed sessions.",
        low=1,
        high=30,
        what="sessions",
        required="Enter how many missed sessions put the case up for an engagement review",
    )


class SharingAgreementForm(forms.Form):
    name = forms.CharField(
        label="Name of the agreement",
        max_length=200,
        error_messages={
            "required": "Enter the agreement's name",
            "max_length": "Name must be 200 characters or fewer",
        },
    )
    parties = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Organisations party to the agreement",
        help_text="Select all that apply. An agreement needs at least two.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least two organisations",
            "invalid_choice": "Choose organisations from the list",
            "invalid_pk_value": "Choose organisations from the list",
        },
    )
    purpose = forms.CharField(
        label="Purpose of sharing",
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter the purpose of sharing",
            "max_length": "Purpose must be 3000 characters or fewer",
        },
    )
    lawful_basis = forms.ChoiceField(
        label="Lawful basis",
        choices=SharingLawfulBasis.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the lawful basis",
            "invalid_choice": "Choose the lawful basis",
        },
    )
    categories = forms.MultipleChoiceField(
        label="Categories of data the agreement covers",
        help_text="Select all that apply.",
        choices=SharingCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose the categories of data the agreement covers",
            "invalid_choice": "Choose the categories of data the agreement covers",
        },
    )
    starts_on = _date("Start date", required=True)
    review_on = _date(
        "Review date",
        required=True,
        help_text="After this date the agreement no longer covers sharing until it is "
        "reviewed. For example, 2027-03-31",
    )
    status = forms.ChoiceField(
        label="Status",
        choices=AgreementStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a status", "invalid_choice": "Choose a status"},
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = organisations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, review = data.get("starts_on"), data.get("review_on")
        if starts and review and review < starts:
            self.add_error("review_on", "The review date must be on or after the start date")
        parties = data.get("parties")
        if parties is not None and len(parties) < 2:
            self.add_error("parties", "Choose at least two organisations")
        return data


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to read case records in the admin?",
        help_text="For example, the incident or request you are dealing with. This is kept in "
        "the audit trail. Do not include names or contact details.",
        min_length=BREAK_GLASS_REASON_MIN,
        max_length=BREAK_GLASS_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter why you need to read case records",
            "min_length": f"Reason must be {BREAK_GLASS_REASON_MIN} characters or more",
            "max_length": f"Reason must be {BREAK_GLASS_REASON_MAX} characters or fewer",
        },
    )
