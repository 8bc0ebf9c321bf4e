"""Forms for provider responses and the referrer's pages, with GOV.UK error wording.

Forms only parse input. Who may act, and the rules about timing and status, are enforced
in `services.routing`; its errors are put back on these forms by the views.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from .models import ReferralStatus
from .selectors.referrals import PROVIDER_VISIBLE

NO_DETAILS_HINT = "Do not include names, addresses or contact details."


class DateInput(forms.DateInput):
    """A native date input; values are ISO dates (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    """A native time input; values are HH:MM."""

    input_type = "time"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%H:%M")


class AcceptForm(forms.Form):
    note = forms.CharField(
        label="Note for the front door (optional)",
        help_text="For example, when you expect to contact the person. " + NO_DETAILS_HINT,
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Note must be 1000 characters or fewer"},
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why can your service not take this referral?",
        help_text="The front door reads this to decide where the referral goes next.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "required": "Enter why your service cannot take this referral",
            "max_length": "Reason must be 2000 characters or fewer",
        },
    )


class FirstContactForm(forms.Form):
    date = forms.DateField(
        label="Date of first contact",
        help_text="For example, 2026-03-31",
        widget=DateInput(),
        error_messages={
            "required": "Enter the date of first contact",
            "invalid": "Date of first contact must be a real date",
        },
    )
    time = forms.TimeField(
        label="Time of first contact",
        help_text="For example, 14:30",
        widget=TimeInput(),
        error_messages={
            "required": "Enter the time of first contact",
            "invalid": "Time of first contact must be a real time, for example 14:30",
        },
    )
    correction_reason = forms.CharField(
        label="Why are you correcting the time of first contact?",
        help_text=NO_DETAILS_HINT,
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Reason must be 300 characters or fewer"},
    )

    def __init__(self, *args: Any, correcting: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.correcting = correcting
        if not correcting:
            del self.fields["correction_reason"]
        else:
            self.fields["correction_reason"].required = True
            self.fields["correction_reason"].error_messages["required"] = (
                "Enter why you are correcting the time of first contact"
            )

    def at(self) -> dt.datetime:
        """The date and time entered, in the service's time zone."""
        naive = dt.datetime.combine(self.cleaned_data["date"], self.cleaned_data["time"])
        return timezone.make_aware(naive)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing this referral?",
        help_text="The front door and any service it was sent to are told it is withdrawn. "
        + NO_DETAILS_HINT,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter why you are withdrawing this referral",
            "max_length": "Reason must be 1000 characters or fewer",
        },
    )


REFERRER_SORTS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "overdue": "Overdue first",
    "status": "Status",
}


class ReferrerFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All statuses"), *ReferralStatus.choices],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=list(REFERRER_SORTS.items()),
    )

    def filters(self) -> tuple[str, str]:
        """(status, sort), falling back to everything, newest first, for bad input."""
        if not self.is_valid():
            return "", "newest"
        return self.cleaned_data["status"], self.cleaned_data["sort"] or "newest"


class ProviderFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All referrals")]
        + [(s.value, s.label) for s in ReferralStatus if s in PROVIDER_VISIBLE],
    )

    def status_filter(self) -> str:
        return self.cleaned_data["status"] if self.is_valid() else ""
