"""Forms for the victim-survivor support side (IVSS) and the alert and risk event pages,
with GOV.UK error wording.

Forms only parse input. Who may act and the safety rules (never the perpetrator's worker,
only safeguarding information crosses, sharing only under an agreement) are enforced in
`services`; their errors are put back on these forms by the views.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils import timezone

from pathways.referrals.reference import SafeAnswer

from .models import (
    EQUALITY_LABELS,
    EQUALITY_QUESTIONS,
    ConsentState,
    ContactWish,
    RiskEventKind,
    SharingCategory,
    SupportStatus,
    ThreatTo,
    equality_choices,
)

NO_DETAILS_HINT = "Do not include the victim-survivor's contact details or where they are staying."


class DateInput(forms.DateInput):
    """A native date input; values are ISO dates (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def _radios(**attrs: str) -> forms.RadioSelect:
    return forms.RadioSelect(attrs=attrs)


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# Support case list -------------------------------------------------------------------

SHOW_ALL, SHOW_MINE, SHOW_UNALLOCATED = "all", "mine", "unallocated"
SORT_THREATS, SORT_NEWEST = "threats", "newest"


class SupportFilterForm(forms.Form):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            (SHOW_ALL, "All support cases"),
            (SHOW_MINE, "Support cases I hold"),
            (SHOW_UNALLOCATED, "Support cases with no worker yet"),
        ],
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *SupportStatus.choices]
    )
    sort = forms.ChoiceField(
        label="Order",
        required=False,
        choices=[
            (SORT_THREATS, "Threats the victim-survivor has not been told of first"),
            (SORT_NEWEST, "Newest first"),
        ],
    )

    def value(self, name: str, default: str) -> str:
        """The cleaned value of a filter, or `default` when it is absent or not valid."""
        if not self.is_bound or not self.is_valid():
            return default
        return self.cleaned_data.get(name) or default


# Opening a support case and its safe contact details -----------------------------------


class ContactFields(forms.Form):
    """The victim-survivor's safe contact details and wishes about contact."""

    contact_phone = forms.CharField(
        label="Safe phone number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        error_messages={"max_length": "Phone number must be 40 characters or fewer"},
    )
    contact_email = forms.EmailField(
        label="Safe email address",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )
    safe_address = forms.CharField(
        label="Safe address",
        help_text="Only an address the victim-survivor has said is safe to use.",
        required=False,
        max_length=1000,
        widget=_textarea(3),
        error_messages={"max_length": "Address must be 1000 characters or fewer"},
    )
    safe_times = forms.CharField(
        label="Safe times to make contact",
        help_text="For example, weekday mornings when the children are at school.",
        required=False,
        max_length=300,
        error_messages={"max_length": "Safe times must be 300 characters or fewer"},
    )
    voicemail_safe = forms.ChoiceField(
        label="Is it safe to leave a voicemail?",
        choices=SafeAnswer.choices,
        initial=SafeAnswer.NOT_SURE,
        widget=_radios(**{"data-govuk-inline": "true"}),
        error_messages={"required": "Select whether it is safe to leave a voicemail"},
    )
    text_safe = forms.ChoiceField(
        label="Is it safe to send a text message?",
        choices=SafeAnswer.choices,
        initial=SafeAnswer.NOT_SURE,
        widget=_radios(**{"data-govuk-inline": "true"}),
        error_messages={"required": "Select whether it is safe to send a text message"},
    )
    contact_wish = forms.ChoiceField(
        label="What does the victim-survivor want about contact?",
        choices=ContactWish.choices,
        initial=ContactWish.NOT_ASKED,
        widget=_radios(),
        error_messages={"required": "Select what the victim-survivor wants about contact"},
    )
    contact_wish_notes = forms.CharField(
        label="Notes about contact (optional)",
        help_text="For example, the name of the agency to contact them through.",
        required=False,
        max_length=2000,
        widget=_textarea(3),
        error_messages={"max_length": "Notes must be 2000 characters or fewer"},
    )

    CONTACT_FIELDS = (
        "contact_phone",
        "contact_email",
        "safe_address",
        "safe_times",
        "voicemail_safe",
        "text_safe",
        "contact_wish",
        "contact_wish_notes",
    )

    def contact(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.CONTACT_FIELDS}


class SupportCaseOpenForm(ContactFields):
    organisation = forms.ChoiceField(
        label="Organisation giving support",
        error_messages={
            "required": "Select the organisation giving support",
            "invalid_choice": "Select one of your organisations",
        },
    )
    service = forms.ChoiceField(
        label="Service (optional)",
        help_text="The service whose caseload settings apply.",
        required=False,
    )
    victim_name = forms.CharField(
        label="Victim-survivor's name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={
            "required": "Enter the victim-survivor's name",
            "max_length": "Name must be 200 characters or fewer",
        },
    )

    field_order = ["organisation", "service", "victim_name"]

    def __init__(
        self,
        *args: Any,
        organisations: Iterable[tuple[Any, str]],
        services: Iterable[tuple[Any, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        organisations = [(str(pk), name) for pk, name in organisations]
        _choice_field(self, "organisation").choices = organisations
        if len(organisations) == 1:
            # One organisation: nothing to choose, so no question to answer.
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = organisations[0][0]
        services = [(str(pk), name) for pk, name in services]
        if services:
            _choice_field(self, "service").choices = [("", "No particular service"), *services]
        else:
            del self.fields["service"]


class ContactForm(ContactFields):
    pass


# Actions on a support case ---------------------------------------------------------------


class AssignForm(forms.Form):
    worker = forms.ChoiceField(
        label="Who will support the victim-survivor?",
        widget=_radios(),
        error_messages={
            "required": "Select a support worker",
            "invalid_choice": "Select a support worker from the list",
        },
    )
    override_reason = forms.CharField(
        label="Why can this worker take a case above the agreed maximum? (managers only)",
        help_text="Only needed when the worker already holds the agreed maximum.",
        required=False,
        max_length=1000,
        widget=_textarea(3),
        error_messages={"max_length": "Reason must be 1000 characters or fewer"},
    )

    def __init__(
        self, *args: Any, workers: Iterable[tuple[Any, str]], manager: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "worker").choices = [(str(pk), label) for pk, label in workers]
        if not manager:
            del self.fields["override_reason"]


class LinkForm(forms.Form):
    case_reference = forms.CharField(
        label="Perpetrator case reference",
        help_text="The perpetrator-side worker can give you this. For example, PC-7K3M-Q9XD.",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-govuk-width": "10"}),
        error_messages={
            "required": "Enter the perpetrator case reference",
            "max_length": "Enter a reference like PC-7K3M-Q9XD",
        },
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        help_text="Only the victim-survivor's support workers can read this note.",
        max_length=10000,
        widget=_textarea(6),
        error_messages={
            "required": "Enter the note",
            "max_length": "Note must be 10000 characters or fewer",
        },
    )


class ConsentForm(forms.Form):
    state = forms.ChoiceField(
        label="Consent decision",
        choices=ConsentState.choices,
        widget=_radios(),
        error_messages={"required": "Select the consent decision"},
    )
    safeguarding_reason = forms.CharField(
        label="Safeguarding reason (if proceeding without consent)",
        help_text="Required when support goes ahead without the victim-survivor's consent.",
        required=False,
        max_length=2000,
        widget=_textarea(3),
        error_messages={"max_length": "Reason must be 2000 characters or fewer"},
    )
    scope = forms.CharField(
        label="What the consent covers (optional)",
        help_text="For example, sharing risk information with the police.",
        required=False,
        max_length=300,
        error_messages={"max_length": "This must be 300 characters or fewer"},
    )


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(
        label="New status",
        widget=_radios(),
        error_messages={
            "required": "Select the new status",
            "invalid_choice": "Select one of the statuses listed",
        },
    )
    reason = forms.CharField(
        label="Reason",
        help_text="Required when closing the support case.",
        required=False,
        max_length=2000,
        widget=_textarea(3),
        error_messages={"max_length": "Reason must be 2000 characters or fewer"},
    )

    def __init__(self, *args: Any, choices: Iterable[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "to_status").choices = list(choices)


class RiskEventForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of risk event is this?",
        choices=RiskEventKind.choices,
        widget=_radios(),
        error_messages={"required": "Select what kind of risk event this is"},
    )
    occurred_on = forms.DateField(
        label="When did it happen?",
        help_text="For example, 2026-03-31",
        widget=DateInput(),
        error_messages={
            "required": "Enter the date it happened",
            "invalid": "The date it happened must be a real date",
        },
    )
    threat_to = forms.ChoiceField(
        label="Is there a specific threat to someone?",
        choices=ThreatTo.choices,
        required=False,
        widget=_radios(),
    )
    summary = forms.CharField(
        label="What happened",
        help_text="Safeguarding information only. " + NO_DETAILS_HINT,
        max_length=5000,
        widget=_textarea(6),
        error_messages={
            "required": "Enter what happened (safeguarding information only)",
            "max_length": "What happened must be 5000 characters or fewer",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def occurred(self) -> dt.date:
        return self.cleaned_data["occurred_on"]


class EqualityForm(forms.Form):
    """Every equality question, each optional and each accepting "prefer not to say"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in EQUALITY_QUESTIONS:
            self.fields[question] = forms.ChoiceField(
                label=EQUALITY_LABELS[question],
                choices=[("", "Not asked"), *equality_choices(question)],
                required=False,
                widget=_radios(),
                error_messages={"invalid_choice": "Select one of the answers, or leave it blank"},
            )

    def answers(self) -> dict[str, str]:
        return {q: self.cleaned_data.get(q) or "" for q in EQUALITY_QUESTIONS}


class ShareForm(forms.Form):
    to_organisation = forms.ChoiceField(
        label="Organisation you are sharing with",
        help_text="Organisations that have a sharing agreement in force with yours.",
        error_messages={
            "required": "Select the organisation you are sharing with",
            "invalid_choice": "Select an organisation from the list",
        },
    )
    category = forms.ChoiceField(
        label="What are you sharing?",
        choices=SharingCategory.choices,
        widget=_radios(),
        error_messages={"required": "Select what is being shared"},
    )
    purpose = forms.CharField(
        label="Why are you sharing it?",
        max_length=300,
        widget=_textarea(3),
        error_messages={
            "required": "Enter why this is being shared",
            "max_length": "Purpose must be 300 characters or fewer",
        },
    )

    def __init__(self, *args: Any, organisations: Iterable[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "to_organisation").choices = [
            ("", "Select an organisation"),
            *[(str(pk), name) for pk, name in organisations],
        ]


# Alerts and risk events --------------------------------------------------------------------

ALERTS_ALL, ALERTS_OPEN = "all", "open"


class AlertFilterForm(forms.Form):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[(ALERTS_ALL, "All alerts"), (ALERTS_OPEN, "Alerts not yet acknowledged")],
    )

    def open_only(self) -> bool:
        return self.is_bound and self.is_valid() and self.cleaned_data.get("show") == ALERTS_OPEN


class VictimToldForm(forms.Form):
    note = forms.CharField(
        label="How and when were they told? (optional)",
        help_text="For example, by phone at a safe time. " + NO_DETAILS_HINT,
        required=False,
        max_length=2000,
        widget=_textarea(3),
        error_messages={"max_length": "Note must be 2000 characters or fewer"},
    )
