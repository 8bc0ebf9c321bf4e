"""Forms for the perpetrator-side case pages, with GOV.UK error wording.

Forms only parse input. Who may act and the safety rules (activation, handover, caseload,
consent, sharing) are enforced in `cases.services`; their errors are put back on these
forms by the views (`views.common.add_service_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from pathways.referrals.reference import Gender, Need, RiskTier, SafeAnswer

from .models import (
    EQUALITY_LABELS,
    EQUALITY_QUESTIONS,
    AssessmentKind,
    AttendanceStatus,
    CaseStatus,
    ConsentState,
    ContactWish,
    ResponsibilityTaking,
    RiskEventKind,
    SessionFormat,
    SharingCategory,
    ThreatTo,
    equality_choices,
)


class DateInput(forms.DateInput):
    """A native date input; values are ISO dates (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label: str, *, required: bool = True, what: str = "the date") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text="For example, 2026-03-31",
        widget=DateInput(),
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"{label} must be a real date",
        },
    )


def _text(
    label: str,
    *,
    required: bool = True,
    max_length: int = 2000,
    rows: int = 4,
    help_text: str = "",
    required_message: str = "",
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": required_message or f"Enter {label[0].lower()}{label[1:]}",
            "max_length": f"{label} must be {max_length} characters or fewer",
        },
    )


def _line(
    label: str,
    *,
    required: bool = True,
    max_length: int = 200,
    help_text: str = "",
    required_message: str = "",
    **attrs: str,
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
        error_messages={
            "required": required_message or f"Enter {label[0].lower()}{label[1:]}",
            "max_length": f"{label} must be {max_length} characters or fewer",
        },
    )


def _count(label: str, *, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=500,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "data-govuk-width": "3"}),
        error_messages={
            "invalid": f"{label} must be a whole number",
            "min_value": f"{label} must be 1 or more",
            "max_value": f"{label} must be 500 or fewer",
        },
    )


def _radios(label: str, choices: Iterable[tuple[str, str]], message: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=list(choices),
        widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
    )


class ChoiceOfField(forms.ModelChoiceField):
    """A choice of object whose every bad value (a malformed id too) gets the field's own
    "choose from the list" message rather than Django's technical one."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if getattr(exc, "code", "") == "invalid_choice":
                raise
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            ) from exc


class UserChoiceField(ChoiceOfField):
    """A person chosen by name, with their username so two people of one name differ."""

    def label_from_instance(self, obj: Any) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


def named_contact_choices() -> QuerySet[Any]:
    """Who can be named on a case: active users who are members of any organisation,
    ordered by the name the list shows (full name, or username for those without one)."""
    shown = Case(
        When(Q(first_name="") & Q(last_name=""), then=F("username")),
        default=Concat("first_name", Value(" "), "last_name"),
        output_field=CharField(),
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__isnull=False)
        .distinct()
        .annotate(shown_name=Lower(shown))
        .order_by("shown_name", "username")
    )


# The list -------------------------------------------------------------------------------

SCOPE_CHOICES = [("mine", "Cases allocated to me"), ("all", "All cases of my organisation")]
STATUS_FILTERS = [
    ("open", "All open cases"),
    ("any", "All cases, including closed"),
    *CaseStatus.choices,
]
RISK_FILTERS = [("", "Any risk"), *RiskTier.choices, ("none", "Not yet assessed")]
SORTS = {
    "priority": "High risk and overdue assessments first",
    "due": "Next assessment due, soonest first",
    "opened": "Most recently opened first",
    "person": "Person's name, A to Z",
    "reference": "Reference",
}


class CaseFilterForm(forms.Form):
    scope = forms.ChoiceField(label="Show", required=False, choices=SCOPE_CHOICES)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_FILTERS)
    risk = forms.ChoiceField(label="Current risk", required=False, choices=RISK_FILTERS)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(SORTS.items()))

    def __init__(self, *args: Any, default_scope: str = "all", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_scope = default_scope

    def filters(self) -> dict[str, str]:
        """The filters chosen, falling back to the defaults for anything missing or bad."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {
            "scope": data.get("scope") or self.default_scope,
            "status": data.get("status") or "open",
            "risk": data.get("risk") or "",
            "sort": data.get("sort") or "priority",
        }


# Opening a case ---------------------------------------------------------------------------


class CaseOpenForm(forms.Form):
    service = ChoiceOfField(
        label="Service",
        queryset=None,
        empty_label=None,
        error_messages={
            "required": "Choose the service",
            "invalid_choice": "Choose one of your organisation's services",
        },
    )
    person_name = _line("Person's full name", required_message="Enter the person's name")
    person_date_of_birth = _date_field(
        "Date of birth (optional)", required=False, what="the date of birth"
    )
    person_gender = forms.ChoiceField(
        label="Gender",
        choices=Gender.choices,
        initial=Gender.NOT_SAID,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose the person's gender"},
    )
    intervention = _line(
        "Intervention or programme",
        help_text="For example, the name of the group programme or one-to-one work.",
        required_message="Enter the intervention or programme",
    )
    tier = forms.ChoiceField(
        label="Risk tier (optional)",
        required=False,
        choices=[("", "Not assessed yet"), *RiskTier.choices],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a risk tier"},
    )
    planned_sessions = _count("Planned sessions (optional)")
    planned_weeks = _count("Planned length in weeks (optional)")

    def __init__(self, *args: Any, services: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        field.queryset = services  # type: ignore[attr-defined]
        if services.count() > 1:
            field.empty_label = "Choose a service"  # type: ignore[attr-defined]


# Allocation -------------------------------------------------------------------------------


class AssignForm(forms.Form):
    worker = forms.ChoiceField(
        label="Who will work with this person?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a worker",
            "invalid_choice": "Choose a perpetrator-side worker of the service's organisation",
        },
    )
    override_reason = _text(
        "Why can this worker take a case above the maximum? (managers only)",
        required=False,
        max_length=1000,
        rows=3,
        help_text="Only needed when the worker already holds the agreed maximum caseload.",
    )

    def __init__(
        self,
        *args: Any,
        workers: list[dict[str, Any]],
        maximum: int,
        can_override: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.workers = {str(row["user"].pk): row["user"] for row in workers}
        choices = []
        for row in workers:
            user = row["user"]
            name = user.get_full_name() or user.get_username()
            total = row["total"]
            full = " – at the maximum, a manager must agree" if total >= maximum else ""
            choices.append(
                (
                    str(user.pk),
                    f"{name}: {total} open case{'' if total == 1 else 's'} (maximum {maximum}){full}",
                )
            )
        self.fields["worker"].choices = choices  # type: ignore[attr-defined]
        if not can_override:
            del self.fields["override_reason"]

    def chosen_worker(self) -> Any:
        return self.workers[self.cleaned_data["worker"]]


# Status -----------------------------------------------------------------------------------


class StatusForm(forms.Form):
    to_status = _radios(
        "What is the case's new status?", [], "Choose a status this case can move to"
    )
    reason = _text(
        "Reason",
        required=False,
        max_length=2000,
        help_text="Needed when the case is suspended, closed, de-selected or dropped out.",
    )

    def __init__(self, *args: Any, moves: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in CaseStatus.choices if value in set(moves)
        ]


# Records ----------------------------------------------------------------------------------


class AssessmentForm(forms.Form):
    kind = _radios("Kind of assessment", AssessmentKind.choices, "Choose the kind of assessment")
    assessed_on = _date_field("Date of the assessment", what="the date of the assessment")
    tool = _line(
        "Assessment tool used",
        help_text="For example, the structured risk and needs tool your service uses.",
        required_message="Enter the assessment tool used",
    )
    tier = _radios("Assessed risk tier", RiskTier.choices, "Choose the assessed risk tier")
    needs = forms.MultipleChoiceField(
        label="Needs identified (optional)",
        required=False,
        choices=Need.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose needs from the list"},
    )
    responsibility = _radios(
        "How far does the person take responsibility?",
        ResponsibilityTaking.choices,
        "Choose how far the person takes responsibility",
    )
    summary = _text("Summary (optional)", required=False, max_length=5000, rows=5)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("assessed_on", timezone.localdate())
        kwargs["initial"].setdefault("responsibility", ResponsibilityTaking.NOT_ASSESSED)
        super().__init__(*args, **kwargs)


class NoteForm(forms.Form):
    text = _text("Note", max_length=10000, rows=6, required_message="Enter the note")


class ConsentForm(forms.Form):
    state = _radios("Consent decision", ConsentState.choices, "Choose the consent decision")
    safeguarding_reason = _text(
        "Safeguarding reason to proceed without consent",
        required=False,
        max_length=2000,
        help_text="Needed only when work proceeds without consent.",
    )
    scope = _line(
        "What the consent covers (optional)",
        required=False,
        max_length=300,
        help_text="In plain words, for example: sharing attendance with probation.",
    )


class HandoverForm(forms.Form):
    to_agency = _line(
        "Agency that holds the risk",
        help_text="For example, the police public protection unit or probation.",
        required_message="Enter the agency that holds the risk",
    )
    to_organisation = ChoiceOfField(
        label="Organisation on Pathways (optional)",
        required=False,
        queryset=None,
        empty_label="Not on Pathways",
        error_messages={"invalid_choice": "Choose an organisation from the list"},
    )
    to_contact = _line(
        "Who at the agency accepted the handover?",
        required_message="Enter who at the agency accepted the handover",
    )
    summary = _text(
        "What was handed over",
        max_length=5000,
        rows=5,
        required_message="Enter what was handed over",
    )
    handed_over_on = _date_field("Date of the handover", what="the date of the handover")

    def __init__(self, *args: Any, organisations: QuerySet[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("handed_over_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = organisations  # type: ignore[attr-defined]


class NoVictimForm(forms.Form):
    reason = _text(
        "Why is there no identifiable victim-survivor to support?",
        max_length=2000,
        rows=5,
        help_text="A manager of the service must approve this before the case can start "
        "without a linked support case.",
        required_message="Enter why there is no victim-survivor to support",
    )


class SupportRequestForm(forms.Form):
    """What the perpetrator side passes on when it asks for integrated support. It is
    written to the support case and never shown back on the perpetrator side."""

    victim_name = _line(
        "Victim-survivor's name", required_message="Enter the victim-survivor's name"
    )
    organisation = ChoiceOfField(
        label="Who will give integrated support?",
        required=False,
        queryset=None,
        empty_label="Our organisation's support workers",
        help_text="A partner organisation needs a sharing agreement in force with yours that "
        "covers contact details and risk.",
        error_messages={"invalid_choice": "Choose an organisation from the list"},
    )
    contact_phone = _line(
        "Safe phone number (optional)",
        required=False,
        max_length=40,
        autocomplete="off",
        inputmode="tel",
    )
    contact_email = forms.EmailField(
        label="Safe email address (optional)",
        required=False,
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )
    safe_address = _text("Safe address (optional)", required=False, max_length=1000, rows=3)
    safe_times = _line(
        "Safe times to contact (optional)",
        required=False,
        max_length=300,
        help_text="For example, weekdays between 10am and 12pm.",
    )
    voicemail_safe = forms.ChoiceField(
        label="Is it safe to leave a voicemail?",
        choices=SafeAnswer.choices,
        initial=SafeAnswer.NOT_SURE,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true"}),
        error_messages={"invalid_choice": "Choose whether a voicemail is safe"},
    )
    text_safe = forms.ChoiceField(
        label="Is it safe to send a text message?",
        choices=SafeAnswer.choices,
        initial=SafeAnswer.NOT_SURE,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true"}),
        error_messages={"invalid_choice": "Choose whether a text is safe"},
    )
    contact_wish = forms.ChoiceField(
        label="What does the victim-survivor want about contact, if known?",
        choices=ContactWish.choices,
        initial=ContactWish.NOT_ASKED,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose what the victim-survivor wants"},
    )

    CONTACT_FIELDS = (
        "contact_phone",
        "contact_email",
        "safe_address",
        "safe_times",
        "voicemail_safe",
        "text_safe",
        "contact_wish",
    )

    def __init__(self, *args: Any, organisations: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]

    def contact(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.CONTACT_FIELDS}


class RiskEventForm(forms.Form):
    kind = _radios(
        "What kind of risk event is this?",
        RiskEventKind.choices,
        "Choose what kind of risk event this is",
    )
    occurred_on = _date_field("When did it happen?", what="when it happened")
    summary = _text(
        "What happened",
        max_length=3000,
        rows=5,
        help_text="Safeguarding information only: what happened and what it means for the "
        "safety of the victim-survivor and any children. It is sent at once to the "
        "victim-survivor's support worker and the named statutory lead. Do not include "
        "session content or anything else about the person's work on the programme.",
        required_message="Enter what happened (safeguarding information only)",
    )
    threat_to = forms.ChoiceField(
        label="Is there a specific threat to someone?",
        required=False,
        choices=ThreatTo.choices,
        widget=forms.RadioSelect,
        help_text="A specific threat is flagged until the person at risk has been told.",
        error_messages={"invalid_choice": "Choose who the threat is to"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class EqualityForm(forms.Form):
    """Every question optional, each with "prefer not to say"."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in EQUALITY_QUESTIONS:
            self.fields[question] = forms.ChoiceField(
                label=f"{EQUALITY_LABELS[question]} (optional)",
                required=False,
                choices=[("", "Not asked or not answered"), *equality_choices(question)],
                error_messages={"invalid_choice": "Choose one of the answers, or leave it blank"},
            )

    def answers(self) -> dict[str, str]:
        return {question: self.cleaned_data.get(question) or "" for question in EQUALITY_QUESTIONS}


class DetailsForm(forms.Form):
    intervention = _line(
        "Intervention or programme", required_message="Enter the intervention or programme"
    )
    tier = forms.ChoiceField(
        label="Risk tier",
        required=False,
        choices=[("", "Not set"), *RiskTier.choices],
        help_text="The tier the case is worked at. The current risk changes with each assessment.",
        error_messages={"invalid_choice": "Choose a risk tier"},
    )
    planned_sessions = _count("Planned sessions (optional)")
    planned_weeks = _count("Planned length in weeks (optional)")
    statutory_lead = UserChoiceField(
        label="Named statutory lead (optional)",
        required=False,
        queryset=None,
        empty_label="Nobody named",
        help_text="Receives every risk event on the case at once.",
        error_messages={"invalid_choice": "Choose a person from the list"},
    )
    police_contact = UserChoiceField(
        label="Police contact (optional)",
        required=False,
        queryset=None,
        empty_label="Nobody named",
        help_text="Told when the case ends at high risk.",
        error_messages={"invalid_choice": "Choose a person from the list"},
    )
    panel_chair = UserChoiceField(
        label="Panel chair (optional)",
        required=False,
        queryset=None,
        empty_label="Nobody named",
        help_text="Told when the case ends at high risk.",
        error_messages={"invalid_choice": "Choose a person from the list"},
    )
    CONTACTS = ("statutory_lead", "police_contact", "panel_chair")

    def __init__(self, *args: Any, people: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.CONTACTS:
            self.fields[name].queryset = people  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "intervention": data["intervention"],
            "tier": data["tier"],
            "planned_sessions": data["planned_sessions"],
            "planned_weeks": data["planned_weeks"],
            **{name: data[name] for name in self.CONTACTS},
        }


class ShareForm(forms.Form):
    to_organisation = ChoiceOfField(
        label="Organisation you are sharing with",
        queryset=None,
        empty_label="Choose an organisation",
        error_messages={
            "required": "Choose the organisation you are sharing with",
            "invalid_choice": "Choose an organisation from the list",
        },
    )
    category = _radios(
        "What are you sharing?", SharingCategory.choices, "Choose what is being shared"
    )
    purpose = _line(
        "Why are you sharing it?",
        max_length=300,
        required_message="Enter why this is being shared",
    )

    def __init__(self, *args: Any, organisations: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_organisation"].queryset = organisations  # type: ignore[attr-defined]


# Sessions ---------------------------------------------------------------------------------


class SessionServiceForm(forms.Form):
    service = ChoiceOfField(
        label="Which service ran the session?",
        queryset=None,
        empty_label="Choose a service",
        error_messages={
            "required": "Choose the service",
            "invalid_choice": "Choose one of your organisation's services",
        },
    )

    def __init__(self, *args: Any, services: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


NOT_IN_SESSION = ""
ATTENDANCE_PREFIX = "attendance_"


class SessionForm(forms.Form):
    """A session and, for each open case on the service, whether the person attended
    (blank: not part of this session)."""

    format = forms.ChoiceField(  # noqa: A003 - the domain's word
        label="Kind of session",
        choices=SessionFormat.choices,
        widget=forms.RadioSelect(attrs={"data-govuk-inline": "true"}),
        error_messages={
            "required": "Choose group or one-to-one",
            "invalid_choice": "Choose group or one-to-one",
        },
    )
    held_on = _date_field("Date of the session", what="the date of the session")
    title = _line("Title (optional)", required=False, help_text="For example, week 6: respect.")

    def __init__(self, *args: Any, cases: Iterable[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("held_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.cases = {case.reference: case for case in cases}
        for reference, case in self.cases.items():
            self.fields[ATTENDANCE_PREFIX + reference] = forms.ChoiceField(
                label=f"{case.person_name} ({reference})",
                required=False,
                choices=[(NOT_IN_SESSION, "Not in this session"), *AttendanceStatus.choices],
                error_messages={"invalid_choice": f"Choose attendance for {reference}"},
            )

    def attendance_rows(self) -> list[tuple[Any, forms.BoundField]]:
        """Each open case with its attendance field, in the order given."""
        return [(case, self[ATTENDANCE_PREFIX + ref]) for ref, case in self.cases.items()]

    def attendance(self) -> dict[Any, str]:
        return {
            case: self.cleaned_data[ATTENDANCE_PREFIX + reference]
            for reference, case in self.cases.items()
            if self.cleaned_data.get(ATTENDANCE_PREFIX + reference)
        }
